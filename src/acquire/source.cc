#include "acquire/source.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace dc::acquire {

SourceStats::SourceStats(std::string name, std::string kind) {
  state_.name = std::move(name);
  state_.kind = std::move(kind);
}

void SourceStats::SetRunning(bool running) {
  absl::MutexLock l(&mu_);
  state_.running = running;
  if (!running) state_.connected = false;
}

void SourceStats::SetConnected(bool connected) {
  absl::MutexLock l(&mu_);
  state_.connected = connected;
}

void SourceStats::AddMessages(int64_t n) {
  absl::MutexLock l(&mu_);
  state_.messages += n;
}

void SourceStats::AddPoints(int64_t n, int64_t now_ns) {
  absl::MutexLock l(&mu_);
  state_.points += n;
  if (n > 0) state_.last_data_ns = now_ns;
}

void SourceStats::AddError(std::string_view message, int64_t now_ns) {
  absl::MutexLock l(&mu_);
  ++state_.errors;
  state_.last_error = std::string(message.substr(0, 1024));
  state_.last_error_ns = now_ns;
}

SourceState SourceStats::Snapshot() const {
  absl::MutexLock l(&mu_);
  return state_;
}

void SourceRegistry::Add(std::unique_ptr<Source> source) {
  absl::MutexLock l(&mu_);
  sources_.push_back(std::move(source));
  start_errors_.emplace_back();
}

std::vector<absl::Status> SourceRegistry::StartAll() {
  absl::MutexLock l(&mu_);
  std::vector<absl::Status> errors;
  for (size_t i = 0; i < sources_.size(); ++i) {
    absl::Status s = sources_[i]->Start();
    if (s.ok()) continue;
    SourceState st = sources_[i]->State();
    start_errors_[i] = absl::StrCat("cannot start: ", s.message());
    errors.push_back(absl::Status(
        s.code(), absl::StrCat("source \"", st.name, "\" (", st.kind, "): ", s.message())));
  }
  return errors;
}

void SourceRegistry::StopAll() {
  absl::MutexLock l(&mu_);
  for (auto it = sources_.rbegin(); it != sources_.rend(); ++it) (*it)->Stop();
}

SourceRegistry::~SourceRegistry() {
  StopAll();
  absl::MutexLock l(&mu_);
  while (!sources_.empty()) sources_.pop_back();
}

std::vector<SourceState> SourceRegistry::States() const {
  absl::MutexLock l(&mu_);
  std::vector<SourceState> out;
  out.reserve(sources_.size());
  for (size_t i = 0; i < sources_.size(); ++i) {
    SourceState st = sources_[i]->State();
    if (!start_errors_[i].empty() && !st.running) {
      st.last_error = start_errors_[i];
      ++st.errors;
    }
    out.push_back(std::move(st));
  }
  return out;
}

}  // namespace dc::acquire
