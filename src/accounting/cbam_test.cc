// CBAM report: data-driven golden cases and bad site-file keys.
//
// Every folder under tests/cbam/<case>/ holds site.toml (with [cbam] keys), readings.csv,
// period (one line), README.md (the hand calculation) and either expected.json (a subset of
// the CBAM JSON: every key given must be present and equal, numbers to 1e-9 relative, arrays
// element by element with the same length) or expected_error (substrings, one per line, that
// the error must contain). Each case also checks that the JSON, HTML and Markdown are
// byte-identical when computed twice. On a mismatch the actual JSON is written to
// <build>/cbam-actual/<case>.json.
#include "accounting/cbam.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "accounting/csv.h"
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

struct Outputs {
  std::string json, html, md;
};

absl::StatusOr<Outputs> RunCase(const std::string& toml, const std::string& readings_text,
                                std::string period_text) {
  auto site = model::ParseSite(toml, "site.toml");
  if (!site.ok()) return site.status();
  auto config = ParseCbamConfig(toml, "site.toml", *site);
  if (!config.ok()) return config.status();
  auto zone = LoadZone(site->timezone);
  if (!zone.ok()) return zone.status();
  period_text.erase(std::remove(period_text.begin(), period_text.end(), '\n'), period_text.end());
  auto readings = CsvReadings::Parse(readings_text, "readings.csv", *site, *zone);
  if (!readings.ok()) return readings.status();
  auto inv = ComputeInventory(*site, *readings, period_text, Ref());
  if (!inv.ok()) return inv.status();
  auto r = ComputeCbam(*config, *site, *inv, &*readings, Ref());
  if (!r.ok()) return r.status();
  return Outputs{CbamToJson(*r), CbamToHtml(*r), CbamToMarkdown(*r)};
}

