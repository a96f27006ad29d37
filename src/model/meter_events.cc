#include "model/meter_events.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "absl/strings/str_cat.h"
#include "common/strings.h"
#include "common/text.h"
#include "common/time.h"
#include "nlohmann/json.hpp"

namespace dc::model {
namespace {

using nlohmann::json;

constexpr int kFileVersion = 1;
constexpr size_t kMaxMeterIdBytes = 200;

absl::Status CheckSiteId(std::string_view site) {
  bool ok = !site.empty() && site.size() <= 100;
  for (char c : site) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("site id \"", AV(site), "\" must match [a-z0-9_-]+ (at most 100 bytes)"));
}

absl::Status CheckMeterId(std::string_view meter) {
  if (meter.empty()) return absl::InvalidArgumentError("empty meter id");
  return CheckText("meter id", meter, kMaxMeterIdBytes);
}

bool ByTime(const MeterSwap& a, const MeterSwap& b) { return a.t < b.t; }

// One swap from the file; `where` names it in errors.
absl::StatusOr<MeterSwap> SwapFromJson(const json& j, const std::string& where) {
  auto bad = [&](std::string_view why) {
    return absl::DataLossError(absl::StrCat(where, ": ", AV(why)));
  };
  if (!j.is_object()) return bad("a swap must be an object");
  MeterSwap s;
  auto t = j.find("t_ns");
  if (t == j.end() || !t->is_number_integer()) return bad("\"t_ns\" must be an integer");
  s.t = t->get<int64_t>();
  for (auto [key, out] : {std::pair{"old_final", &s.old_final}, {"new_initial", &s.new_initial}}) {
    auto v = j.find(key);
    if (v == j.end() || !v->is_number()) return bad(absl::StrCat("\"", key, "\" must be a number"));
    *out = v->get<double>();
  }
  if (auto n = j.find("note"); n != j.end()) {
    if (!n->is_string()) return bad("\"note\" must be a string");
    s.note = n->get<std::string>();
  }
  if (absl::Status c = CheckMeterSwap(s); !c.ok()) return bad(SV(c.message()));
  return s;
}

}  // namespace

absl::Status CheckMeterSwap(const MeterSwap& swap) {
  for (auto [name, v] :
       {std::pair{"old_final", swap.old_final}, {"new_initial", swap.new_initial}}) {
    if (!std::isfinite(v) || v < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " = ", v, ": a register reading must be a finite number >= 0"));
    }
  }
  return CheckText("note", swap.note, MeterEventsLimits::kMaxNoteBytes);
}

std::vector<CounterSwap> ToCounterSwaps(const std::vector<MeterSwap>& swaps) {
  std::vector<CounterSwap> out;
  out.reserve(swaps.size());
  for (const MeterSwap& s : swaps) out.push_back(CounterSwap{s.t, s.old_final, s.new_initial});
  return out;
}

MeterEvents::MeterEvents(Env* env, std::string data_dir) : env_(env), dir_(std::move(data_dir)) {}

std::string MeterEvents::PathOf(std::string_view site) const {
  return absl::StrCat(dir_, "/meter_events/", AV(site), ".json");
}

absl::StatusOr<MeterEvents::Table> MeterEvents::Load(const std::string& path) {
  Table table;
  if (!env_->FileExists(path)) return table;
  auto size = env_->GetFileSize(path);
  if (!size.ok()) return size.status();
  if (*size > MeterEventsLimits::kMaxFileBytes) {
    return absl::DataLossError(absl::StrCat(path, ": ", *size, " bytes, more than the limit of ",
                                            MeterEventsLimits::kMaxFileBytes));
  }
  auto text = ReadFileToString(env_, path);
  if (!text.ok()) return text.status();
  if (absl::Status d = CheckJsonDepth(*text); !d.ok()) {
    return absl::DataLossError(absl::StrCat(path, ": ", d.message()));
  }
  json doc = json::parse(*text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) {
    return absl::DataLossError(absl::StrCat(path, ": not a JSON object"));
  }
  if (doc.value("version", 0) != kFileVersion) {
    return absl::DataLossError(
        absl::StrCat(path, ": unknown version (expected ", kFileVersion, ")"));
  }
  auto meters = doc.find("meters");
  if (meters == doc.end() || !meters->is_object()) {
    return absl::DataLossError(absl::StrCat(path, ": \"meters\" must be an object"));
  }
  for (const auto& [meter, list] : meters->items()) {
    const std::string where = absl::StrCat(path, ": meter \"", meter, "\"");
    if (!list.is_array()) return absl::DataLossError(absl::StrCat(where, ": not an array"));
    std::vector<MeterSwap>& swaps = table[meter];
    for (const json& j : list) {
      auto s = SwapFromJson(j, where);
      if (!s.ok()) return s.status();
      swaps.push_back(std::move(*s));
    }
    std::sort(swaps.begin(), swaps.end(), ByTime);
    for (size_t i = 1; i < swaps.size(); ++i) {
      if (swaps[i].t == swaps[i - 1].t) {
        return absl::DataLossError(absl::StrCat(where, ": two swaps at t_ns ", swaps[i].t));
      }
    }
  }
  return table;
}

