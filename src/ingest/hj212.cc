#include "ingest/hj212.h"

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace dc::hj212 {
namespace {

constexpr std::string_view kHeader = "##";
constexpr size_t kLengthDigits = 4, kCrcDigits = 4;
constexpr std::string_view kTrailer = "\r\n";

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

int HexDigit(char c, bool strict) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (!strict && c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The 4 CRC characters as a number, or -1.
int ParseCrc(std::string_view s, bool strict) {
  int v = 0;
  for (char c : s) {
    int d = HexDigit(c, strict);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 32)) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F) {
      out.push_back(c);
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    }
  }
  if (s.size() > 32) out += "...";
  return out;
}

absl::Status FieldError(size_t offset, std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("HJ 212 data segment, byte ", offset, ", field ", AV(field), ": ", AV(why)));
}

// Parses "key=value" items of one CP group (separated by ',').
absl::Status ParseGroup(std::string_view text, size_t offset, const Options& options,
                        Packet* packet) {
  Group group;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find(',', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view item = text.substr(pos, end - pos);
    if (!options.strict) item = SV(absl::StripAsciiWhitespace(AV(item)));
    if (!item.empty()) {
      size_t eq = item.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return FieldError(offset + pos, "CP",
                          absl::StrCat("item \"", Printable(item), "\" is not name=value"));
      }
      std::string_view name = item.substr(0, eq);
      Item it;
      size_t dash = name.find('-');
      it.code = std::string(name.substr(0, dash));
      if (dash != std::string_view::npos) it.suffix = std::string(name.substr(dash + 1));
      it.value = std::string(item.substr(eq + 1));
      group.push_back(std::move(it));
    } else if (options.strict && end < text.size()) {
      return FieldError(offset + pos, "CP", "empty item");
    }
    pos = end + 1;
  }
  if (!group.empty()) packet->cp.push_back(std::move(group));
  return absl::OkStatus();
}

absl::Status ParseCp(std::string_view body, size_t offset, const Options& options, Packet* packet) {
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find(';', pos);
    if (end == std::string_view::npos) end = body.size();
    absl::Status s = ParseGroup(body.substr(pos, end - pos), offset + pos, options, packet);
    if (!s.ok()) return s;
    pos = end + 1;
  }
  return absl::OkStatus();
}

absl::Status SetInt(std::string_view name, std::string_view value, size_t offset, int* out) {
  if (!AllDigits(value) || value.size() > 9 || !absl::SimpleAtoi(AV(value), out)) {
    return FieldError(offset, name,
                      absl::StrCat("\"", Printable(value), "\" is not a decimal number"));
  }
  return absl::OkStatus();
}

// One header field "name=value" at `offset`.
absl::Status ParseHeaderField(std::string_view name, std::string_view value, size_t offset,
                              const Options& options, Packet* p) {
  if (name == "QN") {
    if (options.strict ? value.size() != 17 || !AllDigits(value)
                       : !(value.size() == 17 || value.size() == 14) || !AllDigits(value)) {
      return FieldError(offset, name, "expected 17 digits YYYYMMDDhhmmsszzz");
    }
    p->qn = std::string(value);
    return absl::OkStatus();
  }
  if (name == "ST") return SetInt(name, value, offset, &p->st);
  if (name == "CN") return SetInt(name, value, offset, &p->cn);
  if (name == "PW") {
    p->pw = std::string(value);
    return absl::OkStatus();
  }
  if (name == "MN") {
    if (value.empty() || value.size() > 24) {
      return FieldError(offset, name, "expected 1 to 24 characters");
    }
    for (char c : value) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') {
        return FieldError(offset, name, "only letters, digits, '-' and '_' are allowed");
      }
    }
    p->mn = std::string(value);
    return absl::OkStatus();
  }
  int v = 0;
  if (name == "Flag" || name == "PNUM" || name == "PNO") {
    absl::Status s = SetInt(name, value, offset, &v);
    if (!s.ok()) return s;
    (name == "Flag" ? p->flag : name == "PNUM" ? p->pnum : p->pno) = v;
    return absl::OkStatus();
  }
  if (options.strict) return FieldError(offset, name, "unknown header field");
  p->notes.push_back(absl::StrCat("unknown header field ", AV(name), " ignored"));
  return absl::OkStatus();
}

absl::Status CheckRequired(const Options& options, Packet* out) {
  const Packet& p = *out;
  if (p.mn.empty()) return FieldError(0, "MN", "missing");
  if (p.cn == 0) return FieldError(0, "CN", "missing");
  if (p.st == 0) return FieldError(0, "ST", "missing");
  if (p.pnum.has_value() != p.pno.has_value()) {
    return FieldError(0, "PNUM/PNO", "both or neither must be present");
  }
  if (p.pnum && (*p.pno < 1 || *p.pno > *p.pnum)) {
    return FieldError(0, "PNO", absl::StrCat("packet ", *p.pno, " of ", *p.pnum));
  }
  if (options.strict && p.qn.empty()) return FieldError(0, "QN", "missing");
  if (options.strict && !p.flag) return FieldError(0, "Flag", "missing");
  if (p.qn.empty()) out->notes.push_back("no QN");
  if (!p.flag) out->notes.push_back("no Flag (HJ/T 212-2005 style)");
  return absl::OkStatus();
}

}  // namespace