std::vector<fs::path> Cases() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(DC_SOURCE_DIR "/tests/cbam")) {
    if (e.is_directory()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class CbamGolden : public testing::TestWithParam<fs::path> {};

TEST_P(CbamGolden, Case) {
  const fs::path dir = GetParam();
  ASSERT_TRUE(fs::exists(dir / "README.md")) << "each case documents its hand calculation";
  auto out = RunCase(Read(dir / "site.toml"), Read(dir / "readings.csv"), Read(dir / "period"));
  if (fs::exists(dir / "expected_error")) {
    ASSERT_FALSE(out.ok()) << "expected an error, got output";
    for (absl::string_view want :
         absl::StrSplit(Read(dir / "expected_error"), '\n', absl::SkipWhitespace())) {
      EXPECT_TRUE(absl::StrContains(out.status().message(), want))
          << "error \"" << out.status().message() << "\" lacks \"" << want << "\"";
    }
    return;
  }
  ASSERT_TRUE(out.ok()) << out.status();
  json want = json::parse(Read(dir / "expected.json"));
  json got = json::parse(out->json);
  std::vector<std::string> errors;
  MatchJson(want, got, "$", &errors);
  if (!errors.empty()) {
    fs::create_directories(DC_BINARY_DIR "/cbam-actual");
    std::ofstream(fs::path(DC_BINARY_DIR "/cbam-actual") / (dir.filename().string() + ".json"))
        << out->json;
  }
  for (const auto& e : errors) ADD_FAILURE() << dir.filename() << ": " << e;
  // Deterministic: the same inputs give byte-identical outputs.
  auto again = RunCase(Read(dir / "site.toml"), Read(dir / "readings.csv"), Read(dir / "period"));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(out->json, again->json);
  EXPECT_EQ(out->html, again->html);
  EXPECT_EQ(out->md, again->md);
  // The readable outputs carry every good's SEE as printed in the JSON.
  for (const auto& g : got["goods"]) {
    for (const char* k : {"direct", "indirect"}) {
      if (g[k]["see_tco2e_per_t"].is_null()) continue;
      std::string v = FormatNumber(g[k]["see_tco2e_per_t"].get<double>());
      EXPECT_TRUE(absl::StrContains(out->html, v)) << v;
      EXPECT_TRUE(absl::StrContains(out->md, v)) << v;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, CbamGolden, testing::ValuesIn(Cases()),
                         [](const testing::TestParamInfo<fs::path>& i) {
                           std::string n = i.param.filename().string();
                           for (char& c : n) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

// ---------------------------------------------------------------- bad [cbam] keys

const char* kSite = R"(
[site]
id = "s"
name = "S"

[[meter]]
id = "out"
carrier = "product"
kind = "interval"
unit = "t"

[[meter]]
id = "gas"
carrier = "natural_gas"
kind = "interval"
unit = "m3"

[[product]]
id = "p"
meter = "out"

[[product]]
id = "q"
meter = "out"
)";

absl::Status ParseError(const std::string& cbam) {
  std::string toml = std::string(kSite) + cbam;
  auto site = model::ParseSite(toml, "site.toml");
  if (!site.ok()) return site.status();
  auto c = ParseCbamConfig(toml, "site.toml", *site);
  return c.ok() ? absl::OkStatus() : c.status();
}

void ExpectError(const std::string& cbam, std::vector<std::string> parts) {
  absl::Status s = ParseError(cbam);
  ASSERT_FALSE(s.ok()) << cbam;
  for (const auto& p : parts) {
    EXPECT_TRUE(absl::StrContains(s.message(), p)) << s.message() << " lacks " << p;
  }
}

TEST(CbamConfig, NoCbamTableIsEmpty) {
  auto site = model::ParseSite(kSite, "site.toml");
  ASSERT_TRUE(site.ok());
  auto c = ParseCbamConfig(kSite, "site.toml", *site);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->goods.empty());
}

TEST(CbamConfig, BadKeys) {
  ExpectError("[[cbam.good]]\nproduct = \"nope\"\ncn_code = \"2523 10 00\"\n",
              {"site.toml:26:11:", "cbam.good", "no [[product]] 'nope'", "known: p, q"});
  ExpectError("[[cbam.good]]\nproduct = \"p\"\n", {"'cn_code'", "is required"});
  ExpectError("[[cbam.good]]\nproduct = \"p\"\ncn_code = \"25x3\"\n", {"cn_code", "digits"});
  ExpectError("[[cbam.good]]\nproduct = \"p\"\ncn_code = \"2523\"\ncolour = 1\n",
              {"unknown key 'colour'"});
  ExpectError(
      "[[cbam.good]]\nproduct = \"p\"\ncn_code = \"2523\"\nprecursors = [{name = \"x\", "
      "default_cn = \"2523 10 00\"}]\n",
      {"precursor 1", "exactly one of 't_per_t', 'amount_t' or 'meter'"});
  ExpectError(
      "[[cbam.good]]\nproduct = \"p\"\ncn_code = \"2523\"\nprecursors = [{name = \"x\", "
      "t_per_t = -1, direct_tco2e_per_t = 1}]\n",
      {"'t_per_t'", ">= 0"});
  ExpectError(
      "[[cbam.good]]\nproduct = \"p\"\ncn_code = \"2523\"\nprecursors = [{name = \"x\", "
      "t_per_t = 1}]\n",
      {"needs either the supplier's 'direct_tco2e_per_t'", "'default_cn'"});
  ExpectError(
      "[[cbam.good]]\nproduct = \"p\"\ncn_code = \"2523\"\nprecursors = [{product = \"q\", "
      "t_per_t = 1}]\n",
      {"'q' is not a [[cbam.good]]"});
  ExpectError(
      "[[cbam.good]]\nproduct = \"p\"\ncn_code = \"2523\"\nprecursors = [{name = \"x\", "
      "meter = \"gas\", direct_tco2e_per_t = 1}]\n",
      {"meter 'gas' is in 'm3'", "t or kg"});
  ExpectError(
      "[[cbam.good]]\nproduct = \"p\"\ncn_code = \"2523\"\n"
      "[[cbam.good]]\nproduct = \"p\"\ncn_code = \"2523\"\n",
      {"declared twice"});
  ExpectError(
      "[[cbam.good]]\nproduct = \"p\"\ncn_code = \"2523\"\nprecursors = [{product = \"q\", "
      "t_per_t = 1}]\n[[cbam.good]]\nproduct = \"q\"\ncn_code = \"2523\"\nprecursors = "
      "[{product = \"p\", t_per_t = 1}]\n",
      {"precursor cycle", "p → q → p"});
  ExpectError("[cbam]\ndefault_period = \"later\"\n", {"transitional", "definitive"});
  auto site = model::ParseSite(std::string("cbam = 3\n") + kSite, "site.toml");
  ASSERT_TRUE(site.ok()) << site.status();
  auto c = ParseCbamConfig(std::string("cbam = 3\n") + kSite, "site.toml", *site);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::StrContains(c.status().message(), "site.toml:1:8: 'cbam' must be a table"))
      << c.status();
}

TEST(CbamConfig, BadDefinitiveKeys) {
  const std::string g = "[[cbam.good]]\nproduct = \"p\"\ncn_code = \"2808 00 00\"\n";
  ExpectError(g + "free_allocation_tco2e_per_t = 0.5\n",
              {"'free_allocation_tco2e_per_t'", "needs 'free_allocation_source'"});
  ExpectError(g + "carbon_price_paid_source = \"x\"\n",
              {"'carbon_price_paid_source'", "without 'carbon_price_paid_cny'"});
  ExpectError("[cbam]\nets_price_eur_per_t = 75\n", {"needs 'ets_price_source'"});
  ExpectError(g + "n2o_t = 1\nn2o_meter = \"out\"\n", {"give 'n2o_t' or 'n2o_meter'"});
  ExpectError(g + "n2o_meter = \"gas\"\n",
              {"'gas' must be a counter or interval meter in t or kg"});
  ExpectError(g + "qualifying = 3\n", {"'qualifying'", "table of numbers"});
  ExpectError(g + "qualifying = { concentration = \"high\" }\n",
              {"'concentration' must be a finite number >= 0"});
  ExpectError(g + "[[cbam.good.waste_gas]]\ndirection = \"sideways\"\nenergy_tj = 1\n",
              {"waste_gas 1", "\"exported\" or \"imported\""});
  ExpectError(g + "[[cbam.good.waste_gas]]\ndirection = \"exported\"\nvolume_nm3 = 1\n",
              {"'volume_nm3' and 'ncv_mj_per_nm3' go together"});
  ExpectError(g + "[[cbam.good.waste_gas]]\ndirection = \"exported\"\n",
              {"either 'energy_tj' or 'volume_nm3'"});
  ExpectError(g + "precursors = [{name = \"x\", amount_t = 1, default_cn = \"2523\", "
                  "estimated = true}]\n",
              {"'estimated'", "supplier's values"});
}

// Errors found while computing: each names what, where and why.
TEST(CbamDefinitive, ComputeErrors) {
  const fs::path dir = DC_SOURCE_DIR "/tests/cbam/cement_definitive";
  const std::string site = Read(dir / "site.toml"), readings = Read(dir / "readings.csv");
  auto expect = [&](const std::string& toml, const std::string& period,
                    std::vector<std::string> parts) {
    auto out = RunCase(toml, readings, period);
    ASSERT_FALSE(out.ok()) << period;
    for (const auto& p : parts) {
      EXPECT_TRUE(absl::StrContains(out.status().message(), p))
          << out.status().message() << " lacks " << p;
    }
  };
  expect(site, "2025-12-01..2026-02-01", {"spans the transitional period", "definitive period"});
  expect(site, "2026-12-01..2027-02-01", {"spans 2026 and 2027", "mark-up by year"});
  auto with = [&](const std::string& key) {
    std::string t = site;
    t.replace(t.find("cn_code = \"2523 29 00\"\n"), 23, "cn_code = \"2523 29 00\"\n" + key);
    return t;
  };
  expect(with("n2o_t = 1\n"), "2026-03",
         {"cbam.good 'cement'", "N2O", "category 'Cement' does not"});
  expect(with("qualifying = { scrap_share = 1 }\n"), "2026-03",
         {"qualifying parameter 'scrap_share'", "known: clinker_to_cement_ratio"});
  expect(with("carbon_price_paid_cny = 1\ncarbon_price_paid_source = \"x\"\n"), "2026-03",
         {"needs [cbam] 'cny_per_eur' and 'ets_price_eur_per_t'"});
  // A qualifying parameter given in the site file is used as given, not computed.
  auto t = RunCase(with("qualifying = { clinker_to_cement_ratio = 0.8 }\n"), readings, "2026-03");
  ASSERT_TRUE(t.ok()) << t.status();
  json j = json::parse(t->json);
  EXPECT_EQ(j["goods"][1]["qualifying_parameters"][0]["value"], 0.8);
  EXPECT_EQ(j["goods"][1]["qualifying_parameters"][0]["source"], "site");
}

}  // namespace
}  // namespace dc::accounting
