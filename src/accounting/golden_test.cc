// Data-driven golden tests: every folder under tests/accounting/golden/<case>/ holds
//   site.toml, readings.csv, period (one line), and either expected.json (a subset of the
//   inventory JSON: every key given must be present and equal, numbers to 1e-9 relative,
//   arrays element by element with the same length) or expected_error (substrings, one per
//   line, that the error message must contain).
// Each case also checks that the output is byte-identical when computed twice and unchanged
// (apart from warnings, which cite line numbers) when the readings' rows are reversed.
// On a mismatch the actual JSON is written to <build>/golden-actual/<case>.json.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "accounting/csv.h"
#include "accounting/inventory.h"
#include "accounting/test_util.h"
#include "common/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string Read(const fs::path& p) {
  auto t = ReadTextFile(p.string());
  return t.ok() ? *t : "";
}

// Runs one case on `readings_text`; returns JSON text or the error.
absl::StatusOr<std::string> RunCase(const fs::path& dir, const std::string& readings_text) {
  auto site = model::ParseSite(Read(dir / "site.toml"), "site.toml");
  if (!site.ok()) return site.status();
  if (auto s = ValidateSite(*site, Ref()); !s.ok()) return s;
  auto zone = LoadZone(site->timezone);
  if (!zone.ok()) return zone.status();
  std::string period = Read(dir / "period");
  period.erase(std::remove(period.begin(), period.end(), '\n'), period.end());
  auto p = ParsePeriod(period, *zone);
  if (!p.ok()) return p.status();
  auto readings = CsvReadings::Parse(readings_text, "readings.csv", *site, *zone);
  if (!readings.ok()) return readings.status();
  auto inv = ComputeInventory(*site, *readings, *p, Ref());
  if (!inv.ok()) return inv.status();
  return InventoryToJson(*inv);
}

std::string Reversed(const std::string& csv) {
  std::vector<std::string> lines = absl::StrSplit(csv, '\n', absl::SkipEmpty());
  if (lines.size() > 2) std::reverse(lines.begin() + 1, lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::vector<std::string> Cases() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(DC_SOURCE_DIR "/tests/accounting/golden")) {
    if (e.is_directory()) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, Case) {
  fs::path dir = fs::path(DC_SOURCE_DIR "/tests/accounting/golden") / GetParam();
  ASSERT_TRUE(fs::exists(dir / "README.md"))
      << "each case documents its hand calculation in README.md";
  std::string readings = Read(dir / "readings.csv");
  auto out = RunCase(dir, readings);
  if (fs::exists(dir / "expected_error")) {
    ASSERT_FALSE(out.ok()) << "expected an error, got:\n" << *out;
    for (absl::string_view want :
         absl::StrSplit(Read(dir / "expected_error"), '\n', absl::SkipEmpty())) {
      EXPECT_TRUE(absl::StrContains(out.status().message(), want))
          << "error \"" << out.status().message() << "\" lacks \"" << want << "\"";
    }
    return;
  }
  ASSERT_TRUE(out.ok()) << out.status();
  json got = json::parse(*out);
  json want = json::parse(Read(dir / "expected.json"));
  std::vector<std::string> errors;
  MatchJson(want, got, "$", &errors);
  if (!errors.empty()) {
    fs::create_directories(DC_BINARY_DIR "/golden-actual");
    std::ofstream(fs::path(DC_BINARY_DIR "/golden-actual") / (GetParam() + ".json")) << *out;
  }
  for (const auto& e : errors) ADD_FAILURE() << e;
  // Scope identity, lines sum to totals.
  const json& em = got["emissions"];
  double sum = 0, s1 = 0, s2 = 0, ex = 0;
  for (const auto& l : em["lines"]) {
    double t = l["tco2e"].get<double>();
    sum += t;
    std::string c = l["category"];
    if (c == "combustion" || c == "process")
      s1 += t;
    else if (c == "purchased_electricity" || c == "purchased_heat")
      s2 += t;
    else
      ex -= t;
  }
  double tol = 1e-9 * std::max(1.0, std::fabs(sum));
  EXPECT_NEAR(sum, em["total_tco2e"].get<double>(), tol);
  EXPECT_NEAR(s1, em["scope1_tco2e"].get<double>(), tol);
  EXPECT_NEAR(s2, em["scope2_tco2e"].get<double>(), tol);
  EXPECT_NEAR(ex, em["exports_tco2e"].get<double>(), tol);
  EXPECT_NEAR(em["scope1_tco2e"].get<double>() + em["scope2_tco2e"].get<double>() -
                  em["exports_tco2e"].get<double>(),
              em["total_tco2e"].get<double>(), tol);
  double tce = 0;
  for (const auto& c : got["energy"]["by_carrier"]) tce += c["tce"].get<double>();
  EXPECT_NEAR(tce, got["energy"]["total_tce"].get<double>(), 1e-9 * std::max(1.0, std::fabs(tce)));
  // Deterministic, and independent of row order.
  auto again = RunCase(dir, readings);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *out) << "output is not byte-identical across runs";
  auto rev = RunCase(dir, Reversed(readings));
  ASSERT_TRUE(rev.ok()) << rev.status();
  json a = got, b = json::parse(*rev);
  a.erase("warnings");
  b.erase("warnings");
  EXPECT_EQ(a.dump(), b.dump()) << "reordering the readings changed the result";
}

INSTANTIATE_TEST_SUITE_P(Accounting, Golden, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace dc::accounting
