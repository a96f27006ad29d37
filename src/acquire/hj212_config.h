// The [[hj212]] and [hj212_forward] sections of dualcarbon.toml → listener and forwarder
// options (documented in dualcarbon.example.toml and docs/protocols/hj212.md).
#ifndef DC_ACQUIRE_HJ212_CONFIG_H_
#define DC_ACQUIRE_HJ212_CONFIG_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "acquire/hj212_forwarder.h"
#include "acquire/hj212_listener.h"
#include "toml++/toml.h"

namespace dc::acquire {

struct Hj212Config {
  struct Listener {
    Hj212ListenerOptions options;  // options.forward is left nullptr: the caller wires it
    bool forward = false;          // its packets go to the forwarder
  };
  std::vector<Listener> listeners;
  std::optional<Hj212ForwarderOptions> forward;  // [hj212_forward], if present
};

// Reads the sections from the root table of the configuration file; other keys are ignored.
// A relative forwarding queue_dir is taken under `data_dir`. Errors name the key and line.
absl::StatusOr<Hj212Config> ParseHj212Options(const toml::table& root,
                                              std::string_view data_dir = "");

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_HJ212_CONFIG_H_
