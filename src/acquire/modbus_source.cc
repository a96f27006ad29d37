// The Modbus poller: a thread per device; libmodbus for TCP and RTU.
#include "acquire/modbus_source.h"

#include <errno.h>
#include <modbus/modbus.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "acquire/poll_thread.h"
#include "common/series_key.h"

namespace dc::acquire {
namespace {

using modbus::Read;
using modbus::Table;

constexpr int kMaxBitsPerRead = 2000;  // protocol limit for coils/discrete inputs
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

struct CtxFree {
  void operator()(modbus_t* c) const {
    modbus_close(c);
    modbus_free(c);
  }
};
using Ctx = std::unique_ptr<modbus_t, CtxFree>;

enum class Failure { kNone, kTimeout, kException, kOther };

Failure Classify(int e) {
  if (e == ETIMEDOUT) return Failure::kTimeout;
  if (e > MODBUS_ENOBASE && e <= EMBXGTAR) return Failure::kException;
  return Failure::kOther;
}

const char* TableName(Table t) {
  switch (t) {
    case Table::kHolding:
      return "holding";
    case Table::kInput:
      return "input";
    case Table::kCoil:
      return "coil";
    case Table::kDiscrete:
      return "discrete";
  }
  return "?";
}

bool IsBitTable(Table t) { return t == Table::kCoil || t == Table::kDiscrete; }

// Reads for every register: word tables within max_registers, bit tables within 16x that.
absl::StatusOr<std::vector<Read>> Plan(const ModbusOptions& o) {
  std::vector<modbus::Field> words, bits;
  std::vector<size_t> word_index, bit_index;
  for (size_t i = 0; i < o.registers.size(); ++i) {
    const bool b = IsBitTable(o.registers[i].reg.table);
    (b ? bits : words).push_back(o.registers[i].reg);
    (b ? bit_index : word_index).push_back(i);
  }
  std::vector<Read> out;
  auto add = [&](const std::vector<modbus::Field>& f, const std::vector<size_t>& index,
                 int max) -> absl::Status {
    if (f.empty()) return absl::OkStatus();
    auto reads = modbus::PlanReads(f, max, o.max_gap);
    if (!reads.ok()) return reads.status();
    for (Read& r : *reads) {
      for (size_t& k : r.fields) k = index[k];
      out.push_back(std::move(r));
    }
    return absl::OkStatus();
  };
  if (auto s = add(words, word_index, o.max_registers); !s.ok()) return s;
  if (auto s = add(bits, bit_index, std::min(kMaxBitsPerRead, 16 * o.max_registers)); !s.ok()) {
    return s;
  }
  return out;
}

class Poller final : public ModbusSource {
 public:
  Poller(ModbusOptions o, std::vector<Read> plan, std::vector<std::string> keys, Sink& sink)
      : o_(std::move(o)),
        plan_(std::move(plan)),
        keys_(std::move(keys)),
        sink_(sink),
        stats_(o_.name, "modbus") {}
  ~Poller() override { Stop(); }

  absl::Status Start() override {
    if (poll_.Start([this] { Run(); })) stats_.SetRunning(true);
    return absl::OkStatus();
  }
  void Stop() override {
    poll_.Stop();
    stats_.SetRunning(false);
    stats_.SetConnected(false);
  }
  SourceState State() const override { return stats_.Snapshot(); }
  ModbusDeviceStats DeviceStats() const override {
    absl::MutexLock l(&mu_);
    return dev_;
  }

 private:
  void Run();
  bool SleepUntil(int64_t t) { return poll_.SleepUntil(t); }
  bool Connect(int64_t now);
  void PollOnce(int64_t slot);
  // One request with retries; fills words/bits. Returns the failure of the last attempt.
  Failure ReadWithRetries(const Read& r, std::vector<uint16_t>* words, std::vector<uint8_t>* bits,
                          std::string* why);
  int ReadOnce(const Read& r, uint16_t* words, uint8_t* bits);
  void Decode(const Read& r, const std::vector<uint16_t>& words, const std::vector<uint8_t>& bits,
              int64_t slot, PointBatch* batch, std::vector<std::string>* errors);
  void Count(Failure f);
  std::string Describe(const Read& r) const;

  const ModbusOptions o_;
  const std::vector<Read> plan_;
  const std::vector<std::string> keys_;  // per register, the canonical series key
  Sink& sink_;
  SourceStats stats_;
  Ctx ctx_;  // only the poll thread touches it

