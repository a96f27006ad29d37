// The sources configured in dualcarbon.toml — [[mqtt]], [[modbus]], [[hj212]] and
// [hj212_forward] (dualcarbon.example.toml documents every key) — and the Sink that writes
// their points to the store.
#ifndef DC_ACQUIRE_CONFIGURED_H_
#define DC_ACQUIRE_CONFIGURED_H_

#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "acquire/source.h"
#include "storage/store.h"
#include "toml++/toml.h"

namespace dc::acquire {

// True for the top-level configuration keys that configure sources (the server's own
// configuration reader skips them).
bool IsSourceConfigKey(std::string_view key);

// Writes to the store: Write returns once the batch is durable under the store's fsync policy.
class StoreSink final : public Sink {
 public:
  explicit StoreSink(Store& store) : store_(store) {}
  // `f` is called with every batch the store accepted (the server's live streams). Set it
  // before the sources start.
  void OnWritten(std::function<void(const PointBatch&)> f) { on_written_ = std::move(f); }
  absl::Status Write(const PointBatch& batch) override {
    absl::Status s = store_.Write(batch);
    if (s.ok() && on_written_) on_written_(batch);
    return s;
  }

 private:
  Store& store_;
  std::function<void(const PointBatch&)> on_written_;
};

// Adds to *registry a source for every source table of `root` (the parsed configuration file),
// writing to `sink`; `data_dir` holds what sources keep on disk (the HJ 212 forwarding queue).
// An invalid table is an error naming it, and nothing is added.
absl::Status AddConfiguredSources(const toml::table& root, const std::string& data_dir, Sink& sink,
                                  SourceRegistry* registry);

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_CONFIGURED_H_
