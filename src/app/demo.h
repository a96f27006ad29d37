// `dualcarbon serve --demo`: two demo sites put through the real site store, 90 days of history
// written straight into the embedded store, then live data posted to the server's own /write
// (HTTP line protocol, a write token) every few seconds; the kiln stack's CEMS sends HJ 212
// packets over TCP to the server's HJ 212 listener (demo_cems.h). Everything is a function of the
// seed and the time, so two runs with the same seed hold the same history. docs/dashboard.md.
#ifndef DC_APP_DEMO_H_
#define DC_APP_DEMO_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "app/demo_cems.h"
#include "app/demo_plant.h"
#include "model/site_store.h"
#include "server/tokens.h"
#include "storage/store.h"

namespace dc::app {

struct DemoOptions {
  uint64_t seed = 1;
  int days = 90;                             // history before now
  int64_t live_interval_ns = 5'000'000'000;  // live data period
  std::string datasets_dir;                  // holds uci-steel-industry/ ("" = DefaultDatasetsDir)
};

// $DC_DATASETS_DIR, else datasets/ beside the binary's repository or share dir, else
// $DC_SOURCE_DIR/datasets, else "datasets".
std::string DefaultDatasetsDir();

struct BackfillStats {
  int64_t points = 0;
  double seconds = 0;
  int64_t end_ns = 0;  // the history ends here; live data follows
};

class Demo {
 public:
  // Saves the demo sites into `sites` and, unless the store already holds the demo's history
  // (a restarted demo keeps it), writes `days` of history ending now into `store`.
  static absl::StatusOr<std::unique_ptr<Demo>> Setup(Store& store, model::SiteStore& sites,
                                                     const DemoOptions& options);
  ~Demo();  // StopLive()

  const BackfillStats& backfill() const { return backfill_; }
  bool restarted() const { return restarted_; }

  // Creates the demo's login (read) and writer tokens in `tokens` (nullptr: auth off),
  // replacing those of an earlier run, and starts posting live data to http://host:port/write
  // and, when `hj212_port` > 0, the CEMS station sending to 127.0.0.1:hj212_port. Returns the
  // login token ("" when auth is off).
  absl::StatusOr<std::string> StartLive(const std::string& host, uint16_t port,
                                        server::TokenStore* tokens, int hj212_port = 0);
  void StopLive();
  int64_t live_posts() const { return live_posts_.load(); }
  int64_t cems_acked() const { return station_ ? station_->acked() : 0; }

 private:
  Demo(DemoOptions options, DemoPlant plant) : options_(options), plant_(std::move(plant)) {}
  void LiveLoop(const std::string& host, uint16_t port, const std::string& token);

  DemoOptions options_;
  DemoPlant plant_;
  BackfillStats backfill_;
  bool restarted_ = false;
  absl::Notification stop_;
  std::thread live_;
  std::atomic<int64_t> live_posts_{0};
  std::unique_ptr<DemoCemsStation> station_;
};

}  // namespace dc::app

#endif  // DC_APP_DEMO_H_
