// The site file's field tables (site_fields.h): keys unique per section, and every key is
// documented in docs/site-file.md, so the table that parses and writes a key cannot gain one
// the user's documentation does not name.
#include "model/site_fields.h"

#include <fstream>
#include <set>
#include <sstream>

#include "gtest/gtest.h"

namespace dc::model::internal {
namespace {

std::string SiteFileDoc() {
  std::ifstream in(DC_SOURCE_DIR "/docs/site-file.md");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename T>
void CheckTable(const char* section, const std::vector<Field<T>>& fields, const std::string& doc) {
  std::set<std::string_view> seen;
  for (const auto& f : fields) {
    EXPECT_TRUE(seen.insert(f.key).second) << section << ": key " << f.key << " twice";
    EXPECT_TRUE(f.toml && f.json) << section << "." << f.key << " writes nothing";
    const std::string quoted = "`" + std::string(f.key);
    EXPECT_NE(doc.find(quoted), std::string::npos)
        << section << "." << f.key << " is not documented in docs/site-file.md";
  }
  EXPECT_FALSE(fields.empty()) << section;
}

TEST(SiteFields, KeysUniqueAndDocumented) {
  const std::string doc = SiteFileDoc();
  ASSERT_FALSE(doc.empty());
  CheckTable("[site]", SiteFields(), doc);
  CheckTable("[[meter]]", MeterFields(), doc);
  CheckTable("[[meter.lab]]", LabFields(), doc);
  CheckTable("[[virtual_meter]]", VirtualMeterFields(), doc);
  CheckTable("[[product]]", ProductFields(), doc);
  CheckTable("[[process]]", ProcessFields(), doc);
  CheckTable("process items", ItemFields(), doc);
  CheckTable("[[factor]]", FactorFields(), doc);
  CheckTable("[[instrument]]", InstrumentFields(), doc);
}

// A default entry writes only what the JSON form always has: the TOML leaves defaults out.
TEST(SiteFields, DefaultsAreLeftOutOfTheToml) {
  Meter m;
  m.id = "m";
  toml::table t = TomlOf(MeterFields(), m);
  EXPECT_TRUE(t.contains("id"));
  EXPECT_FALSE(t.contains("integrate"));
  EXPECT_FALSE(t.contains("rollover"));
  EXPECT_FALSE(t.contains("ncv_gj_per_t"));
  nlohmann::json j = JsonOf(MeterFields(), m);
  EXPECT_EQ(j.at("kind"), "interval");
  EXPECT_EQ(j.at("flow"), "purchased");
  EXPECT_FALSE(j.contains("integrate"));
  m.integrate = Integration::kStep;
  m.rollover = 99999;
  EXPECT_EQ(TomlOf(MeterFields(), m)["integrate"].value<std::string>(), "step");
  EXPECT_EQ(JsonOf(MeterFields(), m).at("rollover"), 99999.0);
}

}  // namespace
}  // namespace dc::model::internal
