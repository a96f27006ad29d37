#include "accounting/reference_audit.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "accounting/reference_internal.h"
#include "common/env.h"
#include "common/strings.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {
namespace {

using internal::Path;
using internal::Trim;

// How to read one table: the column holding the source, the columns that name a row, its
// value columns and its unit column.
struct TableSpec {
  std::string_view file, source = "source";
  std::vector<std::string_view> label, values;
  std::string_view unit;
};

const std::vector<TableSpec>& Specs() {
  static const std::vector<TableSpec> specs = {
      {"carriers.csv", "source", {"key"}, {"units", "tce_rule"}, "base_unit"},
      {"cbam_aggregated_goods.csv",
       "source",
       {"sector", "aggregated_goods_category"},
       {"cn_codes"},
       ""},
      {"cbam_default_values.csv",
       "source",
       {"period", "country", "cn_code"},
       {"direct_tCO2e_per_t", "indirect_tCO2e_per_t", "total_tCO2e_per_t", "markup_2026",
        "markup_2027", "markup_2028"},
       ""},
      {"cbam_formulas_constants.csv", "source", {"parameter"}, {"value"}, "unit"},
      {"cn_energy_efficiency_benchmarks.csv",
       "source",
       {"sector", "product_or_process"},
       {"benchmark_标杆", "baseline_基准"},
       "unit"},
      {"cn_energy_misc.csv", "source", {"item"}, {"value"}, "unit"},
      {"cn_fuel_defaults_guideline.csv",
       "source",
       {"table_variant", "fuel_cn"},
       {"ncv", "carbon_content_per_heat", "oxidation_rate_pct"},
       "ncv_unit"},
      {"cn_grid_emission_factors.csv",
       "source",
       {"data_year", "area", "factor_type"},
       {"value"},
       "unit"},
      {"cn_process_emission_factors.csv", "source", {"sector", "parameter_en"}, {"value"}, "unit"},
      {"cn_ultra_low_emission_limits.csv",
       "policy",
       {"sector", "source_unit"},
       {"PM_mg_m3", "SO2_mg_m3", "NOx_mg_m3"},
       ""},
      {"gbt2589_energy_media_equivalents.csv",
       "source",
       {"medium_en"},
       {"coefficient"},
       "coefficient_unit"},
      {"gbt2589_standard_coal_coefficients.csv",
       "source",
       {"item_en"},
       {"coefficient"},
       "coefficient_unit"},
      {"grid_regions.csv", "source", {"key"}, {"area_cn"}, ""},
      {"gwp_values.csv", "source", {"gas"}, {"SAR", "AR4", "AR5", "AR6"}, "unit"},
      {"ipcc2006_fuel_defaults.csv",
       "source",
       {"fuel"},
       {"ncv_TJ_per_Gg", "co2_ef_kg_per_TJ", "carbon_content_kgC_per_GJ"},
       ""},
  };
  return specs;
}

// Tables that link product keys to rows of other tables; they hold no values of their own.
constexpr std::string_view kKeyMaps[] = {"benchmark_keys.csv", "process_factor_keys.csv"};

// A table not in Specs(): named by its first column, valued by "value" or every other column.
TableSpec Generic(std::string_view file, const CsvTable& t) {
  TableSpec s{file, "source", {}, {}, t.Column("unit") >= 0 ? "unit" : ""};
  if (!t.header().empty()) s.label.push_back(t.header()[0]);
  if (t.Column("value") >= 0) {
    s.values.push_back("value");
  } else {
    for (size_t i = 1; i < t.header().size(); ++i) {
      std::string_view c = t.header()[i];
      if (c != "source" && c != "confidence" && c != "note") s.values.push_back(c);
    }
  }
  return s;
}

bool StartsWithWord(std::string_view text, std::string_view word) {
  if (!absl::StartsWith(AV(text), AV(word))) return false;
  if (text.size() == word.size()) return true;
  unsigned char next = static_cast<unsigned char>(text[word.size()]);
  return !absl::ascii_isalnum(next);
}

AuditEntry Entry(const TableSpec& spec, const CsvTable& t, const CsvRow& row) {
  AuditEntry e;
  e.table = std::string(spec.file);
  e.line = row.line;
  std::vector<std::string> label, values;
  for (auto c : spec.label) {
    if (std::string v = Trim(t.Get(row, c)); !v.empty()) label.push_back(v);
  }
  for (auto c : spec.values) {
    std::string v = Trim(t.Get(row, c));
    if (v.empty()) continue;
    values.push_back(spec.values.size() == 1 ? v : absl::StrCat(AV(c), "=", v));
  }
  e.label = absl::StrJoin(label, " ");
  e.values = absl::StrJoin(values, "; ");
  if (!spec.unit.empty()) e.unit = Trim(t.Get(row, spec.unit));
  e.source = Trim(t.Get(row, spec.source));
  e.confidence = Trim(t.Get(row, "confidence"));
  e.level = ParseConfidence(e.confidence);
  e.flags = ProvenanceFlags(e.source, e.confidence);
  if (t.Column(spec.source) < 0) {
    e.flags.push_back(absl::StrCat("table has no \"", AV(spec.source), "\" column"));
  }
  return e;
}

}  // namespace

