// The RFC 4180 reader lives in the ingest layer (ingest/csv.h), shared with the CSV importer;
// these names keep accounting's callers unchanged.
#ifndef DC_ACCOUNTING_CSV_H_
#define DC_ACCOUNTING_CSV_H_

#include "ingest/csv.h"

namespace dc::accounting {

using ::dc::CsvRow;
using ::dc::CsvTable;
using ::dc::kMaxTextFileBytes;
using ::dc::ParseCsv;
using ::dc::ReadTextFile;

}  // namespace dc::accounting

#endif  // DC_ACCOUNTING_CSV_H_
