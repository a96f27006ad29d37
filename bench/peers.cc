#include "peers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/strings.h"

namespace dc::bench {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;

constexpr int kIoTimeoutMs = 120'000;

absl::Status Errno(std::string_view what) {
  return absl::UnavailableError(absl::StrCat(AV(what), ": ", std::strerror(errno)));
}

// A blocking socket as a Beast SyncReadStream, with a poll() timeout on every read.
class FdStream {
 public:
  explicit FdStream(int fd) : fd_(fd) {}
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    auto buf = *boost::asio::buffer_sequence_begin(buffers);
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, kIoTimeoutMs);
    if (r == 0) {
      ec = boost::asio::error::timed_out;
      return 0;
    }
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
    if (n == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    if (n < 0) {
      ec = boost::system::error_code(errno, boost::system::system_category());
      return 0;
    }
    ec = {};
    return static_cast<size_t>(n);
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  int fd_;
};

std::string LogTail(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > 1500) s = "..." + s.substr(s.size() - 1500);
  return s;
}

absl::Status WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

// Polls GET `path` until it answers 2xx, the process ends or `timeout_s` passes.
absl::Status WaitReady(Server& s, std::string_view path, const std::string& log, double timeout_s) {
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  std::string last = "no answer";
  while (std::chrono::steady_clock::now() < deadline) {
    std::string how;
    if (!s.proc->Running(&how)) {
      return absl::UnavailableError(
          absl::StrCat(s.name, " exited during start-up (", how, "); log:\n", LogTail(log)));
    }
    auto c = HttpClient::Connect(s.port);
    if (c.ok()) {
      auto r = (*c)->Get(path);
      if (r.ok() && r->status / 100 == 2) return absl::OkStatus();
      last = r.ok() ? absl::StrCat("HTTP ", r->status, " ", r->body) : r.status().ToString();
    } else {
      last = c.status().ToString();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // start-up times are measured
  }
  return absl::DeadlineExceededError(absl::StrCat(s.name, " not ready on port ", s.port, " after ",
                                                  timeout_s, " s (", last, "); log:\n",
                                                  LogTail(log)));
}

absl::Status Expect2xx(const absl::StatusOr<HttpClient::Response>& r, std::string_view what) {
  if (!r.ok()) return r.status();
  if (r->status / 100 != 2) {
    return absl::InternalError(absl::StrCat(AV(what), ": HTTP ", r->status, " ", r->body));
  }
  return absl::OkStatus();
}

absl::StatusOr<Server> Launch(std::string name, const std::vector<std::string>& argv,
                              const std::string& dir, int port, std::string_view ready_path) {
  Server s;
  s.name = std::move(name);
  s.port = port;
  s.dir = dir;
  std::string log = dir + "/server.log";
  auto proc = ChildProcess::Start(argv, log);
  if (!proc.ok()) return proc.status();
  s.proc = std::move(*proc);
  absl::Status ready = WaitReady(s, ready_path, log, 90);
  if (!ready.ok()) return ready;  // s (and the process) is stopped on return
  return s;
}

}  // namespace

// ---- ChildProcess ----------------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::string& log_path) {
  if (argv.empty()) return absl::InvalidArgumentError("empty argv");
  if (::access(argv[0].c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat(argv[0], ": not executable: ", std::strerror(errno)));
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) return Errno(log_path);
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    if (devnull >= 0) ::close(devnull);
    return Errno("fork");
  }
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl
    ::dup2(log, 1);
    ::dup2(log, 2);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execv(args[0], args.data());
    const char msg[] = "exec failed\n";
    ssize_t ignored = ::write(2, msg, sizeof msg - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::close(log);
  if (devnull >= 0) ::close(devnull);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid));
}

bool ChildProcess::Running(std::string* how) {
  if (reaped_) return false;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == 0) return true;
  reaped_ = true;
  if (how != nullptr) {
    *how = WIFEXITED(status)     ? absl::StrCat("exit code ", WEXITSTATUS(status))
           : WIFSIGNALED(status) ? absl::StrCat("signal ", WTERMSIG(status))
                                 : "ended";
  }
  return false;
}

