// Helpers shared by the accounting tests (header-only; included by *_test.cc only).
#ifndef DC_ACCOUNTING_TEST_UTIL_H_
#define DC_ACCOUNTING_TEST_UTIL_H_

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "accounting/reference.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {

// The repository's reference library, loaded once; aborts the test binary if it cannot load.
inline const Reference& Ref() {
  static const Reference* ref = [] {
    auto r = Reference::Load(DC_SOURCE_DIR "/reference");
    if (!r.ok()) {
      ADD_FAILURE() << r.status();
      std::abort();
    }
    return new Reference(std::move(*r));
  }();
  return *ref;
}

// Subset match for golden files: every member of `want` must be in `got`; numbers equal to
// 1e-9 relative; arrays of equal length, element by element. Differences go to *errors.
inline void MatchJson(const nlohmann::json& want, const nlohmann::json& got,
                      const std::string& path, std::vector<std::string>* errors) {
  if (want.is_number() && got.is_number()) {
    double a = want.get<double>(), b = got.get<double>();
    if (std::fabs(a - b) > 1e-9 * std::max(std::fabs(a), std::fabs(b)) + 1e-12) {
      std::ostringstream o;
      o.precision(17);
      o << path << ": expected " << a << ", got " << b;
      errors->push_back(o.str());
    }
    return;
  }
  if (want.is_object() && got.is_object()) {
    for (auto it = want.begin(); it != want.end(); ++it) {
      if (!got.contains(it.key())) {
        errors->push_back(path + "." + it.key() + ": missing");
        continue;
      }
      MatchJson(it.value(), got[it.key()], path + "." + it.key(), errors);
    }
    return;
  }
  if (want.is_array() && got.is_array()) {
    if (want.size() != got.size()) {
      errors->push_back(path + ": expected " + std::to_string(want.size()) + " elements, got " +
                        std::to_string(got.size()));
      return;
    }
    for (size_t i = 0; i < want.size(); ++i) {
      MatchJson(want[i], got[i], path + "[" + std::to_string(i) + "]", errors);
    }
    return;
  }
  if (want != got) errors->push_back(path + ": expected " + want.dump() + ", got " + got.dump());
}

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_TEST_UTIL_H_
