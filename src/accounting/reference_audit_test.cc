#include "accounting/reference_audit.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "accounting/csv.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {
namespace {

namespace fs = std::filesystem;

TEST(ProvenanceFlags, BackReferencesMissingAndRecollections) {
  EXPECT_TRUE(ProvenanceFlags("GB/T 2589-2020 附录A", "high").empty());
  EXPECT_TRUE(ProvenanceFlags("GB/T 2589-2020 (same values as GB/T 2589-2008)", "high").empty());
  EXPECT_TRUE(ProvenanceFlags("NDRC guideline (memory)", "low").empty());
  EXPECT_TRUE(ProvenanceFlags("Samenvatting report 2024", "medium").empty());  // a word, not "same"
  for (const char* backref : {"same", "Same", "same repo (CPCD 1)", "as above", "see above",
                              "ditto", "同上", "same as row 3"}) {
    auto f = ProvenanceFlags(backref, "high");
    ASSERT_EQ(f.size(), 1u) << backref;
    EXPECT_TRUE(absl::StrContains(f[0], "points at another row")) << backref;
  }
  EXPECT_EQ(ProvenanceFlags("", "high"), std::vector<std::string>{"no source"});
  EXPECT_EQ(ProvenanceFlags("IPCC 2006", ""), std::vector<std::string>{"no confidence"});
  auto na = ProvenanceFlags("IPCC 2006", "n/a");
  ASSERT_EQ(na.size(), 1u);
  EXPECT_TRUE(absl::StrContains(na[0], "not high, medium or low"));
  auto mem = ProvenanceFlags("CEC statistics (memory)", "medium");
  ASSERT_EQ(mem.size(), 1u);
  EXPECT_TRUE(absl::StrContains(mem[0], "recollection"));
  EXPECT_EQ(ProvenanceFlags("notice, unverified", "high (legacy)").size(), 1u);
}

TEST(ReferenceAudit, ShippedLibraryHasNoFlagAndListsEveryRow) {
  auto r = AuditReference(DC_SOURCE_DIR "/reference");
  ASSERT_TRUE(r.ok()) << r.status();
  for (const AuditEntry& e : r->entries) {
    EXPECT_TRUE(e.flags.empty()) << e.table << ":" << e.line << ": " << e.flags[0];
  }
  EXPECT_EQ(r->flagged(), 0u);
  // Every row of the grid table is listed, and the keys loaded from a row are named.
  auto grid = CsvTable::ReadFile(DC_SOURCE_DIR "/reference/cn_grid_emission_factors.csv");
  ASSERT_TRUE(grid.ok());
  size_t rows = 0;
  bool found = false;
  for (const AuditEntry& e : r->entries) {
    if (e.table != "cn_grid_emission_factors.csv") continue;
    ++rows;
    if (e.keys == std::vector<std::string>{"grid.national.2022"}) found = e.values == "0.5366";
  }
  EXPECT_EQ(rows, grid->rows().size());
  EXPECT_TRUE(found);
  auto j = nlohmann::json::parse(AuditJson(*r));
  EXPECT_EQ(j["flagged"], 0);
  EXPECT_EQ(j["entries"].size(), r->entries.size());
  EXPECT_TRUE(absl::StartsWith(AuditText(*r), "# reference "));
}

// A copy of the library with one source written "same": the audit flags exactly that row.
TEST(ReferenceAudit, CatchesARowWhoseSourceIsSame) {
  fs::path dir = fs::path(testing::TempDir()) / "audit_same";
  fs::remove_all(dir);
  fs::copy(DC_SOURCE_DIR "/reference", dir, fs::copy_options::recursive);
  fs::path file = dir / "cn_process_emission_factors.csv";
  auto text = ReadTextFile(file.string());
  ASSERT_TRUE(text.ok());
  std::string from =
      "E = P_electrode x EF,NDRC 《中国钢铁生产企业温室气体排放核算方法与报告指南》 附录 / "
      "GB/T 32151.5-2015,";
  ASSERT_TRUE(absl::StrContains(*text, from));
  std::ofstream(file) << absl::StrReplaceAll(*text, {{from, "E = P_electrode x EF,same,"}});
  auto r = AuditReference(dir.string());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->flagged(), 1u);
  for (const AuditEntry& e : r->entries) {
    if (e.flags.empty()) continue;
    EXPECT_EQ(e.table, "cn_process_emission_factors.csv");
    EXPECT_EQ(e.label, "steel electrode EF");
    EXPECT_EQ(e.keys, std::vector<std::string>{"process.steel.electrode"});
    EXPECT_TRUE(absl::StrContains(e.flags[0], "\"same\""));
  }
  EXPECT_TRUE(absl::StrContains(AuditText(*r), "FLAG\tcn_process_emission_factors.csv:"));
  // A new table without a source column is flagged row by row.
  std::ofstream(dir / "new_table.csv") << "item,value\nx,1\n";
  auto r2 = AuditReference(dir.string());
  ASSERT_TRUE(r2.ok());
  EXPECT_EQ(r2->flagged(), 2u);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace dc::accounting
