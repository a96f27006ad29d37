// Named benchmark workloads. Each bench/*.cc registers workloads with DC_BENCH; the
// dualcarbon_bench binary runs the ones named on its command line:
//   dualcarbon_bench list
//   dualcarbon_bench ingest_inprocess bytes_per_point --scale 0.1
// Each workload prints its figures (and ratios against a peer measured in the same run) as
// "name: value unit" lines, so docs/benchmarks.md can quote them.
#ifndef DC_BENCH_BENCH_H_
#define DC_BENCH_BENCH_H_

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

namespace dc::bench {

struct Args {
  double scale = 1.0;  // multiply workload sizes (quick runs: 0.05)
  std::string work_dir = "/tmp/dualcarbon-bench";
  std::map<std::string, std::string> extra;  // --key value pairs not known to main
  std::string Get(const std::string& k, const std::string& def) const {
    auto it = extra.find(k);
    return it == extra.end() ? def : it->second;
  }
};

using WorkloadFn = std::function<int(const Args&)>;  // returns a process exit code

struct Workload {
  std::string description;
  WorkloadFn fn;
};

std::map<std::string, Workload>& Registry();

struct Registrar {
  Registrar(const char* name, const char* description, WorkloadFn fn) {
    Registry()[name] = Workload{description, std::move(fn)};
  }
};

#define DC_BENCH(name, description)                                                       \
  static int dc_bench_##name(const ::dc::bench::Args& args);                              \
  static ::dc::bench::Registrar dc_bench_reg_##name(#name, description, dc_bench_##name); \
  static int dc_bench_##name(const ::dc::bench::Args& args)

inline double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Prints "workload.metric: value unit" and flushes.
inline void Report(const char* workload, const char* metric, double value, const char* unit) {
  std::printf("%s.%s: %.6g %s\n", workload, metric, value, unit);
  std::fflush(stdout);
}

}  // namespace dc::bench

#endif  // DC_BENCH_BENCH_H_
