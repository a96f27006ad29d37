#include "model/site.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/env.h"
#include "common/input_file.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "common/text.h"
#include "common/toml_depth.h"
#include "model/site_factors_internal.h"
#include "model/site_internal.h"
#include "model/site_reader.h"
#include "toml++/toml.h"

namespace dc::model {
namespace {

using internal::IsSpace;
using internal::PosOf;
using internal::Reader;

// Calls fn(table, index) for each table of the array `key` in `root`.
template <typename Fn>
absl::Status EachTable(Site* site, const toml::table& root, std::string_view key, size_t max,
                       Fn fn) {
  const toml::node* n = root.get(key);
  if (!n) return absl::OkStatus();
  const toml::array* arr = n->as_array();
  if (!arr) {
    return absl::InvalidArgumentError(absl::StrCat(site->Where(PosOf(n->source())), "'", AV(key),
                                                   "' must be an array of tables ([[", AV(key),
                                                   "]])"));
  }
  if (arr->size() > max) {
    return absl::InvalidArgumentError(absl::StrCat(site->Where(PosOf((*arr)[max].source())), "[[",
                                                   AV(key), "]]: more than ", max, " entries (",
                                                   arr->size(), ")"));
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = (*arr)[i].as_table();
    if (!t) {
      return absl::InvalidArgumentError(absl::StrCat(site->Where(PosOf((*arr)[i].source())), "'",
                                                     AV(key), "' entries must be tables"));
    }
    if (auto s = fn(*t, i); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ParseSiteTable(Site* site, const toml::table& root) {
  const toml::node* n = root.get("site");
  if (!n || !n->as_table()) {
    return absl::InvalidArgumentError(absl::StrCat(site->file, ": missing [site] table"));
  }
  Reader r(site, *n->as_table(), "[site]");
  if (absl::Status s = r.Fields(internal::SiteFields(), site); !s.ok()) return s;
  site->pos = r.pos();
  r.WarnUnknown();
  return absl::OkStatus();
}

absl::Status ParseLab(Site* site, Meter* m, const toml::table& t) {
  LabValue lab;
  Reader r(site, t, absl::StrCat("meter '", m->id, "' [[meter.lab]]"));
  if (absl::Status s = r.Fields(internal::LabFields(), &lab); !s.ok()) return s;
  lab.pos = r.pos();
  r.WarnUnknown();
  m->lab.push_back(std::move(lab));
  return absl::OkStatus();
}

absl::Status ParseMeter(Site* site, const toml::table& t, size_t i) {
  Meter m;
  m.site = site->id;
  Reader r(site, t, absl::StrCat("[[meter]] #", i + 1));
  if (auto s = r.Id("id", &m.id); !s.ok()) return s;
  Reader rm(site, t, absl::StrCat("meter '", m.id, "'"));
  if (absl::Status s = rm.Fields(internal::MeterFields(), &m); !s.ok()) return s;
  if (m.unit.empty()) return rm.Error("unit", "must not be empty");
  if (m.integrate != Integration::kNone) {
    if (m.kind != MeterKind::kGauge) return rm.Error("integrate", "only a gauge is integrated");
    if (m.AmountUnit().empty()) {
      return rm.Error("unit", absl::StrCat("an integrated gauge needs a rate unit (kW, MW, t/h, "
                                           "Nm3/h, ...), got \"",
                                           m.unit, "\""));
    }
  }
  if (m.rollover > 0 && m.kind != MeterKind::kCounter) {
    return rm.Error("rollover", "only a counter can roll over");
  }
  if (!m.series.empty()) {
    auto key = CanonicalSeriesKey(m.series);
    if (!key.ok()) return rm.Error("series", SV(key.status().message()));
    m.series = *key;
  }
  m.pos = rm.pos();
  rm.Use("lab");
  rm.WarnUnknown();
  if (auto s2 = EachTable(site, t, "lab", kMaxListEntries,
                          [&](const toml::table& lt, size_t) { return ParseLab(site, &m, lt); });
      !s2.ok()) {
    return s2;
  }
  site->meters.push_back(std::move(m));
  return absl::OkStatus();
}

absl::Status ParseVirtual(Site* site, const toml::table& t, size_t i) {
  VirtualMeter v;
  Reader r(site, t, absl::StrCat("[[virtual_meter]] #", i + 1));
  if (auto s = r.Id("id", &v.id); !s.ok()) return s;
  Reader rv(site, t, absl::StrCat("virtual_meter '", v.id, "'"));
  std::string formula;
  absl::Status s = rv.String("formula", &formula, true, Formula::kMaxBytes, /*spaces=*/true);
  if (s.ok()) s = rv.Fields(internal::VirtualMeterFields(), &v);
  if (!s.ok()) return s;
  auto f = Formula::Parse(formula);
  if (!f.ok()) return rv.Error("formula", SV(f.status().message()));
  v.formula = std::move(*f);
  if (v.carrier.empty()) v.carrier = "product";
  v.pos = rv.pos();
  rv.WarnUnknown();
  site->virtual_meters.push_back(std::move(v));
  return absl::OkStatus();
}

absl::Status ParseProduct(Site* site, const toml::table& t, size_t i) {
  Product p;
  Reader r(site, t, absl::StrCat("[[product]] #", i + 1));
  if (auto s = r.Id("id", &p.id); !s.ok()) return s;
  Reader rp(site, t, absl::StrCat("product '", p.id, "'"));
  if (absl::Status s = rp.Fields(internal::ProductFields(), &p); !s.ok()) return s;
  p.pos = rp.pos();
  rp.WarnUnknown();
  site->products.push_back(std::move(p));
  return absl::OkStatus();
}

absl::Status ParseItem(Site* site, const std::string& what, const toml::table& t,
                       ProcessItem* item) {
  Reader r(site, t, what);
  if (absl::Status s = r.Fields(internal::ItemFields(), item); !s.ok()) return s;
  item->pos = r.pos();
  r.WarnUnknown();
  return absl::OkStatus();
}

const ProcessSchema* FindSchema(std::string_view name) {
  for (const auto& s : ProcessSchemas()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

// The keys a method's schema names: meters, numbers and strings.
absl::Status ParseProcessKeys(Reader& r, const ProcessSchema& m, Process* p) {
  for (const auto& key : m.required_meters) {
    std::string& v = p->meters[std::string(key)];
    if (auto s = r.String(key, &v, true); !s.ok()) return s;
  }
  for (const auto& key : m.optional_meters) {
    std::string v;
    if (auto s = r.String(key, &v, false); !s.ok()) return s;
    if (!v.empty()) p->meters[std::string(key)] = v;
  }
  for (const auto& n : m.numbers) {
    std::optional<double> v;
    bool fraction = n.rule == ProcessSchema::Rule::kFraction;
    absl::Status s = fraction ? r.Fraction(n.key, &v) : r.Number(n.key, &v, false);
    if (!s.ok()) return s;
    if (n.required && p->tier == Tier::kGuideline && !v)
      return r.Error(n.key, "required (missing)");
    if (v && *v < 0) return r.Error(n.key, "must not be negative");
    if (v) p->numbers[std::string(n.key)] = *v;
  }
  for (const auto& key : m.strings) {
    std::string v;
    if (auto s = r.String(key, &v, false); !s.ok()) return s;
    if (!v.empty()) p->strings[std::string(key)] = v;
  }
  return absl::OkStatus();
}

// [[process.inputs]] / [[process.outputs]] and a single item written inline (meter/material/
// purity/fraction on the process table).
absl::Status ParseProcessItems(Site* site, Reader& r, const toml::table& t, const ProcessSchema& m,
                               Process* p) {
  std::string what = absl::StrCat("process '", p->id, "'");
  for (std::string_view list : {"inputs", "outputs"}) {
    if (!m.inputs) continue;
    r.Use(list);
    if (list == "outputs" && !m.outputs && t.contains(list)) {
      return r.Error(list, absl::StrCat("method ", AV(m.name), " has no outputs"));
    }
    auto* items = list == "inputs" ? &p->inputs : &p->outputs;
    auto s = EachTable(site, t, list, kMaxListEntries, [&](const toml::table& it, size_t k) {
      ProcessItem item;
      auto st = ParseItem(site, absl::StrCat(what, " ", AV(list), "[", k, "]"), it, &item);
      if (st.ok()) items->push_back(std::move(item));
      return st;
    });
    if (!s.ok()) return s;
  }
  if (auto mt = p->meters.find("meter"); mt != p->meters.end()) {
    ProcessItem item;
    item.meter = mt->second;
    if (auto x = p->strings.find("material"); x != p->strings.end()) item.material = x->second;
    for (auto [key, dst] :
         {std::pair<std::string_view, std::optional<double>*>{"purity", &item.purity},
          {"fraction", &item.fraction},
          {"ef_tco2_per_t", &item.ef_tco2_per_t}}) {
      if (auto x = p->numbers.find(key); x != p->numbers.end()) *dst = x->second;
    }
    item.pos = r.pos();
    p->inputs.insert(p->inputs.begin(), std::move(item));
  }
  return absl::OkStatus();
}

absl::Status ParseProcess(Site* site, const toml::table& t, size_t i) {
  Process p;
  Reader r(site, t, absl::StrCat("[[process]] #", i + 1));
  std::string method;
  if (auto s = r.String("method", &method, true); !s.ok()) return s;
  const ProcessSchema* schema = FindSchema(method);
  if (!schema) {
    return r.Error("method", absl::StrCat("unknown method \"", method,
                                          "\"; known: ", absl::StrJoin(ProcessMethods(), ", ")));
  }
  p.method = schema->method;
  if (auto s = r.Fields(internal::ProcessFields(), &p); !s.ok()) return s;
  if (p.id.empty()) p.id = absl::StrCat(method, "-", i + 1);
  if (p.tier == Tier::kIpccTier1 && !schema->ipcc_tier1) {
    return r.Error("tier", absl::StrCat("method ", method, " has no IPCC Tier 1 option"));
  }
  if (auto s = ParseProcessKeys(r, *schema, &p); !s.ok()) return s;
  if (auto s = ParseProcessItems(site, r, t, *schema, &p); !s.ok()) return s;
  bool needs_items =
      schema->inputs && p.tier == Tier::kGuideline && schema->method != ProcessMethod::kAmmonia;
  if (needs_items && p.inputs.empty() && p.outputs.empty() &&
      !p.meters.count("carbon_powder_meter")) {
    return r.Error("inputs",
                   "required: a meter (meter = ..., material = ...) or [[process.inputs]]");
  }
  p.pos = r.pos();
  r.WarnUnknown();
  site->processes.push_back(std::move(p));
  return absl::OkStatus();
}

}  // namespace

const Meter* Site::FindMeter(std::string_view id) const {
  for (const auto& m : meters) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

const VirtualMeter* Site::FindVirtual(std::string_view id) const {
  for (const auto& v : virtual_meters) {
    if (v.id == id) return &v;
  }
  return nullptr;
}

std::string Site::Where(Pos p) const {
  if (p.line <= 0) return absl::StrCat(file, ": ");
  return absl::StrCat(file, ":", p.line, ":", p.column, ": ");
}

absl::StatusOr<Site> ParseSite(std::string_view text, std::string_view file) {
  Site site;
  site.file = std::string(file);
  if (text.size() > kMaxSiteFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat(site.Where({}), "site file of ", text.size(),
                                                   " bytes is larger than the limit of ",
                                                   kMaxSiteFileBytes, " bytes"));
  }
  if (auto depth = CheckTomlDepth(text); !depth.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(site.Where({depth.line, depth.column}), depth.message));
  }
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(site.Where(PosOf(e.source())), "TOML syntax: ", std::string(e.description())));
  }
  if (auto s = ParseSiteTable(&site, root); !s.ok()) return s;
  for (auto&& [k, v] : root) {
    std::string key(k.str());
    // [cbam] is read by the CBAM report (accounting/cbam.h), not by the site model.
    if (key != "site" && key != "meter" && key != "virtual_meter" && key != "product" &&
        key != "process" && key != "cbam" && key != "factor" && key != "instrument") {
      site.warnings.push_back(
          absl::StrCat(site.Where(PosOf(v.source())), "unknown table '", key, "' ignored"));
    }
  }
  absl::Status s = EachTable(&site, root, "meter", kMaxMeters, [&](const toml::table& t, size_t i) {
    return ParseMeter(&site, t, i);
  });
  if (s.ok())
    s = EachTable(&site, root, "virtual_meter", kMaxVirtualMeters,
                  [&](const toml::table& t, size_t i) { return ParseVirtual(&site, t, i); });
  if (s.ok())
    s = EachTable(&site, root, "product", kMaxProducts,
                  [&](const toml::table& t, size_t i) { return ParseProduct(&site, t, i); });
  if (s.ok())
    s = EachTable(&site, root, "process", kMaxProcesses,
                  [&](const toml::table& t, size_t i) { return ParseProcess(&site, t, i); });
  if (s.ok()) s = internal::ParseFactorTables(&site, root);  // site_factors.cc
  if (s.ok()) s = internal::CheckReferences(site);
  if (!s.ok()) return s;
  return site;
}

absl::StatusOr<Site> LoadSiteFile(const std::string& path) {
  auto text = ReadInputFile(Env::Default(), path, "a site file", kMaxSiteFileBytes);
  if (!text.ok()) return text.status();
  return ParseSite(*text, path);
}

}  // namespace dc::model
