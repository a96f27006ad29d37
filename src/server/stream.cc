#include "server/stream.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "server/scope.h"
#include "server/time_format.h"

namespace dc::server {

void Subscription::SetWake(std::function<void()> wake) {
  absl::MutexLock l(&mu_);
  wake_ = std::move(wake);
}

std::vector<Subscription::Point> Subscription::Take(bool* ended) {
  absl::MutexLock l(&mu_);
  *ended = ended_;
  std::vector<Point> out(std::make_move_iterator(queue_.begin()),
                         std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

bool Subscription::ended() {
  absl::MutexLock l(&mu_);
  return ended_;
}

void Subscription::Offer(const std::vector<Point>& points) {
  std::function<void()> wake;
  {
    absl::MutexLock l(&mu_);
    if (ended_) return;
    if (queue_.size() + points.size() > capacity_) {
      ended_ = true;  // a slow reader: dropped, never waited for
      queue_.clear();
    } else {
      queue_.insert(queue_.end(), points.begin(), points.end());
    }
    wake = wake_;
  }
  if (wake) wake();
}

void Subscription::End() {
  std::function<void()> wake;
  {
    absl::MutexLock l(&mu_);
    ended_ = true;
    wake = wake_;
  }
  if (wake) wake();
}

absl::StatusOr<std::shared_ptr<Subscription>> PointHub::Subscribe(const std::string& site) {
  absl::MutexLock l(&mu_);
  if (closed_) return absl::UnavailableError("the server is stopping");
  if (subs_.size() >= options_.max_streams) {
    return absl::UnavailableError(absl::StrCat("too many live streams open (", options_.max_streams,
                                               "); retry later or poll /api/v1/query"));
  }
  auto s = std::make_shared<Subscription>(site, options_.queue_points);
  subs_.push_back(s);
  count_.store(subs_.size(), std::memory_order_release);
  return s;
}

void PointHub::Unsubscribe(const Subscription* s) {
  absl::MutexLock l(&mu_);
  std::erase_if(subs_, [s](const auto& p) { return p.get() == s; });
  count_.store(subs_.size(), std::memory_order_release);
}

void PointHub::Publish(const PointBatch& batch) {
  if (count_.load(std::memory_order_acquire) == 0 || batch.empty()) return;
  std::vector<std::shared_ptr<Subscription>> subs;
  {
    absl::MutexLock l(&mu_);
    subs = subs_;
  }
  // Points per site (the site tag of each series key, parsed once per key).
  std::vector<std::string> site_of(batch.keys().size());
  for (size_t i = 0; i < site_of.size(); ++i) site_of[i] = SiteOfSeries(batch.keys()[i]);
  for (const auto& sub : subs) {
    std::vector<Subscription::Point> points;
    for (const PointBatch::Row& r : batch.rows()) {
      if (site_of[r.series] != sub->site()) continue;
      points.push_back({batch.keys()[r.series], r.t, r.v});
    }
    if (!points.empty()) sub->Offer(points);
  }
}

void PointHub::Close() {
  std::vector<std::shared_ptr<Subscription>> subs;
  {
    absl::MutexLock l(&mu_);
    closed_ = true;
    subs = subs_;
  }
  for (const auto& s : subs) s->End();
}

size_t PointHub::size() { return count_.load(std::memory_order_acquire); }

EventStream::EventStream(PointHub& hub, std::shared_ptr<Subscription> sub, int64_t now_ns,
                         int64_t end_ns, bool epoch_ms)
    : hub_(hub),
      sub_(std::move(sub)),
      end_ns_(end_ns),
      epoch_ms_(epoch_ms),
      last_sent_ns_(now_ns) {}

EventStream::~EventStream() {
  sub_->SetWake(nullptr);
  hub_.Unsubscribe(sub_.get());
}

bool EventStream::Next(int64_t now_ns, std::string* out) {
  bool ended = false;
  for (Subscription::Point& p : sub_->Take(&ended)) {
    nlohmann::json j = {{"series", std::move(p.series)}};
    if (epoch_ms_) {
      j["t"] = p.t / 1'000'000;
    } else {
      std::string t;
      AppendRfc3339(p.t, absl::UTCTimeZone(), &t);
      j["t"] = t;
    }
    j["v"] = std::isfinite(p.v) ? nlohmann::json(p.v) : nlohmann::json(nullptr);
    absl::StrAppend(out, "data: ", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "\n\n");
  }
  if (end_ns_ != 0 && now_ns >= end_ns_) ended = true;
  if (out->empty() && !ended && now_ns - last_sent_ns_ >= hub_.options().heartbeat_ns) {
    *out = ": heartbeat\n\n";
  }
  if (!out->empty()) last_sent_ns_ = now_ns;
  return !ended;
}

int64_t EventStream::WaitNs(int64_t now_ns) const {
  int64_t wait = std::max<int64_t>(0, last_sent_ns_ + hub_.options().heartbeat_ns - now_ns);
  if (end_ns_ != 0) wait = std::min(wait, std::max<int64_t>(0, end_ns_ - now_ns));
  return wait;
}

}  // namespace dc::server
