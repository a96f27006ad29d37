// The DL/T 645 poller: a thread per bus, the meters on it polled in turn.
#include "acquire/dlt645_source.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "acquire/poll_thread.h"
#include "common/series_key.h"
#include "common/strings.h"
#include "ingest/dlt645.h"

namespace dc::acquire {
namespace {

using dlt645::Address;
using dlt645::Frame;

enum class Outcome { kOk, kTimeout, kErrorReply, kBadValue, kBroken };

std::string DiText(uint32_t di) { return absl::StrCat(absl::Hex(di, absl::kZeroPad8)); }

// A read request for `di` (the data field holds DI0 first), after `wakeup` bytes 0xFE.
std::string ReadRequest(const Address& address, uint32_t di, int wakeup) {
  Frame f{address, dlt645::kReadData, std::string(4, '\0')};
  for (int i = 0; i < 4; ++i) f.data[i] = static_cast<char>((di >> (8 * i)) & 0xFF);
  return dlt645::Encode(f, wakeup);
}

// What the error byte of an abnormal reply (0xD1) means (DL/T 645-2007 table of error codes).
std::string ErrorByteText(uint8_t e) {
  static constexpr std::string_view kBits[] = {
      "other error",         "no data requested (unknown data identifier)",
      "password error",      "communication rate cannot be changed",
      "yearly zones exceed", "daily periods exceed",
      "tariffs exceed",      "reserved"};
  std::string out = absl::StrCat("error reply 0x", absl::Hex(e, absl::kZeroPad2));
  std::string_view sep = ": ";
  for (int b = 0; b < 8; ++b) {
    if (e & (1 << b)) {
      absl::StrAppend(&out, AV(sep), AV(kBits[b]));
      sep = ", ";
    }
  }
  return out;
}

struct MeterState {
  Dlt645Meter cfg;
  std::optional<Address> address;  // configured, or discovered; nullopt = discover first
  std::vector<dlt645::DataItem> items;
  std::vector<std::string> keys;  // per item, the canonical series key
  int64_t next_due = 0;           // slots before this are skipped (backoff)
  Dlt645MeterStats stats;
  std::string last_error;
};

class Bus final : public Dlt645Source {
 public:
  Bus(Dlt645Options o, std::vector<MeterState> meters, std::unique_ptr<Dlt645Transport> t,
      Sink& sink)
      : o_(std::move(o)),
        transport_(std::move(t)),
        sink_(sink),
        stats_(o_.name, "dlt645"),
        meters_(std::move(meters)) {}
  ~Bus() override { Stop(); }

  absl::Status Start() override {
    if (poll_.Start([this] { Run(); })) stats_.SetRunning(true);
    return absl::OkStatus();
  }
  void Stop() override {
    poll_.Stop();
    stats_.SetRunning(false);
    stats_.SetConnected(false);
  }
  SourceState State() const override {
    SourceState st = stats_.Snapshot();
    absl::MutexLock l(&mu_);
    for (const MeterState& m : meters_) {
      const Dlt645MeterStats& ms = m.stats;
      st.devices.push_back(DeviceState{ms.meter, ms.address,
                                       ms.polls > 0 && ms.consecutive_failed_polls == 0, ms.polls,
                                       ms.reads_ok, ms.timeouts + ms.error_replies + ms.bad_values,
                                       ms.last_poll_ns, m.last_error});
    }
    return st;
  }
  std::vector<Dlt645MeterStats> MeterStats() const override {
    absl::MutexLock l(&mu_);
    std::vector<Dlt645MeterStats> out;
    for (const MeterState& m : meters_) out.push_back(m.stats);
    return out;
  }

