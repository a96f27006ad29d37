// HJ 212-2017 (and HJ/T 212-2005) — the national protocol of online emission monitoring (CEMS):
// framing, the CRC of the standard, the data segment, replies, and the mapping to PointBatch.
// Pure functions and a byte-stream splitter; the TCP listener is built on top of these.
//
//   ##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;
//   CP=&&RtdInterval=30&&1C80\r\n
//
// "##", 4 decimal digits = length of the data segment, the data segment, 4 hex digits of CRC
// over the data segment, CR LF. Byte layout and field rules: docs/protocols/hj212.md.
#ifndef DC_INGEST_HJ212_H_
#define DC_INGEST_HJ212_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/sample.h"

namespace dc::hj212 {

// Largest data segment the standard allows (its length field is 0000..1024).
inline constexpr size_t kMaxDataLength = 1024;
// Largest data segment accepted in lenient mode (field devices exceed 1024).
inline constexpr size_t kMaxLenientDataLength = 9999;

// The CRC of HJ 212-2017 over `data` (the data segment only): register 0xFFFF; for each byte,
// crc = (crc >> 8) ^ byte, then 8 times: crc = crc & 1 ? (crc >> 1) ^ 0xA001 : crc >> 1.
// It is NOT CRC-16/MODBUS (which XORs the byte into the low half). The standard's example
// above gives 0x1C80.
uint16_t Crc16(std::string_view data);

// "##" + length + data + CRC + "\r\n". REQUIRES: data.size() <= 9999.
std::string Frame(std::string_view data);

struct Options {
  // Strict: the standard to the letter. Lenient (the default: field devices rarely follow it
  // exactly): lowercase CRC digits, data segments up to kMaxLenientDataLength, missing QN or
  // Flag, blanks around fields, a missing trailing "&&"; each tolerated deviation is reported.
  bool strict = false;
};

// Splits a TCP byte stream into frames: reassembles fragments, splits several frames in one
// read, skips garbage between frames, and rejects frames whose length, trailer or CRC is wrong
// (each rejection is counted and described; the splitter then resynchronises on the next "##").
// Memory is bounded by one maximal frame. Not thread-safe.
class FrameSplitter {
 public:
  explicit FrameSplitter(Options options = {}) : options_(options) {}

  // Appends bytes received from the connection.
  void Append(std::string_view bytes) { buffer_.append(bytes.data(), bytes.size()); }

  enum class Result { kFrame, kRejected, kNeedMore };
  // kFrame: *data is the data segment of the next good frame. kRejected: *error says why a
  // frame (or garbage) was dropped; call again. kNeedMore: append more bytes first.
  Result Next(std::string* data, std::string* error);

  size_t buffered() const { return buffer_.size() - start_; }
  size_t garbage_bytes() const { return garbage_bytes_; }

 private:
  void Consume(size_t n);

  Options options_;
  std::string buffer_;
  size_t start_ = 0;  // bytes of buffer_ already consumed
  size_t garbage_bytes_ = 0;
};

// One item of the CP field: "a21026-Rtd=12.3" is code "a21026", suffix "Rtd", value "12.3";
// an item without '-' ("RtdInterval=30", "QnRtn=1") has an empty suffix.
struct Item {
  std::string code;
  std::string suffix;
  std::string value;
};

// A group of CP items separated by ';' (items inside a group are separated by ',').
using Group = std::vector<Item>;

struct Packet {
  std::string qn;           // request number: YYYYMMDDhhmmsszzz (2017) or 14 digits; "" when absent
  int st = 0;               // system code (31 air pollution source, 32 surface water, 91 system)
  int cn = 0;               // command code (2011 real-time, 2051 minute, 2061 hour, 2031 day, ...)
  std::string pw;           // access password
  std::string mn;           // station (device) number
  std::optional<int> flag;  // header Flag: bit 0 = reply wanted, bit 1 = split
  std::optional<int> pnum, pno;    // split packets: total and this one's number (1-based)
  std::vector<Group> cp;           // the CP field, in order
  std::vector<std::string> notes;  // deviations tolerated in lenient mode

  bool wants_reply() const { return flag && (*flag & 1) != 0; }
  bool split() const { return flag && (*flag & 2) != 0; }
  // 2017 when the Flag's version bits V5..V0 are 000001, 2005 otherwise (or without Flag).
  int edition() const { return flag && ((*flag >> 2) & 0x3F) == 1 ? 2017 : 2005; }
  // The value of the first CP item named `code` (with an empty suffix), or nullptr.
  const std::string* CpValue(std::string_view code) const;
};

// Parses a data segment (the part between the length and the CRC). Errors name the field and
// the byte offset. Never fails by crashing on any byte sequence.
absl::StatusOr<Packet> ParseData(std::string_view data, const Options& options = {});

// The reply data segments a station expects when its Flag asks for one: 9011 (request
// answered, QnRtn), 9012 (command executed, ExeRtn), 9014 (data acknowledged). They carry the
// request's QN, ST=91, the request's PW and MN, and Flag=4 (2017, no reply wanted).
std::string ReplyData(const Packet& request, int reply_cn, int rtn);

// Meaning of a data flag (`-Flag=N`): N normal, F stopped, M maintenance, S manual set value,
// D fault, C calibration, T over the upper limit, B communication fault.
// Quality: N good; S, T, M, C uncertain; F, D, B and unknown flags bad.
Quality FlagQuality(std::string_view flag);

struct PointOptions {
  std::string measurement = "cems";  // series measurement
  std::string site;                  // the `site` tag of every series ("" = none)
  absl::TimeZone zone;               // zone of DataTime (stations send local time)
};

struct PointsResult {
  size_t points = 0;
  std::vector<std::string> errors;  // items that could not be stored, with the reason
};

// Appends the monitoring values of a data packet (CN 2011/2051/2061/2031 and the like) to *out:
// one point per value item, at the group's DataTime, with series key
//   <measurement>,code=<pollutant code>,mn=<MN>[,site=<site>] <suffix in lower case>
// ("rtd", "avg", "min", "max", "cou", "zsrtd", "zsavg", ...), the quality from the item's
// `-Flag`, and for each flagged pollutant a point of field "flag" whose value is the flag
// letter's ASCII code (so the letter is kept and queryable). Items that are not numbers are
// reported, the others kept. REQUIRES: out != nullptr.
PointsResult ToPoints(const Packet& packet, const PointOptions& options, PointBatch* out);

}  // namespace dc::hj212

#endif  // DC_INGEST_HJ212_H_
