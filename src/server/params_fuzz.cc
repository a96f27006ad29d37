// libFuzzer target: query strings. Params::Parse gives parameters or an error; parameters
// percent-encoded again parse to the same items; ParseQuerySpec gives a valid request
// (1..kMaxQuerySeries series or a selection, not both; start <= end, a known step) or an error
// naming a parameter. The same bytes as a POST body: ParseQueryBody gives the same kind of
// request or an error.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/params.h"

namespace {

std::string Encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

constexpr int64_t kNow = 1'750'000'000'000'000'000;

void CheckSpec(const absl::StatusOr<dc::server::QuerySpec>& spec) {
  if (!spec.ok()) {
    if (spec.status().message().empty()) std::abort();
    return;
  }
  if (spec->series.empty() == !spec->selection.any()) std::abort();  // exactly one of them
  if (spec->series.size() > dc::server::kMaxQuerySeries) std::abort();
  if (spec->end < spec->start || spec->step.n <= 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  CheckSpec(dc::server::ParseQueryBody(text, kNow));
  auto params = dc::server::Params::Parse(text);
  if (!params.ok()) return 0;
  std::string encoded;
  for (const auto& [k, v] : params->items()) {
    if (!encoded.empty()) encoded += '&';
    encoded += Encode(k) + "=" + Encode(v);
  }
  auto again = dc::server::Params::Parse(encoded);
  if (!again.ok()) std::abort();
  // Empty names with empty values ("=") are dropped on the way back; compare the rest.
  std::vector<std::pair<std::string, std::string>> want;
  for (const auto& kv : params->items()) {
    if (!kv.first.empty() || !kv.second.empty()) want.push_back(kv);
  }
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& kv : again->items()) {
    if (!kv.first.empty() || !kv.second.empty()) got.push_back(kv);
  }
  if (want != got) std::abort();
  CheckSpec(dc::server::ParseQuerySpec(*params, kNow));
  return 0;
}
