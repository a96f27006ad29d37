#include "ingest/dlt645.h"

#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace dc::dlt645 {
namespace {

constexpr uint8_t kStart = 0x68, kEnd = 0x16, kWakeup = 0xFE, kOffset = 0x33;
constexpr size_t kHeaderSize = 10;  // 68 A0..A5 68 C L
constexpr size_t kMaxData = 200;

uint8_t Byte(std::string_view s, size_t i) { return static_cast<uint8_t>(s[i]); }

uint8_t Sum(std::string_view s) {
  unsigned sum = 0;
  for (char c : s) sum += static_cast<uint8_t>(c);
  return static_cast<uint8_t>(sum);
}

std::string Hex(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < 24; ++i) {
    absl::StrAppend(&out, i ? " " : "", absl::Hex(Byte(s, i), absl::kZeroPad2));
  }
  if (s.size() > 24) out += " ...";
  return absl::AsciiStrToUpper(out);
}

std::string Di(uint32_t di) {
  return absl::AsciiStrToUpper(absl::StrCat(
      absl::Hex(di >> 24, absl::kZeroPad2), " ", absl::Hex((di >> 16) & 0xFF, absl::kZeroPad2), " ",
      absl::Hex((di >> 8) & 0xFF, absl::kZeroPad2), " ", absl::Hex(di & 0xFF, absl::kZeroPad2)));
}

// DI3..DI0 → the 4 bytes of the data field, DI0 first.
std::string DiBytes(uint32_t di) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((di >> (8 * i)) & 0xFF);
  return s;
}

absl::StatusOr<DataItem> EnergyItem(uint32_t di) {
  static constexpr std::string_view kTypes[] = {
      "combined active energy",      "forward active energy",        "reverse active energy",
      "combined reactive energy 1",  "combined reactive energy 2",   "reactive energy quadrant I",
      "reactive energy quadrant II", "reactive energy quadrant III", "reactive energy quadrant IV",
      "forward apparent energy",     "reverse apparent energy"};
  uint32_t type = (di >> 16) & 0xFF, tariff = (di >> 8) & 0xFF, month = di & 0xFF;
  if (type > 0x0A || tariff > 0x3F || month > 0x0C) {
    return absl::NotFoundError(absl::StrCat("data identifier ", Di(di), " is not supported"));
  }
  DataItem item;
  item.di = di;
  item.bytes = 4;
  item.decimals = 2;
  item.is_signed = type == 0 || type == 3 || type == 4;
  item.unit = type <= 2 ? "kWh" : type >= 9 ? "kVAh" : "kvarh";
  item.name = absl::StrCat(
      AV(kTypes[type]), ", ", tariff == 0 ? std::string("total") : absl::StrCat("tariff ", tariff),
      ", ", month == 0 ? std::string("current") : absl::StrCat("settled ", month, " month(s) ago"));
  return item;
}

absl::StatusOr<DataItem> InstantItem(uint32_t di) {
  struct Kind {
    uint8_t di2;
    int bytes, decimals;
    bool is_signed;
    std::string_view unit, name;
  };
  static constexpr Kind kKinds[] = {
      {0x01, 2, 1, false, "V", "voltage"},         {0x02, 3, 3, true, "A", "current"},
      {0x03, 3, 4, true, "kW", "active power"},    {0x04, 3, 4, true, "kvar", "reactive power"},
      {0x05, 3, 4, true, "kVA", "apparent power"}, {0x06, 2, 3, true, "", "power factor"}};
  static constexpr std::string_view kPhases[] = {"total", "phase A", "phase B", "phase C"};
  if (di == 0x02800002) return DataItem{di, 2, 2, false, "Hz", "grid frequency"};
  uint32_t di2 = (di >> 16) & 0xFF, phase = (di >> 8) & 0xFF;
  for (const Kind& k : kKinds) {
    if (k.di2 != di2 || (di & 0xFF) != 0 || phase > 3) continue;
    bool per_phase_only = k.di2 <= 0x02;  // voltage and current exist per phase only
    if (per_phase_only && phase == 0) break;
    return DataItem{di,          k.bytes, k.decimals,
                    k.is_signed, k.unit,  absl::StrCat(AV(k.name), ", ", AV(kPhases[phase]))};
  }
  return absl::NotFoundError(absl::StrCat("data identifier ", Di(di), " is not supported"));
}

}  // namespace

