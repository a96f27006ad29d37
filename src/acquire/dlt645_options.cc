// ParseDlt645Options: the [[dlt645]] tables of dualcarbon.toml, and the default items.
#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "acquire/dlt645_source.h"
#include "acquire/table_reader.h"
#include "common/strings.h"
#include "common/text.h"
#include "ingest/dlt645.h"

namespace dc::acquire {
namespace {

constexpr size_t kMaxMeters = 247;  // an RS-485 segment holds far fewer; a bound on the config
constexpr size_t kMaxItems = 256;

using Keys = TableReader::Keys;

const Keys& BusKeys() {
  static const auto* keys =
      new Keys{"name",      "host",        "port",   "serial",   "baud",    "parity",
               "data_bits", "stop_bits",   "wakeup", "interval", "timeout", "retries",
               "backoff",   "backoff_max", "site",   "meter"};
  return *keys;
}
const Keys& MeterKeys() {
  static const auto* keys = new Keys{"meter", "site", "address", "read"};
  return *keys;
}

using Reader = TableReader;

absl::Status ParseTransport(const Reader& r, Dlt645Options* o) {
  if (auto s = r.String("host", &o->host); !s.ok()) return s;
  if (auto s = r.String("serial", &o->serial); !s.ok()) return s;
  if (o->host.empty() == o->serial.empty()) {
    return r.Bad("host/serial",
                 "— set exactly one: serial (an RS-485 port) or host and port (a transparent "
                 "serial-to-TCP server)");
  }
  if (!o->host.empty() && r.t.get("port") == nullptr) {
    return r.Bad("port", "is required with host (the serial server's TCP port)");
  }
  if (auto s = r.Int("port", 1, 65535, &o->port); !s.ok()) return s;
  if (auto s = r.Int("baud", 300, 115200, &o->baud); !s.ok()) return s;
  static constexpr int kBauds[] = {300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200};
  if (std::find(std::begin(kBauds), std::end(kBauds), o->baud) == std::end(kBauds)) {
    return r.Bad("baud", "must be one of 300, 600, 1200, 2400, 4800, 9600, 19200 ... 115200");
  }
  if (auto s = r.Int("data_bits", 5, 8, &o->data_bits); !s.ok()) return s;
  if (auto s = r.Int("stop_bits", 1, 2, &o->stop_bits); !s.ok()) return s;
  if (auto s = r.Parity(&o->parity); !s.ok()) return s;
  return r.Int("wakeup", 0, 16, &o->wakeup);
}

absl::Status ParseTiming(const Reader& r, Dlt645Options* o) {
  using absl::Milliseconds, absl::Hours, absl::Seconds;
  if (auto s = r.Duration("interval", Milliseconds(100), Hours(24), &o->interval_ns); !s.ok()) {
    return s;
  }
  if (auto s = r.Duration("timeout", Milliseconds(10), Seconds(60), &o->timeout_ns); !s.ok()) {
    return s;
  }
  if (auto s = r.Backoff(&o->retries, &o->backoff_initial_ns, &o->backoff_max_ns); !s.ok()) {
    return s;
  }
  return absl::OkStatus();
}

// "00010000" (a DI of the default table) or "00050000:reactive_q1_kvarh".
absl::StatusOr<Dlt645Item> ParseItem(const Reader& r, std::string_view text) {
  const size_t colon = text.find(':');
  const std::string_view hex = text.substr(0, colon);
  Dlt645Item item;
  if (hex.size() != 8 || !absl::SimpleHexAtoi(AV(hex), &item.di)) {
    return r.Bad("read", absl::StrCat("entry \"", AV(text),
                                      "\" is not a data identifier of 8 hex digits "
                                      "(\"00010000\", or \"00050000:field\")"));
  }
  if (auto d = dlt645::FindDataItem(item.di); !d.ok()) {
    return r.Bad("read", absl::StrCat("entry \"", AV(text), "\": ", d.status().message()));
  }
  item.field = colon == std::string_view::npos ? DefaultDlt645Field(item.di)
                                               : std::string(text.substr(colon + 1));
  if (item.field.empty()) {
    return r.Bad("read", absl::StrCat("entry \"", AV(text), "\" needs a field name (\"", AV(hex),
                                      ":field\"): it is "
                                      "not in the default table"));
  }
  if (auto s = CheckText(absl::StrCat(r.where, ": read"), item.field, TableReader::kMaxTextBytes);
      !s.ok()) {
    return s;
  }
  return item;
}

absl::Status ParseItems(const Reader& r, Dlt645Meter* m) {
  const toml::node* n = r.t.get("read");
  if (n == nullptr) {
    m->items = DefaultDlt645Items();
    return absl::OkStatus();
  }
  const toml::array* list = n->as_array();
  if (list == nullptr || list->empty() || list->size() > kMaxItems) {
    return r.Bad("read", absl::StrCat("must be a list of 1..", kMaxItems,
                                      " data identifiers ([\"00010000\", \"02030000\"])"));
  }
  std::set<std::string, std::less<>> fields;
  for (const toml::node& e : *list) {
    auto text = e.value<std::string>();
    if (!text) return r.Bad("read", "entries must be strings");
    auto item = ParseItem(r, *text);
    if (!item.ok()) return item.status();
    if (!fields.insert(item->field).second) {
      return r.Bad("read", absl::StrCat("field \"", item->field, "\" is read twice"));
    }
    m->items.push_back(std::move(*item));
  }
  return absl::OkStatus();
}

absl::StatusOr<Dlt645Meter> ParseMeter(const toml::table& t, const std::string& bus,
                                       const std::string& bus_site, size_t index) {
  const std::string label = t["meter"].value_or(absl::StrCat(index + 1));
  Reader r{t, absl::StrCat(bus, " meter \"", label, "\"")};
  if (auto s = r.Known(MeterKeys(), "[[dlt645.meter]]"); !s.ok()) return s;
  Dlt645Meter m;
  m.site = bus_site;
  if (auto s = r.String("meter", &m.meter); !s.ok()) return s;
  if (auto s = r.String("site", &m.site); !s.ok()) return s;
  if (auto s = r.String("address", &m.address); !s.ok()) return s;
  if (m.meter.empty()) return r.Bad("meter", "is required (the series tag id=<meter>)");
  if (m.site.empty()) {
    return r.Bad("site", "is required, here or on the bus (every series belongs to a site)");
  }
  if (m.address.empty()) {
    return r.Bad("address", "is required: 12 digits as printed on the meter, or \"discover\"");
  }
  if (m.address != "discover") {
    if (auto a = dlt645::ParseAddress(m.address); !a.ok()) {
      return r.Bad("address", std::string(a.status().message()));
    }
  }
  if (auto s = ParseItems(r, &m); !s.ok()) return s;
  return m;
}

absl::Status ParseMeters(const Reader& r, const std::string& site, Dlt645Options* o) {
  const toml::node* n = r.t.get("meter");
  const toml::array* list = n == nullptr ? nullptr : n->as_array();
  if (list == nullptr || list->empty() || list->size() > kMaxMeters) {
    return r.Bad("meter", absl::StrCat("must be 1..", kMaxMeters,
                                       " [[dlt645.meter]] tables (the meters on the bus)"));
  }
  std::set<std::string, std::less<>> ids, addresses;
  for (size_t i = 0; i < list->size(); ++i) {
    const toml::table* t = (*list)[i].as_table();
    if (t == nullptr) return r.Bad("meter", absl::StrCat("entry ", i + 1, " is not a table"));
    auto m = ParseMeter(*t, r.where, site, i);
    if (!m.ok()) return m.status();
    if (!ids.insert(m->meter).second) {
      return r.Bad("meter", absl::StrCat("\"", m->meter, "\" appears twice"));
    }
    if (!addresses.insert(m->address).second) {
      return r.Bad("meter", absl::StrCat("address ", m->address, " appears twice"));
    }
    o->meters.push_back(std::move(*m));
  }
  if (o->meters.size() > 1 && addresses.contains("discover")) {
    return r.Bad("address",
                 "\"discover\" works only for a lone meter on its bus (it asks the "
                 "broadcast address, and every meter would answer)");
  }
  return absl::OkStatus();
}

}  // namespace

const std::vector<Dlt645Item>& DefaultDlt645Items() {
  static const auto* items =
      new std::vector<Dlt645Item>{{0x00010000, "import_kwh"},      {0x00010100, "import_kwh_t1"},
                                  {0x00010200, "import_kwh_t2"},   {0x00010300, "import_kwh_t3"},
                                  {0x00010400, "import_kwh_t4"},   {0x00020000, "export_kwh"},
                                  {0x00030000, "reactive1_kvarh"}, {0x00040000, "reactive2_kvarh"},
                                  {0x02030000, "power_kw"},        {0x02010100, "voltage_a"},
                                  {0x02010200, "voltage_b"},       {0x02010300, "voltage_c"},
                                  {0x02020100, "current_a"},       {0x02020200, "current_b"},
                                  {0x02020300, "current_c"}};
  return *items;
}

std::string DefaultDlt645Field(uint32_t di) {
  for (const Dlt645Item& i : DefaultDlt645Items()) {
    if (i.di == di) return i.field;
  }
  return "";
}

absl::StatusOr<Dlt645Options> ParseDlt645Options(const toml::table& bus) {
  Dlt645Options o;
  std::string label =
      bus["name"].value_or(bus["serial"].value_or(bus["host"].value_or(std::string("?"))));
  Reader r{bus, absl::StrCat("[[dlt645]] \"", label, "\"")};
  if (auto s = r.Known(BusKeys(), "[[dlt645]]"); !s.ok()) return s;
  if (auto s = ParseTransport(r, &o); !s.ok()) return s;
  o.name = absl::StrCat("dlt645:", o.host.empty() ? o.serial : absl::StrCat(o.host, ":", o.port));
  if (auto s = r.String("name", &o.name); !s.ok()) return s;
  if (auto s = ParseTiming(r, &o); !s.ok()) return s;
  std::string site;
  if (auto s = r.String("site", &site); !s.ok()) return s;
  if (auto s = ParseMeters(r, site, &o); !s.ok()) return s;
  return o;
}

absl::StatusOr<std::vector<Dlt645Options>> ParseDlt645Buses(const toml::table& root) {
  std::vector<Dlt645Options> out;
  const toml::node* n = root.get("dlt645");
  if (n == nullptr) return out;
  const toml::array* buses = n->as_array();
  if (buses == nullptr) return absl::InvalidArgumentError("dlt645 must be [[dlt645]] tables");
  std::set<std::string, std::less<>> names;
  for (size_t i = 0; i < buses->size(); ++i) {
    const toml::table* t = (*buses)[i].as_table();
    if (t == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("[[dlt645]] ", i + 1, ": not a table"));
    }
    auto o = ParseDlt645Options(*t);
    if (!o.ok()) return o.status();
    if (!names.insert(o->name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("[[dlt645]] \"", o->name, "\": name is used by another bus"));
    }
    out.push_back(std::move(*o));
  }
  return out;
}

}  // namespace dc::acquire