 private:
  void Run();
  bool SleepUntil(int64_t t) { return poll_.SleepUntil(t); }
  bool Stopping() const { return poll_.Stopping(); }
  void PollSlot(int64_t slot);
  // Polls one meter into `batch`. `bus_down`: why the port cannot be opened ("" = it can);
  // set here when that happens, and then the meter's values are marked bad without asking.
  void PollMeter(MeterState& m, int64_t slot, PointBatch* batch, std::string* bus_down);
  void Finish(MeterState& m, int64_t slot, int answered, int64_t now);
  // Sends `request` and waits for a frame `accept` takes, with retries.
  Outcome Exchange(const std::string& request, const std::function<bool(const Frame&)>& accept,
                   Frame* reply, std::string* why);
  // One attempt: false on timeout or a broken transport (`why` says which).
  bool Attempt(const std::string& request, const std::function<bool(const Frame&)>& accept,
               Frame* reply, std::string* why, bool* broken);
  Outcome Discover(MeterState& m, std::string* why);
  Outcome ReadItem(const MeterState& m, size_t i, double* value, std::string* why);
  std::string Where(const MeterState& m) const {
    return absl::StrCat(o_.name, ": meter ", m.cfg.meter, " (",
                        m.address ? dlt645::AddressText(*m.address) : std::string("discover"), ")");
  }

  const Dlt645Options o_;
  std::unique_ptr<Dlt645Transport> transport_;  // only the bus thread touches it
  Sink& sink_;
  SourceStats stats_;