absl::Status MeterEvents::Save(const std::string& path, const Table& table) {
  json meters = json::object();
  for (const auto& [meter, swaps] : table) {
    if (swaps.empty()) continue;
    json list = json::array();
    for (const MeterSwap& s : swaps) {
      list.push_back({{"t_ns", s.t},
                      {"old_final", s.old_final},
                      {"new_initial", s.new_initial},
                      {"note", s.note}});
    }
    meters[meter] = std::move(list);
  }
  std::string text = json({{"version", kFileVersion}, {"meters", meters}}).dump(1) + "\n";
  if (text.size() > MeterEventsLimits::kMaxFileBytes) {
    return absl::ResourceExhaustedError(absl::StrCat("meter events of one site would take ",
                                                     text.size(), " bytes, more than the limit of ",
                                                     MeterEventsLimits::kMaxFileBytes));
  }
  if (absl::Status s = env_->CreateDirs(dir_ + "/meter_events"); !s.ok()) return s;
  return WriteFileAtomic(env_, path, text);
}

absl::StatusOr<std::vector<MeterSwap>> MeterEvents::Swaps(std::string_view site,
                                                          std::string_view meter) {
  auto all = All(site);
  if (!all.ok()) return all.status();
  auto it = all->find(meter);
  if (it == all->end()) return std::vector<MeterSwap>{};
  return std::move(it->second);
}

absl::StatusOr<MeterEvents::Table> MeterEvents::All(std::string_view site) {
  if (absl::Status s = CheckSiteId(site); !s.ok()) return s;
  absl::MutexLock l(&mu_);
  return Load(PathOf(site));
}

absl::StatusOr<std::map<std::string, std::vector<CounterSwap>, std::less<>>>
MeterEvents::CounterSwaps(std::string_view site) {
  auto all = All(site);
  if (!all.ok()) return all.status();
  std::map<std::string, std::vector<CounterSwap>, std::less<>> out;
  for (const auto& [meter, swaps] : *all) out[meter] = ToCounterSwaps(swaps);
  return out;
}

absl::Status MeterEvents::Edit(std::string_view site, std::string_view meter,
                               const std::function<absl::Status(std::vector<MeterSwap>&)>& edit) {
  if (absl::Status s = CheckSiteId(site); !s.ok()) return s;
  if (absl::Status s = CheckMeterId(meter); !s.ok()) return s;
  absl::MutexLock l(&mu_);
  if (absl::Status s = env_->CreateDirs(dir_ + "/meter_events"); !s.ok()) return s;
  const std::string path = PathOf(site);
  auto lock = env_->LockFileWait(path + ".lock");
  if (!lock.ok()) return lock.status();
  auto table = Load(path);
  if (!table.ok()) return table.status();
  if (!table->contains(meter) && table->size() >= MeterEventsLimits::kMaxMeters) {
    return absl::ResourceExhaustedError(absl::StrCat("site \"", AV(site),
                                                     "\" already has swaps for ",
                                                     MeterEventsLimits::kMaxMeters, " meters"));
  }
  std::vector<MeterSwap>& swaps = (*table)[std::string(meter)];
  if (absl::Status s = edit(swaps); !s.ok()) return s;
  return Save(path, *table);
}

absl::Status MeterEvents::Add(std::string_view site, std::string_view meter,
                              const MeterSwap& swap) {
  if (absl::Status s = CheckMeterSwap(swap); !s.ok()) return s;
  return Edit(site, meter, [&](std::vector<MeterSwap>& swaps) {
    auto at = std::lower_bound(swaps.begin(), swaps.end(), swap, ByTime);
    if (at != swaps.end() && at->t == swap.t) {
      return absl::AlreadyExistsError(
          absl::StrCat("meter \"", AV(meter), "\" already has a swap at ",
                       FormatTime(swap.t, absl::UTCTimeZone()), "; delete it first to replace it"));
    }
    if (swaps.size() >= MeterEventsLimits::kMaxSwapsPerMeter) {
      return absl::ResourceExhaustedError(absl::StrCat("meter \"", AV(meter), "\" already has ",
                                                       MeterEventsLimits::kMaxSwapsPerMeter,
                                                       " swaps (the limit)"));
    }
    swaps.insert(at, swap);
    return absl::OkStatus();
  });
}

absl::Status MeterEvents::Remove(std::string_view site, std::string_view meter, int64_t t) {
  return Edit(site, meter, [&](std::vector<MeterSwap>& swaps) {
    auto at =
        std::find_if(swaps.begin(), swaps.end(), [t](const MeterSwap& s) { return s.t == t; });
    if (at == swaps.end()) {
      return absl::NotFoundError(absl::StrCat("meter \"", AV(meter), "\" has no swap at ",
                                              FormatTime(t, absl::UTCTimeZone())));
    }
    swaps.erase(at);
    return absl::OkStatus();
  });
}

}  // namespace dc::model
