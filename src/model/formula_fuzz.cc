// libFuzzer target: any text parses to a formula or an error, never a crash or stack overflow.
// A parsed formula re-parses from its text to the same references and value, and evaluates.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "model/formula.h"

namespace {

bool SameValue(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto f = dc::model::Formula::Parse(text);
  if (!f.ok()) {
    if (f.status().message().empty() || f.status().message().size() > 600) std::abort();
    return 0;
  }
  if (text.size() > dc::model::Formula::kMaxBytes) std::abort();
  auto refs = f->Refs();
  for (size_t i = 1; i < refs.size(); ++i) {
    if (!(refs[i - 1] < refs[i])) std::abort();  // sorted, unique
  }
  auto value = [](std::string_view id) { return static_cast<double>(id.size()) - 1.5; };
  double v = f->Eval(value);
  auto g = dc::model::Formula::Parse(f->text());
  if (!g.ok() || g->Refs() != refs || !SameValue(g->Eval(value), v) || g->Linear() != f->Linear()) {
    std::abort();
  }
  return 0;
}
