// The DL/T 645 byte streams: a serial port through termios, or TCP to a transparent
// serial-to-TCP server. RAII over the file descriptor; poll() for every timeout.
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "acquire/dlt645_source.h"

namespace dc::acquire {
namespace {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  void Reset(int fd = -1) {
    if (fd_ >= 0) close(fd_);
    fd_ = fd;
  }
  int get() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }

 private:
  int fd_ = -1;
};

int64_t MonoNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

int PollMs(int64_t ns) {
  return static_cast<int>(std::min<int64_t>((ns + 999'999) / 1'000'000, 60'000));
}

// Waits up to `timeout_ns` for `events` on `fd`: 1 ready, 0 timeout, -1 error (errno).
int Wait(int fd, short events, int64_t timeout_ns) {
  const int64_t deadline = MonoNanos() + timeout_ns;
  for (;;) {
    pollfd p{fd, events, 0};
    const int64_t left = deadline - MonoNanos();
    const int rc = poll(&p, 1, left > 0 ? PollMs(left) : 0);
    if (rc < 0 && errno == EINTR) continue;
    if (rc > 0 && (p.revents & (POLLERR | POLLNVAL)) && !(p.revents & POLLIN)) {
      errno = EIO;
      return -1;
    }
    return rc;
  }
}

speed_t Speed(int baud) {
  switch (baud) {
    case 300:
      return B300;
    case 600:
      return B600;
    case 1200:
      return B1200;
    case 2400:
      return B2400;
    case 4800:
      return B4800;
    case 9600:
      return B9600;
    case 19200:
      return B19200;
    case 38400:
      return B38400;
    case 57600:
      return B57600;
    case 115200:
      return B115200;
  }
  return B0;
}

class StreamTransport : public Dlt645Transport {
 public:
  explicit StreamTransport(Dlt645Options o) : o_(std::move(o)) {}
  void Close() override { fd_.Reset(); }
  bool IsOpen() const override { return fd_.get() >= 0; }
  void Discard() override {
    if (!IsOpen()) return;
    char buf[256];
    while (read(fd_.get(), buf, sizeof buf) > 0) {
    }
  }
  absl::Status Write(std::string_view bytes) override {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = write(fd_.get(), bytes.data() + done, bytes.size() - done);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno != EAGAIN) return absl::UnavailableError(strerror(errno));
      if (Wait(fd_.get(), POLLOUT, o_.timeout_ns) <= 0) {
        return absl::UnavailableError("cannot send (output blocked)");
      }
    }
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> Read(int64_t timeout_ns) override {
    const int rc = Wait(fd_.get(), POLLIN, timeout_ns);
    if (rc < 0) return absl::UnavailableError(strerror(errno));
    if (rc == 0) return std::string();
    char buf[512];
    const ssize_t n = read(fd_.get(), buf, sizeof buf);
    if (n == 0) return absl::UnavailableError("closed by the peer");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return std::string();
      return absl::UnavailableError(strerror(errno));
    }
    return std::string(buf, static_cast<size_t>(n));
  }

 protected:
  const Dlt645Options o_;
  Fd fd_;
};

class SerialTransport final : public StreamTransport {
 public:
  using StreamTransport::StreamTransport;
  std::string Describe() const override { return o_.serial; }
  absl::Status Open(int64_t) override {
    Fd fd(open(o_.serial.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC));
    if (fd.get() < 0) {
      return absl::UnavailableError(absl::StrCat("cannot open ", o_.serial, ": ", strerror(errno)));
    }
    termios t{};
    if (tcgetattr(fd.get(), &t) != 0) {
      return absl::UnavailableError(
          absl::StrCat(o_.serial, " is not a serial port: ", strerror(errno)));
    }
    cfmakeraw(&t);
    t.c_cflag &= ~static_cast<tcflag_t>(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag |= o_.data_bits == 5 ? CS5 : o_.data_bits == 6 ? CS6 : o_.data_bits == 7 ? CS7 : CS8;
    if (o_.parity != 'N') t.c_cflag |= PARENB;
    if (o_.parity == 'O') t.c_cflag |= PARODD;
    if (o_.stop_bits == 2) t.c_cflag |= CSTOPB;
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    cfsetispeed(&t, Speed(o_.baud));
    cfsetospeed(&t, Speed(o_.baud));
    if (tcsetattr(fd.get(), TCSANOW, &t) != 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot configure ", o_.serial, ": ", strerror(errno)));
    }
    tcflush(fd.get(), TCIOFLUSH);
    fd_.Reset(fd.Release());
    return absl::OkStatus();
  }
};

class TcpTransport final : public StreamTransport {
 public:
  using StreamTransport::StreamTransport;
  std::string Describe() const override { return absl::StrCat(o_.host, ":", o_.port); }
  absl::Status Open(int64_t timeout_ns) override {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const std::string port = absl::StrCat(o_.port);
    if (int e = getaddrinfo(o_.host.c_str(), port.c_str(), &hints, &res); e != 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot resolve ", Describe(), ": ", gai_strerror(e)));
    }
    std::string why = "no address";
    for (addrinfo* a = res; a != nullptr; a = a->ai_next) {
      Fd fd(socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
      if (fd.get() < 0) continue;
      if (connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
        why = strerror(errno);
        continue;
      }
      if (Wait(fd.get(), POLLOUT, timeout_ns) <= 0) {
        why = "connect timed out";
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        why = strerror(err);
        continue;
      }
      freeaddrinfo(res);
      fd_.Reset(fd.Release());
      return absl::OkStatus();
    }
    freeaddrinfo(res);
    return absl::UnavailableError(absl::StrCat("cannot connect to ", Describe(), ": ", why));
  }
};

}  // namespace

std::unique_ptr<Dlt645Transport> MakeDlt645Transport(const Dlt645Options& o) {
  if (!o.host.empty()) return std::make_unique<TcpTransport>(o);
  return std::make_unique<SerialTransport>(o);
}

}  // namespace dc::acquire
