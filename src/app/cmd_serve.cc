// dualcarbon serve: the HTTP server on the embedded store.
#include <malloc.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "accounting/reference.h"
#include "acquire/configured.h"
#include "acquire/hj212_listener.h"
#include "app/commands.h"
#include "app/demo.h"
#include "common/input_file.h"
#include "common/strings.h"
#include "fmt/format.h"
#include "model/meter_events.h"
#include "model/site_store.h"
#include "server/config.h"
#include "server/params.h"
#include "server/server.h"
#include "server/tokens.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/spdlog.h"
#include "storage/store.h"

namespace dc::app {
namespace {

struct ServeFlags {
  std::string config;
  std::string data_dir;
  std::string listen;
  bool no_auth = false;
  std::string fsync;
  std::string retention;
  int threads = -1;
  std::string log_level;
  std::string reference;
  std::string web_dir;
  bool demo = false;
  DemoOptions demo_options;
};

[[noreturn]] void Fail(const absl::Status& s, int code = kExitFailure) {
  std::cerr << "dualcarbon serve: " << s.message() << "\n";
  throw CLI::RuntimeError(code);
}

// --demo without --data-dir: a new directory for this run.
std::string DemoDataDir() {
  std::string dir = (std::filesystem::temp_directory_path() / "dualcarbon-demo-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) {
    Fail(absl::InternalError(absl::StrCat("mkdtemp ", dir, ": ", std::strerror(errno))));
  }
  return dir;
}

// Defaults, then the config file, then the flags given on the command line.
server::ServeConfig BuildConfig(const ServeFlags& f) {
  server::ServeConfig cfg;
  if (!f.config.empty()) {
    absl::Status s = server::LoadConfigFile(f.config, &cfg);
    if (!s.ok()) Fail(s, kExitUsage);
  }
  if (!f.data_dir.empty()) cfg.data_dir = f.data_dir;
  if (!f.listen.empty()) cfg.http.listen = f.listen;
  if (f.no_auth) cfg.http.auth = false;
  if (!f.fsync.empty()) cfg.fsync = f.fsync;
  if (!f.retention.empty()) cfg.retention = f.retention;
  if (f.threads >= 0) cfg.http.threads = f.threads;
  if (!f.log_level.empty()) cfg.log_level = f.log_level;
  if (!f.reference.empty()) cfg.reference = f.reference;
  if (!f.web_dir.empty()) cfg.http.web_dir = f.web_dir;
  if (f.demo && cfg.data_dir.empty()) cfg.data_dir = DemoDataDir();
  if (cfg.data_dir.empty()) {
    Fail(absl::InvalidArgumentError("--data-dir (or data_dir in the config file) is required"),
         kExitUsage);
  }
  return cfg;
}

// The store after a clean close, left for the kernel to free (Serve, at the end).
Store* g_closed_store = nullptr;

// At first start (no token yet) an admin token is created and printed once.
std::unique_ptr<server::TokenStore> OpenTokens(const std::string& dir) {
  auto tokens = server::TokenStore::Open(dir);
  if (!tokens.ok()) Fail(tokens.status());
  if ((*tokens)->empty()) {
    auto token = (*tokens)->Create(server::Role::kAdmin, "initial admin", "");
    if (!token.ok()) Fail(token.status());
    std::cout << "admin token (shown once, keep it safe): " << *token << std::endl;
    spdlog::warn("no token existed: created an admin token (printed once on stdout)");
  }
  return std::move(*tokens);
}

std::unique_ptr<Demo> SetupDemo(Store& store, model::SiteStore* sites, const DemoOptions& opt) {
  if (sites == nullptr) Fail(absl::FailedPreconditionError("--demo needs the sites database"));
  auto demo = Demo::Setup(store, *sites, opt);
  if (!demo.ok()) Fail(demo.status());
  const BackfillStats& b = (*demo)->backfill();
  std::cout << "demo backfill: " << b.points << " points in " << fmt::format("{:.3f}", b.seconds)
            << " s" << ((*demo)->restarted() ? " (continuing the history already stored)" : "")
            << std::endl;
  return std::move(*demo);
}

// The demo's HJ 212 listener on a free loopback port: the CEMS station of demo-cement sends to it.
acquire::Hj212Listener* AddDemoListener(acquire::Sink& sink, acquire::SourceRegistry* registry) {
  acquire::Hj212ListenerOptions o;
  o.name = "demo-cems";
  o.address = "127.0.0.1";
  o.port = 0;
  o.stations[kDemoCemsMn] = {kDemoCemsPassword, kDemoCementId};
  o.zone = "Asia/Shanghai";
  auto listener = acquire::MakeHj212Listener(o, sink);
  acquire::Hj212Listener* borrowed = listener.get();
  registry->Add(std::move(listener));
  return borrowed;
}

void StartDemo(Demo& demo, const std::string& host, uint16_t port, server::TokenStore* tokens,
               int hj212_port) {
  std::string h = host.empty() || host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host;
  auto login = demo.StartLive(h, port, tokens, hj212_port);
  if (!login.ok()) Fail(login.status());
  std::string url =
      absl::StrCat("http://", h.find(':') != std::string::npos ? "[" + h + "]" : h, ":", port, "/");
  std::cout << "dashboard: " << url
            << "  login token: " << (login->empty() ? "(none: auth off)" : *login) << std::endl;
}

// The sources of the configuration file (none without one). An invalid source table stops the
// start with the error; a source that then fails to start is logged and the others run.
void AddSources(const std::string& config, const std::string& data_dir, acquire::Sink& sink,
                acquire::SourceRegistry* registry) {
  if (config.empty()) return;
  auto text =
      ReadInputFile(Env::Default(), config, "a configuration file", server::kMaxConfigBytes);
  if (!text.ok()) Fail(text.status(), kExitUsage);
  toml::table root;
  try {
    root = toml::parse(*text, config);
  } catch (const toml::parse_error& e) {  // LoadConfigFile has already read it; not expected
    Fail(absl::InvalidArgumentError(absl::StrCat(config, ": ", AV(e.description()))), kExitUsage);
  }
  if (absl::Status s = acquire::AddConfiguredSources(root, data_dir, sink, registry); !s.ok()) {
    Fail(absl::InvalidArgumentError(absl::StrCat(config, ": ", s.message())), kExitUsage);
  }
}

void Serve(const ServeFlags& flags) {
  // Buffers of 1 MiB or more (query answers, series listings) come from mmap and go back to
  // the system when freed. glibc would otherwise raise this threshold after the first such
  // buffer is freed and keep the later ones in its heap: a listing of a million series left
  // the server 38 MiB larger (docs/benchmarks.md, "A million series").
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  server::ServeConfig cfg = BuildConfig(flags);
  spdlog::set_default_logger(spdlog::stderr_color_mt("dualcarbon"));
  spdlog::set_level(spdlog::level::from_str(cfg.log_level));

  auto addr = server::ParseListen(cfg.http.listen);
  if (!addr.ok()) Fail(addr.status(), kExitUsage);
  if (!cfg.http.auth && !server::IsLoopback(addr->host)) {
    Fail(absl::FailedPreconditionError("--no-auth is refused unless --listen is a loopback address "
                                       "(127.0.0.1, ::1, localhost)"),
         kExitUsage);
  }
  StoreOptions so;
  so.dir = cfg.data_dir;
  auto fsync = ParseFsyncPolicy(cfg.fsync);
  if (!fsync.ok()) Fail(fsync.status(), kExitUsage);
  so.fsync = *fsync;
  auto retention = server::ParseDurationNs(cfg.retention);
  if (!retention.ok()) Fail(retention.status(), kExitUsage);
  so.retention_ns = *retention;
  so.compaction_bytes_per_sec = cfg.compaction_mb_per_s << 20;

  std::unique_ptr<server::TokenStore> tokens;
  if (cfg.http.auth) tokens = OpenTokens(cfg.data_dir);
  auto store = Store::Open(so);
  if (!store.ok()) Fail(store.status());
  if (std::string r = (*store)->recovery_report(); !r.empty()) spdlog::warn("recovery: {}", r);

  // Sites and the reference library: the server starts without them; the site routes then
  // answer 503 saying why.
  server::SitesOptions sites;
  sites.data_description = "store " + cfg.data_dir;
  std::unique_ptr<model::SiteStore> site_store;
  if (auto ss = model::SiteStore::Open(cfg.data_dir + "/sites.db"); ss.ok()) {
    site_store = std::move(*ss);
    sites.sites = site_store.get();
  } else {
    sites.sites_error = std::string(ss.status().message());
    spdlog::error("sites database: {}", sites.sites_error);
  }
  model::MeterEvents meter_events(Env::Default(), cfg.data_dir);
  sites.meter_events = &meter_events;
  std::optional<accounting::Reference> reference;
  std::string ref_dir =
      cfg.reference.empty() ? accounting::Reference::DefaultDir("dualcarbon") : cfg.reference;
  if (auto ref = accounting::Reference::Load(ref_dir); ref.ok()) {
    reference = std::move(*ref);
    sites.reference = &*reference;
    spdlog::info("reference library {} from {}", reference->version(), ref_dir);
  } else {
    sites.reference_error = std::string(ref.status().message());
    spdlog::warn("reference library not loaded, site inventories answer 503: {}",
                 sites.reference_error);
  }

  std::unique_ptr<Demo> demo;
  if (flags.demo) demo = SetupDemo(**store, site_store.get(), flags.demo_options);

  acquire::StoreSink sink(**store);
  acquire::SourceRegistry sources;
  AddSources(flags.config, cfg.data_dir, sink, &sources);
  acquire::Hj212Listener* demo_listener = demo ? AddDemoListener(sink, &sources) : nullptr;
  cfg.http.sources = &sources;

  auto srv = server::Server::Start(**store, tokens.get(), cfg.http, std::move(sites));
  if (!srv.ok()) Fail(srv.status());
  spdlog::info("serving {} on http://{} (auth {}, fsync {})", cfg.data_dir, (*srv)->address(),
               cfg.http.auth ? "on" : "OFF", cfg.fsync);
  std::cout << "listening on http://" << (*srv)->address() << std::endl;
  sink.OnWritten([server = srv->get()](const PointBatch& b) { server->Publish(b); });
  for (const absl::Status& e : sources.StartAll()) spdlog::error("{}", SV(e.message()));
  if (demo) {
    int hj212_port = demo_listener->port();
    spdlog::info("demo CEMS: HJ 212 listener on 127.0.0.1:{}", hj212_port);
    StartDemo(*demo, addr->host, (*srv)->port(), tokens.get(), hj212_port);
  }
  if (auto n = sources.States().size(); n > 0) spdlog::info("{} acquisition source(s)", n);
  absl::Status s = (*srv)->Wait();
  if (demo) demo->StopLive();
  sources.StopAll();  // before the final flush: nothing writes after it
  srv->reset();
  // Close (a flush, or for a large head a WAL fsync), checked here: its failure must make the
  // exit status say so (the store's destructor could only print it).
  if (s.ok()) s = (*store)->Close();
  if (s.ok()) {
    // Closed: flushed, or its head in the fsynced WAL. Freeing a large head's millions of
    // allocations would only delay the exit (half of SIGTERM's time at 1 M series), so the
    // memory is left to the kernel; the pointer stays reachable, so leak checkers stay quiet.
    g_closed_store = store->release();
  }
  store->reset();
  if (!s.ok()) Fail(s);
  spdlog::info("stopped cleanly");
}

}  // namespace

void RegisterServe(CLI::App& app) {
  auto flags = std::make_shared<ServeFlags>();
  auto* cmd =
      app.add_subcommand("serve", "Run the HTTP server (InfluxDB-compatible write, query API)");
  cmd->add_option("--config", flags->config, "TOML config file (see dualcarbon.example.toml)");
  cmd->add_option("--data-dir", flags->data_dir, "data directory (store, tokens)");
  cmd->add_option("--listen", flags->listen, "HOST:PORT to listen on (default 127.0.0.1:8086)");
  cmd->add_flag("--no-auth", flags->no_auth, "no tokens required (loopback addresses only)");
  cmd->add_option("--fsync", flags->fsync, "WAL fsync policy: always | interval:MS | off");
  cmd->add_option("--retention", flags->retention,
                  "drop data older than this (30d, 52w; 0 = keep)");
  cmd->add_option("--threads", flags->threads, "worker threads (0 = 2 x hardware concurrency)");
  cmd->add_option("--log-level", flags->log_level, "trace | debug | info | warn | error | off");
  cmd->add_option("--reference", flags->reference,
                  "Reference library directory (default: $DC_REFERENCE_DIR or the installed "
                  "reference/)");
  cmd->add_option("--web-dir", flags->web_dir,
                  "dashboard files (default: $DC_WEB_DIR or web/dist beside the binary)");
  cmd->add_flag("--demo", flags->demo,
                "demo plants: 90 days of history, then live data (a new data dir unless given)");
  cmd->add_option("--demo-seed", flags->demo_options.seed, "seed of the demo's data (default 1)");
  cmd->add_option("--demo-datasets", flags->demo_options.datasets_dir,
                  "folder holding uci-steel-industry/ (default: the repository's datasets/)");
  cmd->callback([flags] { Serve(*flags); });
}

}  // namespace dc::app
