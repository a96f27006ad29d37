#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench.h"

namespace dc::bench {
std::map<std::string, Workload>& Registry() {
  static auto* r = new std::map<std::string, Workload>();
  return *r;
}
}  // namespace dc::bench

int main(int argc, char** argv) {
  using dc::bench::Registry;
  dc::bench::Args args;
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0 && i + 1 < argc) {
      std::string k = a.substr(2), v = argv[++i];
      if (k == "scale") {
        args.scale = std::atof(v.c_str());
      } else if (k == "work-dir") {
        args.work_dir = v;
      } else {
        args.extra[k] = v;
      }
    } else {
      names.push_back(a);
    }
  }
  if (names.empty() || names[0] == "list") {
    std::printf("usage: dualcarbon_bench [--scale X] [--work-dir DIR] WORKLOAD...\n\n");
    for (const auto& [name, w] : Registry())
      std::printf("  %-24s %s\n", name.c_str(), w.description.c_str());
    return names.empty() ? 2 : 0;
  }
  int rc = 0;
  for (const auto& n : names) {
    auto it = Registry().find(n);
    if (it == Registry().end()) {
      std::fprintf(stderr, "unknown workload %s (try: dualcarbon_bench list)\n", n.c_str());
      return 2;
    }
    std::printf("== %s: %s\n", n.c_str(), it->second.description.c_str());
    std::fflush(stdout);
    int r = it->second.fn(args);
    if (r != 0) rc = r;
  }
  return rc;
}
