#include "accounting/flow.h"

#include <cmath>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "accounting/json_fields.h"
#include "nlohmann/json.hpp"

namespace dc::accounting {
namespace {

constexpr char kLosses[] = "losses";
constexpr char kUnallocated[] = "unallocated";

// Accumulates links by (source, target) and remembers the nodes in order of first use.
class FlowBuilder {
 public:
  void Node(const std::string& id, const std::string& kind, const std::string& name) {
    if (seen_.insert(id).second) flow_.nodes.push_back({id, kind, name});
  }
  void Link(const std::string& source, const std::string& target, double tce, double amount,
            const std::string& unit) {
    auto [it, added] = index_.try_emplace({source, target}, flow_.links.size());
    if (added) flow_.links.push_back({source, target, 0, 0, unit});
    FlowLink& l = flow_.links[it->second];
    l.value_tce += tce;
    l.amount += amount;
  }
  void Warn(std::string w) { flow_.warnings.push_back(std::move(w)); }
  // Energy (tce) flowing into each area node so far.
  std::map<std::string, double> AreaInflow() const {
    std::map<std::string, double> in;
    for (const FlowLink& l : flow_.links) {
      if (l.target.rfind("area:", 0) == 0) in[l.target] += l.value_tce;
    }
    return in;
  }
  Flow Take() { return std::move(flow_); }

 private:
  Flow flow_;
  std::set<std::string> seen_;
  std::map<std::pair<std::string, std::string>, size_t> index_;
};

// The node a meter's energy lands in: its area, or "unallocated".
std::string AreaNode(FlowBuilder& b, const std::string& area) {
  if (area.empty()) {
    b.Node(kUnallocated, "other", kUnallocated);
    return kUnallocated;
  }
  std::string id = absl::StrCat("area:", area);
  b.Node(id, "area", area);
  return id;
}

// The meters of one carrier, by flow.
struct CarrierMeters {
  std::vector<const MeterEnergy*> purchased, internal, generated, exported;
};

void CarrierLinks(FlowBuilder& b, const std::string& carrier, const CarrierMeters& m) {
  const std::string src = absl::StrCat("carrier:", carrier);
  if (!m.purchased.empty() || !m.internal.empty()) b.Node(src, "carrier", carrier);
  const auto& feeders = m.internal.empty() ? m.purchased : m.internal;
  for (const MeterEnergy* e : feeders) {
    b.Link(src, AreaNode(b, e->area), e->tce, e->amount, e->unit);
  }
  if (!m.internal.empty() && !m.purchased.empty()) {
    double master = 0, master_tce = 0, subs = 0, subs_tce = 0;
    for (const MeterEnergy* e : m.purchased) master += e->amount, master_tce += e->tce;
    for (const MeterEnergy* e : m.internal) subs += e->amount, subs_tce += e->tce;
    const double tolerance = 1e-9 * std::max(std::fabs(master), std::fabs(subs));
    const std::string& unit = m.purchased.front()->unit;
    if (master - subs > tolerance) {
      b.Node(kLosses, "loss", kLosses);
      b.Link(src, kLosses, master_tce - subs_tce, master - subs, unit);
    } else if (subs - master > tolerance) {
      b.Warn(absl::StrCat("carrier ", carrier, ": the sub-meters (flow = \"internal\") sum to ",
                          FormatNumber(subs), " ", unit, ", more than the master meters' ",
                          FormatNumber(master), " ", unit, "; no losses shown"));
    }
  }
  for (const MeterEnergy* e : m.generated) {
    std::string gen = absl::StrCat("generated:", carrier);
    b.Node(gen, "generated", carrier);
    b.Link(gen, AreaNode(b, e->area), e->tce, e->amount, e->unit);
  }
  for (const MeterEnergy* e : m.exported) {
    std::string out = absl::StrCat("export:", carrier);
    const std::string from = AreaNode(b, e->area);
    b.Node(out, "export", carrier);
    b.Link(from, out, e->tce, e->amount, e->unit);
  }
}

// Splits the energy of each area among the products that claim it.
void ProductLinks(FlowBuilder& b, const model::Site& site) {
  std::map<std::string, std::vector<std::string>> claimed;
  std::vector<std::string> whole;
  for (const model::Product& p : site.products) {
    if (p.areas.empty()) whole.push_back(p.id);
    for (const std::string& a : p.areas) claimed[a].push_back(p.id);
  }
  if (whole.size() > 1) {
    b.Warn(absl::StrCat(whole.size(),
                        " products cover the whole site; the energy of areas no "
                        "product names is split equally among them"));
  }
  for (const auto& [node, tce] : b.AreaInflow()) {
    const std::string area = node.substr(5);
    auto it = claimed.find(area);
    std::vector<std::string> to = it != claimed.end() ? it->second : whole;
    if (it != claimed.end() && to.size() > 1) {
      b.Warn(absl::StrCat("area ", area, " is named by ", to.size(),
                          " products; its energy is split equally among them"));
    }
    if (to.empty()) {
      b.Node(kUnallocated, "other", kUnallocated);
      b.Link(node, kUnallocated, tce, tce, "tce");
      continue;
    }
    const double share = tce / static_cast<double>(to.size());
    for (const std::string& p : to) {
      std::string id = absl::StrCat("product:", p);
      b.Node(id, "product", p);
      b.Link(node, id, share, share, "tce");
    }
  }
}

}  // namespace

Flow ComputeFlow(const model::Site& site, const Inventory& inv) {
  std::map<std::string, CarrierMeters> by_carrier;
  for (const MeterEnergy& e : inv.by_meter) {
    CarrierMeters& m = by_carrier[e.carrier];
    switch (e.flow) {
      case model::Flow::kPurchased:
        m.purchased.push_back(&e);
        break;
      case model::Flow::kInternal:
        m.internal.push_back(&e);
        break;
      case model::Flow::kGenerated:
        m.generated.push_back(&e);
        break;
      case model::Flow::kExported:
        m.exported.push_back(&e);
        break;
    }
  }
  FlowBuilder b;
  for (const auto& [carrier, meters] : by_carrier) CarrierLinks(b, carrier, meters);
  ProductLinks(b, site);
  Flow flow = b.Take();
  flow.period = inv.period;
  flow.timezone = inv.timezone;
  for (const std::string& w : inv.warnings) flow.warnings.push_back(w);
  return flow;
}

std::string FlowToJson(const Flow& flow) {
  using nlohmann::json;
  json nodes = json::array(), links = json::array();
  for (const FlowNode& n : flow.nodes) {
    nodes.push_back({{"id", n.id}, {"kind", n.kind}, {"name", n.name}});
  }
  for (const FlowLink& l : flow.links) {
    links.push_back({{"source", l.source},
                     {"target", l.target},
                     {"value_tce", RoundOutput(l.value_tce)},
                     {"amount", RoundOutput(l.amount)},
                     {"unit", l.unit}});
  }
  json j = {{"period",
             {{"start", ZonedTime(flow.period.start, flow.timezone)},
              {"end", ZonedTime(flow.period.end, flow.timezone)},
              {"text", flow.period.text}}},
            {"unit", "tce"},
            {"nodes", nodes},
            {"links", links},
            {"warnings", flow.warnings}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace dc::accounting
