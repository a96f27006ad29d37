// Factors the site gives ([[factor]]: overrides of reference factors, with their citation and
// confidence) and contractual instruments for market-based scope 2 ([[instrument]]: green
// electricity certificates, green-power trading, PPAs). Parsed by ParseSite (site_factors.cc);
// the checks that need the reference library (keys, units, carriers) are in
// accounting::ValidateSite. Fields: docs/site-file.md "Factors the site gives".
// Before the guard: whichever of the two headers comes first, Positions precedes these types.
#include "model/site.h"  // IWYU pragma: keep

#ifndef DC_MODEL_SITE_FACTORS_H_
#define DC_MODEL_SITE_FACTORS_H_

#include <optional>
#include <string>
#include <vector>

// Included by model/site.h after Positions is defined.
namespace dc::model {

// A factor value given by the site, replacing the reference library's value for the whole
// site (meter empty) or for one meter.
//   key: "grid" (location-based electricity factor), "residual_mix" (market-based factor of
//        the electricity no instrument covers), "heat" (purchased heat factor, reference key
//        process.heat.purchased_ef), "fuel.<carrier>.<ncv|cc|of>" (fuel property),
//        "process.<reference key>" (a process factor; per site only).
struct FactorOverride {
  std::string key;
  std::string meter;  // "" = every meter of the site
  double value = 0;
  std::string unit;
  // What the value is: measured | supplier | published | calculated | estimated
  // ("published": a published default typed in, e.g. from a guideline the library lacks).
  std::string origin;
  std::string source;      // the citation: document, certificate number, lab report ...
  std::string confidence;  // high | medium | low
  Positions pos;
};

// A contractual instrument (GHG Protocol Scope 2 Guidance, 2015, ch. 6-7).
struct Instrument {
  std::string id;
  std::string type;    // gec (绿证) | green_power (绿电交易) | ppa
  double mwh = 0;      // electricity attributes the instrument conveys over its period
  std::string period;  // a period text ("2025-03", "2025-01..2025-06"), in the site's zone
  std::string meter;   // "" = any purchased electricity of the site
  std::optional<double> factor;   // emission factor of the instrument; absent = 0 (renewable)
  std::string unit = "tCO2/MWh";  // unit of `factor`
  std::vector<std::string> certificates;
  std::string source;  // contract / certificate registry reference
  Positions pos;
};

inline constexpr size_t kMaxFactors = 1000;      // [[factor]]
inline constexpr size_t kMaxInstruments = 1000;  // [[instrument]]

// Origins and instrument types known to the parser.
const std::vector<std::string>& FactorOrigins();
const std::vector<std::string>& InstrumentTypes();

}  // namespace dc::model

#endif  // DC_MODEL_SITE_FACTORS_H_
