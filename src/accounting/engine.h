// Internal to the accounting layer: the engine behind ComputeInventory. Not a public header.
#ifndef DC_ACCOUNTING_ENGINE_H_
#define DC_ACCOUNTING_ENGINE_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "accounting/inventory.h"

namespace dc::accounting::internal {

inline constexpr double kCO2PerC = 44.0 / 12.0;

// A physical or virtual meter, as the methods see it.
struct MeterView {
  std::string id, carrier, unit, area;  // unit: of the amounts (model::Meter::AmountUnit)
  model::Flow flow = model::Flow::kPurchased;
  const model::Meter* phys = nullptr;
  const model::VirtualMeter* virt = nullptr;
  const Carrier* c = nullptr;
  double to_base = 1;  // meter unit -> carrier base unit
  const model::Positions* pos = nullptr;
};

class Engine;

// One process method: its checks against the reference library (after ParseSite's schema
// checks) and its computation. The table (process.cc) has one entry per model::ProcessMethod,
// in the enum's order; model::ProcessSchemas() holds what each method reads from the site file.
struct ProcessMethodImpl {
  model::ProcessMethod method;
  absl::Status (*validate)(const model::Site&, const Reference&, const model::Process&);
  absl::Status (*compute)(Engine&, const model::Process&, std::vector<Line>*);
};
const ProcessMethodImpl& MethodImpl(model::ProcessMethod m);
// Checks shared by every method (mass meters, items), then the method's own.
absl::Status ValidateProcess(const model::Site& site, const Reference& ref,
                             const model::Process& p);

// "site.toml:3:1: <what> field '<field>': <msg>".
absl::Status SiteError(const model::Site& site, const model::Positions& pos, std::string_view what,
                       std::string_view field, std::string_view msg);
// Error unless meter `id` has a mass unit (t or kg).
absl::Status CheckMassMeter(const model::Site& site, const std::string& id,
                            const model::Positions& pos, const std::string& what,
                            const std::string& field);

class Engine {
 public:
  Engine(const model::Site& site, DataSource& data, const Period& period, const Reference& ref)
      : site_(site), data_(data), period_(period), ref_(ref) {}
  absl::StatusOr<Inventory> Run();

  // --- used by the method implementations ---
  // Amounts of a meter per sub-interval, in the meter's unit.
  absl::StatusOr<const std::vector<double>*> Amounts(const std::string& id);
  absl::StatusOr<double> Total(const std::string& id);
  // Total of a meter in tonnes (unit t or kg); error naming `where` otherwise.
  absl::StatusOr<double> MassT(const std::string& id, const std::string& where);
  // Fuel property `prop` (ncv | cc | of) of `carrier` from the site's fuel-defaults table.
  absl::StatusOr<Factor> FuelDefault(const std::string& name, const std::string& carrier,
                                     const std::string& prop, double scale = 1,
                                     std::string unit = "");
  // A factor from the reference; low-confidence values are added to the warnings.
  absl::StatusOr<Factor> RefFactor(const std::string& name, const std::string& key,
                                   double scale = 1, std::string unit = "");
  // A factor by reference key, or the site's [[factor]] for it: the meter's own first, then
  // the site's (market.cc). RefFactor is Resolve with no meter.
  absl::StatusOr<Factor> Resolve(const std::string& name, const std::string& key,
                                 const std::string& meter, double scale = 1, std::string unit = "");
  // The location-based grid factor of a meter (its [[factor]] "grid", the site's, the library's).
  absl::StatusOr<Factor> GridFor(const std::string& meter);
  Factor Constant(const std::string& name, double value, const std::string& unit);
  Factor SiteParam(const std::string& name, double value, const std::string& unit);
  const MeterView* View(const std::string& id) const;
  void Warn(std::string w) { warnings_.insert(std::move(w)); }
  const model::Site& site() const { return site_; }

  absl::Status ProcessLines(const model::Process& p, std::vector<Line>* out);

 private:
  absl::Status Setup();
  absl::Status ComputeMeterAmounts(const MeterView& v, std::vector<double>* out);
  // An integrated gauge: amount per sub-interval from instantaneous values (gauge.cc).
  void IntegrateGauge(const model::Meter& m, const std::vector<Sample>& s,
                      std::vector<double>* out);
  absl::StatusOr<MeterEnergy> Energy(const MeterView& v);
  absl::StatusOr<std::optional<Line>> MeterLine(const MeterView& v);
  absl::StatusOr<Line> Combustion(const MeterView& v);
  absl::StatusOr<double> HeatGj(const MeterView& v, double amount_base,
                                std::vector<Factor>* factors);
  absl::Status Products(Inventory* inv);
  absl::StatusOr<Factor> ReferenceFactor(const std::string& name, const std::string& key,
                                         double scale, std::string unit);
  const model::FactorOverride* Override(std::string_view key, std::string_view meter) const;
  absl::Status MarketBased(Inventory* inv);  // market.cc
  absl::StatusOr<std::vector<double>> MwhByInterval(const std::string& meter);

  const model::Site& site_;
  DataSource& data_;
  const Period& period_;
  const Reference& ref_;
  absl::TimeZone zone_;
  std::vector<int64_t> bounds_;
  std::map<std::string, MeterView> views_;
  std::map<std::string, std::vector<double>> amounts_;
  std::set<std::string> in_progress_;
  std::set<std::string> warnings_;
  double grid_ef_ = 0;
  Factor grid_factor_;
  std::optional<Factor> coal_rate_;
  std::map<std::string, std::vector<Line>> lines_by_meter_;  // incl. internal meters
  std::vector<Line> process_lines_;
};

}  // namespace dc::accounting::internal

#endif  // DC_ACCOUNTING_ENGINE_H_