absl::StatusOr<Address> ParseAddress(std::string_view text) {
  Address a{};
  if (absl::EqualsIgnoreCase(AV(text), "AAAAAAAAAAAA")) return kBroadcast;
  if (text.size() != 12) {
    return absl::InvalidArgumentError(absl::StrCat(
        "meter address \"", AV(text), "\": expected 12 decimal digits (e.g. 000000000001)"));
  }
  for (size_t i = 0; i < 12; ++i) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(text[i]))) {
      return absl::InvalidArgumentError(
          absl::StrCat("meter address \"", AV(text), "\": character ", i + 1, " is not a digit"));
    }
  }
  for (size_t b = 0; b < 6; ++b) {
    // Byte 0 on the wire holds the last two digits.
    size_t at = 10 - 2 * b;
    a[b] = static_cast<uint8_t>(((text[at] - '0') << 4) | (text[at + 1] - '0'));
  }
  return a;
}

std::string AddressText(const Address& address) {
  std::string out;
  for (int b = 5; b >= 0; --b) absl::StrAppend(&out, absl::Hex(address[b], absl::kZeroPad2));
  return absl::AsciiStrToUpper(out);
}

std::string Encode(const Frame& frame, int wakeup) {
  std::string f(static_cast<size_t>(wakeup), static_cast<char>(kWakeup));
  size_t begin = f.size();
  f.push_back(static_cast<char>(kStart));
  for (uint8_t b : frame.address) f.push_back(static_cast<char>(b));
  f.push_back(static_cast<char>(kStart));
  f.push_back(static_cast<char>(frame.control));
  f.push_back(static_cast<char>(frame.data.size()));
  for (char c : frame.data) f.push_back(static_cast<char>(static_cast<uint8_t>(c) + kOffset));
  f.push_back(static_cast<char>(Sum(std::string_view(f).substr(begin))));
  f.push_back(static_cast<char>(kEnd));
  return f;
}

std::string ReadRequest(const Address& address, uint32_t di) {
  return Encode(Frame{address, kReadData, DiBytes(di)});
}

std::string ReadAddressRequest() { return Encode(Frame{kBroadcast, kReadAddress, ""}); }

FrameSplitter::Result FrameSplitter::Next(Frame* frame, std::string* error) {
  std::string_view buf = buffer_;
  size_t start = buf.find(static_cast<char>(kStart));
  if (start != 0) {
    size_t skip = start == std::string_view::npos ? buf.size() : start;
    if (skip == 0) return Result::kNeedMore;
    bool wakeup_only = true;
    for (size_t i = 0; i < skip; ++i) wakeup_only &= Byte(buf, i) == kWakeup;
    buffer_.erase(0, skip);
    if (wakeup_only) return Next(frame, error);
    *error = absl::StrCat(skip, " byte(s) of garbage skipped: ", Hex(buf.substr(0, skip)));
    return Result::kRejected;
  }
  if (buf.size() < kHeaderSize) return Result::kNeedMore;
  if (Byte(buf, 7) != kStart) {
    *error = absl::StrCat("no second 0x68 after the address: ", Hex(buf.substr(0, kHeaderSize)));
    buffer_.erase(0, 1);
    return Result::kRejected;
  }
  size_t len = Byte(buf, 9);
  if (len > kMaxData) {
    *error = absl::StrCat("data length ", len, " over the limit of ", kMaxData);
    buffer_.erase(0, 1);
    return Result::kRejected;
  }
  size_t total = kHeaderSize + len + 2;
  if (buf.size() < total) return Result::kNeedMore;
  if (Byte(buf, total - 1) != kEnd) {
    *error = absl::StrCat("frame does not end in 0x16 at its declared length ", len);
    buffer_.erase(0, 1);
    return Result::kRejected;
  }
  uint8_t want = Sum(buf.substr(0, total - 2));
  if (Byte(buf, total - 2) != want) {
    *error = absl::StrCat("checksum ", Hex(buf.substr(total - 2, 1)), " does not match (",
                          Hex(std::string(1, static_cast<char>(want))),
                          "): ", Hex(buf.substr(0, total)));
    buffer_.erase(0, total);
    return Result::kRejected;
  }
  for (size_t i = 0; i < 6; ++i) frame->address[i] = Byte(buf, 1 + i);
  frame->control = Byte(buf, 8);
  frame->data.resize(len);
  for (size_t i = 0; i < len; ++i) {
    frame->data[i] = static_cast<char>(static_cast<uint8_t>(Byte(buf, kHeaderSize + i) - kOffset));
  }
  buffer_.erase(0, total);
  return Result::kFrame;
}

