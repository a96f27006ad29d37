// Reading one source table of dualcarbon.toml ([[modbus]], [[dlt645]], ...): typed, bounded
// values with errors that name the table and the key, and the settings every polled device
// shares (serial line parity, retries and backoff).
#ifndef DC_ACQUIRE_TABLE_READER_H_
#define DC_ACQUIRE_TABLE_READER_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/strings.h"
#include "common/text.h"
#include "toml++/toml.h"

namespace dc::acquire {

struct TableReader {
  using Keys = std::set<std::string, std::less<>>;
  static constexpr size_t kMaxTextBytes = 256;

  const toml::table& t;
  std::string where;  // "[[modbus]] \"press\"": the start of every error

  absl::Status Bad(std::string_view key, std::string_view why) const {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", AV(key), " ", AV(why)));
  }
  // An error for the first key of the table not in `keys`.
  absl::Status Known(const Keys& keys, std::string_view table) const {
    for (const auto& [k, v] : t) {
      if (!keys.contains(k.str())) {
        return Bad(k.str(),
                   absl::StrCat("is not a ", AV(table), " key (see dualcarbon.example.toml)"));
      }
    }
    return absl::OkStatus();
  }
  // Each reader leaves *out as it is when the key is absent.
  absl::Status String(std::string_view key, std::string* out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return absl::OkStatus();
    auto v = n->value<std::string>();
    if (!v) return Bad(key, "must be a string");
    *out = *v;
    return CheckText(absl::StrCat(where, ": ", AV(key)), *out, kMaxTextBytes);
  }
  absl::Status Int(std::string_view key, int64_t lo, int64_t hi, int* out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return absl::OkStatus();
    auto v = n->value_exact<int64_t>();  // value<int64_t> would convert floats
    if (!v || *v < lo || *v > hi) {
      return Bad(key, absl::StrCat("must be an integer in ", lo, "..", hi));
    }
    *out = static_cast<int>(*v);
    return absl::OkStatus();
  }
  absl::Status Duration(std::string_view key, absl::Duration lo, absl::Duration hi,
                        int64_t* out) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return absl::OkStatus();
    auto v = n->value<std::string>();
    absl::Duration d;
    if (!v || !absl::ParseDuration(*v, &d) || d < lo || d > hi) {
      return Bad(key, absl::StrCat("must be a duration string (\"500ms\", \"1s\", \"2m\") in ",
                                   absl::FormatDuration(lo), "..", absl::FormatDuration(hi)));
    }
    *out = absl::ToInt64Nanoseconds(d);
    return absl::OkStatus();
  }

  // `parity`: "N"/"none", "E"/"even" or "O"/"odd" into 'N', 'E' or 'O'.
  absl::Status Parity(char* out) const {
    std::string parity(1, *out);
    if (auto s = String("parity", &parity); !s.ok()) return s;
    if (parity == "N" || parity == "none") {
      *out = 'N';
    } else if (parity == "E" || parity == "even") {
      *out = 'E';
    } else if (parity == "O" || parity == "odd") {
      *out = 'O';
    } else {
      return Bad("parity", "must be \"N\", \"E\" or \"O\" (none, even, odd)");
    }
    return absl::OkStatus();
  }
  // `retries` (0..10), `backoff` (1 ms .. 1 h) and `backoff_max` (1 ms .. 24 h, not below it).
  absl::Status Backoff(int* retries, int64_t* initial_ns, int64_t* max_ns) const {
    using absl::Milliseconds, absl::Hours;
    if (auto s = Int("retries", 0, 10, retries); !s.ok()) return s;
    if (auto s = Duration("backoff", Milliseconds(1), Hours(1), initial_ns); !s.ok()) return s;
    if (auto s = Duration("backoff_max", Milliseconds(1), Hours(24), max_ns); !s.ok()) return s;
    if (*max_ns < *initial_ns) return Bad("backoff_max", "is below backoff");
    return absl::OkStatus();
  }
};

}  // namespace dc::acquire

#endif  // DC_ACQUIRE_TABLE_READER_H_
