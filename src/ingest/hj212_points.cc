// HJ 212 packets → replies and points.
#include <cmath>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "ingest/hj212.h"

namespace dc::hj212 {
namespace {

// DataTime "YYYYMMDDhhmmss" in `zone`.
bool ParseDataTime(std::string_view text, const absl::TimeZone& zone, int64_t* t) {
  if (text.size() != 14) return false;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  auto num = [&](size_t at, size_t n) {
    int v = 0;
    for (size_t i = at; i < at + n; ++i) v = v * 10 + (text[i] - '0');
    return v;
  };
  int y = num(0, 4), mo = num(4, 2), d = num(6, 2), h = num(8, 2), mi = num(10, 2), s = num(12, 2);
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return false;
  absl::CivilSecond cs(y, mo, d, h, mi, s);
  if (cs.month() != mo || cs.day() != d) return false;  // 2025-02-30 normalised: invalid
  *t = absl::ToUnixNanos(absl::FromCivil(cs, zone));
  return true;
}

std::string KeyFor(const PointOptions& options, std::string_view code, std::string_view mn,
                   std::string_view field) {
  SeriesKeyParts parts;
  parts.measurement = options.measurement;
  parts.tags.emplace_back("code", std::string(code));
  parts.tags.emplace_back("mn", std::string(mn));
  if (!options.site.empty()) parts.tags.emplace_back("site", options.site);
  parts.field = std::string(field);
  return FormatSeriesKey(parts);
}

bool IsValueSuffix(std::string_view suffix) {
  static constexpr std::string_view kValues[] = {"Rtd",   "Avg",   "Min",   "Max",  "Cou",
                                                 "ZsRtd", "ZsAvg", "ZsMin", "ZsMax"};
  for (std::string_view v : kValues) {
    if (suffix == v) return true;
  }
  return false;
}

// Pollutant codes are short letters and digits ("a21026", "w01018", 2005's "B02").
bool IsCode(std::string_view code) {
  if (code.empty() || code.size() > 16) return false;
  for (char c : code) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string_view FlagOf(const Group& g, std::string_view code) {
  for (const Item& it : g) {
    if (it.code == code && it.suffix == "Flag") return it.value;
  }
  return {};
}

}  // namespace

std::string ReplyData(const Packet& request, int reply_cn, int rtn) {
  const char* key = reply_cn == 9011 ? "QnRtn" : reply_cn == 9012 ? "ExeRtn" : nullptr;
  std::string cp = key ? absl::StrCat(key, "=", rtn) : "";
  return absl::StrCat("QN=", request.qn, ";ST=91;CN=", reply_cn, ";PW=", request.pw,
                      ";MN=", request.mn, ";Flag=4;CP=&&", cp, "&&");
}

Quality FlagQuality(std::string_view flag) {
  if (flag.empty() || flag == "N") return Quality::kGood;
  if (flag == "S" || flag == "T" || flag == "M" || flag == "C") return Quality::kUncertain;
  return Quality::kBad;
}

PointsResult ToPoints(const Packet& packet, const PointOptions& options, PointBatch* out) {
  PointsResult r;
  for (size_t gi = 0; gi < packet.cp.size(); ++gi) {
    const Group& g = packet.cp[gi];
    const std::string* dt = nullptr;
    for (const Item& it : g) {
      if (it.code == "DataTime" && it.suffix.empty()) dt = &it.value;
    }
    if (dt == nullptr) {
      // DataTime usually opens the CP field as a group of its own.
      dt = packet.CpValue("DataTime");
    }
    bool has_values = false;
    for (const Item& it : g) has_values |= IsValueSuffix(it.suffix) || it.suffix == "Flag";
    if (!has_values) continue;
    int64_t t = 0;
    if (dt == nullptr || !ParseDataTime(*dt, options.zone, &t)) {
      r.errors.push_back(
          absl::StrCat("CP group ", gi + 1, ": ",
                       dt ? absl::StrCat("DataTime \"", *dt, "\" is not YYYYMMDDhhmmss")
                          : std::string("no DataTime"),
                       "; its values were not stored"));
      continue;
    }
    for (const Item& it : g) {
      if ((it.suffix == "Flag" || IsValueSuffix(it.suffix)) && !IsCode(it.code)) {
        r.errors.push_back(absl::StrCat("pollutant code \"", it.code.substr(0, 32),
                                        "\" is not 1-16 letters and digits"));
        continue;
      }
      if (it.suffix == "Flag") {
        if (it.value.size() != 1) {
          r.errors.push_back(absl::StrCat(it.code, "-Flag=\"", it.value, "\" is not one letter"));
          continue;
        }
        out->Add(KeyFor(options, it.code, packet.mn, "flag"), t,
                 static_cast<double>(static_cast<unsigned char>(it.value[0])),
                 FlagQuality(it.value));
        ++r.points;
        continue;
      }
      if (!IsValueSuffix(it.suffix)) continue;
      double v = 0;
      if (!absl::SimpleAtod(AV(it.value), &v) || !std::isfinite(v)) {
        r.errors.push_back(
            absl::StrCat(it.code, "-", it.suffix, "=\"", it.value, "\" is not a number"));
        continue;
      }
      out->Add(KeyFor(options, it.code, packet.mn, absl::AsciiStrToLower(it.suffix)), t, v,
               FlagQuality(FlagOf(g, it.code)));
      ++r.points;
    }
  }
  return r;
}

}  // namespace dc::hj212