  mutable absl::Mutex mu_;  // guards the stats below
  // The bus thread reads the configuration parts without the lock (they never change) and
  // writes stats/address/next_due with it.
  std::vector<MeterState> meters_;
  PollThread poll_{o_.env};  // last: stopped (joined) before the members its loop uses go
};

bool Bus::Attempt(const std::string& request, const std::function<bool(const Frame&)>& accept,
                  Frame* reply, std::string* why, bool* broken) {
  *broken = false;
  transport_->Discard();
  if (absl::Status s = transport_->Write(request); !s.ok()) {
    *why = absl::StrCat("write to ", transport_->Describe(), ": ", s.message());
    *broken = true;
    return false;
  }
  dlt645::FrameSplitter splitter;
  std::string rejected;
  const int64_t deadline = o_.env->MonotonicNanos() + o_.timeout_ns;
  for (int64_t left = o_.timeout_ns; left > 0; left = deadline - o_.env->MonotonicNanos()) {
    auto bytes = transport_->Read(left);
    if (!bytes.ok()) {
      *why = absl::StrCat("read from ", transport_->Describe(), ": ", bytes.status().message());
      *broken = true;
      return false;
    }
    splitter.Append(*bytes);
    Frame f;
    std::string error;
    for (auto r = splitter.Next(&f, &error); r != dlt645::FrameSplitter::Result::kNeedMore;
         r = splitter.Next(&f, &error)) {
      if (r == dlt645::FrameSplitter::Result::kRejected) {
        rejected = error;
      } else if (accept(f)) {
        *reply = std::move(f);
        return true;
      }
      // Otherwise a frame for another meter, or our own request echoed: not the answer.
    }
  }
  *why = absl::StrCat("no answer within ", absl::FormatDuration(absl::Nanoseconds(o_.timeout_ns)));
  if (!rejected.empty()) absl::StrAppend(why, " (rejected a frame: ", rejected, ")");
  return false;
}

Outcome Bus::Exchange(const std::string& request, const std::function<bool(const Frame&)>& accept,
                      Frame* reply, std::string* why) {
  for (int attempt = 0; attempt <= o_.retries; ++attempt) {
    if (!transport_->IsOpen()) {
      if (absl::Status s = transport_->Open(o_.timeout_ns); !s.ok()) {
        *why = std::string(s.message());
        return Outcome::kBroken;
      }
    }
    bool broken = false;
    if (Attempt(request, accept, reply, why, &broken)) return Outcome::kOk;
    if (broken) transport_->Close();  // reopened by the next attempt
  }
  return Outcome::kTimeout;
}

Outcome Bus::Discover(MeterState& m, std::string* why) {
  Frame f;
  auto accept = [](const Frame& r) { return r.control == (dlt645::kReadAddress | 0x80); };
  Outcome out =
      Exchange(dlt645::Encode(Frame{dlt645::kBroadcast, dlt645::kReadAddress, ""}, o_.wakeup),
               accept, &f, why);
  if (out != Outcome::kOk) {
    *why = absl::StrCat("discover (read address, broadcast): ", *why);
    return out;
  }
  absl::MutexLock l(&mu_);
  m.address = f.address;
  m.stats.address = dlt645::AddressText(f.address);
  return Outcome::kOk;
}

Outcome Bus::ReadItem(const MeterState& m, size_t i, double* value, std::string* why) {
  const uint32_t di = m.cfg.items[i].di;
  const Address address = *m.address;
  auto accept = [&](const Frame& r) {
    if (r.address != address || (r.control & 0x1F) != dlt645::kReadData ||
        (r.control & dlt645::kReplyBit) == 0) {
      return false;
    }
    auto parsed = dlt645::ParseReadReply(r);
    return parsed.ok() && (parsed->error || parsed->di == di);
  };
  Frame f;
  const Outcome out = Exchange(ReadRequest(address, di, o_.wakeup), accept, &f, why);
  const std::string what = absl::StrCat("read ", DiText(di), " (", m.cfg.items[i].field, ")");
  if (out != Outcome::kOk) {
    *why = absl::StrCat(what, ": ", *why);
    return out;
  }
  auto reply = dlt645::ParseReadReply(f);  // accepted above, so it parses
  if (reply->error) {
    *why = absl::StrCat(what, ": ", ErrorByteText(reply->error_code));
    return Outcome::kErrorReply;
  }
  auto v = dlt645::DecodeValue(m.items[i], reply->value);
  if (!v.ok()) {
    *why = absl::StrCat(what, ": ", v.status().message());
    return Outcome::kBadValue;
  }
  *value = *v;
  return Outcome::kOk;
}

void Bus::PollMeter(MeterState& m, int64_t slot, PointBatch* batch, std::string* bus_down) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  int answered = 0;
  // Set once the meter did not answer (or the port cannot be opened): the rest is not asked.
  std::string dead = *bus_down;
  if (dead.empty() && !m.address) {
    std::string why;
    const Outcome out = Discover(m, &why);
    if (out != Outcome::kOk) dead = why;
    if (out == Outcome::kBroken) *bus_down = why;
  }
  int64_t timeouts = 0, error_replies = 0, bad_values = 0;
  std::string last_error;
  for (size_t i = 0; i < m.items.size(); ++i) {
    double v = kNaN;
    std::string why;
    Outcome out = Outcome::kTimeout;
    if (dead.empty()) {
      out = ReadItem(m, i, &v, &why);
    } else {
      why = absl::StrCat("read ", DiText(m.cfg.items[i].di), " (", m.cfg.items[i].field,
                         "): not asked: ", dead);
    }
    if (out == Outcome::kOk) {
      ++answered;
      batch->Add(m.keys[i], slot, v);
      continue;
    }
    batch->Add(m.keys[i], slot, kNaN, Quality::kBad);
    stats_.AddError(absl::StrCat(Where(m), ": ", why), o_.env->NowNanos());
    last_error = why;
    (out == Outcome::kErrorReply ? error_replies
     : out == Outcome::kBadValue ? bad_values
                                 : timeouts)++;
    if (out == Outcome::kBroken) *bus_down = why;
    if ((out == Outcome::kTimeout || out == Outcome::kBroken) && dead.empty()) dead = why;
  }
  {
    absl::MutexLock l(&mu_);
    m.stats.timeouts += timeouts;
    m.stats.error_replies += error_replies;
    m.stats.bad_values += bad_values;
    if (!last_error.empty()) m.last_error = std::move(last_error);
  }
  Finish(m, slot, answered, o_.env->NowNanos());
}

void Bus::Finish(MeterState& m, int64_t slot, int answered, int64_t now) {
  stats_.AddMessages(1);
  absl::MutexLock l(&mu_);
  ++m.stats.polls;
  m.stats.reads_ok += answered;
  m.stats.last_poll_ns = slot;
  if (answered > 0) {
    m.stats.consecutive_failed_polls = 0;
    return;
  }
  const int64_t failed = ++m.stats.consecutive_failed_polls;
  // Exponential backoff from the first failed poll: 1x, 2x, 4x ... backoff_max.
  int64_t wait = o_.backoff_initial_ns;
  for (int64_t i = 1; i < failed && wait < o_.backoff_max_ns; ++i) wait *= 2;
  m.next_due = now + std::min(wait, o_.backoff_max_ns);
  if (m.cfg.address == "discover") {
    m.address.reset();  // the meter may have been replaced: ask again
    m.stats.address.clear();
  }
}

void Bus::PollSlot(int64_t slot) {
  PointBatch batch;
  std::string bus_down;  // once the port cannot be opened, the other meters are not asked
  for (MeterState& m : meters_) {
    if (slot < m.next_due || Stopping()) {
      absl::MutexLock l(&mu_);
      ++m.stats.skipped_slots;
      continue;
    }
    PollMeter(m, slot, &batch, &bus_down);
  }
  const int64_t now = o_.env->NowNanos();
  int64_t good = 0;
  for (const auto& r : batch.rows()) good += r.q == Quality::kGood ? 1 : 0;
  stats_.SetConnected(transport_->IsOpen() && good > 0);
  if (batch.empty()) return;
  if (auto s = sink_.Write(batch); !s.ok()) {
    stats_.AddError(absl::StrCat(o_.name, ": store: ", s.message()), now);
  } else if (good > 0) {
    stats_.AddPoints(good, now);
  }
}

void Bus::Run() {
  const int64_t step = o_.interval_ns;
  int64_t next = (o_.env->NowNanos() / step + 1) * step;
  while (SleepUntil(next)) {
    PollSlot(next);
    // The next slot: never one already passed (an overrun skips slots, counted per meter).
    const int64_t earliest = std::max(next + step, o_.env->NowNanos() + 1);
    const int64_t target = (earliest + step - 1) / step * step;
    {
      absl::MutexLock l(&mu_);
      for (MeterState& m : meters_) m.stats.skipped_slots += (target - next) / step - 1;
    }
    next = target;
  }
  transport_->Close();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Dlt645Source>> MakeDlt645Source(
    const Dlt645Options& options, std::unique_ptr<Dlt645Transport> transport, Sink& sink) {
  const std::string where = absl::StrCat("dlt645 bus \"", options.name, "\"");
  auto bad = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", AV(why)));
  };
  if (options.meters.empty()) return bad("no meters");
  if (options.interval_ns <= 0 || options.timeout_ns <= 0 || options.env == nullptr) {
    return bad("interval and timeout must be > 0");
  }
  if (transport == nullptr) return bad("no transport");
  std::vector<MeterState> meters;
  for (const Dlt645Meter& cfg : options.meters) {
    MeterState m;
    m.cfg = cfg;
    m.stats.meter = cfg.meter;
    if (cfg.address == "discover") {
      if (options.meters.size() != 1) {
        return bad(absl::StrCat("meter ", cfg.meter,
                                ": address \"discover\" needs the meter to be alone on its bus"));
      }
    } else {
      auto a = dlt645::ParseAddress(cfg.address);
      if (!a.ok()) return bad(absl::StrCat("meter ", cfg.meter, ": ", a.status().message()));
      m.address = *a;
      m.stats.address = cfg.address;
    }
    if (cfg.items.empty()) return bad(absl::StrCat("meter ", cfg.meter, ": nothing to read"));
    for (const Dlt645Item& item : cfg.items) {
      auto d = dlt645::FindDataItem(item.di);
      if (!d.ok()) return bad(absl::StrCat("meter ", cfg.meter, ": ", d.status().message()));
      m.items.push_back(*d);
      m.keys.push_back(FormatSeriesKey(
          SeriesKeyParts{"meter", {{"id", cfg.meter}, {"site", cfg.site}}, item.field}));
    }
    meters.push_back(std::move(m));
  }
  return std::make_unique<Bus>(options, std::move(meters), std::move(transport), sink);
}

absl::StatusOr<std::unique_ptr<Dlt645Source>> MakeDlt645Source(const Dlt645Options& options,
                                                               Sink& sink) {
  if (options.host.empty() == options.serial.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("dlt645 bus \"", options.name,
                                                   "\": set exactly one of host (TCP) and serial"));
  }
  return MakeDlt645Source(options, MakeDlt645Transport(options), sink);
}

}  // namespace dc::acquire
