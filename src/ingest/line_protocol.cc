// A hand-written single-pass scanner over the body. Lines are found with memchr; the series key
// prefix (measurement + tags) is copied from the line as written when its tags are already
// sorted (the common case: Telegraf and the client libraries sort them), else rebuilt from the
// sorted tag spans. Scratch vectors live for one call, so a line costs no allocation.
#include "ingest/line_protocol.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "common/text.h"
#include "common/time.h"

namespace dc {
namespace {

// Lines with this many fields look their series up through the prefix cache; for fewer, the
// cache costs more than the per-field lookups it saves (measured with bench lp_parse).
constexpr size_t kCacheMinFields = 3;
// InfluxDB 1.x reserves the two lowest and the highest int64 (models.MinNanoTime/MaxNanoTime).
constexpr int64_t kMinLpTime = std::numeric_limits<int64_t>::min() + 2;
constexpr int64_t kMaxLpTime = std::numeric_limits<int64_t>::max() - 1;
// The one wording of common/time.h for a time that cannot be stored.
const std::string kTimestampRangeText = absl::StrCat("timestamp out of range: ", kTimeRangeText);
const char* const kTimestampRange = kTimestampRangeText.c_str();

struct TagSpan {
  std::string_view key, value;  // as written (escaped)
  bool escaped;
};

struct FieldValue {
  std::string_view key;  // as written (escaped)
  double v;
};

struct ViewHash {
  size_t operator()(std::string_view s) const { return absl::Hash<absl::string_view>{}(AV(s)); }
};
using ViewMap = absl::flat_hash_map<std::string_view, uint32_t, ViewHash, std::equal_to<>>;

// The series of one measurement-and-tags prefix, by field key (both as written in the body).
// Lines of one prefix usually list the same fields in the same order, so the field at the same
// position is tried first; past kIndexFields fields a hash index keeps the lookup O(1), so a
// line costs time linear in its fields however many it has.
struct PrefixSeries {
  static constexpr size_t kIndexFields = 8;
  struct Field {
    std::string_view key;
    uint32_t id;
  };
  absl::InlinedVector<Field, 4> fields;
  ViewMap index;  // key → id, filled once fields.size() > kIndexFields

