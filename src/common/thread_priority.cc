#include "common/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "absl/strings/numbers.h"

namespace dc {

int ThroughputNice() {
  static const int nice = [] {
    const char* env = std::getenv("DC_THROUGHPUT_NICE");
    int v = 10;
    if (env != nullptr && absl::SimpleAtoi(env, &v) && v >= 0 && v <= 19) {
      return v;
    }
    return 10;
  }();
  return nice;
}

bool LowerThisThreadPriority(int increment) {
  thread_local bool lowered = false;
  if (lowered || increment <= 0) return false;
  lowered = true;
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  errno = 0;
  int now = ::getpriority(PRIO_PROCESS, tid);
  if (now == -1 && errno != 0) return false;
  return ::setpriority(PRIO_PROCESS, tid, now + increment) == 0;
}

}  // namespace dc
