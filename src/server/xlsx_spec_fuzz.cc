// libFuzzer target: the export table spec parser (and the name rules) never crash, and what
// they accept keeps the bounds of xlsx.h.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/xlsx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto book = dc::server::ParseXlsxSpec(text);
  if (!book.ok()) return 0;
  if (book->sheets.empty() || book->sheets.size() > dc::server::kXlsxMaxSheets) std::abort();
  size_t cells = 0;
  for (const dc::server::XlsxSheet& s : book->sheets) {
    if (s.name.empty() || s.columns.empty()) std::abort();
    for (const auto& row : s.rows) {
      if (row.size() > s.columns.size()) std::abort();
      cells += row.size();
    }
  }
  if (cells > dc::server::kXlsxMaxCells) std::abort();
  return 0;
}
