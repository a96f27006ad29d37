#include "server/config.h"

#include <functional>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "acquire/configured.h"
#include "common/env.h"
#include "common/input_file.h"
#include "common/strings.h"
#include "common/toml_depth.h"
#include "server/params.h"
#include "toml++/toml.h"

namespace dc::server {
namespace {

using Value = std::variant<std::string, int64_t, bool>;
using Setter = std::function<absl::Status(const Value&, ServeConfig*)>;

struct Key {
  const char* name;  // dotted: "http.listen"
  enum Kind { kString, kInt, kBool } kind;
  Setter set;
};

Setter String(std::string ServeConfig::*field) {
  return [field](const Value& v, ServeConfig* c) {
    c->*field = std::get<std::string>(v);
    return absl::OkStatus();
  };
}

Setter Duration(int64_t ServerOptions::*field) {
  return [field](const Value& v, ServeConfig* c) -> absl::Status {
    auto ns = ParseDurationNs(std::get<std::string>(v));
    if (!ns.ok()) return ns.status();
    if (*ns <= 0) return absl::InvalidArgumentError("must be greater than 0");
    c->http.*field = *ns;
    return absl::OkStatus();
  };
}

Setter Size(size_t ServerOptions::*field, int64_t min) {
  return [field, min](const Value& v, ServeConfig* c) -> absl::Status {
    int64_t n = std::get<int64_t>(v);
    if (n < min) return absl::InvalidArgumentError(absl::StrCat("must be at least ", min));
    c->http.*field = static_cast<size_t>(n);
    return absl::OkStatus();
  };
}

// Every key the file may hold; documented in dualcarbon.example.toml.
const std::vector<Key>& Keys() {
  static const std::vector<Key> keys = {
      {"data_dir", Key::kString, String(&ServeConfig::data_dir)},
      {"reference", Key::kString, String(&ServeConfig::reference)},
      {"http.listen", Key::kString,
       [](const Value& v, ServeConfig* c) -> absl::Status {
         auto a = ParseListen(std::get<std::string>(v));
         if (!a.ok()) return a.status();
         c->http.listen = std::get<std::string>(v);
         return absl::OkStatus();
       }},
      {"http.auth", Key::kBool,
       [](const Value& v, ServeConfig* c) {
         c->http.auth = std::get<bool>(v);
         return absl::OkStatus();
       }},
      {"http.threads", Key::kInt,
       [](const Value& v, ServeConfig* c) -> absl::Status {
         int64_t n = std::get<int64_t>(v);
         if (n < 0 || n > 1024) return absl::InvalidArgumentError("must be 0..1024");
         c->http.threads = static_cast<int>(n);
         return absl::OkStatus();
       }},
      {"http.max_header_bytes", Key::kInt, Size(&ServerOptions::max_header_bytes, 1024)},
      {"http.max_body_bytes", Key::kInt, Size(&ServerOptions::max_body_bytes, 1024)},
      {"http.request_timeout", Key::kString, Duration(&ServerOptions::request_timeout_ns)},
      {"http.idle_timeout", Key::kString, Duration(&ServerOptions::idle_timeout_ns)},
      {"http.write_timeout", Key::kString, Duration(&ServerOptions::write_timeout_ns)},
      {"http.shutdown_grace", Key::kString, Duration(&ServerOptions::shutdown_grace_ns)},
      {"http.web_dir", Key::kString,
       [](const Value& v, ServeConfig* c) {
         c->http.web_dir = std::get<std::string>(v);
         return absl::OkStatus();
       }},
      {"storage.fsync", Key::kString,
       [](const Value& v, ServeConfig* c) -> absl::Status {
         auto p = ParseFsyncPolicy(std::get<std::string>(v));
         if (!p.ok()) return p.status();
         c->fsync = std::get<std::string>(v);
         return absl::OkStatus();
       }},
      {"storage.retention", Key::kString,
       [](const Value& v, ServeConfig* c) -> absl::Status {
         auto d = ParseDurationNs(std::get<std::string>(v));
         if (!d.ok()) return d.status();
         c->retention = std::get<std::string>(v);
         return absl::OkStatus();
       }},
      {"storage.compaction_mb_per_s", Key::kInt,
       [](const Value& v, ServeConfig* c) -> absl::Status {
         int64_t n = std::get<int64_t>(v);
         if (n < 0 || n > 100'000) return absl::InvalidArgumentError("must be 0..100000");
         c->compaction_mb_per_s = n;
         return absl::OkStatus();
       }},
      {"log.level", Key::kString,
       [](const Value& v, ServeConfig* c) -> absl::Status {
         const std::string& s = std::get<std::string>(v);
         for (const char* l : {"trace", "debug", "info", "warn", "error", "off"}) {
           if (s == l) {
             c->log_level = s;
             return absl::OkStatus();
           }
         }
         return absl::InvalidArgumentError("expected trace, debug, info, warn, error or off");
       }},
  };
  return keys;
}

std::string KnownKeys() {
  std::vector<std::string> names;
  for (const Key& k : Keys()) names.push_back(k.name);
  return absl::StrJoin(names, ", ");
}

absl::Status Apply(const toml::table& table, const std::string& prefix, std::string_view origin,
                   ServeConfig* config) {
  for (const auto& entry : table) {
    const toml::key& k = entry.first;
    const toml::node& node = entry.second;
    // Sources ([[mqtt]], [[modbus]], [[hj212]], [hj212_forward]) are read by the acquisition
    // layer (acquire/configured.h), which checks their keys.
    if (prefix.empty() && acquire::IsSourceConfigKey(k.str())) continue;
    std::string name =
        prefix.empty() ? std::string(k.str()) : absl::StrCat(prefix, ".", AV(k.str()));
    auto where = [&]() {
      std::string w = absl::StrCat(AV(origin), ": ", name);
      if (node.source().begin) absl::StrAppend(&w, " (line ", node.source().begin.line, ")");
      return w;
    };
    if (const toml::table* sub = node.as_table()) {
      absl::Status s = Apply(*sub, name, origin, config);
      if (!s.ok()) return s;
      continue;
    }
    const Key* key = nullptr;
    for (const Key& candidate : Keys()) {
      if (name == candidate.name) key = &candidate;
    }
    if (key == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(), ": unknown key (known keys: ", KnownKeys(), ")"));
    }
    Value value;
    if (key->kind == Key::kString && node.is_string()) {
      value = std::string(*node.value<std::string>());
    } else if (key->kind == Key::kInt && node.is_integer()) {
      value = *node.value<int64_t>();
    } else if (key->kind == Key::kBool && node.is_boolean()) {
      value = *node.value<bool>();
    } else {
      static constexpr const char* kKinds[] = {"a string", "an integer", "a boolean"};
      return absl::InvalidArgumentError(absl::StrCat(where(), ": must be ", kKinds[key->kind]));
    }
    absl::Status s = key->set(value, config);
    if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat(where(), ": ", s.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ApplyConfigToml(std::string_view text, std::string_view origin, ServeConfig* config) {
  if (text.size() > kMaxConfigBytes) {
    return absl::InvalidArgumentError(absl::StrCat(AV(origin), ": ", text.size(),
                                                   " bytes is larger than the limit of ",
                                                   kMaxConfigBytes, " bytes"));
  }
  if (auto depth = CheckTomlDepth(text); !depth.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(AV(origin), " line ", depth.line, ", column ",
                                                   depth.column, ": ", depth.message));
  }
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(absl::StrCat(AV(origin), " line ", e.source().begin.line,
                                                   ", column ", e.source().begin.column, ": ",
                                                   AV(std::string_view(e.description()))));
  }
  return Apply(table, "", origin, config);
}

absl::Status LoadConfigFile(const std::string& path, ServeConfig* config) {
  auto text = ReadInputFile(Env::Default(), path, "a configuration file", kMaxConfigBytes);
  if (!text.ok()) return text.status();
  return ApplyConfigToml(*text, path, config);
}

}  // namespace dc::server
