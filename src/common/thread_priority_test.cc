#include "common/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include "gtest/gtest.h"

namespace dc {
namespace {

int Nice() { return ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))); }

TEST(ThreadPriority, LowersOnlyTheCallingThreadAndOnlyOnce) {
  const int main_before = Nice();
  int before = 0, after = 0, again = 0;
  bool first = false, second = true;
  std::thread t([&] {
    before = Nice();
    first = LowerThisThreadPriority(3);
    after = Nice();
    second = LowerThisThreadPriority(3);
    again = Nice();
  });
  t.join();
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_EQ(after, std::min(before + 3, 19));
  EXPECT_EQ(again, after);
  EXPECT_EQ(Nice(), main_before);  // the other threads keep theirs
}

}  // namespace
}  // namespace dc
