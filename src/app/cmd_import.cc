// dualcarbon import: loads InfluxDB line-protocol files into the embedded store.
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/commands.h"
#include "app/store_flags.h"
#include "common/env.h"
#include "ingest/line_protocol.h"

namespace dc::app {
namespace {

struct ImportFlags {
  StoreFlags store;
  std::string format = "lp";
  std::string precision = "ns";
  std::vector<std::string> files;
};

// OK when `path` names a readable regular file (streamed later, so not read here).
absl::Status CheckInputFile(const std::string& path) {
  Env* env = Env::Default();
  if (path.empty()) return absl::InvalidArgumentError("FILE: empty file name");
  if (!env->FileExists(path)) return absl::NotFoundError(path + ": no such file");
  if (env->GetChildren(path).ok()) {
    return absl::InvalidArgumentError(path + ": is a directory, expected a line-protocol file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::PermissionDeniedError(path + ": cannot open for reading");
  return absl::OkStatus();
}

// Parses and writes one file in chunks of whole lines; returns points written.
size_t ImportFile(Store* store, const std::string& path, const LpOptions& lp, size_t* bad_lines) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Fail("import", absl::NotFoundError(path + ": cannot open"));
  constexpr size_t kChunk = 8 << 20;
  std::string buf, carry;
  size_t points = 0, line_base = 0;
  PointBatch batch;
  while (true) {
    buf.assign(carry);
    carry.clear();
    size_t old = buf.size();
    buf.resize(old + kChunk);
    in.read(buf.data() + old, static_cast<std::streamsize>(kChunk));
    buf.resize(old + static_cast<size_t>(in.gcount()));
    if (in.bad()) Fail("import", absl::DataLossError(path + ": read error"));
    bool eof = in.gcount() == 0 || !in;
    if (!eof) {
      size_t nl = buf.rfind('\n');
      if (nl == std::string::npos) {
        carry.swap(buf);
        continue;
      }
      carry.assign(buf, nl + 1);
      buf.resize(nl + 1);
    }
    batch.Clear();
    LpResult r = ParseLineProtocol(buf, lp, &batch);
    for (const auto& e : r.errors) {
      std::cerr << path << ": line " << (line_base + e.line) << ", column " << e.column << ": "
                << e.message << "\n";
    }
    *bad_lines += r.error_count;
    line_base += static_cast<size_t>(std::count(buf.begin(), buf.end(), '\n'));
    absl::Status s = store->Write(batch);
    if (!s.ok()) Fail("import", absl::Status(s.code(), path + ": " + std::string(s.message())));
    points += batch.size();
    if (eof) break;
  }
  return points;
}

}  // namespace

void RegisterImport(CLI::App& app) {
  auto flags = std::make_shared<ImportFlags>();
  auto* cmd = app.add_subcommand("import", "load line-protocol files into the embedded store");
  flags->store.Add(cmd, false);
  cmd->add_option("--format", flags->format, "input format: lp (InfluxDB line protocol)")
      ->capture_default_str();
  cmd->add_option("--precision", flags->precision, "timestamp precision: ns, us, ms, s")
      ->capture_default_str();
  cmd->add_option("files", flags->files, "files to import")->required();
  cmd->callback([flags] {
    if (flags->format != "lp") {
      Fail(
          "import",
          absl::InvalidArgumentError("--format " + flags->format + ": unsupported (supported: lp)"),
          kExitUsage);
    }
    auto prec = ParsePrecision(flags->precision);
    if (!prec.ok()) Fail("import", prec.status(), kExitUsage);
    // Every file is checked before the store is opened (or created).
    for (const auto& f : flags->files) {
      if (auto s = CheckInputFile(f); !s.ok()) Fail("import", s);
    }
    auto store = flags->store.Open(false, /*create=*/true);
    if (!store.ok()) Fail("import", store.status());
    LpOptions lp;
    lp.precision = *prec;
    lp.default_time_ns = Env::Default()->NowNanos();
    size_t total = 0, bad = 0;
    for (const auto& f : flags->files) total += ImportFile(store->get(), f, lp, &bad);
    absl::Status s = (*store)->Flush();
    if (!s.ok()) Fail("import", s);
    std::cout << "imported " << total << " points from " << flags->files.size() << " file(s)";
    if (bad) std::cout << "; " << bad << " bad line(s) skipped";
    std::cout << "\n";
    if (bad) throw CLI::RuntimeError(kExitFailure);
  });
}

}  // namespace dc::app
