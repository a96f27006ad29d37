#include "server/export_api.h"

#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"
#include "server/scope.h"

namespace dc::server {
namespace {

using nlohmann::json;

constexpr char kXlsxType[] = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

XlsxCell J(const json& v) {
  if (v.is_number()) return XlsxCell{v.get<double>()};
  if (v.is_string()) return XlsxCell{v.get<std::string>()};
  if (v.is_boolean()) return XlsxCell{std::string(v.get<bool>() ? "true" : "false")};
  if (v.is_null()) return XlsxCell{};
  return XlsxCell{v.dump()};
}

const json& At(const json& j, std::initializer_list<const char*> path) {
  static const json kNull;
  const json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return kNull;
    p = &(*p)[k];
  }
  return *p;
}

XlsxSheet Totals(const json& inv, const std::string& title) {
  XlsxSheet s{"Totals", title, {{"item", ""}, {"value", ""}, {"unit", ""}}, {}};
  auto row = [&](const char* item, const json& v, const char* unit) {
    s.rows.push_back({XlsxCell{std::string(item)}, J(v), XlsxCell{std::string(unit)}});
  };
  row("site", At(inv, {"site"}), "");
  row("period", At(inv, {"period", "text"}), "");
  row("start", At(inv, {"period", "start"}), "");
  row("end", At(inv, {"period", "end"}), "");
  row("energy", At(inv, {"energy", "total_tce"}), "tce");
  row("emissions", At(inv, {"emissions", "total_tco2e"}), "tCO2e");
  row("scope 1", At(inv, {"emissions", "scope1_tco2e"}), "tCO2e");
  row("scope 2", At(inv, {"emissions", "scope2_tco2e"}), "tCO2e");
  row("exports", At(inv, {"emissions", "exports_tco2e"}), "tCO2e");
  row("reference version", At(inv, {"reference", "version"}), "");
  row("grid factor", At(inv, {"reference", "grid", "tco2_per_mwh"}), "tCO2/MWh");
  row("data source", At(inv, {"data_source"}), "");
  for (const json& c : At(inv, {"energy", "by_carrier"})) {
    s.rows.push_back({XlsxCell{absl::StrCat("energy: ", c.value("carrier", ""))}, J(c["tce"]),
                      XlsxCell{std::string("tce")}});
  }
  for (const json& w : At(inv, {"warnings"})) {
    s.rows.push_back({XlsxCell{std::string("warning")}, J(w), XlsxCell{}});
  }
  return s;
}

XlsxSheet Meters(const json& inv) {
  XlsxSheet s{"Energy by meter", "", {}, {}};
  for (const char* c :
       {"meter", "carrier", "flow", "area", "amount", "unit", "tce", "tce_per_unit", "basis"}) {
    s.columns.push_back({c, std::string_view(c) == "tce" ? "tce" : ""});
  }
  for (const json& m : At(inv, {"energy", "by_meter"})) {
    std::vector<XlsxCell>& r = s.rows.emplace_back();
    for (const XlsxColumn& c : s.columns) r.push_back(J(m.value(c.name, json())));
  }
  return s;
}

XlsxSheet Lines(const json& inv, XlsxSheet* factors) {
  XlsxSheet s{"Emission lines", "", {}, {}};
  s.columns = {{"line", ""}, {"source", ""},   {"category", ""}, {"scope", ""},  {"meter", ""},
               {"area", ""}, {"activity", ""}, {"unit", ""},     {"tco2e", "t"}, {"formula", ""}};
  factors->columns = {{"line", ""},       {"source", ""},    {"factor", ""},
                      {"value", ""},      {"unit", ""},      {"key", ""},
                      {"confidence", ""}, {"reference", ""}, {"citation", ""}};
  double n = 0;
  for (const json& l : At(inv, {"emissions", "lines"})) {
    ++n;
    s.rows.push_back({XlsxCell{n}, J(l.value("source", json())), J(l.value("category", json())),
                      J(l.value("scope", json())), J(l.value("meter", json())),
                      J(l.value("area", json())), J(At(l, {"activity", "amount"})),
                      J(At(l, {"activity", "unit"})), J(l.value("tco2e", json())),
                      J(l.value("formula", json()))});
    for (const json& f : At(l, {"factors"})) {
      factors->rows.push_back({XlsxCell{n}, J(l.value("source", json())),
                               J(f.value("name", json())), J(f.value("value", json())),
                               J(f.value("unit", json())), J(f.value("key", json())),
                               J(f.value("confidence", json())), J(f.value("source", json())),
                               J(f.value("citation", json()))});
    }
  }
  return s;
}

XlsxSheet Products(const json& inv) {
  XlsxSheet s{"Products", "", {}, {}};
  s.columns = {{"product", ""},
               {"output", ""},
               {"unit", ""},
               {"energy", "tce"},
               {"energy intensity", "kgce/unit"},
               {"co2e", "t"},
               {"co2e intensity", "t/unit"},
               {"benchmark", ""},
               {"grade", ""}};
  for (const json& p : At(inv, {"products"})) {
    s.rows.push_back({J(p.value("id", json())), J(p.value("output", json())),
                      J(p.value("unit", json())), J(p.value("energy_tce", json())),
                      J(p.value("energy_kgce_per_unit", json())), J(p.value("co2e_t", json())),
                      J(p.value("co2e_t_per_unit", json())), J(At(p, {"benchmark", "benchmark"})),
                      J(At(p, {"benchmark", "grade"}))});
  }
  return s;
}

// "attachment; filename=ascii; filename*=UTF-8''percent-encoded" (RFC 6266).
std::string Disposition(const std::string& name) {
  std::string ascii, encoded;
  for (unsigned char c : name) {
    ascii.push_back(c < 0x80 && c != '"' ? static_cast<char>(c) : '_');
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      encoded.push_back(static_cast<char>(c));
    } else {
      absl::StrAppend(&encoded, "%", absl::Hex(c, absl::kZeroPad2));
    }
  }
  return absl::StrCat("attachment; filename=\"", ascii, "\"; filename*=UTF-8''", encoded);
}

