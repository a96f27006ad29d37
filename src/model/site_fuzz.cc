// libFuzzer target: the site-file loader with all its validation. Any bytes give a Site or an
// error naming the file, never a crash. A parsed site written back as TOML parses again, and
// writing that gives the same TOML and JSON (a fixed point).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/site.h"
#include "nlohmann/json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto site = dc::model::ParseSite(text, "fuzz.toml");
  if (!site.ok()) {
    if (site.status().message().substr(0, 9) != "fuzz.toml") std::abort();
    return 0;
  }
  std::string toml = dc::model::SiteToToml(*site);
  auto again = dc::model::ParseSite(toml, "again.toml");
  if (!again.ok()) std::abort();
  if (dc::model::SiteToToml(*again) != toml) std::abort();
  if (dc::model::SiteToJson(*again) != dc::model::SiteToJson(*site)) std::abort();
  return 0;
}
