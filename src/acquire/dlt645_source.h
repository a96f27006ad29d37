// The DL/T 645-2007 poller: one Source per configured bus — a serial port (RS-485 through an
// adapter) or a transparent serial-to-TCP server — with one or more meters on it. Configuration,
// the data identifiers and their fields, quality rules: docs/protocols/dlt645.md.
//
// Every bus has its own thread: meters on one bus are polled in turn (RS-485 is multi-drop, one
// request at a time), separate buses in parallel, so a dead bus never delays another. A meter
// that stops answering backs off (its slots are skipped, and counted) so it costs its live
// neighbours at most one timeout per backoff period.
//
// A read that fails (no answer in time, an error reply 0xD1, a frame that does not validate, a
// value that is not BCD) stores a point at the poll time with value NaN and Quality::kBad —
// never a filled-in or repeated value — and is counted: SourceStats errors (with the reason as
// last_error) and the per-meter counters of Dlt645MeterStats.
#ifndef DC_ACQUIRE_DLT645_SOURCE_H_
#define DC_ACQUIRE_DLT645_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "acquire/source.h"
#include "common/env.h"
#include "toml++/toml.h"

namespace dc::acquire {

// One value read from a meter: a data identifier (DI3..DI0, e.g. 0x00010000) and its field.
struct Dlt645Item {
  uint32_t di = 0;
  std::string field;  // "import_kwh"
};

// The default items (forward/reverse active, tariffs 1-4, reactive 1/2, power, U and I per
// phase) and their field names; and the field of a DI in that table ("" if none).
const std::vector<Dlt645Item>& DefaultDlt645Items();
std::string DefaultDlt645Field(uint32_t di);

struct Dlt645Meter {
  std::string meter;              // series tag id=<meter>; required
  std::string site;               // series tag site=<site>; required (or the bus's `site`)
  std::string address;            // 12 decimal digits as printed on the meter, or "discover"
  std::vector<Dlt645Item> items;  // in the order they are read
};

// One bus. Defaults and units inline.
struct Dlt645Options {
  std::string name;  // source name, unique ("dlt645:<serial>" / "dlt645:<host>:<port>")

  // Transport: a transparent serial-to-TCP server when `host` is set, a serial port when
  // `serial` is set (exactly one).
  std::string host;
  int port = 0;
  std::string serial;  // "/dev/ttyUSB0"
  int baud = 2400;
  char parity = 'E';  // 'N', 'E' or 'O'
  int data_bits = 8;
  int stop_bits = 1;

  int wakeup = 4;                               // 0xFE bytes sent before each request
  int64_t interval_ns = 60'000'000'000;         // poll period; samples stamped at multiples
  int64_t timeout_ns = 1'000'000'000;           // wait for one reply
  int retries = 1;                              // extra attempts of an unanswered request
  int64_t backoff_initial_ns = 10'000'000'000;  // first wait after a meter stops answering
  int64_t backoff_max_ns = 600'000'000'000;     // doubling up to this

  std::vector<Dlt645Meter> meters;
  Env* env = Env::Default();  // clock
};

// Parses one [[dlt645]] table with its [[dlt645.meter]] entries. Errors name the bus/meter/key.
absl::StatusOr<Dlt645Options> ParseDlt645Options(const toml::table& bus);
// Every [[dlt645]] table of a configuration file's root table (none: empty).
absl::StatusOr<std::vector<Dlt645Options>> ParseDlt645Buses(const toml::table& root);

// The byte stream to the meters. Used by the bus thread only.
class Dlt645Transport {
 public:
  virtual ~Dlt645Transport() = default;
  // Opens (or reopens) the port/connection; `timeout_ns` bounds a TCP connect.
  [[nodiscard]] virtual absl::Status Open(int64_t timeout_ns) = 0;
  virtual void Close() = 0;
  virtual bool IsOpen() const = 0;
  // Drops input not yet read (a late reply must not be taken for the next request's).
  virtual void Discard() = 0;
  [[nodiscard]] virtual absl::Status Write(std::string_view bytes) = 0;
  // Bytes that arrive within `timeout_ns` (returns as soon as some arrived; "" = none).
  // An error means the connection broke.
  virtual absl::StatusOr<std::string> Read(int64_t timeout_ns) = 0;
  virtual std::string Describe() const = 0;  // "/dev/ttyUSB0" or "10.0.0.5:8899"
};

// termios (raw, baud/parity/data/stop bits of `o`) or TCP, chosen by `o.host`.
std::unique_ptr<Dlt645Transport> MakeDlt645Transport(const Dlt645Options& o);

// Per-meter counters beyond SourceState.
struct Dlt645MeterStats {
  std::string meter;
  std::string address;        // configured, or the discovered one ("" before discovery)
  int64_t polls = 0;          // polls attempted
  int64_t reads_ok = 0;       // values read and stored with good quality
  int64_t timeouts = 0;       // requests with no valid answer in time (after retries)
  int64_t error_replies = 0;  // the meter answered 0xD1 (no such data, password, ...)
  int64_t bad_values = 0;     // answered, but the value was not BCD or had the wrong size
  int64_t skipped_slots = 0;  // slots not polled: backoff, or the bus poll overran
  int64_t consecutive_failed_polls = 0;
  int64_t last_poll_ns = 0;  // slot time of the newest poll
};

class Dlt645Source : public Source {
 public:
  virtual std::vector<Dlt645MeterStats> MeterStats() const = 0;
};

// A bus source writing into `sink` (borrowed; must outlive the source). Errors: options that
// cannot run (no meters, a bad address, "discover" with more than one meter, no items).
absl::StatusOr<std::unique_ptr<Dlt645Source>> MakeDlt645Source(const Dlt645Options& options,
                                                               Sink& sink);
// The same over a given transport (tests).
absl::StatusOr<std::unique_ptr<Dlt645Source>> MakeDlt645Source(
    const Dlt645Options& options, std::unique_ptr<Dlt645Transport> transport, Sink& sink);

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_DLT645_SOURCE_H_
