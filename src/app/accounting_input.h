// What `account` and `report` both need before computing an inventory: the reference library,
// the site file, its zone and period, and one data source (readings CSV, store, or server).
#ifndef DC_APP_ACCOUNTING_INPUT_H_
#define DC_APP_ACCOUNTING_INPUT_H_

#include <memory>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/time/time.h"
#include "accounting/period.h"
#include "accounting/readings.h"
#include "accounting/reference.h"
#include "model/site.h"
#include "storage/store.h"

namespace dc::app {

struct AccountingFlags {
  std::string site, readings, data_dir, server, token, period, reference, output;
  bool strict = false;

  // Adds --site, --readings, --data-dir, --server, --token, --strict, --period, --reference.
  void Add(CLI::App* cmd);
};

struct AccountingInput {
  std::string site_text;  // the site file as read (for keys other layers parse, e.g. [cbam])
  std::optional<accounting::Reference> ref;
  std::optional<model::Site> site;
  absl::TimeZone zone;
  accounting::Period period;
  std::unique_ptr<Store> store;  // when reading from --data-dir
  std::unique_ptr<accounting::DataSource> data;
};

// Loads and validates everything; on a problem prints "dualcarbon <cmd>: <what and where>" and
// throws CLI::RuntimeError (usage errors exit 2, invalid input 1).
AccountingInput LoadAccountingInput(const std::string& cmd, const AccountingFlags& flags);

// Writes `out` to flags.output (or standard output for "" and "-").
void WriteOutput(const std::string& cmd, const std::string& path, const std::string& out);

}  // namespace dc::app

#endif  // DC_APP_ACCOUNTING_INPUT_H_
