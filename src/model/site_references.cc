// Cross-references of a parsed site: unique ids, references to meters, formula cycles.
#include <functional>
#include <map>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"
#include "model/site_internal.h"

namespace dc::model::internal {

absl::Status CheckReferences(const Site& site) {
  std::map<std::string, Pos> seen;
  auto unique = [&](const std::string& id, const Positions& pos,
                    std::string_view what) -> absl::Status {
    auto [it, fresh] = seen.emplace(id, pos.of("id"));
    if (!fresh) {
      return absl::InvalidArgumentError(
          absl::StrCat(site.Where(pos.of("id")), AV(what), " field 'id': \"", id,
                       "\" already defined at line ", it->second.line));
    }
    return absl::OkStatus();
  };
  for (const auto& m : site.meters) {
    if (auto s = unique(m.id, m.pos, "[[meter]]"); !s.ok()) return s;
  }
  for (const auto& v : site.virtual_meters) {
    if (auto s = unique(v.id, v.pos, "[[virtual_meter]]"); !s.ok()) return s;
  }
  auto known = [&](const std::string& id, Pos p, std::string_view what) -> absl::Status {
    if (site.HasMeter(id)) return absl::OkStatus();
    constexpr size_t kListed = 20;  // meters named in the message
    std::vector<std::string> ids;
    for (const auto& m : site.meters) ids.push_back(m.id);
    for (const auto& v : site.virtual_meters) ids.push_back(v.id);
    size_t total = ids.size();
    if (total > kListed) {
      ids.resize(kListed);
      ids.push_back(absl::StrCat("... ", total - kListed, " more"));
    }
    return absl::InvalidArgumentError(absl::StrCat(site.Where(p), AV(what), ": unknown meter \"",
                                                   id, "\" (meters: ", absl::StrJoin(ids, ", "),
                                                   ")"));
  };
  for (const auto& v : site.virtual_meters) {
    for (const auto& ref : v.formula.Refs()) {
      if (auto s = known(ref, v.pos.of("formula"),
                         absl::StrCat("virtual_meter '", v.id, "' field 'formula'"));
          !s.ok()) {
        return s;
      }
    }
  }
  // Cycles among virtual meters (depth-first search).
  std::map<std::string, int> state;  // 1 visiting, 2 done
  std::function<absl::Status(const VirtualMeter&)> visit =
      [&](const VirtualMeter& v) -> absl::Status {
    state[v.id] = 1;
    for (const auto& ref : v.formula.Refs()) {
      const VirtualMeter* w = site.FindVirtual(ref);
      if (!w) continue;
      if (state[ref] == 1) {
        return absl::InvalidArgumentError(
            absl::StrCat(site.Where(v.pos.of("formula")), "virtual_meter '", v.id,
                         "' field 'formula': refers to itself through '", ref, "'"));
      }
      if (state[ref] == 0) {
        if (auto s = visit(*w); !s.ok()) return s;
      }
    }
    state[v.id] = 2;
    return absl::OkStatus();
  };
  for (const auto& v : site.virtual_meters) {
    if (state[v.id] == 0) {
      if (auto s = visit(v); !s.ok()) return s;
    }
  }
  std::set<std::string> product_ids;
  for (const auto& p : site.products) {
    if (!product_ids.insert(p.id).second) {
      return absl::InvalidArgumentError(absl::StrCat(site.Where(p.pos.of("id")), "product '", p.id,
                                                     "' field 'id': defined twice"));
    }
    if (auto s =
            known(p.meter, p.pos.of("meter"), absl::StrCat("product '", p.id, "' field 'meter'"));
        !s.ok()) {
      return s;
    }
  }
  for (const auto& p : site.processes) {
    for (const auto& [key, id] : p.meters) {
      if (key == "meter") continue;  // checked as an input item
      if (auto s = known(id, p.pos.of(key), absl::StrCat("process '", p.id, "' field '", key, "'"));
          !s.ok()) {
        return s;
      }
    }
    for (const auto* items : {&p.inputs, &p.outputs}) {
      for (const auto& it : *items) {
        if (auto s = known(it.meter, it.pos.of("meter"),
                           absl::StrCat("process '", p.id, "' field 'meter'"));
            !s.ok()) {
          return s;
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace dc::model::internal