uint16_t Crc16(std::string_view data) {
  uint16_t crc = 0xFFFF;
  for (char c : data) {
    crc = static_cast<uint16_t>((crc >> 8) ^ static_cast<uint8_t>(c));
    for (int i = 0; i < 8; ++i) {
      crc =
          (crc & 1) ? static_cast<uint16_t>((crc >> 1) ^ 0xA001) : static_cast<uint16_t>(crc >> 1);
    }
  }
  return crc;
}

std::string Frame(std::string_view data) {
  char head[8], crc[8];
  std::snprintf(head, sizeof(head), "%04zu", data.size() % 10000);
  std::snprintf(crc, sizeof(crc), "%04X", static_cast<unsigned>(Crc16(data)));
  return absl::StrCat(AV(kHeader), head, AV(data), crc, AV(kTrailer));
}

void FrameSplitter::Consume(size_t n) {
  start_ += n;
  if (start_ == buffer_.size()) {
    buffer_.clear();
    start_ = 0;
  } else if (start_ > (64u << 10) && start_ > buffer_.size() / 2) {
    buffer_.erase(0, start_);
    start_ = 0;
  }
}

FrameSplitter::Result FrameSplitter::Next(std::string* data, std::string* error) {
  std::string_view buf = std::string_view(buffer_).substr(start_);
  size_t hdr = buf.find(kHeader);
  if (hdr != 0) {
    // Garbage before the next "##" (keep a lone trailing '#', it may start one).
    size_t skip = hdr == std::string_view::npos ? buf.size() - (buf.ends_with('#') ? 1 : 0) : hdr;
    if (skip == 0) return Result::kNeedMore;
    *error = absl::StrCat(skip, " byte(s) of garbage before a frame skipped: \"",
                          Printable(buf.substr(0, skip)), "\"");
    garbage_bytes_ += skip;
    Consume(skip);
    return Result::kRejected;
  }
  if (buf.size() < kHeader.size() + kLengthDigits) return Result::kNeedMore;
  std::string_view len_text = buf.substr(kHeader.size(), kLengthDigits);
  size_t len = 0;
  const size_t max_len = options_.strict ? kMaxDataLength : kMaxLenientDataLength;
  if (!AllDigits(len_text) || !absl::SimpleAtoi(AV(len_text), &len) || len > max_len) {
    *error = absl::StrCat("bad length field \"", Printable(len_text), "\" (expected 0000..",
                          max_len, ")");
    Consume(kHeader.size());
    return Result::kRejected;
  }
  const size_t total = kHeader.size() + kLengthDigits + len + kCrcDigits + kTrailer.size();
  if (buf.size() < total) return Result::kNeedMore;
  std::string_view frame = buf.substr(0, total);
  std::string_view body = frame.substr(kHeader.size() + kLengthDigits, len);
  std::string_view crc_text = frame.substr(kHeader.size() + kLengthDigits + len, kCrcDigits);
  if (frame.substr(total - kTrailer.size()) != kTrailer) {
    *error = absl::StrCat("frame of declared length ", len,
                          " does not end in CRC + CR LF there (length wrong?)");
    Consume(kHeader.size());  // resynchronise on the next "##"
    return Result::kRejected;
  }
  int crc = ParseCrc(crc_text, options_.strict);
  uint16_t want = Crc16(body);
  if (crc != want) {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "%04X", static_cast<unsigned>(want));
    *error = absl::StrCat("CRC \"", Printable(crc_text), "\" does not match the data (", hex,
                          "); frame dropped");
    Consume(total);
    return Result::kRejected;
  }
  data->assign(body.data(), body.size());
  Consume(total);
  return Result::kFrame;
}

const std::string* Packet::CpValue(std::string_view code) const {
  for (const Group& g : cp) {
    for (const Item& it : g) {
      if (it.code == code && it.suffix.empty()) return &it.value;
    }
  }
  return nullptr;
}

absl::StatusOr<Packet> ParseData(std::string_view data, const Options& options) {
  Packet p;
  size_t cp_at = data.find("CP=&&");
  if (cp_at == std::string_view::npos) return FieldError(data.size(), "CP", "missing CP=&&...&&");
  std::string_view head = data.substr(0, cp_at);
  std::string_view body = data.substr(cp_at + 5);
  if (body.size() >= 2 && body.ends_with("&&")) {
    body.remove_suffix(2);
  } else if (options.strict) {
    return FieldError(data.size(), "CP", "does not end in &&");
  } else {
    p.notes.push_back("CP without the closing &&");
  }
  size_t pos = 0;
  while (pos < head.size()) {
    size_t end = head.find(';', pos);
    if (end == std::string_view::npos) end = head.size();
    std::string_view field = head.substr(pos, end - pos);
    if (!options.strict) field = SV(absl::StripAsciiWhitespace(AV(field)));
    if (!field.empty()) {
      size_t eq = field.find('=');
      if (eq == std::string_view::npos) {
        return FieldError(pos, Printable(field), "expected name=value");
      }
      absl::Status s =
          ParseHeaderField(field.substr(0, eq), field.substr(eq + 1), pos, options, &p);
      if (!s.ok()) return s;
    }
    pos = end + 1;
  }
  if (absl::Status s = CheckRequired(options, &p); !s.ok()) return s;
  if (absl::Status s = ParseCp(body, cp_at + 5, options, &p); !s.ok()) return s;
  return p;
}

}  // namespace dc::hj212
