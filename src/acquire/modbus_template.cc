#include "acquire/modbus_template.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/env.h"
#include "common/strings.h"
#include "common/text.h"

namespace dc::acquire {
namespace {

using modbus::Table;
using modbus::ValueType;

constexpr size_t kMaxFieldBytes = 128;

std::string Where(std::string_view origin, size_t i, std::string_view field) {
  return absl::StrCat(AV(origin), ": register ", i + 1, field.empty() ? "" : " (\"", AV(field),
                      field.empty() ? "" : "\")");
}

// The table and 0-based address of register number `n` written in `base`.
absl::Status ResolveAddress(int64_t n, AddressBase base, Table* table, int* address,
                            const std::string& where) {
  switch (base) {
    case AddressBase::kZero:
      if (n < 0 || n > 65535) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": address ", n, " is outside 0..65535 (address_base = 0)"));
      }
      *address = static_cast<int>(n);
      return absl::OkStatus();
    case AddressBase::kOne:
      if (n < 1 || n > 65536) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": address ", n, " is outside 1..65536 (address_base = 1)"));
      }
      *address = static_cast<int>(n - 1);
      return absl::OkStatus();
    case AddressBase::kModicon: {
      const int64_t prefix = n / 10000, rest = n % 10000;
      static constexpr Table kByPrefix[] = {Table::kCoil, Table::kDiscrete, Table::kHolding,
                                            Table::kInput, Table::kHolding};
      if (n < 1 || n > 49999 || prefix == 2 || rest == 0) {
        return absl::InvalidArgumentError(absl::StrCat(
            where, ": address ", n,
            " is not a 40001-style register number (00001-09999 coil, 10001-19999 discrete, "
            "30001-39999 input, 40001-49999 holding)"));
      }
      *table = kByPrefix[prefix];
      *address = static_cast<int>(rest - 1);
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unreachable");
}

absl::Status CheckTypeFitsTable(const RegisterSpec& r, const std::string& where) {
  const bool bit_table = r.reg.table == Table::kCoil || r.reg.table == Table::kDiscrete;
  if (bit_table && r.reg.type != ValueType::kBool) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": coil and discrete tables hold bits; type must be \"bool\""));
  }
  const int last = r.reg.address + modbus::RegisterCount(r.reg.type) - 1;
  if (last > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": the value's registers run past address 65535"));
  }
  return absl::OkStatus();
}

template <typename Parse>
absl::Status ParseOptionalEnum(const toml::table& t, std::string_view key, Parse parse,
                               const std::string& where, auto* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return absl::OkStatus();
  auto s = n->value<std::string>();
  if (!s)
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", AV(key), " must be a string"));
  auto v = parse(*s);
  if (!v.ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": ", v.status().message()));
  *out = *v;
  return absl::OkStatus();
}

absl::Status ParseNumber(const toml::table& t, std::string_view key, const std::string& where,
                         double* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return absl::OkStatus();
  auto v = n->value<double>();
  if (!v || !std::isfinite(*v)) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": ", AV(key), " must be a finite number"));
  }
  *out = *v;
  return absl::OkStatus();
}

absl::StatusOr<RegisterSpec> ParseOne(const toml::table& t, const RegisterDefaults& d,
                                      const std::string& where) {
  RegisterSpec r;
  r.order = d.order;
  r.reg.table = d.table;
  auto field = t["field"].value<std::string>();
  if (!field) return absl::InvalidArgumentError(absl::StrCat(where, ": field (a name) is missing"));
  r.field = *field;
  if (auto s = CheckText(absl::StrCat(where, ": field"), r.field, kMaxFieldBytes); !s.ok())
    return s;
  if (r.field.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ": field is empty"));
  auto address = t["address"].value_exact<int64_t>();
  if (!address) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": address (an integer) is missing"));
  }
  if (auto s = ParseOptionalEnum(t, "table", modbus::ParseTable, where, &r.reg.table); !s.ok()) {
    return s;
  }
  if (auto s = ResolveAddress(*address, d.base, &r.reg.table, &r.reg.address, where); !s.ok()) {
    return s;
  }
  const bool bit_table = r.reg.table == Table::kCoil || r.reg.table == Table::kDiscrete;
  r.reg.type = bit_table ? ValueType::kBool : ValueType::kUInt16;
  if (auto s = ParseOptionalEnum(t, "type", modbus::ParseValueType, where, &r.reg.type); !s.ok()) {
    return s;
  }
  if (auto s = ParseOptionalEnum(t, "byte_order", modbus::ParseByteOrder, where, &r.order);
      !s.ok()) {
    return s;
  }
  if (auto s = ParseNumber(t, "scale", where, &r.scale); !s.ok()) return s;
  if (auto s = ParseNumber(t, "offset", where, &r.offset); !s.ok()) return s;
  if (auto s = CheckTypeFitsTable(r, where); !s.ok()) return s;
  return r;
}

}  // namespace

