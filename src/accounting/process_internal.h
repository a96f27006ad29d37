// Internal to the accounting layer: the process methods of the table in process.cc, and what
// they share. Not a public header.
#ifndef DC_ACCOUNTING_PROCESS_INTERNAL_H_
#define DC_ACCOUNTING_PROCESS_INTERNAL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accounting/engine.h"

namespace dc::accounting::internal {

using Lines = std::vector<Line>;

// The methods (process_minerals.cc, process_steel.cc, process_aluminium.cc,
// process_chemical.cc). A validate function may be absent (nullptr) in the table.
absl::Status CementClinker(Engine& e, const model::Process& p, Lines* out);
absl::Status CementRawMeal(Engine& e, const model::Process& p, Lines* out);
absl::Status Carbonates(Engine& e, const model::Process& p, Lines* out);
absl::Status SteelCarbonBalance(Engine& e, const model::Process& p, Lines* out);
absl::Status AluminiumAnode(Engine& e, const model::Process& p, Lines* out);
absl::Status AluminiumPfc(Engine& e, const model::Process& p, Lines* out);
absl::Status Ammonia(Engine& e, const model::Process& p, Lines* out);

absl::Status ValidateCementClinker(const model::Site& site, const Reference& ref,
                                   const model::Process& p);
absl::Status ValidateCarbonates(const model::Site& site, const Reference& ref,
                                const model::Process& p);
absl::Status ValidateSteel(const model::Site& site, const Reference& ref, const model::Process& p);
absl::Status ValidateAluminiumAnode(const model::Site& site, const Reference& ref,
                                    const model::Process& p);
absl::Status ValidateAmmonia(const model::Site& site, const Reference& ref,
                             const model::Process& p);

// Shared by the methods (process.cc).
double Num(const model::Process& p, const std::string& key, double dflt);
// A scope-1 "process" line of `p` in t, method and area set.
Line ProcessLine(const model::Process& p, std::string source);
// "site.toml:12:1: process '<id>'".
std::string ProcessWhere(Engine& e, const model::Process& p);
// An item's factor: its ef_tco2_per_t, else process.<table>.<material> from the reference.
absl::StatusOr<Factor> ItemEf(Engine& e, const model::Process& p, const model::ProcessItem& it,
                              const std::string& table);

}  // namespace dc::accounting::internal

#endif  // DC_ACCOUNTING_PROCESS_INTERNAL_H_
