// The site file's table reader, shared by every section's parser (site.cc, site_factors.cc):
// typed reads with the key's position in errors, and unknown keys as warnings.
#ifndef DC_MODEL_SITE_READER_H_
#define DC_MODEL_SITE_READER_H_

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"
#include "common/text.h"
#include "model/site.h"
#include "model/site_fields.h"
#include "model/site_internal.h"
#include "toml++/toml.h"

namespace dc::model::internal {

inline bool IsSpace(char c) { return c == '\t' || c == '\n' || c == '\r'; }

inline Pos PosOf(const toml::source_region& r) {
  return Pos{static_cast<int>(r.begin.line), static_cast<int>(r.begin.column)};
}

// Reads one table of the file with positions and type checks.
class Reader {
 public:
  Reader(Site* site, const toml::table& t, std::string what)
      : site_(site), t_(t), what_(std::move(what)) {
    pos_.table = PosOf(t.source());
    for (auto&& [k, v] : t) pos_.keys[std::string(k.str())] = PosOf(v.source());
  }

  absl::Status Error(std::string_view key, std::string_view msg) const {
    Pos p = key.empty() ? pos_.table : pos_.of(key);
    return absl::InvalidArgumentError(
        absl::StrCat(site_->Where(p), what_,
                     key.empty() ? "" : absl::StrCat(" field '", AV(key), "'"), ": ", AV(msg)));
  }

  // A string of at most `max_bytes`, valid UTF-8 without control characters (`spaces`:
  // tabs and line breaks allowed, for formulas written over several lines).
  absl::Status String(std::string_view key, std::string* out, bool required,
                      size_t max_bytes = kMaxSiteTextBytes, bool spaces = false) {
    used_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (!n) return required ? Error(key, "required (missing)") : absl::OkStatus();
    auto v = n->value<std::string>();
    if (!v) return Error(key, "must be a string");
    std::string checked = *v;
    if (spaces) std::replace_if(checked.begin(), checked.end(), IsSpace, ' ');
    if (auto s = CheckText("the value", checked, max_bytes); !s.ok()) {
      return Error(key, SV(s.message()));
    }
    *out = std::move(*v);
    return absl::OkStatus();
  }
  absl::Status Number(std::string_view key, std::optional<double>* out, bool required) {
    used_.insert(std::string(key));
    const toml::node* n = t_.get(key);
    if (!n) return required ? Error(key, "required (missing)") : absl::OkStatus();
    if (!n->is_number()) return Error(key, "must be a number");
    double v = *n->value<double>();
    if (!std::isfinite(v)) return Error(key, "must be finite");
    *out = v;
    return absl::OkStatus();
  }
  absl::Status Fraction(std::string_view key, std::optional<double>* out) {
    if (auto s = Number(key, out, false); !s.ok()) return s;
    if (*out && (**out < 0 || **out > 1)) {
      return Error(key,
                   absl::StrCat("must be a fraction between 0 and 1 (0.98 = 98 %), got ", **out));
    }
    return absl::OkStatus();
  }
  absl::Status Positive(std::string_view key, std::optional<double>* out) {
    if (auto s = Number(key, out, false); !s.ok()) return s;
    if (*out && !(**out > 0)) return Error(key, absl::StrCat("must be > 0, got ", **out));
    return absl::OkStatus();
  }
  absl::Status OneOf(std::string_view key, std::string* out, std::vector<std::string_view> allowed,
                     bool required) {
    const bool given = t_.contains(key);
    if (auto s = String(key, out, required); !s.ok()) return s;
    // Absent means the default; an empty choice would be written back as absent.
    if (!required && !given) return absl::OkStatus();
    if (std::find(allowed.begin(), allowed.end(), *out) == allowed.end()) {
      return Error(
          key, absl::StrCat(
                   "\"", *out, "\" is not one of: ",
                   absl::StrJoin(std::vector<std::string>(allowed.begin(), allowed.end()), ", ")));
    }
    return absl::OkStatus();
  }
  // One of the names of `table`, stored as its value; absent leaves *out (the default).
  template <typename E>
  absl::Status Enum(std::string_view key, E* out, const std::vector<Named<E>>& table,
                    bool required) {
    std::vector<std::string_view> names;
    for (const auto& n : table) names.push_back(n.name);
    std::string text;
    const bool given = t_.contains(key);
    if (auto s = OneOf(key, &text, names, required); !s.ok() || !given) return s;
    for (const auto& n : table) {
      if (n.name == text) *out = n.value;
    }
    return absl::OkStatus();
  }
  absl::Status Id(std::string_view key, std::string* out) {
    if (auto s = String(key, out, true, kMaxSiteIdBytes); !s.ok()) return s;
    if (out->empty()) return Error(key, "must not be empty");
    for (char c : *out) {
      bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
                (c >= 'A' && c <= 'Z') || c == '.';
      if (!ok)
        return Error(
            key, absl::StrCat("\"", *out, "\" may only contain letters, digits, '_', '-', '.'"));
    }
    return absl::OkStatus();
  }
  // Every key of a section's field table (site_fields.h) into *out, in the table's order; the
  // first error is returned. Keys the section's parser reads itself are only marked used.
  template <typename T>
  absl::Status Fields(const std::vector<Field<T>>& fields, T* out) {
    for (const auto& f : fields) {
      if (!f.read) {
        Use(f.key);
        continue;
      }
      if (absl::Status s = f.read(*this, out); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  void Use(std::string_view key) { used_.insert(std::string(key)); }
  // Unknown keys are reported as warnings (the format may grow; typos should be visible).
  void WarnUnknown() {
    for (auto&& [k, v] : t_) {
      std::string key(k.str());
      if (!used_.count(key)) {
        site_->warnings.push_back(
            absl::StrCat(site_->Where(pos_.of(key)), what_, ": unknown key '", key, "' ignored"));
      }
    }
  }
  const Positions& pos() const { return pos_; }
  const toml::table& table() const { return t_; }
  const Site& site() const { return *site_; }

 protected:
  Site* site_;
  const toml::table& t_;
  std::string what_;
  Positions pos_;
  std::set<std::string> used_;
};

}  // namespace dc::model::internal

#endif  // DC_MODEL_SITE_READER_H_