size_t AuditReport::flagged() const {
  return std::count_if(entries.begin(), entries.end(),
                       [](const AuditEntry& e) { return !e.flags.empty(); });
}

std::vector<std::string> ProvenanceFlags(std::string_view source, std::string_view confidence) {
  std::vector<std::string> flags;
  std::string src = absl::AsciiStrToLower(Trim(source));
  std::string conf = absl::AsciiStrToLower(Trim(confidence));
  if (src.empty()) flags.push_back("no source");
  bool backref = src == "same" || src == "idem";
  for (std::string_view p : {"as above", "see above", "ditto", "同上", "见上", "same repo",
                             "same source", "same as", "same document", "same table", "same ("}) {
    if (StartsWithWord(src, p)) backref = true;
  }
  if (backref) {
    flags.push_back(absl::StrCat("source \"", Trim(source),
                                 "\" points at another row instead of naming its document"));
  }
  if (conf.empty()) {
    flags.push_back("no confidence");
  } else if (!StartsWithWord(conf, "high") && !StartsWithWord(conf, "medium") &&
             !StartsWithWord(conf, "low")) {
    flags.push_back(
        absl::StrCat("confidence \"", Trim(confidence), "\" is not high, medium or low"));
  }
  bool recollection = false;
  for (std::string_view w : {"memory", "recollection", "recalled", "unverified"}) {
    if (absl::StrContains(src, AV(w)) || absl::StrContains(conf, AV(w))) recollection = true;
  }
  if (recollection && !conf.empty() && ParseConfidence(conf) != Confidence::kLow) {
    flags.push_back("the source is a recollection or unverified, but the confidence is not low");
  }
  return flags;
}

absl::StatusOr<AuditReport> AuditReference(const std::string& dir) {
  auto ref = Reference::Load(dir);
  if (!ref.ok()) return ref.status();
  std::map<std::pair<std::string, int>, std::vector<std::string>> keys;
  for (const RefValue* v : ref->List("")) keys[{v->table, v->line}].push_back(v->key);
  auto files = Env::Default()->GetChildren(dir);
  if (!files.ok()) return files.status();
  std::sort(files->begin(), files->end());
  AuditReport r{ref->version(), dir, {}, {}};
  for (const std::string& file : *files) {
    if (!absl::EndsWith(file, ".csv")) continue;
    if (std::find(std::begin(kKeyMaps), std::end(kKeyMaps), file) != std::end(kKeyMaps)) {
      r.key_maps.push_back(file);
      continue;
    }
    auto t = CsvTable::ReadFile(Path(dir, file));
    if (!t.ok()) return t.status();
    auto spec = std::find_if(Specs().begin(), Specs().end(),
                             [&](const TableSpec& s) { return s.file == file; });
    TableSpec s = spec != Specs().end() ? *spec : Generic(file, *t);
    s.file = file;
    for (const CsvRow& row : t->rows()) {
      AuditEntry e = Entry(s, *t, row);
      if (auto k = keys.find({file, row.line}); k != keys.end()) e.keys = k->second;
      r.entries.push_back(std::move(e));
    }
  }
  return r;
}

std::string AuditText(const AuditReport& r) {
  std::string out = absl::StrCat(
      "# reference ", r.version, " (", r.dir, "): ", r.entries.size(), " rows, ", r.flagged(),
      " flagged; key maps without values: ", absl::StrJoin(r.key_maps, ", "), "\n");
  for (const AuditEntry& e : r.entries) {
    absl::StrAppend(&out, e.flags.empty() ? "ok  " : "FLAG", "\t", e.table, ":", e.line, "\t",
                    e.label, "\t", e.values, e.unit.empty() ? "" : " ", e.unit, "\t",
                    AV(ConfidenceName(e.level)), " (", e.confidence, ")\t", e.source);
    if (!e.keys.empty()) absl::StrAppend(&out, "\tkeys: ", absl::StrJoin(e.keys, ", "));
    if (!e.flags.empty()) absl::StrAppend(&out, "\t!! ", absl::StrJoin(e.flags, "; "));
    out += "\n";
  }
  return out;
}

std::string AuditJson(const AuditReport& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const AuditEntry& e : r.entries) {
    rows.push_back({{"table", e.table},
                    {"line", e.line},
                    {"label", e.label},
                    {"values", e.values},
                    {"unit", e.unit},
                    {"source", e.source},
                    {"confidence", e.confidence},
                    {"level", std::string(ConfidenceName(e.level))},
                    {"keys", e.keys},
                    {"flags", e.flags}});
  }
  nlohmann::json j = {{"version", r.version},   {"dir", r.dir},           {"rows", rows.size()},
                      {"flagged", r.flagged()}, {"key_maps", r.key_maps}, {"entries", rows}};
  return j.dump(2) + "\n";
}

}  // namespace dc::accounting