  mutable absl::Mutex mu_;  // guards the stats below
  ModbusDeviceStats dev_ ABSL_GUARDED_BY(mu_);
  PollThread poll_{o_.env};  // last: stopped (joined) before the members its loop uses go
};

bool Poller::Connect(int64_t now) {
  if (ctx_) return true;
  Ctx c(o_.host.empty()
            ? modbus_new_rtu(o_.serial.c_str(), o_.baud, o_.parity, o_.data_bits, o_.stop_bits)
            : modbus_new_tcp(o_.host.c_str(), o_.port));
  std::string where = o_.host.empty() ? o_.serial : absl::StrCat(o_.host, ":", o_.port);
  if (!c) {
    stats_.AddError(absl::StrCat(o_.name, ": cannot use ", where, ": ", modbus_strerror(errno)),
                    now);
    return false;
  }
  const int64_t us = o_.timeout_ns / 1000;
  modbus_set_response_timeout(c.get(), static_cast<uint32_t>(us / 1'000'000),
                              static_cast<uint32_t>(us % 1'000'000));
  modbus_set_slave(c.get(), o_.unit_id);
  if (modbus_connect(c.get()) != 0) {
    stats_.AddError(
        absl::StrCat(o_.name, ": cannot connect to ", where, ": ", modbus_strerror(errno)), now);
    return false;
  }
  ctx_ = std::move(c);
  return true;
}

int Poller::ReadOnce(const Read& r, uint16_t* words, uint8_t* bits) {
  switch (r.table) {
    case Table::kHolding:
      return modbus_read_registers(ctx_.get(), r.start, r.count, words);
    case Table::kInput:
      return modbus_read_input_registers(ctx_.get(), r.start, r.count, words);
    case Table::kCoil:
      return modbus_read_bits(ctx_.get(), r.start, r.count, bits);
    case Table::kDiscrete:
      return modbus_read_input_bits(ctx_.get(), r.start, r.count, bits);
  }
  return -1;
}

std::string Poller::Describe(const Read& r) const {
  std::vector<std::string> fields;
  for (size_t k : r.fields) fields.push_back(o_.registers[k].field);
  return absl::StrCat(TableName(r.table), " ", r.start, "..", r.start + r.count - 1, " (unit ",
                      o_.unit_id, "; ", absl::StrJoin(fields, ", "), ")");
}

void Poller::Count(Failure f) {
  absl::MutexLock l(&mu_);
  switch (f) {
    case Failure::kNone:
      ++dev_.reads_ok;
      break;
    case Failure::kTimeout:
      ++dev_.timeouts;
      break;
    case Failure::kException:
      ++dev_.exceptions;
      break;
    case Failure::kOther:
      ++dev_.other_errors;
      break;
  }
}

Failure Poller::ReadWithRetries(const Read& r, std::vector<uint16_t>* words,
                                std::vector<uint8_t>* bits, std::string* why) {
  words->assign(IsBitTable(r.table) ? 0 : static_cast<size_t>(r.count), 0);
  bits->assign(IsBitTable(r.table) ? static_cast<size_t>(r.count) : 0, 0);
  Failure f = Failure::kOther;
  for (int attempt = 0; attempt <= o_.retries; ++attempt) {
    if (!Connect(o_.env->NowNanos())) {
      *why = "not connected";
      return Failure::kOther;
    }
    const int rc = ReadOnce(r, words->data(), bits->data());
    if (rc == r.count) return Failure::kNone;
    const int e = rc < 0 ? errno : EMBMDATA;
    f = Classify(e);
    *why = modbus_strerror(e);
    if (f == Failure::kException) return f;  // the device answered: asking again won't help
    if (o_.host.empty()) {
      modbus_flush(ctx_.get());  // RTU: drop a late or garbled reply
    } else {
      ctx_.reset();  // TCP: the stream may hold a late reply; start a fresh connection
    }
  }
  return f;
}

void Poller::Decode(const Read& r, const std::vector<uint16_t>& words,
                    const std::vector<uint8_t>& bits, int64_t slot, PointBatch* batch,
                    std::vector<std::string>* errors) {
  for (size_t k : r.fields) {
    const RegisterSpec& spec = o_.registers[k];
    const size_t at = static_cast<size_t>(spec.reg.address - r.start);
    double v;
    if (IsBitTable(r.table)) {
      v = bits[at] ? 1 : 0;
    } else {
      const auto n = static_cast<size_t>(modbus::RegisterCount(spec.reg.type));
      auto d = modbus::Decode(std::span<const uint16_t>(words).subspan(at, n), spec.reg.type,
                              spec.order);
      if (!d.ok()) {
        errors->push_back(absl::StrCat(spec.field, ": ", d.status().message()));
        batch->Add(keys_[k], slot, kNaN, Quality::kBad);
        continue;
      }
      v = *d;
    }
    batch->Add(keys_[k], slot, v * spec.scale + spec.offset);
  }
}

void Poller::PollOnce(int64_t slot) {
  PointBatch batch;
  std::vector<uint16_t> words;
  std::vector<uint8_t> bits;
  std::vector<std::string> errors;
  size_t answered = 0;
  for (const Read& r : plan_) {
    std::string why;
    const Failure f = ReadWithRetries(r, &words, &bits, &why);
    Count(f);
    if (f != Failure::kNone) {
      errors.push_back(absl::StrCat("read ", Describe(r), ": ", why));
      for (size_t k : r.fields) batch.Add(keys_[k], slot, kNaN, Quality::kBad);
      continue;
    }
    ++answered;
    std::vector<std::string> bad;
    Decode(r, words, bits, slot, &batch, &bad);
    for (auto& b : bad) errors.push_back(std::move(b));
    if (!bad.empty()) Count(Failure::kOther);
  }
  const int64_t now = o_.env->NowNanos();
  stats_.AddMessages(1);
  stats_.SetConnected(ctx_ != nullptr && answered > 0);
  for (const auto& e : errors) stats_.AddError(absl::StrCat(o_.name, ": ", e), now);
  if (!batch.empty()) {
    int64_t good = 0;
    for (const auto& row : batch.rows()) good += row.q == Quality::kGood ? 1 : 0;
    if (auto s = sink_.Write(batch); !s.ok()) {
      stats_.AddError(absl::StrCat(o_.name, ": store: ", s.message()), now);
    } else if (good > 0) {
      stats_.AddPoints(good, now);  // bad-quality points are counted as errors
    }
  }
  absl::MutexLock l(&mu_);
  ++dev_.polls;
  dev_.last_poll_ns = slot;
  dev_.consecutive_failed_polls = answered == 0 ? dev_.consecutive_failed_polls + 1 : 0;
}

void Poller::Run() {
  const int64_t step = o_.interval_ns;
  int64_t next = (o_.env->NowNanos() / step + 1) * step;
  while (SleepUntil(next)) {
    PollOnce(next);
    const int64_t now = o_.env->NowNanos();
    int64_t failed;
    {
      absl::MutexLock l(&mu_);
      failed = dev_.consecutive_failed_polls;
    }
    // The next slot: never one already passed; after failed polls, not before the backoff.
    int64_t earliest = std::max(next + step, now + 1);
    if (failed > 0) {
      // Exponential backoff from the first failed poll: 1x, 2x, 4x ... backoff_max.
      int64_t wait = o_.backoff_initial_ns;
      for (int64_t i = 1; i < failed && wait < o_.backoff_max_ns; ++i) wait *= 2;
      wait = std::min(wait, o_.backoff_max_ns);
      earliest = std::max(earliest, now + wait);
    }
    const int64_t target = (earliest + step - 1) / step * step;
    absl::MutexLock l(&mu_);
    dev_.skipped_slots += (target - next) / step - 1;
    next = target;
  }
  ctx_.reset();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ModbusSource>> MakeModbusSource(const ModbusOptions& options,
                                                               Sink& sink) {
  const std::string where = absl::StrCat("modbus device \"", options.name, "\"");
  if (options.registers.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": no registers to read"));
  }
  if (options.host.empty() == options.serial.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": set exactly one of host (TCP) and serial (RTU)"));
  }
  if (options.interval_ns <= 0 || options.timeout_ns <= 0 || options.env == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": interval and timeout must be > 0"));
  }
  auto plan = Plan(options);
  if (!plan.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", plan.status().message()));
  }
  std::vector<std::string> keys;
  for (const RegisterSpec& r : options.registers) {
    keys.push_back(FormatSeriesKey(
        SeriesKeyParts{"meter", {{"id", options.meter}, {"site", options.site}}, r.field}));
  }
  return std::make_unique<Poller>(options, std::move(*plan), std::move(keys), sink);
}

}  // namespace dc::acquire
