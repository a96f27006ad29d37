// Servers under test for the HTTP benchmarks: dualcarbon and its peers (influxd 1.6,
// clickhouse-server 18.16 from Debian), each started on a loopback port with a temporary
// directory and always stopped, plus a small blocking keep-alive HTTP client.
#ifndef DC_BENCH_PEERS_H_
#define DC_BENCH_PEERS_H_

#include <sys/types.h>

#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dc::bench {

// A child process, stopped (SIGTERM, then SIGKILL after `grace_s`) when destroyed. The child
// also gets SIGKILL if the benchmark dies (PR_SET_PDEATHSIG). Not thread-safe.
class ChildProcess {
 public:
  // Starts argv[0] (a path) with stdout and stderr appended to `log_path`.
  static absl::StatusOr<std::unique_ptr<ChildProcess>> Start(const std::vector<std::string>& argv,
                                                             const std::string& log_path);
  ~ChildProcess() { Stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Returns false (and the exit status in *how) once the process has ended.
  bool Running(std::string* how = nullptr);
  void Stop(double grace_s = 20);
  pid_t pid() const { return pid_; }

 private:
  explicit ChildProcess(pid_t pid) : pid_(pid) {}
  pid_t pid_;
  bool reaped_ = false;
};

// One keep-alive HTTP/1.1 connection to 127.0.0.1:port. Not thread-safe.
class HttpClient {
 public:
  struct Response {
    int status = 0;
    std::string body;
  };
  static absl::StatusOr<std::unique_ptr<HttpClient>> Connect(int port);
  ~HttpClient();

  // Sends `head` (request line and headers, ending with the blank line) then `body`, and reads
  // the response. The connection stays open for the next request.
  absl::StatusOr<Response> Send(std::string_view head, std::string_view body);
  absl::StatusOr<Response> Get(std::string_view target);
  absl::StatusOr<Response> Post(std::string_view target, std::string_view content_type,
                                std::string_view body);

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "POST /write HTTP/1.1\r\nHost: ...\r\nContent-Length: N\r\n...\r\n\r\n".
std::string RequestHead(std::string_view method, std::string_view target,
                        std::string_view content_type, size_t content_length);
std::string UrlEncode(std::string_view s);
// A loopback TCP port that was free a moment ago.
absl::StatusOr<int> FreePort();

// A server under test. Destroying it stops the process.
struct Server {
  std::string name;
  int port = 0;
  std::string dir;  // its temporary directory
  std::unique_ptr<ChildProcess> proc;
};

// Each starts the server in `dir` (created), waits until it answers its readiness probe
// (/health, /ping) and does the set-up the benchmark needs (database "bench"; table
// bench.points in ClickHouse). Errors carry the tail of the server's log.
absl::StatusOr<Server> StartDualcarbon(const std::string& binary, const std::string& dir,
                                       const std::string& fsync);
absl::StatusOr<Server> StartInfluxd(const std::string& binary, const std::string& dir);
absl::StatusOr<Server> StartClickHouse(const std::string& binary, const std::string& dir);

// ---- shared by the HTTP benchmarks ----------------------------------------------------------

// The executable `name` in the directory of this benchmark binary (build/bin/dualcarbon).
std::string SiblingBinary(std::string_view name);
// The first of `paths` that is executable, else the first.
std::string FirstExecutable(std::initializer_list<const char*> paths);
// The q-quantile (0..1, nearest rank) of `v`; 0 when empty.
double QuantileOf(std::vector<double> v, double q);

// POSTs bodies 0..count-1, made by `body(i)` on the sending thread (so none is held in memory
// longer than its request), to `target` over `connections` keep-alive connections in parallel.
// Every answer must have status `ok_status`; the first failure stops all and is returned.
absl::Status PostAll(int port, std::string_view target, std::string_view content_type, size_t count,
                     const std::function<std::string(size_t)>& body, int connections,
                     int ok_status);

// A scratch directory removed (with its contents) when destroyed, unless `keep`.
struct ScratchDir {
  std::string path;
  bool keep = false;
  // Creates `parent`/`prefix`-XXXXXX.
  static absl::StatusOr<ScratchDir> Make(const std::string& parent, const std::string& prefix);
  // An existing directory (kept by an earlier run); NotFoundError if it is not a directory.
  static absl::StatusOr<ScratchDir> At(const std::string& path);
  ScratchDir() = default;
  ScratchDir(ScratchDir&& o) noexcept : path(std::move(o.path)), keep(o.keep) { o.path.clear(); }
  ScratchDir& operator=(ScratchDir&&) = delete;
  ~ScratchDir();
};

}  // namespace dc::bench

#endif  // DC_BENCH_PEERS_H_