absl::Status Respond(const XlsxBook& book, const std::string& tmp_dir, HttpResponse& res) {
  auto bytes = WriteXlsx(book, tmp_dir);
  if (!bytes.ok()) return bytes.status();
  res.content_type = kXlsxType;
  res.body = std::move(*bytes);
  res.headers.emplace_back("Content-Disposition", Disposition(book.filename));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<XlsxBook> InventoryWorkbook(std::string_view inventory_json) {
  json inv = json::parse(inventory_json, nullptr, false);
  if (inv.is_discarded() || !inv.is_object()) {
    return absl::InternalError("inventory.xlsx: the inventory is not a JSON object");
  }
  const json& text = At(inv, {"period", "text"});
  const std::string site = inv.value("site", "");
  const std::string period = text.is_string() ? text.get<std::string>() : "";
  XlsxBook book;
  book.filename = SanitizeFileName(absl::StrCat(site, "-inventory-", period));
  XlsxSheet factors{"Factors", "", {}, {}};
  book.sheets.push_back(Totals(inv, absl::StrCat(site, " — inventory ", period)));
  book.sheets.push_back(Meters(inv));
  book.sheets.push_back(Lines(inv, &factors));
  book.sheets.push_back(std::move(factors));
  book.sheets.push_back(Products(inv));
  return book;
}

// A private directory (mode 0700) for the workbooks being written: their names cannot be
// taken over by another user of the machine.
ExportApi::ExportApi(SitesApi& sites) : sites_(sites) {
  std::error_code ec;
  std::string base = std::filesystem::temp_directory_path(ec).string();
  if (ec || base.empty()) base = "/tmp";
  std::string pattern = base + "/dc-export-XXXXXX";
  if (::mkdtemp(pattern.data()) != nullptr) tmp_dir_ = pattern;
}

ExportApi::~ExportApi() {
  if (!tmp_dir_.empty()) ::rmdir(tmp_dir_.c_str());
}

void ExportApi::Register(Router& router) {
  auto bind = [this](absl::Status (ExportApi::*fn)(HttpRequest&, HttpResponse&)) {
    return [this, fn](HttpRequest& req, HttpResponse& res) { return (this->*fn)(req, res); };
  };
  using enum Access;
  using enum ScopeRule;
  auto add = [&](const char* method, const char* path, const char* name, Access access, auto fn,
                 ScopeRule scope) {
    router.Add({method, path, name, access, ErrorStyle::kApi, bind(fn), scope});
  };
  add("POST", "/api/v1/export/xlsx", "export_xlsx", kRead, &ExportApi::Xlsx, kNone);
  add("GET", "/api/v1/sites/{id}/inventory.xlsx", "site_inventory_xlsx", kRead,
      &ExportApi::InventoryXlsx, kSitePath);
}

absl::Status ExportApi::Xlsx(HttpRequest& req, HttpResponse& res) {
  if (tmp_dir_.empty()) return absl::UnavailableError("export: no temporary directory");
  auto book = ParseXlsxSpec(*req.body);
  if (!book.ok()) return book.status();
  return Respond(*book, tmp_dir_, res);
}

absl::Status ExportApi::InventoryXlsx(HttpRequest& req, HttpResponse& res) {
  if (req.params.Get("format") != nullptr) {
    return absl::InvalidArgumentError("parameter format: inventory.xlsx is always a workbook");
  }
  if (tmp_dir_.empty()) return absl::UnavailableError("export: no temporary directory");
  HttpResponse inv;
  if (absl::Status s = sites_.Inventory(req, inv); !s.ok()) return s;
  auto book = InventoryWorkbook(inv.body);
  if (!book.ok()) return book.status();
  return Respond(*book, tmp_dir_, res);
}

}  // namespace dc::server
