// DL/T 645-2007 — the protocol of Chinese electricity meters (RS-485, and through the
// transparent serial-to-TCP servers plants use): frames, the checksum, data identifiers and
// their BCD values. Pure functions and a byte-stream splitter; the poller is built on these.
//
//   FE FE FE FE 68 01 00 00 00 00 00 68 11 04 33 33 34 33 B3 16
//   (wake-up) start | address, low byte first | start | control | length | data + 0x33 | sum | end
//
// reads "forward active energy, total" (DI 00 01 00 00) from meter 000000000001.
// Byte layout and the data identifiers understood: docs/protocols/dlt645.md.
#ifndef DC_INGEST_DLT645_H_
#define DC_INGEST_DLT645_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace dc::dlt645 {

// Control codes (master → meter; the meter answers with bit 7 set, bit 6 set on error).
inline constexpr uint8_t kReadData = 0x11;
inline constexpr uint8_t kReadAddress = 0x13;
inline constexpr uint8_t kReplyBit = 0x80, kErrorBit = 0x40, kMoreBit = 0x20;

// A meter address as transmitted: 6 bytes of BCD, least significant byte first.
using Address = std::array<uint8_t, 6>;
// The broadcast/wildcard address AA AA AA AA AA AA (used to discover a lone meter's address).
inline constexpr Address kBroadcast = {0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA};

// "000000000001" (12 decimal digits, most significant first, as printed on the meter) or
// "AAAAAAAAAAAA" (broadcast). Errors name the text.
absl::StatusOr<Address> ParseAddress(std::string_view text);
std::string AddressText(const Address& address);

struct Frame {
  Address address{};
  uint8_t control = 0;
  std::string data;  // the data field with the 0x33 offset removed
};

// Encodes a frame, preceded by `wakeup` bytes 0xFE. REQUIRES: frame.data.size() <= 200.
std::string Encode(const Frame& frame, int wakeup = 4);
// A read request for data identifier `di` (DI3 DI2 DI1 DI0 as written in the standard, e.g.
// 0x00010000), and the broadcast "read address" request.
std::string ReadRequest(const Address& address, uint32_t di);
std::string ReadAddressRequest();

// Splits a serial or TCP byte stream into frames: skips wake-up bytes and garbage, reassembles
// fragments, and rejects frames with a bad checksum or end byte (each rejection described;
// it then resynchronises on the next 0x68). Memory is bounded by one maximal frame.
class FrameSplitter {
 public:
  void Append(std::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }
  enum class Result { kFrame, kRejected, kNeedMore };
  Result Next(Frame* frame, std::string* error);
  size_t buffered() const { return buffer_.size(); }

 private:
  std::string buffer_;
};

// A meter's answer to a read: the data identifier and its raw value bytes (without the
// offset, least significant first), or the meter's error byte.
struct ReadReply {
  uint32_t di = 0;
  std::string value;       // raw BCD bytes
  bool error = false;      // abnormal reply (control 0xD1)
  uint8_t error_code = 0;  // bit 1: no data requested (no such DI), bit 2: password...
  bool more = false;       // subsequent frames follow (control bit 5)
};
absl::StatusOr<ReadReply> ParseReadReply(const Frame& frame);

// What a data identifier holds: its value's size in bytes, decimals, sign and unit.
struct DataItem {
  uint32_t di = 0;
  int bytes = 0;
  int decimals = 0;
  bool is_signed = false;  // the most significant bit of the top byte is the sign
  std::string_view unit;
  std::string name;  // "forward active energy, tariff 1, current"
};
// Energy registers 00 TT RR SS (type 00..0A: combined/forward/reverse active, combined
// reactive 1/2, quadrants I-IV; RR tariff 00 = total, 01..3F; SS 00 current, 01..0C settled
// months) and the instantaneous values 02 01..06 xx 00 (voltage, current, active/reactive/
// apparent power, power factor) and 02 80 00 02 (frequency). Others: NotFound.
absl::StatusOr<DataItem> FindDataItem(uint32_t di);

// The value of `item` from its raw bytes (BCD, least significant byte first). Errors for a
// wrong length or a nibble that is not a decimal digit.
absl::StatusOr<double> DecodeValue(const DataItem& item, std::string_view raw);
// The raw bytes of `value` for `item` (rounded to its decimals); for simulators and tests.
absl::StatusOr<std::string> EncodeValue(const DataItem& item, double value);

// The read reply a meter sends (for simulators and tests).
std::string EncodeReadReply(const Address& address, uint32_t di, std::string_view raw);

}  // namespace dc::dlt645

#endif  // DC_INGEST_DLT645_H_
