#include "acquire/mqtt_transport.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dc::acquire {
namespace {

std::string Errno() { return std::strerror(errno); }

std::string SslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// Owns a socket fd.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_;
};

bool WaitFd(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  int rc;
  do {
    rc = ::poll(&p, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0;
}

// Non-blocking connect with a timeout, then back to blocking mode.
absl::Status ConnectWithin(int fd, const addrinfo* ai, int timeout_ms) {
  int flags = ::fcntl(fd, F_GETFL);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int rc = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
  if (rc < 0 && errno != EINPROGRESS) return absl::UnavailableError(Errno());
  if (rc < 0) {
    if (!WaitFd(fd, POLLOUT, timeout_ms)) return absl::DeadlineExceededError("timed out");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return absl::UnavailableError(std::strerror(err));
  }
  ::fcntl(fd, F_SETFL, flags);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  int buf = 4 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
  return absl::OkStatus();
}

absl::StatusOr<int> TcpConnect(const std::string& host, int port, int timeout_ms) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string where = absl::StrCat(host, ":", port);
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("resolving ", where, ": ", gai_strerror(rc)));
  }
  absl::Status last = absl::UnavailableError("no address");
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    last = ConnectWithin(fd, ai, timeout_ms);
    if (last.ok()) {
      ::freeaddrinfo(res);
      return fd;
    }
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return absl::UnavailableError(absl::StrCat("connecting to ", where, ": ", last.message()));
}

class TcpTransport final : public MqttTransport {
 public:
  explicit TcpTransport(int fd) : fd_(fd) {}
  absl::Status WriteAll(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return absl::UnavailableError(absl::StrCat("sending to the broker: ", Errno()));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> Read(char* buf, size_t cap, int timeout_ms) override {
    if (!WaitFd(fd_.get(), POLLIN, timeout_ms)) return 0;
    ssize_t n;
    do {
      n = ::recv(fd_.get(), buf, cap, 0);
    } while (n < 0 && errno == EINTR);
    if (n == 0) return absl::UnavailableError("the broker closed the connection");
    if (n < 0) return absl::UnavailableError(absl::StrCat("reading from the broker: ", Errno()));
    return static_cast<size_t>(n);
  }

 private:
  Fd fd_;
};

struct SslDeleter {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  void operator()(SSL* s) const { SSL_free(s); }
};

class TlsTransport final : public MqttTransport {
 public:
  TlsTransport(int fd, std::unique_ptr<SSL_CTX, SslDeleter> ctx,
               std::unique_ptr<SSL, SslDeleter> ssl)
      : fd_(fd), ctx_(std::move(ctx)), ssl_(std::move(ssl)) {}
  ~TlsTransport() override { SSL_shutdown(ssl_.get()); }
  absl::Status WriteAll(std::string_view data) override {
    while (!data.empty()) {
      int n = SSL_write(ssl_.get(), data.data(), static_cast<int>(data.size()));
      if (n <= 0) return absl::UnavailableError(absl::StrCat("TLS write: ", SslError()));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }
  absl::StatusOr<size_t> Read(char* buf, size_t cap, int timeout_ms) override {
    if (SSL_pending(ssl_.get()) == 0 && !WaitFd(fd_.get(), POLLIN, timeout_ms)) return 0;
    int n = SSL_read(ssl_.get(), buf, static_cast<int>(cap));
    if (n > 0) return static_cast<size_t>(n);
    int err = SSL_get_error(ssl_.get(), n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return 0;
    if (err == SSL_ERROR_ZERO_RETURN) return absl::UnavailableError("the broker closed TLS");
    return absl::UnavailableError(absl::StrCat("TLS read: ", SslError()));
  }

 private:
  Fd fd_;
  std::unique_ptr<SSL_CTX, SslDeleter> ctx_;
  std::unique_ptr<SSL, SslDeleter> ssl_;
};

absl::StatusOr<std::unique_ptr<SSL_CTX, SslDeleter>> MakeContext(const MqttTlsOptions& tls) {
  std::unique_ptr<SSL_CTX, SslDeleter> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return absl::InternalError(SslError());
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  int ok = tls.ca_file.empty()
               ? SSL_CTX_set_default_verify_paths(ctx.get())
               : SSL_CTX_load_verify_locations(ctx.get(), tls.ca_file.c_str(), nullptr);
  if (ok != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("tls ca_file '", tls.ca_file, "': ", SslError()));
  }
  if (!tls.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx.get(), tls.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx.get(), tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "tls cert_file '", tls.cert_file, "' / key_file '", tls.key_file, "': ", SslError()));
    }
  }
  return ctx;
}

absl::StatusOr<std::unique_ptr<MqttTransport>> TlsHandshake(int fd, const std::string& host,
                                                            const MqttTlsOptions& tls,
                                                            int timeout_ms) {
  Fd guard(fd);
  auto ctx = MakeContext(tls);
  if (!ctx.ok()) return ctx.status();
  std::unique_ptr<SSL, SslDeleter> ssl(SSL_new(ctx->get()));
  SSL_set_fd(ssl.get(), fd);
  SSL_set_tlsext_host_name(ssl.get(), host.c_str());
  if (tls.verify_hostname) SSL_set1_host(ssl.get(), host.c_str());
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (SSL_connect(ssl.get()) != 1) {
    std::string why = SslError();
    long v = SSL_get_verify_result(ssl.get());
    if (v != X509_V_OK) why = X509_verify_cert_error_string(v);
    return absl::UnavailableError(absl::StrCat("TLS handshake with ", host, ": ", why));
  }
  timeval zero{0, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &zero, sizeof zero);
  return std::unique_ptr<MqttTransport>(
      std::make_unique<TlsTransport>(guard.release(), std::move(*ctx), std::move(ssl)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<MqttTransport>> ConnectMqttTransport(const std::string& host,
                                                                    int port,
                                                                    const MqttTlsOptions& tls,
                                                                    int timeout_ms) {
  auto fd = TcpConnect(host, port, timeout_ms);
  if (!fd.ok()) return fd.status();
  if (!tls.enabled) return std::unique_ptr<MqttTransport>(std::make_unique<TcpTransport>(*fd));
  return TlsHandshake(*fd, host, tls, timeout_ms);
}

}  // namespace dc::acquire
