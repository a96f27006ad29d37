// dualcarbon inspect: what the store holds.
#include <iostream>

#include "app/commands.h"
#include "app/store_flags.h"

namespace dc::app {

void RegisterInspect(CLI::App& app) {
  auto flags = std::make_shared<StoreFlags>();
  auto format = std::make_shared<std::string>("json");
  auto* cmd = app.add_subcommand("inspect", "print series, points and bytes on disk");
  flags->Add(cmd, false);
  cmd->add_option("--format", *format, "json | text")->capture_default_str();
  cmd->callback([flags, format] {
    if (*format != "json" && *format != "text") {
      Fail("inspect", absl::InvalidArgumentError("--format must be json or text"), kExitUsage);
    }
    auto store = flags->Open(false, /*create=*/false);
    if (!store.ok()) Fail("inspect", store.status());
    StoreStats s = (*store)->Stats();
    std::string report = (*store)->recovery_report();
    if (*format == "text") {
      std::cout << "series " << s.series << "\npoints " << s.points << "\nbytes_on_disk "
                << s.bytes_on_disk << "\nsegments " << s.segments << "\npartitions " << s.partitions
                << "\nwal_bytes " << s.wal_bytes << "\nhead_points " << s.head_points << "\n";
      if (!report.empty()) std::cout << "recovery: " << report;
      return;
    }
    std::cout << "{\"series\": " << s.series << ", \"points\": " << s.points
              << ", \"bytes_on_disk\": " << s.bytes_on_disk << ", \"segments\": " << s.segments
              << ", \"partitions\": " << s.partitions << ", \"wal_bytes\": " << s.wal_bytes
              << ", \"head_points\": " << s.head_points << ", \"bytes_per_point\": "
              << (s.points ? static_cast<double>(s.bytes_on_disk) / static_cast<double>(s.points)
                           : 0.0)
              << "}\n";
  });
}

}  // namespace dc::app
