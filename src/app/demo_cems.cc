#include "app/demo_cems.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/env.h"
#include "fmt/format.h"
#include "ingest/hj212.h"
#include "spdlog/spdlog.h"

namespace dc::app {
namespace {

constexpr int64_t kMin = 60'000'000'000;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kShanghaiOffset = 8 * kHour;

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

const absl::TimeZone& Shanghai() {
  static const absl::TimeZone* zone = [] {
    auto* z = new absl::TimeZone;
    if (!absl::LoadTimeZone("Asia/Shanghai", z)) *z = absl::FixedTimeZone(8 * 3600);
    return z;
  }();
  return *zone;
}

std::string Stamp(int64_t t, const char* format) {
  return absl::FormatTime(format, absl::FromUnixNanos(t), Shanghai());
}

std::string Header(int cn, int64_t t) {
  return absl::StrCat("QN=", Stamp(t, "%Y%m%d%H%M%S"), fmt::format("{:03d}", cn % 1000),
                      ";ST=31;CN=", cn, ";PW=", kDemoCemsPassword, ";MN=", kDemoCemsMn,
                      ";Flag=5;CP=&&DataTime=", Stamp(t, "%Y%m%d%H%M%S"));
}

double Normalised(double c, double o2) { return c * (21 - kDemoCemsRefO2) / (21 - o2); }

struct Stat {
  double sum = 0, min = 1e300, max = -1e300;
  void Add(double v) {
    sum += v;
    min = std::min(min, v);
    max = std::max(max, v);
  }
};

std::string F(double v, int digits) { return fmt::format("{:.{}f}", v, digits); }

}  // namespace

DemoPlant::Cems DemoPlant::CemsAt(int64_t t) const {
  const int64_t local = t + kShanghaiOffset;
  const double h = static_cast<double>(local - FloorDiv(local, kDay) * kDay) / kHour;
  const int64_t day = FloorDiv(t - anchor_ns_, kDay);
  const bool upset = day == -12 && h >= 2 && h < 8;
  Cems c;
  c.o2 = (upset ? 7.6 : 9.4) + 0.6 * Noise(21, t, 20 * kMin);
  // At the reference O2: NOx held under the ultra-low 50 mg/m3 by the SNCR, until the upset.
  double nox_ref = upset ? 118 * (1 + 0.08 * Noise(22, t, 10 * kMin))
                         : 36 * (1 + 0.12 * Noise(22, t, 30 * kMin)) + 4 * Noise(23, t, 3 * kHour);
  double so2_ref = 14 * (1 + 0.25 * Noise(24, t, 45 * kMin));
  double dust_ref = 4.2 * (1 + 0.3 * Noise(25, t, 30 * kMin));
  // The analyser measures dry gas at the actual O2: the reference value scaled back.
  double k = (21 - c.o2) / (21 - kDemoCemsRefO2);
  c.nox = nox_ref * k;
  c.so2 = so2_ref * k;
  c.dust = dust_ref * k;
  c.flow = (upset ? 180 : 228) * (1 + 0.03 * Noise(26, t, 15 * kMin));
  c.temp = 118 + 6 * Noise(27, t, 40 * kMin);
  return c;
}

char DemoPlant::CemsFlag(std::string_view code, int64_t t) const {
  const int64_t day = FloorDiv(t - anchor_ns_, kDay);
  const int64_t hour = FloorDiv(t - anchor_ns_ - day * kDay, kHour);
  if ((code == "a21002" || code == "a21026") && FloorDiv(day, 7) * 7 == day - 3 && hour == 4) {
    return 'C';
  }
  if (code == "a34013" && day == -30 && hour >= 2 && hour < 5) return 'D';
  return 'N';
}

std::string CemsRealtimeData(const DemoPlant& plant, int64_t t) {
  DemoPlant::Cems c = plant.CemsAt(t);
  auto flag = [&](const char* code) { return std::string(1, plant.CemsFlag(code, t)); };
  return absl::StrCat(
      Header(2011, t), ";a21002-Rtd=", F(c.nox, 1), ",a21002-ZsRtd=", F(Normalised(c.nox, c.o2), 1),
      ",a21002-Flag=", flag("a21002"), ";a21026-Rtd=", F(c.so2, 2),
      ",a21026-ZsRtd=", F(Normalised(c.so2, c.o2), 2), ",a21026-Flag=", flag("a21026"),
      ";a34013-Rtd=", F(c.dust, 2), ",a34013-ZsRtd=", F(Normalised(c.dust, c.o2), 2),
      ",a34013-Flag=", flag("a34013"), ";a19001-Rtd=", F(c.o2, 1), ",a19001-Flag=N",
      ";a00000-Rtd=", F(c.flow, 1), ",a00000-Flag=N;a01012-Rtd=", F(c.temp, 1), ",a01012-Flag=N&&");
}

std::string CemsHourData(const DemoPlant& plant, int64_t hour_start) {
  Stat nox, so2, dust, o2, flow, temp, znox, zso2, zdust;
  for (int m = 1; m <= 60; ++m) {
    DemoPlant::Cems c = plant.CemsAt(hour_start + m * kMin);
    nox.Add(c.nox), so2.Add(c.so2), dust.Add(c.dust), o2.Add(c.o2), flow.Add(c.flow);
    temp.Add(c.temp);
    znox.Add(Normalised(c.nox, c.o2)), zso2.Add(Normalised(c.so2, c.o2));
    zdust.Add(Normalised(c.dust, c.o2));
  }
  auto item = [&](const char* code, const Stat& s, const Stat* zs, int digits) {
    std::string out = absl::StrCat(code, "-Avg=", F(s.sum / 60, digits), ",", code,
                                   "-Min=", F(s.min, digits), ",", code, "-Max=", F(s.max, digits));
    if (zs != nullptr) absl::StrAppend(&out, ",", code, "-ZsAvg=", F(zs->sum / 60, digits));
    absl::StrAppend(&out, ",", code, "-Flag=", std::string(1, plant.CemsFlag(code, hour_start)));
    return out;
  };
  // Cou of the flue gas: m3 in the hour.
  return absl::StrCat(Header(2061, hour_start), ";", item("a21002", nox, &znox, 1), ";",
                      item("a21026", so2, &zso2, 2), ";", item("a34013", dust, &zdust, 2), ";",
                      item("a19001", o2, nullptr, 1), ";", item("a00000", flow, nullptr, 1),
                      ",a00000-Cou=", F(flow.sum * 60, 0), ";", item("a01012", temp, nullptr, 1),
                      "&&");
}

absl::Status AppendCemsHours(const DemoPlant& plant, int64_t from, int64_t to, PointBatch* out) {
  hj212::PointOptions opt{"cems", kDemoCementId, Shanghai()};
  for (int64_t h = (FloorDiv(from - 1, kHour) + 1) * kHour; h + kHour <= to; h += kHour) {
    auto packet = hj212::ParseData(CemsHourData(plant, h));
    if (!packet.ok()) return packet.status();
    hj212::PointsResult r = hj212::ToPoints(*packet, opt, out);
    if (!r.errors.empty()) return absl::InternalError(absl::StrCat("demo CEMS: ", r.errors[0]));
  }
  return absl::OkStatus();
}

void DemoCemsStation::Start(const std::string& host, int port) {
  thread_ = std::thread([this, host, port] { Loop(host, port); });
}

void DemoCemsStation::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

absl::Status DemoCemsStation::Send(int& fd, const std::string& host, int port,
                                   const std::string& data) {
  if (fd < 0) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    if (fd < 0 || ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      if (fd >= 0) ::close(fd);
      fd = -1;
      return absl::UnavailableError(
          absl::StrCat("demo CEMS station: cannot connect to ", host, ":", port));
    }
  }
  std::string frame = hj212::Frame(data);
  if (::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(frame.size())) {
    ::close(fd);
    fd = -1;
    return absl::UnavailableError("demo CEMS station: send failed");
  }
  // The 9014: a frame whose data has CN=9014 (one read is enough on loopback; a late reply is
  // read with the next packet's).
  pollfd p{fd, POLLIN, 0};
  char buf[2048];
  if (::poll(&p, 1, 5000) == 1) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      ::close(fd);
      fd = -1;
      return absl::UnavailableError("demo CEMS station: the listener closed the connection");
    }
    std::string_view reply(buf, static_cast<size_t>(n));
    for (size_t at = reply.find("CN=9014"); at != std::string_view::npos;
         at = reply.find("CN=9014", at + 1)) {
      acked_.fetch_add(1);
    }
  }
  return absl::OkStatus();
}

void DemoCemsStation::Loop(std::string host, int port) {
  int fd = -1;
  int64_t next_hour = FloorDiv(history_end_ns_, kHour) * kHour;  // the first not backfilled
  int64_t last_minute = 0;
  do {
    const int64_t minute = FloorDiv(Env::Default()->NowNanos(), kMin) * kMin;
    absl::Status s;
    for (; s.ok() && next_hour + kHour <= minute; next_hour += kHour) {
      s = Send(fd, host, port, CemsHourData(plant_, next_hour));
      if (!s.ok()) break;
    }
    if (s.ok() && minute != last_minute) {
      s = Send(fd, host, port, CemsRealtimeData(plant_, minute));
      if (s.ok()) last_minute = minute;
    }
    if (!s.ok()) spdlog::warn("{}", std::string(s.message()));
  } while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(1)));
  if (fd >= 0) ::close(fd);
}

}  // namespace dc::app