void ChildProcess::Stop(double grace_s) {
  if (!Running()) return;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(grace_s * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    if (!Running()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  int status;
  ::waitpid(pid_, &status, 0);
  reaped_ = true;
}

// ---- HttpClient ------------------------------------------------------------------------------

struct HttpClient::Impl {
  int fd = -1;
  int port = 0;
  boost::beast::flat_buffer buffer;
  ~Impl() {
    if (fd >= 0) ::close(fd);
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

absl::StatusOr<std::unique_ptr<HttpClient>> HttpClient::Connect(int port) {
  auto impl = std::make_unique<Impl>();
  impl->port = port;
  impl->fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (impl->fd < 0) return Errno("socket");
  int one = 1;
  ::setsockopt(impl->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(impl->fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return Errno(absl::StrCat("connect 127.0.0.1:", port));
  }
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

absl::StatusOr<HttpClient::Response> HttpClient::Send(std::string_view head,
                                                      std::string_view body) {
  int fd = impl_->fd;
  for (std::string_view part : {head, body}) {
    while (!part.empty()) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, kIoTimeoutMs) == 0) return absl::DeadlineExceededError("send timed out");
      ssize_t n = ::send(fd, part.data(), part.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return Errno("send");
      }
      part.remove_prefix(static_cast<size_t>(n));
    }
  }
  FdStream stream(fd);
  http::response_parser<http::string_body> parser;
  parser.body_limit(size_t{256} << 20);
  boost::system::error_code ec;
  http::read(stream, impl_->buffer, parser, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("reading the response: ", ec.message()));
  Response r;
  r.status = static_cast<int>(parser.get().result_int());
  r.body = std::move(parser.get().body());
  return r;
}

absl::StatusOr<HttpClient::Response> HttpClient::Get(std::string_view target) {
  return Send(RequestHead("GET", target, "", 0), "");
}

absl::StatusOr<HttpClient::Response> HttpClient::Post(std::string_view target,
                                                      std::string_view content_type,
                                                      std::string_view body) {
  return Send(RequestHead("POST", target, content_type, body.size()), body);
}

std::string RequestHead(std::string_view method, std::string_view target,
                        std::string_view content_type, size_t content_length) {
  std::string h = absl::StrCat(AV(method), " ", AV(target), " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (!content_type.empty()) absl::StrAppend(&h, "Content-Type: ", AV(content_type), "\r\n");
  if (method != "GET" || content_length > 0) {
    absl::StrAppend(&h, "Content-Length: ", content_length, "\r\n");
  }
  h += "\r\n";
  return h;
}

std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

absl::StatusOr<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    return Errno("bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// ---- the servers -----------------------------------------------------------------------------

absl::StatusOr<Server> StartDualcarbon(const std::string& binary, const std::string& dir,
                                       const std::string& fsync) {
  fs::create_directories(dir);
  auto port = FreePort();
  if (!port.ok()) return port.status();
  return Launch("dualcarbon",
                {binary, "serve", "--data-dir", dir + "/data", "--listen",
                 absl::StrCat("127.0.0.1:", *port), "--no-auth", "--fsync", fsync},
                dir, *port, "/health");
}

absl::StatusOr<Server> StartInfluxd(const std::string& binary, const std::string& dir) {
  fs::create_directories(dir);
  auto port = FreePort();
  auto rpc = FreePort();
  if (!port.ok()) return port.status();
  if (!rpc.ok()) return rpc.status();
  std::string cfg = absl::StrCat(R"(reporting-disabled = true
bind-address = "127.0.0.1:)",
                                 *rpc, R"("
[meta]
  dir = ")",
                                 dir, R"(/meta"
[data]
  dir = ")",
                                 dir, R"(/data"
  wal-dir = ")",
                                 dir, R"(/wal"
  wal-fsync-delay = "100ms"
  query-log-enabled = false
  cache-max-memory-size = "4g"
[retention]
  enabled = false
[shard-precreation]
  enabled = false
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:)",
                                 *port, R"("
  auth-enabled = false
  log-enabled = false
  max-body-size = 0
[logging]
  level = "warn"
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
)");
  std::string path = dir + "/influxdb.conf";
  if (auto st = WriteFile(path, cfg); !st.ok()) return st;
  auto s = Launch("influxdb", {binary, "run", "-config", path}, dir, *port, "/ping");
  if (!s.ok()) return s.status();
  auto c = HttpClient::Connect(s->port);
  if (!c.ok()) return c.status();
  auto st = Expect2xx((*c)->Post("/query?q=CREATE%20DATABASE%20bench", "", ""), "CREATE DATABASE");
  if (!st.ok()) return st;
  return s;
}

absl::StatusOr<Server> StartClickHouse(const std::string& binary, const std::string& dir) {
  fs::create_directories(dir + "/log");
  auto port = FreePort();
  auto tcp = FreePort();
  if (!port.ok()) return port.status();
  if (!tcp.ok()) return tcp.status();
  std::string cfg = absl::StrCat(R"(<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>)",
                                 dir, R"(/log/clickhouse-server.log</log>
    <errorlog>)",
                                 dir, R"(/log/clickhouse-server.err.log</errorlog>
    <size>100M</size>
    <count>1</count>
  </logger>
  <http_port>)",
                                 *port, R"(</http_port>
  <tcp_port>)",
                                 *tcp, R"(</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <keep_alive_timeout>60</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mark_cache_size>1073741824</mark_cache_size>
  <path>)",
                                 dir, R"(/data/</path>
  <tmp_path>)",
                                 dir, R"(/tmp/</tmp_path>
  <user_files_path>)",
                                 dir, R"(/user_files/</user_files_path>
  <format_schema_path>)",
                                 dir, R"(/format_schemas/</format_schema_path>
  <users_config>)",
                                 dir, R"(/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mlock_executable>false</mlock_executable>