absl::StatusOr<RegisterDefaults> ParseRegisterDefaults(const toml::table& t,
                                                       std::string_view origin,
                                                       RegisterDefaults d) {
  const std::string where(origin);
  if (const toml::node* n = t.get("address_base")) {
    if (auto i = n->value_exact<int64_t>(); i && (*i == 0 || *i == 1)) {
      d.base = *i == 0 ? AddressBase::kZero : AddressBase::kOne;
    } else if (auto s = n->value<std::string>(); s && *s == "modicon") {
      d.base = AddressBase::kModicon;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": address_base must be 0, 1 or \"modicon\" (40001-style)"));
    }
  }
  if (auto s = ParseOptionalEnum(t, "byte_order", modbus::ParseByteOrder, where, &d.order);
      !s.ok()) {
    return s;
  }
  if (auto s = ParseOptionalEnum(t, "table", modbus::ParseTable, where, &d.table); !s.ok()) {
    return s;
  }
  return d;
}

absl::StatusOr<std::vector<RegisterSpec>> ParseRegisters(const toml::array& registers,
                                                         const RegisterDefaults& defaults,
                                                         std::string_view origin) {
  std::vector<RegisterSpec> out;
  std::set<std::string, std::less<>> seen;
  for (size_t i = 0; i < registers.size(); ++i) {
    const toml::table* t = registers[i].as_table();
    if (t == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(Where(origin, i, ""), ": not a table"));
    }
    std::string field = t->get("field") ? (*t)["field"].value_or(std::string()) : "";
    auto r = ParseOne(*t, defaults, Where(origin, i, field));
    if (!r.ok()) return r.status();
    if (!seen.insert(r->field).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(origin, i, field), ": field is used twice"));
    }
    out.push_back(std::move(*r));
  }
  return out;
}

absl::StatusOr<DeviceTemplate> ParseTemplate(const toml::table& t, std::string name,
                                             std::string_view origin) {
  DeviceTemplate out;
  out.name = std::move(name);
  out.description = t["description"].value_or(std::string());
  if (const toml::node* n = t.get("max_registers")) {
    auto m = n->value_exact<int64_t>();
    if (!m || *m < 1 || *m > 125) {
      return absl::InvalidArgumentError(
          absl::StrCat(AV(origin), ": max_registers must be an integer in 1..125"));
    }
    out.max_registers = static_cast<int>(*m);
  }
  auto defaults = ParseRegisterDefaults(t, origin);
  if (!defaults.ok()) return defaults.status();
  const toml::array* regs = t["register"].as_array();
  if (regs == nullptr || regs->empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(AV(origin), ": no [[register]] entries (a template maps at least one value)"));
  }
  auto parsed = ParseRegisters(*regs, *defaults, origin);
  if (!parsed.ok()) return parsed.status();
  out.registers = std::move(*parsed);
  return out;
}

absl::StatusOr<DeviceTemplate> LoadTemplate(const std::string& dir, std::string_view name) {
  const bool ok_name =
      !name.empty() && name[0] != '.' && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
  if (!ok_name) {
    return absl::InvalidArgumentError(absl::StrCat(
        "template \"", AV(name), "\": a template name has only letters, digits, '-', '_' and '.'"));
  }
  const std::string path = absl::StrCat(dir, "/", AV(name), ".toml");
  auto text = ReadFileToString(Env::Default(), path);
  if (!text.ok()) {
    auto names = ListTemplates(dir);
    std::string known;
    if (names.ok()) {
      for (const auto& n : *names) absl::StrAppend(&known, known.empty() ? "" : ", ", n);
    }
    return absl::NotFoundError(absl::StrCat("template \"", AV(name), "\" not found in ", dir,
                                            " (templates there: ", known.empty() ? "none" : known,
                                            "; set DC_MODBUS_TEMPLATES or templates_dir)"));
  }
  toml::table t;
  try {
    t = toml::parse(*text, path);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, " line ", e.source().begin.line, ": ",
                                                   AV(std::string_view(e.description()))));
  }
  return ParseTemplate(t, std::string(name), path);
}

absl::StatusOr<std::vector<std::string>> ListTemplates(const std::string& dir) {
  auto children = Env::Default()->GetChildren(dir);
  if (!children.ok()) return children.status();
  std::vector<std::string> out;
  for (const auto& c : *children) {
    if (c.size() > 5 && c.ends_with(".toml")) out.push_back(c.substr(0, c.size() - 5));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string DefaultTemplateDir() {
  namespace fs = std::filesystem;
  if (const char* e = std::getenv("DC_MODBUS_TEMPLATES"); e && *e) return e;
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && !exe.empty()) {
    const fs::path d = exe.parent_path();
    for (const fs::path& cand :
         {d / "../templates/modbus", d / "../../templates/modbus", d / "../../../templates/modbus",
          d / "../share/dualcarbon/templates/modbus"}) {
      if (fs::is_directory(cand, ec)) return fs::weakly_canonical(cand, ec).string();
    }
  }
  if (const char* s = std::getenv("DC_SOURCE_DIR"); s && *s) {
    return absl::StrCat(s, "/templates/modbus");
  }
  return "templates/modbus";
}

std::vector<RegisterSpec> MergeRegisters(std::vector<RegisterSpec> base,
                                         const std::vector<RegisterSpec>& overrides) {
  for (const RegisterSpec& o : overrides) {
    auto it = std::find_if(base.begin(), base.end(),
                           [&](const RegisterSpec& r) { return r.field == o.field; });
    if (it != base.end()) {
      *it = o;
    } else {
      base.push_back(o);
    }
  }
  return base;
}

}  // namespace dc::acquire
