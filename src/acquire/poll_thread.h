// The thread of a polling source (Modbus, DL/T 645) and its stop flag, shared so the sources
// hold only their protocol: Start runs the poll loop on a new thread, Stop wakes any
// SleepUntil and joins it. Thread-safe.
#ifndef DC_ACQUIRE_POLL_THREAD_H_
#define DC_ACQUIRE_POLL_THREAD_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/env.h"

namespace dc::acquire {

class PollThread {
 public:
  explicit PollThread(Env* env) : env_(env) {}
  ~PollThread() { Stop(); }
  PollThread(const PollThread&) = delete;
  PollThread& operator=(const PollThread&) = delete;

  // Runs `loop` on a new thread unless one runs already; false if it did.
  bool Start(std::function<void()> loop) {
    absl::MutexLock l(&mu_);
    if (thread_.joinable()) return false;
    stop_ = false;
    thread_ = std::thread(std::move(loop));
    return true;
  }
  // Asks the loop to stop and joins it; idempotent. Not from the loop's own thread.
  void Stop() {
    std::thread t;
    {
      absl::MutexLock l(&mu_);
      stop_ = true;
      t = std::move(thread_);
    }
    if (t.joinable()) t.join();
  }
  // Sleeps until wall clock `t` (ns); false once Stop() was called. Waits at most a second at a
  // time, so a step of the wall clock is noticed within a second.
  bool SleepUntil(int64_t t) {
    absl::MutexLock l(&mu_);
    while (!stop_) {
      const int64_t left = t - env_->NowNanos();
      if (left <= 0) return true;
      mu_.AwaitWithTimeout(absl::Condition(&stop_),
                           absl::Nanoseconds(std::min<int64_t>(left, 1'000'000'000)));
    }
    return false;
  }
  bool Stopping() const {
    absl::MutexLock l(&mu_);
    return stop_;
  }

 private:
  Env* const env_;
  mutable absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_POLL_THREAD_H_
