// Process (non-combustion) emissions: the method table and what every method shares. Each
// method is in process_<sector>.cc; see docs/accounting.md for each formula's source.
#include <array>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "accounting/engine.h"
#include "accounting/process_internal.h"
#include "common/strings.h"

namespace dc::accounting::internal {

namespace {

using M = model::ProcessMethod;

// One entry per model::ProcessMethod, in the enum's order (checked below).
constexpr std::array<ProcessMethodImpl, static_cast<size_t>(M::kCount)> kMethods = {{
    {M::kCementClinker, ValidateCementClinker, CementClinker},
    {M::kCementRawMeal, nullptr, CementRawMeal},
    {M::kCarbonate, ValidateCarbonates, Carbonates},
    {M::kGlassCarbonates, ValidateCarbonates, Carbonates},
    {M::kSteelCarbonBalance, ValidateSteel, SteelCarbonBalance},
    {M::kAluminiumAnode, ValidateAluminiumAnode, AluminiumAnode},
    {M::kAluminiumPfc, nullptr, AluminiumPfc},
    {M::kAmmonia, ValidateAmmonia, Ammonia},
}};

constexpr bool InEnumOrder() {
  for (size_t i = 0; i < kMethods.size(); ++i) {
    if (static_cast<size_t>(kMethods[i].method) != i || !kMethods[i].compute) return false;
  }
  return true;
}
static_assert(InEnumOrder(), "kMethods: one entry per ProcessMethod, in the enum's order");

}  // namespace

const ProcessMethodImpl& MethodImpl(model::ProcessMethod m) {
  return kMethods[static_cast<size_t>(m)];
}

absl::Status SiteError(const model::Site& site, const model::Positions& pos, std::string_view what,
                       std::string_view field, std::string_view msg) {
  return absl::InvalidArgumentError(
      absl::StrCat(site.Where(pos.of(field)), AV(what),
                   field.empty() ? "" : absl::StrCat(" field '", AV(field), "'"), ": ", AV(msg)));
}

absl::Status CheckMassMeter(const model::Site& site, const std::string& id,
                            const model::Positions& pos, const std::string& what,
                            const std::string& field) {
  std::string unit;
  if (const model::Meter* m = site.FindMeter(id)) unit = m->AmountUnit();
  if (const model::VirtualMeter* v = site.FindVirtual(id)) unit = v->unit;
  if (unit != "t" && unit != "kg") {
    return SiteError(
        site, pos, what, field,
        absl::StrCat("meter \"", id, "\" has unit \"", unit, "\"; a mass in t or kg is required"));
  }
  return absl::OkStatus();
}

absl::Status ValidateProcess(const model::Site& site, const Reference& ref,
                             const model::Process& p) {
  std::string what = absl::StrCat("process '", p.id, "'");
  for (const auto& [field, id] : p.meters) {
    if (field == "meter") continue;
    if (auto s = CheckMassMeter(site, id, p.pos, what, field); !s.ok()) return s;
  }
  const ProcessMethodImpl& impl = MethodImpl(p.method);
  return impl.validate ? impl.validate(site, ref, p) : absl::OkStatus();
}

double Num(const model::Process& p, const std::string& key, double dflt) {
  auto it = p.numbers.find(key);
  return it == p.numbers.end() ? dflt : it->second;
}

Line ProcessLine(const model::Process& p, std::string source) {
  Line l;
  l.source = std::move(source);
  l.category = LineCategory::kProcess;
  l.scope = 1;
  l.method = std::string(model::Name(p.method));
  l.area = p.area;
  l.unit = std::string("t");  // not = "t": GCC 12's false -Wrestrict (PR 105329) on _M_replace
  return l;
}

std::string ProcessWhere(Engine& e, const model::Process& p) {
  return absl::StrCat(e.site().Where(p.pos.table), "process '", p.id, "'");
}

absl::StatusOr<Factor> ItemEf(Engine& e, const model::Process& p, const model::ProcessItem& it,
                              const std::string& table) {
  if (it.ef_tco2_per_t) return e.SiteParam("ef", *it.ef_tco2_per_t, "tCO2/t");
  auto f = e.RefFactor("ef", absl::StrCat("process.", table, ".", it.material));
  if (!f.ok()) {
    return absl::NotFoundError(absl::StrCat(ProcessWhere(e, p), ": ", f.status().message()));
  }
  return f;
}

void WarnTier1(Engine& e, const model::Process& p) {
  if (p.tier != model::Tier::kIpccTier1) return;
  e.Warn(absl::StrCat("process ", p.id,
                      ": IPCC 2006 Tier 1 default factors used (tier = \"ipcc_tier1\"); the "
                      "guideline allows them only where plant data are not available"));
}

absl::Status Engine::ProcessLines(const model::Process& p, std::vector<Line>* out) {
  WarnTier1(*this, p);
  return MethodImpl(p.method).compute(*this, p, out);
}

}  // namespace dc::accounting::internal
