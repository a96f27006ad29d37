// The HTTP server: start here. Server::Start binds, starts the worker threads and serves the
// routes of api.h (documented in docs/api.md) until Stop() or SIGTERM/SIGINT; Wait() drains
// in-flight requests and makes every acknowledged write durable (Store::Sync).
#ifndef DC_SERVER_SERVER_H_
#define DC_SERVER_SERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "acquire/source.h"
#include "server/sites_api.h"
#include "server/tokens.h"
#include "storage/store.h"

namespace dc::server {

struct ServerOptions {
  std::string listen = "127.0.0.1:8086";        // HOST:PORT, [v6]:PORT; port 0 = any free port
  bool auth = true;                             // false only on loopback (checked by Start)
  int threads = 0;                              // worker threads; 0 = 2 x hardware concurrency
  size_t max_header_bytes = 16 << 10;           // larger headers get 431
  size_t max_body_bytes = 64 << 20;             // larger bodies (also after gunzip) get 413
  int64_t request_timeout_ns = 30'000'000'000;  // header + body, from the request's first byte
  int64_t idle_timeout_ns = 120'000'000'000;    // keep-alive connection waiting for a request
  int64_t write_timeout_ns = 30'000'000'000;    // sending one response
  int64_t shutdown_grace_ns = 10'000'000'000;   // in-flight requests get this long at shutdown
  bool handle_signals = true;                   // SIGTERM/SIGINT call Stop()
  std::string web_dir;  // the dashboard's files ("" = DefaultWebDir(), static_files.h)
  // The acquisition sources shown by /api/v1/sources, /health and /metrics (borrowed; nullptr
  // = none).
  const acquire::SourceRegistry* sources = nullptr;
};

struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
// "127.0.0.1:8086", "[::1]:8086", "localhost:8086", ":8086" (all interfaces).
absl::StatusOr<ListenAddress> ParseListen(std::string_view text);
// 127.0.0.0/8, ::1, localhost.
bool IsLoopback(std::string_view host);

class Server {
 public:
  // Binds options.listen and starts serving. `store` and `tokens` (nullptr iff !options.auth)
  // are borrowed and must outlive the Server, as must what `sites` points to (the site routes
  // answer 503 for what it lacks).
  static absl::StatusOr<std::unique_ptr<Server>> Start(Store& store, TokenStore* tokens,
                                                       const ServerOptions& options,
                                                       SitesOptions sites = {});
  ~Server();  // Stop() and Wait()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound address, e.g. "127.0.0.1:43117".
  std::string address() const;
  uint16_t port() const;

  // Begins a graceful shutdown: stops accepting, closes idle connections, lets in-flight
  // requests finish. Thread-safe, idempotent.
  void Stop();
  // Blocks until Stop() (or a signal), drains connections (at most shutdown_grace), joins the
  // threads and syncs the store. Returns the result of Store::Sync(). Call once.
  absl::Status Wait();

  // Offers points that reached the store by another path than this server's write routes (the
  // acquisition sources) to the live streams (GET /api/v1/stream). Thread-safe, cheap with no
  // stream open.
  void Publish(const PointBatch& batch);

  class Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace dc::server

#endif  // DC_SERVER_SERVER_H_
