// dualcarbon reference list [TABLE] | show KEY | audit: the reference library's values with
// unit, source and confidence; `audit` lists every row of every table and fails on any row
// without a credible source.
#include <iostream>
#include <memory>

#include "accounting/reference.h"
#include "accounting/reference_audit.h"
#include "app/commands.h"

namespace dc::app {
namespace {

[[noreturn]] void Fail(const std::string& msg, int code = kExitFailure) {
  std::cerr << "dualcarbon reference: " << msg << "\n";
  throw CLI::RuntimeError(code);
}

accounting::Reference Load(const std::string& dir) {
  auto ref = accounting::Reference::Load(
      dir.empty() ? accounting::Reference::DefaultDir("dualcarbon") : dir);
  if (!ref.ok()) Fail(std::string(ref.status().message()));
  return std::move(*ref);
}

std::string ValueText(const accounting::RefValue& v) {
  if (v.numeric()) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.12g", v.value);
    return buf;
  }
  return v.text;
}

void RegisterAudit(CLI::App* cmd, std::shared_ptr<std::string> dir) {
  auto format = std::make_shared<std::string>("text");
  auto* audit = cmd->add_subcommand(
      "audit",
      "List every value of every table with its source and confidence; exit 1 if any row has "
      "no source, a source that points at another row (\"same\"), no valid confidence, or a "
      "recollection not marked low");
  audit->add_option("--format", *format, "text | json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  audit->callback([dir, format] {
    auto report = accounting::AuditReference(
        dir->empty() ? accounting::Reference::DefaultDir("dualcarbon") : *dir);
    if (!report.ok()) Fail(std::string(report.status().message()));
    std::cout << (*format == "json" ? accounting::AuditJson(*report)
                                    : accounting::AuditText(*report));
    if (size_t n = report->flagged(); n > 0) {
      std::cerr << "dualcarbon reference audit: " << n << " of " << report->entries.size()
                << " rows flagged (lines starting FLAG / \"flags\" in JSON)\n";
      throw CLI::RuntimeError(kExitFailure);
    }
  });
}

}  // namespace

void RegisterReference(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  auto table = std::make_shared<std::string>();
  auto key = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "reference", "Reference library: coefficients and factors with source and confidence");
  cmd->add_option("--reference", *dir, "Reference library directory");
  cmd->require_subcommand(1);
  auto* list = cmd->add_subcommand(
      "list", "List tables, or the values of TABLE (a key prefix such as grid.national)");
  list->add_option("table", *table, "Table or key prefix");
  list->callback([dir, table] {
    accounting::Reference ref = Load(*dir);
    std::cout << "# reference " << ref.version() << "\n";
    if (table->empty()) {
      for (const auto& t : ref.Tables())
        std::cout << t << "\t" << ref.List(t).size() << " values\n";
      return;
    }
    auto values = ref.List(*table);
    if (values.empty())
      Fail("no table or key prefix \"" + *table + "\" (run: dualcarbon reference list)");
    for (const auto* v : values) {
      std::cout << v->key << "\t" << ValueText(*v) << "\t" << v->unit << "\t"
                << accounting::ConfidenceName(v->level) << "\t" << v->source << "\n";
    }
  });
  RegisterAudit(cmd, dir);
  auto* show = cmd->add_subcommand("show", "Show one value with unit, source, confidence and note");
  show->add_option("key", *key, "Key, e.g. grid.national.2022 or fuel.A.bituminous_coal.ncv")
      ->required();
  show->callback([dir, key] {
    accounting::Reference ref = Load(*dir);
    const accounting::RefValue* v = ref.Find(*key);
    if (!v) {
      if (const accounting::Carrier* c = ref.FindCarrier(*key)) {
        std::cout << "carrier: " << c->key << " (" << c->name_cn << ", " << c->name_en
                  << ")\nunits: " << c->UnitList() << "\ntce rule: " << c->tce_rule
                  << (c->tce_key.empty() ? "" : " (" + c->tce_key + ")") << "\nnote: " << c->note
                  << "\nreference: " << ref.version() << "\n";
        return;
      }
      Fail("no value \"" + *key + "\" in reference " + ref.version() +
           " (run: dualcarbon reference list)");
    }
    std::cout << "key: " << v->key << "\nvalue: " << ValueText(*v) << "\nunit: " << v->unit
              << "\nconfidence: " << accounting::ConfidenceName(v->level) << " (" << v->confidence
              << ")"
              << "\nsource: " << v->source << "\ntable: " << v->table << "\nnote: " << v->note
              << "\nreference: " << ref.version() << "\n";
  });
}

}  // namespace dc::app
