// Hj212PacketHandler: one HJ 212 data segment → authorization, points, replies, forwarding.
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "acquire/hj212_listener.h"
#include "common/env.h"
#include "common/strings.h"

namespace dc::acquire {
namespace {

// QnRtn of 9011 (HJ 212-2017 table 8): 1 ready to execute, 3 PW error, 4 MN error.
constexpr int kQnReady = 1, kQnBadPassword = 3, kQnBadMn = 4;
constexpr int kExeSuccess = 1;  // ExeRtn of 9012

bool IsReplyCn(int cn) { return cn == 9011 || cn == 9012 || cn == 9013 || cn == 9014; }

// Data uploads: real-time, minute, hour, day data and any other packet stamped by a DataTime.
bool IsDataPacket(const hj212::Packet& p) {
  if (p.cn == 2011 || p.cn == 2051 || p.cn == 2061 || p.cn == 2031) return true;
  for (const hj212::Group& g : p.cp) {
    for (const hj212::Item& it : g) {
      if (it.code == "DataTime" && it.suffix.empty()) return true;
    }
  }
  return false;
}

}  // namespace

Hj212PacketHandler::Hj212PacketHandler(const Hj212ListenerOptions& options,
                                       const absl::TimeZone& zone, SourceStats& stats, Sink& sink,
                                       Log& log)
    : options_(options),
      codec_(hj212::Options{.strict = options.strict}),
      zone_(zone),
      stats_(stats),
      sink_(sink),
      log_(log) {}

void Hj212PacketHandler::Error(std::string_view what) {
  stats_.AddError(what, Env::Default()->NowNanos());
  log_.Warn(what);
}

void Hj212PacketHandler::HandleRejected(std::string_view error) {
  Error(absl::StrCat(options_.name, ": frame rejected: ", AV(error)));
}

// Checks the station's MN and password; sets *site.
bool Hj212PacketHandler::Authorize(const hj212::Packet& p, std::string* site) {
  auto it = options_.stations.find(p.mn);
  int rtn = 0;
  if (it == options_.stations.end()) {
    if (options_.accept_unknown) {
      *site = options_.default_site;
      return true;
    }
    rtn = kQnBadMn;
    Error(absl::StrCat(options_.name, ": packet QN=", p.qn, " from unknown station MN=", p.mn,
                       " rejected (unknown stations are not accepted)"));
  } else if (!it->second.password.empty() && it->second.password != p.pw) {
    rtn = kQnBadPassword;
    Error(absl::StrCat(options_.name, ": packet QN=", p.qn, " from MN=", p.mn,
                       " rejected: wrong password"));
  } else {
    *site = it->second.site.empty() ? options_.default_site : it->second.site;
    return true;
  }
  if (p.wants_reply()) replies_.push_back({hj212::Frame(hj212::ReplyData(p, 9011, rtn)), false});
  return false;
}

void Hj212PacketHandler::HandleData(std::string_view data) {
  auto parsed = hj212::ParseData(data, codec_);
  if (!parsed.ok()) {
    Error(absl::StrCat(options_.name, ": packet rejected: ", parsed.status().message()));
    return;
  }
  const hj212::Packet& p = *parsed;
  if (!p.notes.empty()) {
    log_.Warn(absl::StrCat(options_.name, ": MN=", p.mn, " QN=", p.qn,
                           " tolerated: ", absl::StrJoin(p.notes, "; ")));
  }
  ++packets_;
  if (IsReplyCn(p.cn)) return;  // a station's answer to a command: nothing to store
  std::string site;
  if (!Authorize(p, &site)) return;
  if (!IsDataPacket(p)) {
    // A request the listener has nothing to execute for: acknowledged as the standard asks.
    if (p.wants_reply()) {
      replies_.push_back({hj212::Frame(hj212::ReplyData(p, 9011, kQnReady)), false});
      replies_.push_back({hj212::Frame(hj212::ReplyData(p, 9012, kExeSuccess)), false});
    }
    return;
  }
  hj212::PointOptions po;
  po.site = site;
  po.zone = zone_;
  hj212::PointsResult r = hj212::ToPoints(p, po, &batch_);
  for (const std::string& e : r.errors) {
    Error(absl::StrCat(options_.name, ": MN=", p.mn, " QN=", p.qn, ": ", e));
  }
  if (options_.forward) forward_.emplace_back(data);
  if (p.wants_reply()) replies_.push_back({hj212::Frame(hj212::ReplyData(p, 9014, 0)), true});
}

std::string Hj212PacketHandler::Flush() {
  bool stored = true;
  if (!batch_.empty()) {
    absl::Status s = sink_.Write(batch_);
    if (s.ok()) {
      stats_.AddPoints(static_cast<int64_t>(batch_.size()), Env::Default()->NowNanos());
    } else {
      stored = false;
      Error(absl::StrCat(options_.name, ": ", batch_.size(),
                         " points not stored, no 9014 sent: ", s.message()));
    }
  }
  if (stored && !forward_.empty()) {
    absl::Status s = options_.forward->Enqueue(forward_);
    if (!s.ok()) {
      // Stored but not queued: withholding 9014 makes the station send again; storing the
      // same series and time again is harmless (the last write wins).
      stored = false;
      Error(absl::StrCat(options_.name, ": ", forward_.size(),
                         " packets not queued for forwarding, no 9014 sent: ", s.message()));
    }
  }
  std::string out;
  for (const Reply& r : replies_) {
    if (stored || !r.after_store) out += r.frame;
  }
  stats_.AddMessages(packets_);
  packets_ = 0;
  batch_.Clear();
  forward_.clear();
  replies_.clear();
  return out;
}

}  // namespace dc::acquire