absl::StatusOr<ReadReply> ParseReadReply(const Frame& frame) {
  ReadReply r;
  const uint8_t c = frame.control;
  if ((c & 0x1F) != kReadData || (c & kReplyBit) == 0) {
    return absl::InvalidArgumentError(absl::StrCat("control code 0x", absl::Hex(c, absl::kZeroPad2),
                                                   " is not a reply to a read (0x91)"));
  }
  if (c & kErrorBit) {
    if (frame.data.size() != 1) {
      return absl::InvalidArgumentError("abnormal reply without its one error byte");
    }
    r.error = true;
    r.error_code = static_cast<uint8_t>(frame.data[0]);
    return r;
  }
  if (frame.data.size() < 4) {
    return absl::InvalidArgumentError(absl::StrCat("read reply of ", frame.data.size(),
                                                   " data bytes; expected the 4-byte identifier"));
  }
  for (int i = 3; i >= 0; --i) r.di = (r.di << 8) | static_cast<uint8_t>(frame.data[i]);
  r.value = frame.data.substr(4);
  r.more = (c & kMoreBit) != 0;
  return r;
}

absl::StatusOr<DataItem> FindDataItem(uint32_t di) {
  if ((di >> 24) == 0x00) return EnergyItem(di);
  if ((di >> 24) == 0x02) return InstantItem(di);
  return absl::NotFoundError(absl::StrCat("data identifier ", Di(di), " is not supported"));
}

absl::StatusOr<double> DecodeValue(const DataItem& item, std::string_view raw) {
  if (raw.size() != static_cast<size_t>(item.bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(item.name, ": ", raw.size(), " value bytes, expected ", item.bytes));
  }
  double v = 0;
  bool negative = false;
  for (int i = item.bytes - 1; i >= 0; --i) {
    uint8_t b = static_cast<uint8_t>(raw[i]);
    if (i == item.bytes - 1 && item.is_signed) {
      negative = (b & 0x80) != 0;
      b &= 0x7F;
    }
    int hi = b >> 4, lo = b & 0x0F;
    if (hi > 9 || lo > 9) {
      return absl::InvalidArgumentError(
          absl::StrCat(item.name, ": byte ", Hex(raw.substr(i, 1)), " is not BCD"));
    }
    v = v * 100 + hi * 10 + lo;
  }
  v /= std::pow(10.0, item.decimals);
  return negative ? -v : v;
}

absl::StatusOr<std::string> EncodeValue(const DataItem& item, double value) {
  double scaled = std::round(std::fabs(value) * std::pow(10.0, item.decimals));
  // A signed value's top byte keeps bit 7 for the sign: its high digit is at most 7.
  double limit = (item.is_signed ? 8 : 10) * std::pow(10.0, 2 * item.bytes - 1);
  if (!std::isfinite(value) || scaled >= limit || (value < 0 && !item.is_signed)) {
    return absl::InvalidArgumentError(absl::StrCat(item.name, ": ", value, " does not fit"));
  }
  auto n = static_cast<uint64_t>(scaled);
  std::string raw(static_cast<size_t>(item.bytes), '\0');
  for (int i = 0; i < item.bytes; ++i) {
    raw[i] = static_cast<char>(((n / 10 % 10) << 4) | (n % 10));
    n /= 100;
  }
  if (value < 0) raw.back() = static_cast<char>(static_cast<uint8_t>(raw.back()) | 0x80);
  return raw;
}

std::string EncodeReadReply(const Address& address, uint32_t di, std::string_view raw) {
  return Encode(Frame{address, kReadData | kReplyBit, DiBytes(di) + std::string(raw)}, 0);
}

}  // namespace dc::dlt645