  const uint32_t* Find(std::string_view key, size_t pos) const {
    if (pos < fields.size() && fields[pos].key == key) return &fields[pos].id;
    if (fields.size() > kIndexFields) {
      auto it = index.find(key);
      return it == index.end() ? nullptr : &it->second;
    }
    for (const Field& f : fields) {
      if (f.key == key) return &f.id;
    }
    return nullptr;
  }
  void Add(std::string_view key, uint32_t id) {
    fields.push_back(Field{key, id});
    if (fields.size() == kIndexFields + 1) {
      for (const Field& f : fields) index.try_emplace(f.key, f.id);
    } else if (fields.size() > kIndexFields + 1) {
      index.try_emplace(key, id);
    }
  }
};

inline bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\0'; }

inline const char* SkipSpaces(const char* p, const char* e) {
  while (p < e && IsSpace(*p)) ++p;
  return p;
}

// Advances over an escape pair "\x" (or a lone trailing backslash).
inline const char* SkipEscape(const char* p, const char* e) { return p + 1 < e ? p + 2 : p + 1; }

// Next byte of a tag token with "\," "\=" "\ " unescaped; other backslashes are literal.
inline char NextUnescaped(std::string_view s, size_t* i) {
  char c = s[*i];
  if (c == '\\' && *i + 1 < s.size()) {
    char n = s[*i + 1];
    if (n == ',' || n == '=' || n == ' ') {
      *i += 2;
      return n;
    }
  }
  *i += 1;
  return c;
}

int CompareUnescaped(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    auto ca = static_cast<unsigned char>(NextUnescaped(a, &i));
    auto cb = static_cast<unsigned char>(NextUnescaped(b, &j));
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

// Orders tags by their unescaped keys, as FormatSeriesKey does.
int CompareTags(const TagSpan& a, const TagSpan& b) {
  if (!a.escaped && !b.escaped) return a.key.compare(b.key);
  return CompareUnescaped(a.key, b.key);
}

bool IsBoolToken(std::string_view s, double* v) {
  switch (s.size()) {
    case 1:
      if (s[0] == 't' || s[0] == 'T') return *v = 1, true;
      if (s[0] == 'f' || s[0] == 'F') return *v = 0, true;
      return false;
    case 4:
      if (s == "true" || s == "True" || s == "TRUE") return *v = 1, true;
      return false;
    case 5:
      if (s == "false" || s == "False" || s == "FALSE") return *v = 0, true;
      return false;
  }
  return false;
}

// Up to 24 bytes from `p` (not past `e`), non-printable bytes as \xNN, for error messages.
std::string Near(const char* p, const char* e) {
  std::string out;
  const char* stop = p + std::min<ptrdiff_t>(e - p, 24);
  for (; p < stop; ++p) {
    auto c = static_cast<unsigned char>(*p);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

class Parser {
 public:
  Parser(std::string_view body, const LpOptions& opt, PointBatch* out, LpResult* res)
      : begin_(body.data()),
        end_(body.data() + body.size()),
        opt_(opt),
        out_(out),
        res_(res),
        mult_(PrecisionNanos(opt.precision)) {
    tags_.reserve(32);
    fields_.reserve(32);
    key_.reserve(256);
  }

  void Run() {
    const char* p = begin_;
    size_t line_no = 1;
    while (p < end_) {
      line_begin_ = p;
      extra_lines_ = 0;
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end_ - p));
      SetLineEnd(nl);
      const char* s = SkipSpaces(p, eol_);
      if (s < eol_ && *s != '#') {
        ++res_->lines;
        if (!ParsePoint(s)) RecordError(line_no + extra_lines_);
      }
      line_no += 1 + extra_lines_;
      p = next_;
    }
  }

 private:
  // Sets eol_ (end of the line's content, before "\r\n") and next_ from the newline at `nl`
  // (nullptr: the line runs to the end of the body).
  void SetLineEnd(const char* nl) {
    next_ = nl ? nl + 1 : end_;
    eol_ = nl ? nl : end_;
    if (eol_ > line_begin_ && eol_[-1] == '\r') --eol_;
  }

  bool Fail(const char* at, const char* why) {
    err_at_ = at;
    err_ = why;
    return false;
  }

  void RecordError(size_t line) {
    ++res_->error_count;
    if (res_->errors.size() >= opt_.max_errors) return;
    LineError e;
    e.line = line;
    e.column = static_cast<size_t>(err_at_ - line_begin_) + 1;
    e.message = err_;
    if (err_at_ < eol_) absl::StrAppend(&e.message, " (near \"", Near(err_at_, eol_), "\")");
    res_->errors.push_back(std::move(e));
  }

  bool ParsePoint(const char* p);
  // The series key rules (ValidateSeriesKey) for the prefix [m, key_end) and every field key.
  bool CheckKeys(const char* m, const char* key_end);
  bool CheckKeyLength(size_t prefix);
  // Appends fields_ at `t` under the canonical `prefix`, through the prefix cache.
  [[gnu::noinline]] bool EmitCached(std::string_view prefix, int64_t t);
  // Writes measurement and tags_ sorted into key_; fails on a duplicate tag key.
  bool SortedPrefix(std::string_view measurement);
  // Series index of `field` under the canonical `prefix` (measurement and tags, as written).
  uint32_t SeriesOf(std::string_view prefix, PrefixSeries* cache, std::string_view field,
                    size_t pos);
  bool ParseTags(const char** pp, bool* sorted);
  bool ParseFields(const char** pp, size_t* strings);
  bool ParseTimestamp(const char* p, int64_t* t);
  bool ScanNumber(const char** pp, double* v);
  bool ScanBool(const char** pp, double* v);
  bool ScanString(const char** pp);

  const char* const begin_;
  const char* const end_;
  const LpOptions& opt_;
  PointBatch* const out_;
  LpResult* const res_;
  const int64_t mult_;

  const char* line_begin_ = nullptr;  // first byte of the current physical line
  const char* eol_ = nullptr;         // end of the current line's content
  const char* next_ = nullptr;        // first byte of the next line
  size_t extra_lines_ = 0;            // newlines crossed inside string fields
  const char* err_at_ = nullptr;
  const char* err_ = "";
  std::string err_text_;  // storage of err_ when the message is built

  std::vector<TagSpan> tags_;
  std::vector<FieldValue> fields_;
  std::string key_;
  // Prefixes of lines with sorted tags (their text in the body is canonical) → their series,
  // so a repeated prefix costs one hash per line instead of one per field.
  ViewMap prefix_index_;
  std::vector<PrefixSeries> prefixes_;
};

bool Parser::ParsePoint(const char* p) {
  const char* const m = p;
  if (*p == ',') return Fail(p, "missing measurement");
  while (p < eol_ && *p != ',' && *p != ' ') p = *p == '\\' ? SkipEscape(p, eol_) : p + 1;
  if (p >= eol_) return Fail(p, "missing fields");
  const char* const meas_end = p;

  bool sorted = true;
  tags_.clear();
  if (*p == ',' && !ParseTags(&p, &sorted)) return false;
  const char* const key_end = p;  // at the space before the fields

  size_t strings = 0;
  fields_.clear();
  if (!ParseFields(&p, &strings)) return false;
  int64_t t;
  if (!ParseTimestamp(p, &t)) return false;
  if (!CheckKeys(m, key_end)) return false;

  if (sorted && fields_.size() >= kCacheMinFields) {
    if (!EmitCached(std::string_view(m, key_end - m), t)) return false;
  } else {
    if (sorted) {
      key_.assign(m, key_end - m);
    } else if (!SortedPrefix(std::string_view(m, meas_end - m))) {
      return false;
    }
    key_.push_back(' ');
    const size_t prefix = key_.size();
    if (!CheckKeyLength(prefix)) return false;
    for (const FieldValue& f : fields_) {
      key_.resize(prefix);
      key_.append(f.key);
      out_->Add(out_->Series(key_), t, f.v);
    }
  }
  res_->points += fields_.size();
  res_->skipped_fields += strings;
  return true;
}

bool Parser::CheckKeys(const char* m, const char* key_end) {
  auto check = [&](const char* at, std::string_view text) {
    absl::Status s = CheckText("series key", text, kMaxSeriesKeyBytes);
    if (s.ok()) return true;
    err_text_ = std::string(SV(s.message()));
    return Fail(at, err_text_.c_str());
  };
  if (!check(m, std::string_view(m, key_end - m))) return false;
  for (const FieldValue& f : fields_) {
    if (!check(f.key.data(), f.key)) return false;
  }
  return true;
}

bool Parser::CheckKeyLength(size_t prefix) {
  for (const FieldValue& f : fields_) {
    if (prefix + f.key.size() > kMaxSeriesKeyBytes) {
      err_text_ = absl::StrCat("series key is ", prefix + f.key.size(),
                               " bytes long; the limit is ", kMaxSeriesKeyBytes);
      return Fail(f.key.data(), err_text_.c_str());
    }
  }
  return true;
}

bool Parser::SortedPrefix(std::string_view measurement) {
  key_.assign(measurement);
  std::sort(tags_.begin(), tags_.end(),
            [](const TagSpan& a, const TagSpan& b) { return CompareTags(a, b) < 0; });
  for (size_t i = 0; i < tags_.size(); ++i) {
    if (i > 0 && CompareTags(tags_[i - 1], tags_[i]) == 0) {
      return Fail(tags_[i].key.data(), "duplicate tag key");
    }
    key_.push_back(',');
    key_.append(tags_[i].key);
    key_.push_back('=');
    key_.append(tags_[i].value);
  }
  return true;
}

bool Parser::EmitCached(std::string_view prefix, int64_t t) {
  if (!CheckKeyLength(prefix.size() + 1)) return false;
  auto [it, added] = prefix_index_.try_emplace(prefix, static_cast<uint32_t>(prefixes_.size()));
  if (added) prefixes_.emplace_back();
  PrefixSeries* cache = &prefixes_[it->second];
  for (size_t i = 0; i < fields_.size(); ++i) {
    out_->Add(SeriesOf(prefix, cache, fields_[i].key, i), t, fields_[i].v);
  }
  return true;
}

uint32_t Parser::SeriesOf(std::string_view prefix, PrefixSeries* cache, std::string_view field,
                          size_t pos) {
  if (const uint32_t* id = cache->Find(field, pos)) return *id;
  key_.assign(prefix);
  key_.push_back(' ');
  key_.append(field);
  uint32_t id = out_->Series(key_);
  cache->Add(field, id);
  return id;
}

// At the ',' after the measurement; stops at the space before the fields.
bool Parser::ParseTags(const char** pp, bool* sorted) {
  const char* p = *pp;
  const char* const e = eol_;
  do {
    ++p;  // the ','
    const char* k = p;
    bool escaped = false;
    if (p >= e || *p == ' ' || *p == ',' || *p == '=') return Fail(p, "missing tag key");
    while (p < e && *p != '=') {
      if (*p == '\\') {
        escaped = true;
        p = SkipEscape(p, e);
        continue;
      }
      if (*p == ' ' || *p == ',') return Fail(p, "missing tag value (tag key without '=')");
      ++p;
    }
    if (p >= e) return Fail(p, "missing tag value (tag key without '=')");
    const char* kend = p++;
    const char* v = p;
    if (p >= e || *p == ',' || *p == ' ') return Fail(p, "missing tag value");
    while (p < e && *p != ',' && *p != ' ') {
      if (*p == '\\') {
        escaped = true;
        p = SkipEscape(p, e);
        continue;
      }
      if (*p == '=') return Fail(p, "invalid tag format: unescaped '=' in tag value");
      ++p;
    }
    if (p >= e) return Fail(p, "missing fields");
    tags_.push_back(TagSpan{std::string_view(k, kend - k), std::string_view(v, p - v), escaped});
    if (tags_.size() > 1) {
      int c = CompareTags(tags_[tags_.size() - 2], tags_.back());
      if (c == 0) return Fail(k, "duplicate tag key");
      if (c > 0) *sorted = false;
    }
  } while (*p == ',');
  *pp = p;
  return true;
}

// At the space after the key; stops after the last field value.
bool Parser::ParseFields(const char** pp, size_t* strings) {
  const char* p = SkipSpaces(*pp, eol_);
  if (p >= eol_) return Fail(p, "missing fields");
  for (size_t n = 1;; ++n) {
    const char* k = p;
    if (n > opt_.max_fields) {
      err_text_ = absl::StrCat("more than ", opt_.max_fields, " fields on one line");
      return Fail(k, err_text_.c_str());
    }
    if (*p == '=' || *p == ',') return Fail(p, "missing field key");
    while (p < eol_ && *p != '=') {
      if (*p == '\\') {
        p = SkipEscape(p, eol_);
        continue;
      }
      if (*p == ' ' || *p == ',') return Fail(p, "invalid field format: field key without '='");
      ++p;
    }
    if (p >= eol_) return Fail(p, "invalid field format: field key without '='");
    std::string_view key(k, p - k);
    ++p;  // the '='
    if (p >= eol_ || *p == ',' || *p == ' ') return Fail(p, "missing field value");
    char c = *p;
    double v;
    if (c == '"') {
      if (!ScanString(&p)) return false;
      ++*strings;
    } else if ((c >= '0' && c <= '9') || c == '-' || c == '.') {
      if (!ScanNumber(&p, &v)) return false;
      fields_.push_back(FieldValue{key, v});
    } else if (c == 't' || c == 'T' || c == 'f' || c == 'F') {
      if (!ScanBool(&p, &v)) return false;
      fields_.push_back(FieldValue{key, v});
    } else {
      return Fail(p, "invalid field value: expected a number, a boolean or a \"string\"");
    }
    if (p >= eol_ || *p == ' ') break;
    if (*p != ',') return Fail(p, "expected ',' or ' ' after field value");
    ++p;
    if (p >= eol_ || *p == ' ') return Fail(p, "missing field key");
  }
  *pp = p;
  return true;
}

bool Parser::ParseTimestamp(const char* p, int64_t* t) {
  p = SkipSpaces(p, eol_);
  if (p >= eol_) {
    *t = opt_.default_time_ns;
    return true;
  }
  const char* start = p;
  bool neg = *p == '-';
  if (neg) ++p;
  uint64_t acc = 0;
  int digits = 0, significant = 0;  // leading zeros are not significant
  for (; p < eol_ && *p >= '0' && *p <= '9'; ++p, ++digits) {
    if (acc == 0 && *p == '0') continue;
    if (++significant > 19) return Fail(start, kTimestampRange);
    acc = acc * 10 + static_cast<uint64_t>(*p - '0');
  }
  if (digits == 0 || (p < eol_ && *p != ' ' && *p != '\t')) {
    return Fail(digits == 0 ? start : p, "bad timestamp: expected an integer");
  }
  const char* rest = SkipSpaces(p, eol_);
  if (rest < eol_) return Fail(rest, "unexpected text after the timestamp");
  constexpr uint64_t kMaxMagnitude = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (acc > kMaxMagnitude + (neg ? 1 : 0)) return Fail(start, kTimestampRange);
  int64_t ts = neg ? static_cast<int64_t>(0 - acc) : static_cast<int64_t>(acc);
  int64_t ns;
  if (__builtin_mul_overflow(ts, mult_, &ns) || ns < kMinLpTime || ns > kMaxLpTime) {
    return Fail(start, kTimestampRange);
  }
  *t = ns;
  return true;
}

// Number grammar of InfluxDB 1.x: [-]digits[.digits][(e|E)[+|-]digits] for floats (".5" and
// "5." too), [-]digits"i" for integers, digits"u" for unsigned integers. No NaN or infinity.
bool Parser::ScanNumber(const char** pp, double* v) {
  const char* const s = *pp;
  const char* p = s;
  if (*p == '-') ++p;
  int mant_digits = 0, exp_digits = 0;
  bool dot = false, exp = false;
  char suffix = 0;
  while (p < eol_ && *p != ',' && *p != ' ') {
    char c = *p;
    if (c >= '0' && c <= '9') {
      ++(exp ? exp_digits : mant_digits);
    } else if (c == '.' && !dot && !exp) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && !exp && mant_digits > 0) {
      exp = true;
      if (p + 1 < eol_ && (p[1] == '+' || p[1] == '-')) ++p;
    } else if ((c == 'i' || c == 'u') && mant_digits > 0 && !dot && !exp) {
      suffix = c;
      ++p;
      if (p < eol_ && *p != ',' && *p != ' ') return Fail(p, "invalid number");
      break;
    } else if ((c == 'i' || c == 'u') && mant_digits > 0) {
      return Fail(s, c == 'i' ? "invalid integer: digits only before 'i'"
                              : "invalid unsigned integer: digits only before 'u'");
    } else {
      return Fail(p, "invalid number");
    }
    ++p;
  }
  if (mant_digits == 0 || (exp && exp_digits == 0)) return Fail(s, "invalid number");
  *pp = p;
  if (suffix == 'i') {
    int64_t x;
    auto r = std::from_chars(s, p - 1, x);
    if (r.ec != std::errc() || r.ptr != p - 1) return Fail(s, "integer out of range (int64)");
    *v = static_cast<double>(x);
    return true;
  }
  if (suffix == 'u') {
    if (*s == '-') return Fail(s, "unsigned integer cannot be negative");
    uint64_t x;
    auto r = std::from_chars(s, p - 1, x);
    if (r.ec != std::errc() || r.ptr != p - 1) return Fail(s, "unsigned integer out of range");
    *v = static_cast<double>(x);
    return true;
  }
  auto r = std::from_chars(s, p, *v);
  if (r.ec == std::errc::result_out_of_range) {
    // Underflow (1e-400) reads as zero, as Go's ParseFloat gives; overflow is an error.
    const char* e = std::find_if(s, p, [](char c) { return c == 'e' || c == 'E'; });
    if (e + 1 < p && e[1] == '-') {
      *v = *s == '-' ? -0.0 : 0.0;
      return true;
    }
    return Fail(s, "float out of range");
  }
  if (r.ec != std::errc() || r.ptr != p) return Fail(s, "invalid number");
  return true;
}

bool Parser::ScanBool(const char** pp, double* v) {
  const char* s = *pp;
  const char* p = s;
  while (p < eol_ && *p != ',' && *p != ' ') ++p;
  if (!IsBoolToken(std::string_view(s, p - s), v)) {
    return Fail(s, "invalid boolean (t, T, true, True, TRUE, f, F, false, False, FALSE)");
  }
  *pp = p;
  return true;
}

// At the opening quote. Escapes inside are \" and \\; a string may span lines, as InfluxDB
// allows, in which case the current line is extended past its newlines.
bool Parser::ScanString(const char** pp) {
  const char* open = *pp;
  const char* p = open + 1;
  while (p < end_) {
    char c = *p;
    if (c == '\\') {
      p = SkipEscape(p, end_);
      continue;
    }
    if (c == '"') break;
    ++p;
  }
  if (p >= end_) return Fail(open, "unbalanced quotes: string field value has no closing '\"'");
  if (p >= eol_) {
    // The string crossed newlines: account for them and find the real end of the line.
    for (const char* q = eol_; q < p; ++q) {
      if (*q == '\n') {
        ++extra_lines_;
        line_begin_ = q + 1;
      }
    }
    SetLineEnd(static_cast<const char*>(std::memchr(p, '\n', end_ - p)));
  }
  *pp = p + 1;
  return true;
}

}  // namespace

absl::StatusOr<Precision> ParsePrecision(std::string_view text) {
  if (text.empty() || text == "ns" || text == "n") return Precision::kNs;
  if (text == "us" || text == "u") return Precision::kUs;
  if (text == "ms") return Precision::kMs;
  if (text == "s") return Precision::kS;
  if (text == "m") return Precision::kM;
  if (text == "h") return Precision::kH;
  return absl::InvalidArgumentError(
      absl::StrCat("invalid precision \"", AV(text), "\" (expected ns, us, ms, s, m or h)"));
}

int64_t PrecisionNanos(Precision p) {
  switch (p) {
    case Precision::kNs:
      return 1;
    case Precision::kUs:
      return 1'000;
    case Precision::kMs:
      return 1'000'000;
    case Precision::kS:
      return kNanosPerSecond;
    case Precision::kM:
      return kNanosPerMinute;
    case Precision::kH:
      return kNanosPerHour;
  }
  return 1;
}

std::string LineError::ToString() const {
  return absl::StrCat("line ", line, ", column ", column, ": ", message);
}

LpResult ParseLineProtocol(std::string_view body, const LpOptions& opt, PointBatch* out) {
  LpResult res;
  Parser(body, opt, out, &res).Run();
  return res;
}

}  // namespace dc