</yandex>
)");
  std::string users = R"(<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>10000000000</max_memory_usage></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
)";
  std::string path = dir + "/config.xml";
  if (auto st = WriteFile(path, cfg); !st.ok()) return st;
  if (auto st = WriteFile(dir + "/users.xml", users); !st.ok()) return st;
  auto s = Launch("clickhouse", {binary, "--config-file=" + path}, dir, *port, "/ping");
  if (!s.ok()) return s.status();
  auto c = HttpClient::Connect(s->port);
  if (!c.ok()) return c.status();
  for (const char* q : {"CREATE DATABASE bench",
                        "CREATE TABLE bench.points (series String, t UInt64, value Float64) "
                        "ENGINE = MergeTree() PARTITION BY intDiv(t, 86400000000000) "
                        "ORDER BY (series, t)"}) {
    auto st = Expect2xx((*c)->Post("/", "text/plain", q), q);
    if (!st.ok()) return st;
  }
  return s;
}

// ---- shared by the HTTP benchmarks ----------------------------------------------------------

std::string SiblingBinary(std::string_view name) {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return std::string(name);
  buf[n] = 0;
  return (fs::path(buf).parent_path() / std::string(name)).string();
}

std::string FirstExecutable(std::initializer_list<const char*> paths) {
  for (const char* p : paths) {
    if (::access(p, X_OK) == 0) return p;
  }
  return *paths.begin();
}

double QuantileOf(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

absl::Status PostAll(int port, std::string_view target, std::string_view content_type, size_t count,
                     const std::function<std::string(size_t)>& body, int connections,
                     int ok_status) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  absl::Status first = absl::OkStatus();
  auto fail = [&](absl::Status s) {
    std::lock_guard<std::mutex> l(mu);
    if (first.ok()) first = std::move(s);
    failed = true;
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < connections; ++w) {
    threads.emplace_back([&] {
      auto c = HttpClient::Connect(port);
      if (!c.ok()) return fail(c.status());
      while (!failed.load()) {
        size_t i = next.fetch_add(1);
        if (i >= count) return;
        std::string b = body(i);
        auto r = (*c)->Post(target, content_type, b);
        if (!r.ok()) return fail(r.status());
        if (r->status != ok_status) {
          return fail(absl::InternalError(
              absl::StrCat("request ", i, ": HTTP ", r->status, " ", r->body.substr(0, 500))));
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  return first;
}

absl::StatusOr<ScratchDir> ScratchDir::Make(const std::string& parent, const std::string& prefix) {
  std::error_code ec;
  fs::create_directories(parent, ec);
  std::string tmpl = absl::StrCat(parent, "/", prefix, "-XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) return Errno(absl::StrCat("mkdtemp ", tmpl));
  ScratchDir d;
  d.path = tmpl;
  return d;
}

absl::StatusOr<ScratchDir> ScratchDir::At(const std::string& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return absl::NotFoundError(path + " is not a directory");
  ScratchDir d;
  d.path = path;
  d.keep = true;
  return d;
}

ScratchDir::~ScratchDir() {
  if (!keep && !path.empty()) {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
}

}  // namespace dc::bench
