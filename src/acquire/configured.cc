#include "acquire/configured.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "acquire/dlt645_source.h"
#include "acquire/folder_source.h"
#include "acquire/hj212_config.h"
#include "acquire/hj212_forwarder.h"
#include "acquire/hj212_listener.h"
#include "acquire/modbus_source.h"
#include "acquire/mqtt_source.h"

namespace dc::acquire {

bool IsSourceConfigKey(std::string_view key) {
  return key == "mqtt" || key == "modbus" || key == "dlt645" || key == "hj212" ||
         key == "hj212_forward" || key == "folder";
}

namespace {

absl::Status AddMqtt(const toml::table& root, Sink& sink,
                     std::vector<std::unique_ptr<Source>>* out) {
  const toml::node* node = root.get("mqtt");
  if (node == nullptr) return absl::OkStatus();
  const toml::array* list = node->as_array();
  if (list == nullptr) {
    return absl::InvalidArgumentError("mqtt: must be an array of tables ([[mqtt]])");
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const toml::table* t = (*list)[i].as_table();
    if (t == nullptr) return absl::InvalidArgumentError(absl::StrCat("mqtt[", i, "]: not a table"));
    auto opt = ParseMqttOptions(*t);
    if (!opt.ok()) return opt.status();
    auto src = MakeMqttSource(*opt, sink);
    if (!src.ok()) return src.status();
    out->push_back(std::move(*src));
  }
  return absl::OkStatus();
}

absl::Status AddModbus(const toml::table& root, Sink& sink,
                       std::vector<std::unique_ptr<Source>>* out) {
  auto devices = ParseModbusDevices(root);
  if (!devices.ok()) return devices.status();
  for (const ModbusOptions& d : *devices) {
    auto src = MakeModbusSource(d, sink);
    if (!src.ok()) return src.status();
    out->push_back(std::move(*src));
  }
  return absl::OkStatus();
}

absl::Status AddDlt645(const toml::table& root, Sink& sink,
                       std::vector<std::unique_ptr<Source>>* out) {
  auto buses = ParseDlt645Buses(root);
  if (!buses.ok()) return buses.status();
  for (const Dlt645Options& b : *buses) {
    auto src = MakeDlt645Source(b, sink);
    if (!src.ok()) return src.status();
    out->push_back(std::move(*src));
  }
  return absl::OkStatus();
}

absl::Status AddHj212(const toml::table& root, const std::string& data_dir, Sink& sink,
                      std::vector<std::unique_ptr<Source>>* out) {
  auto cfg = ParseHj212Options(root, data_dir);
  if (!cfg.ok()) return cfg.status();
  Hj212Forwarder* forwarder = nullptr;
  if (cfg->forward) {
    auto f = Hj212Forwarder::Open(*cfg->forward);
    if (!f.ok()) return f.status();
    forwarder = f->get();
    out->push_back(std::move(*f));  // before its listeners: they stop first
  }
  for (auto& l : cfg->listeners) {
    if (l.forward) {
      if (forwarder == nullptr) {
        return absl::InvalidArgumentError(
            "hj212: a listener forwards its packets but there is no [hj212_forward] table");
      }
      l.options.forward = forwarder;
    }
    out->push_back(MakeHj212Listener(l.options, sink));
  }
  return absl::OkStatus();
}

absl::Status AddFolders(const toml::table& root, Sink& sink,
                        std::vector<std::unique_ptr<Source>>* out) {
  auto folders = ParseFolders(root);
  if (!folders.ok()) return folders.status();
  for (FolderOptions& f : *folders) out->push_back(std::make_unique<FolderSource>(f, sink));
  return absl::OkStatus();
}

}  // namespace

absl::Status AddConfiguredSources(const toml::table& root, const std::string& data_dir, Sink& sink,
                                  SourceRegistry* registry) {
  std::vector<std::unique_ptr<Source>> sources;
  if (absl::Status s = AddHj212(root, data_dir, sink, &sources); !s.ok()) return s;
  if (absl::Status s = AddMqtt(root, sink, &sources); !s.ok()) return s;
  if (absl::Status s = AddModbus(root, sink, &sources); !s.ok()) return s;
  if (absl::Status s = AddDlt645(root, sink, &sources); !s.ok()) return s;
  if (absl::Status s = AddFolders(root, sink, &sources); !s.ok()) return s;
  for (auto& s : sources) registry->Add(std::move(s));
  return absl::OkStatus();
}

}  // namespace dc::acquire
