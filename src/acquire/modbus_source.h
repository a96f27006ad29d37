// The Modbus poller: one Source per configured device (Modbus TCP or RTU through libmodbus),
// polling its register map on a schedule aligned to the interval. Configuration, quality rules
// and metrics: docs/protocols/modbus.md.
//
// Each device has its own thread, so a dead or slow device never delays another. A read that
// fails (timeout, Modbus exception, broken connection, a NaN/infinite float) stores, for each
// value it covers, a point at the poll's slot time with value NaN and Quality::kBad — never a
// filled-in or repeated value, never a silent gap — and is counted: SourceStats errors (with
// the reason as last_error) and the per-device counters in ModbusDeviceStats. Slots skipped
// (backoff, overrun) store nothing and are counted in skipped_slots.
#ifndef DC_ACQUIRE_MODBUS_SOURCE_H_
#define DC_ACQUIRE_MODBUS_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "acquire/modbus_template.h"
#include "acquire/source.h"
#include "common/env.h"
#include "toml++/toml.h"

namespace dc::acquire {

// One Modbus device. Defaults and units inline.
struct ModbusOptions {
  std::string name;           // source name, unique ("modbus:<meter>" unless given)
  std::string meter;          // series tag id=<meter>; required
  std::string site;           // series tag site=<site>; required (every series belongs to a site)
  std::string template_name;  // "" = registers only from `registers`

  // Transport: TCP when `host` is set, RTU when `serial` is set (exactly one).
  std::string host;
  int port = 502;
  std::string serial;  // "/dev/ttyUSB0"
  int baud = 9600;
  char parity = 'N';  // 'N', 'E' or 'O'
  int data_bits = 8;
  int stop_bits = 1;

  int unit_id = 1;                             // 0..247 (TCP gateways often use 1 or 255)
  int64_t interval_ns = 1'000'000'000;         // poll period; samples stamped at multiples of it
  int64_t timeout_ns = 1'000'000'000;          // response timeout per request
  int retries = 1;                             // extra attempts of a failed request, same poll
  int64_t backoff_initial_ns = 1'000'000'000;  // first wait after a device stops answering
  int64_t backoff_max_ns = 60'000'000'000;     // doubling up to this
  int max_registers = 64;  // largest read (registers; bits: 16x) — see PlanReads
  int max_gap = 0;         // unused registers a merged read may span

  std::vector<RegisterSpec> registers;  // template merged with overrides
  Env* env = Env::Default();            // clock
};

// Parses one [[modbus]] table. The template (key `template`) is loaded from `templates_dir`
// (key, else DefaultTemplateDir()); `[[modbus.register]]` entries override template registers
// of the same field and add new ones. Every error names the device and the key.
absl::StatusOr<ModbusOptions> ParseModbusOptions(const toml::table& device);
// Every [[modbus]] table of a configuration file's root table (none: empty).
absl::StatusOr<std::vector<ModbusOptions>> ParseModbusDevices(const toml::table& root);

// Per-device counters beyond SourceState.
struct ModbusDeviceStats {
  int64_t polls = 0;          // scheduled polls attempted
  int64_t reads_ok = 0;       // requests answered
  int64_t timeouts = 0;       // requests with no (complete) answer in time
  int64_t exceptions = 0;     // Modbus exception responses (illegal address, busy, ...)
  int64_t other_errors = 0;   // connect failures, CRC/framing errors, bad values
  int64_t skipped_slots = 0;  // slots missed because a poll overran or the device backed off
  int64_t consecutive_failed_polls = 0;
  int64_t last_poll_ns = 0;  // slot time of the newest poll
};

class ModbusSource : public Source {
 public:
  virtual ModbusDeviceStats DeviceStats() const = 0;
};

// A device source writing into `sink` (borrowed; must outlive the source). Errors: options that
// cannot run (no registers, a register longer than max_registers, both/neither host and serial).
absl::StatusOr<std::unique_ptr<ModbusSource>> MakeModbusSource(const ModbusOptions& options,
                                                               Sink& sink);

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_MODBUS_SOURCE_H_
