#include "acquire/hj212_config.h"

#include <functional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"

namespace dc::acquire {
namespace {

// One key of a section: how to set it from its node ("" = OK, else why not).
template <class T>
struct Key {
  const char* name;
  std::function<std::string(const toml::node&, T*)> set;
};

template <class T, class Field>
std::function<std::string(const toml::node&, T*)> String(Field field) {
  return [field](const toml::node& n, T* t) -> std::string {
    if (!n.is_string()) return "must be a string";
    field(t) = *n.value<std::string>();
    return "";
  };
}

template <class T, class Field>
std::function<std::string(const toml::node&, T*)> Bool(Field field) {
  return [field](const toml::node& n, T* t) -> std::string {
    if (!n.is_boolean()) return "must be true or false";
    field(t) = *n.value<bool>();
    return "";
  };
}

template <class T, class Field>
std::function<std::string(const toml::node&, T*)> Int(Field field, int64_t min, int64_t max) {
  return [field, min, max](const toml::node& n, T* t) -> std::string {
    if (!n.is_integer()) return "must be an integer";
    int64_t v = *n.value<int64_t>();
    if (v < min || v > max) return absl::StrCat("must be from ", min, " to ", max);
    field(t) = static_cast<int>(v);
    return "";
  };
}

// "30s", "5m", "1h30m".
template <class T, class Field>
std::function<std::string(const toml::node&, T*)> Duration(Field field) {
  return [field](const toml::node& n, T* t) -> std::string {
    absl::Duration d;
    if (!n.is_string() || !absl::ParseDuration(*n.value<std::string>(), &d) ||
        d <= absl::ZeroDuration()) {
      return "must be a positive duration such as \"30s\" or \"5m\"";
    }
    field(t) = d;
    return "";
  };
}

using L = Hj212Config::Listener;
using F = Hj212ForwarderOptions;

std::string SetListen(const toml::node& n, L* l) {
  if (!n.is_string()) return "must be a string \"address:port\"";
  std::string v = *n.value<std::string>();
  size_t colon = v.rfind(':');
  int port;
  if (colon == std::string::npos || !absl::SimpleAtoi(v.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return "must be \"address:port\", e.g. \"0.0.0.0:8212\"";
  }
  std::string host = v.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  l->options.address = host.empty() ? "0.0.0.0" : host;
  l->options.port = port;
  return "";
}

std::string SetMode(const toml::node& n, L* l) {
  std::optional<std::string> v = n.value<std::string>();
  if (!v || (*v != "strict" && *v != "lenient")) return "must be \"strict\" or \"lenient\"";
  l->options.strict = *v == "strict";
  return "";
}

std::string SetUnknown(const toml::node& n, L* l) {
  std::optional<std::string> v = n.value<std::string>();
  if (!v || (*v != "accept" && *v != "reject")) return "must be \"accept\" or \"reject\"";
  l->options.accept_unknown = *v == "accept";
  return "";
}

std::string SetStations(const toml::node& n, L* l);

const std::vector<Key<L>>& ListenerKeys() {
  static const std::vector<Key<L>> keys = {
      {"name", String<L>([](L * l) -> auto& { return l->options.name; })},
      {"listen", SetListen},
      {"mode", SetMode},
      {"zone", String<L>([](L * l) -> auto& { return l->options.zone; })},
      {"idle_timeout", Duration<L>([](L * l) -> auto& { return l->options.idle_timeout; })},
      {"unknown_stations", SetUnknown},
      {"default_site", String<L>([](L * l) -> auto& { return l->options.default_site; })},
      {"threads", Int<L>(
                      [](L * l) -> auto& { return l->options.threads; }, 1, 64)},
      {"max_connections",
       Int<L>(
           [](L * l) -> auto& { return l->options.max_connections; }, 1, 1'000'000)},
      {"log_per_minute", Int<L>(
                             [](L * l) -> auto& { return l->options.log_per_minute; }, 0, 10000)},
      {"forward", Bool<L>([](L * l) -> auto& { return l->forward; })},
      {"stations", SetStations},
  };
  return keys;
}

const std::vector<Key<F>>& ForwardKeys() {
  static const std::vector<Key<F>> keys = {
      {"name", String<F>([](F * f) -> auto& { return f->name; })},
      {"upstream", String<F>([](F * f) -> auto& { return f->upstream; })},
      {"queue_dir", String<F>([](F * f) -> auto& { return f->queue_dir; })},
      {"wait_reply", Bool<F>([](F * f) -> auto& { return f->wait_reply; })},
      {"reply_timeout", Duration<F>([](F * f) -> auto& { return f->reply_timeout; })},
      {"connect_timeout", Duration<F>([](F * f) -> auto& { return f->connect_timeout; })},
      {"backoff_min", Duration<F>([](F * f) -> auto& { return f->backoff_min; })},
      {"backoff_max", Duration<F>([](F * f) -> auto& { return f->backoff_max; })},
      {"window", Int<F>(
                     [](F * f) -> auto& { return f->window; }, 1, 1024)},
  };
  return keys;
}

std::string Where(std::string_view section, std::string_view key, const toml::node& n) {
  std::string w = absl::StrCat(AV(section), ".", AV(key));
  if (n.source().begin) absl::StrAppend(&w, " (line ", n.source().begin.line, ")");
  return w;
}

template <class T>
absl::Status ApplyTable(const toml::table& table, std::string_view section,
                        const std::vector<Key<T>>& keys, T* out) {
  for (const auto& [k, node] : table) {
    const Key<T>* key = nullptr;
    for (const Key<T>& c : keys) {
      if (k.str() == c.name) key = &c;
    }
    if (!key) {
      std::vector<std::string> names;
      for (const Key<T>& c : keys) names.emplace_back(c.name);
      return absl::InvalidArgumentError(
          absl::StrCat(Where(section, k.str(), node),
                       ": unknown key (known keys: ", absl::StrJoin(names, ", "), ")"));
    }
    if (std::string why = key->set(node, out); !why.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(Where(section, k.str(), node), ": ", why));
    }
  }
  return absl::OkStatus();
}

// [[hj212.stations]] mn, password, site.
std::string SetStations(const toml::node& n, L* l) {
  const toml::array* a = n.as_array();
  if (!a) return "must be an array of tables [[hj212.stations]]";
  for (const toml::node& e : *a) {
    const toml::table* t = e.as_table();
    if (!t) return "must be an array of tables [[hj212.stations]]";
    std::optional<std::string> mn = (*t)["mn"].value<std::string>();
    if (!mn || mn->empty()) return "every station needs an mn (a string)";
    Hj212Station s;
    for (const auto& [k, v] : *t) {
      std::optional<std::string> text = v.value<std::string>();
      if (!text) return absl::StrCat("station ", *mn, ": ", AV(k.str()), " must be a string");
      if (k.str() == "password") {
        s.password = *text;
      } else if (k.str() == "site") {
        s.site = *text;
      } else if (k.str() != "mn") {
        return absl::StrCat("station ", *mn, ": unknown key ", AV(k.str()),
                            " (known keys: mn, password, site)");
      }
    }
    if (!l->options.stations.emplace(*mn, std::move(s)).second) {
      return absl::StrCat("station ", *mn, " is listed twice");
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<Hj212Config> ParseHj212Options(const toml::table& root, std::string_view data_dir) {
  Hj212Config config;
  if (const toml::node* n = root.get("hj212")) {
    const toml::array* a = n->as_array();
    if (!a) return absl::InvalidArgumentError("hj212: must be an array of tables [[hj212]]");
    for (const toml::node& e : *a) {
      const toml::table* t = e.as_table();
      if (!t) return absl::InvalidArgumentError("hj212: must be an array of tables [[hj212]]");
      L l;
      if (absl::Status s = ApplyTable(*t, "hj212", ListenerKeys(), &l); !s.ok()) return s;
      config.listeners.push_back(std::move(l));
    }
  }
  if (const toml::node* n = root.get("hj212_forward")) {
    const toml::table* t = n->as_table();
    if (!t) return absl::InvalidArgumentError("hj212_forward: must be a table");
    F f;
    f.queue_dir = "hj212-forward";
    if (absl::Status s = ApplyTable(*t, "hj212_forward", ForwardKeys(), &f); !s.ok()) return s;
    if (f.upstream.empty()) {
      return absl::InvalidArgumentError("hj212_forward.upstream: required (\"host:port\")");
    }
    if (!f.queue_dir.empty() && f.queue_dir.front() != '/' && !data_dir.empty()) {
      f.queue_dir = absl::StrCat(AV(data_dir), "/", f.queue_dir);
    }
    config.forward = std::move(f);
  }
  for (const L& l : config.listeners) {
    if (l.forward && !config.forward) {
      return absl::InvalidArgumentError(absl::StrCat(
          "hj212 ", l.options.name, ": forward = true needs a [hj212_forward] section"));
    }
  }
  return config;
}

}  // namespace dc::acquire
