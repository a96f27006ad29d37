// CPU priority of the calling thread. Throughput work (ingest handlers, head flushes,
// compaction) runs a few nice levels below latency work (queries, the dashboard) so that, on
// a machine saturated by ingest, a query is scheduled first instead of waiting its turn.
#ifndef DC_COMMON_THREAD_PRIORITY_H_
#define DC_COMMON_THREAD_PRIORITY_H_

namespace dc {

// Nice levels added to background/throughput threads: $DC_THROUGHPUT_NICE if set (0..19;
// 0 turns the scheme off), else 10.
int ThroughputNice();

// Raises the calling thread's nice value by `increment` (Linux: per thread, no privilege
// needed), once per thread: later calls on the same thread do nothing. Best effort — a
// failure leaves the priority as it was. Returns true if the thread's priority was lowered now.
bool LowerThisThreadPriority(int increment = ThroughputNice());

}  // namespace dc

#endif  // DC_COMMON_THREAD_PRIORITY_H_
