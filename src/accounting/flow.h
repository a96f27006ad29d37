// The energy flow of a site over a period, for a Sankey diagram: carriers → areas → products,
// with the unmetered part of each carrier (master meters minus their sub-meters) and the energy
// no product claims. Computed from an Inventory (the same data source, counter rules and tce
// coefficients), so the flow and the inventory never disagree.
#ifndef DC_ACCOUNTING_FLOW_H_
#define DC_ACCOUNTING_FLOW_H_

#include <string>
#include <vector>

#include "accounting/inventory.h"
#include "model/site.h"

namespace dc::accounting {

struct FlowNode {
  std::string id;    // "carrier:electricity", "area:kiln", "product:clinker", "losses", ...
  std::string kind;  // carrier | generated | area | product | loss | export | other
  std::string name;  // the carrier, area or product id; "losses", "unallocated"
};

struct FlowLink {
  std::string source, target;  // node ids
  double value_tce = 0;        // always >= 0
  double amount = 0;           // in `unit`: the carrier's base unit, or tce past the areas
  std::string unit;
};

struct Flow {
  Period period;
  std::string timezone;         // the site's, for printing the period
  std::vector<FlowNode> nodes;  // carriers, then areas, then products and sinks
  std::vector<FlowLink> links;  // acyclic: carrier → area → product | sink
  std::vector<std::string> warnings;
};

// The flow of `inv` (computed for `site`). Rules (docs/accounting.md "Energy flow"):
// - per carrier, purchased meters feed the areas of its internal sub-meters when it has any
//   (the master-meter total minus the sub-meters' total is the "losses" link when positive; a
//   negative difference is a warning), else the areas of the purchased meters themselves;
//   generated meters feed their area from a "generated:" node; exported meters leave their
//   area to an "export:" node; a meter without an area feeds "unallocated";
// - an area goes to the products that name it in `areas` (split equally when several do,
//   with a warning), else to the one whole-site product (split equally among several), else to
//   "unallocated".
Flow ComputeFlow(const model::Site& site, const Inventory& inv);

// {period, unit: "tce", nodes, links, warnings} (docs/api.md "Energy flow").
std::string FlowToJson(const Flow& flow);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_FLOW_H_
