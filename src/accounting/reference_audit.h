// The reference library's provenance audit (`dualcarbon reference audit`): every row of every
// table with its values, source and confidence, the library keys loaded from it, and flags
// for any row whose provenance is missing or not credible as written.
#ifndef DC_ACCOUNTING_REFERENCE_AUDIT_H_
#define DC_ACCOUNTING_REFERENCE_AUDIT_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "accounting/reference.h"

namespace dc::accounting {

struct AuditEntry {
  std::string table;   // file name
  int line = 0;        // row (1 = header)
  std::string label;   // what the row is, from its naming columns
  std::string values;  // the row's value columns ("0.5366", "SAR=21; AR4=25")
  std::string unit;
  std::string source, confidence;  // as written
  Confidence level = Confidence::kLow;
  std::vector<std::string> keys;   // library keys loaded from this row (empty: listed only)
  std::vector<std::string> flags;  // why the row fails the audit; empty = it passes
};

struct AuditReport {
  std::string version, dir;
  std::vector<AuditEntry> entries;
  std::vector<std::string> key_maps;  // tables that only link keys to rows (no values)
  size_t flagged() const;
};

// Why a row with this source and confidence fails: no source; a source that points at another
// row ("same", "as above", "see above", "ditto", "同上"); no confidence, or one that is not
// high/medium/low; a recollection (memory, recalled, unverified) not marked low.
std::vector<std::string> ProvenanceFlags(std::string_view source, std::string_view confidence);

// Audits every *.csv in `dir` (a reference library folder; it must load).
absl::StatusOr<AuditReport> AuditReference(const std::string& dir);

std::string AuditText(const AuditReport& r);  // one line per row; flagged rows start "FLAG"
std::string AuditJson(const AuditReport& r);

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_REFERENCE_AUDIT_H_
