// dualcarbon token create | list | revoke: API tokens in DATA_DIR/tokens.json.
#include <iostream>
#include <memory>
#include <string>

#include "app/commands.h"
#include "common/time.h"
#include "nlohmann/json.hpp"
#include "server/tokens.h"

namespace dc::app {
namespace {

struct TokenFlags {
  std::string data_dir;
  std::string role;
  std::string name;
  std::string site;
  std::string id;
  bool json = false;
};

[[noreturn]] void Fail(const absl::Status& s) {
  std::cerr << "dualcarbon token: " << s.message() << "\n";
  throw CLI::RuntimeError(s.code() == absl::StatusCode::kInvalidArgument ? kExitUsage
                                                                         : kExitFailure);
}

std::unique_ptr<server::TokenStore> Open(const std::string& dir) {
  auto tokens = server::TokenStore::Open(dir);
  if (!tokens.ok()) Fail(tokens.status());
  return std::move(*tokens);
}

void Create(const TokenFlags& f) {
  auto role = server::ParseRole(f.role);
  if (!role.ok()) Fail(role.status());
  server::TokenInfo info;
  auto token = Open(f.data_dir)->Create(*role, f.name, f.site, &info);
  if (!token.ok()) Fail(token.status());
  std::cerr << "created " << server::RoleName(info.role) << " token " << info.id
            << " (shown once; only its hash is stored)\n";
  std::cout << *token << std::endl;
}

void List(const TokenFlags& f) {
  auto list = Open(f.data_dir)->List();
  if (f.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : list) {
      out.push_back({{"id", t.id},
                     {"name", t.name},
                     {"role", std::string(server::RoleName(t.role))},
                     {"site", t.site},
                     {"created", FormatTime(t.created_ns, absl::UTCTimeZone())}});
    }
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    return;
  }
  std::cout << "id            role   site        created                name\n";
  for (const auto& t : list) {
    std::string role(server::RoleName(t.role));
    std::string site = t.site.empty() ? "-" : t.site;
    std::cout << t.id << "  " << role << std::string(7 - role.size(), ' ') << site
              << std::string(site.size() < 12 ? 12 - site.size() : 1, ' ')
              << FormatTime(t.created_ns, absl::UTCTimeZone()) << "  " << t.name << "\n";
  }
}

void Revoke(const TokenFlags& f) {
  absl::Status s = Open(f.data_dir)->Revoke(f.id);
  if (!s.ok()) Fail(s);
  std::cerr << "revoked " << f.id << "\n";
}

}  // namespace

void RegisterToken(CLI::App& app) {
  auto flags = std::make_shared<TokenFlags>();
  auto* cmd = app.add_subcommand("token", "Create, list and revoke API tokens");
  cmd->require_subcommand(1);

  auto* create = cmd->add_subcommand("create", "Create a token and print it (once)");
  create->add_option("--data-dir", flags->data_dir, "data directory")->required();
  create->add_option("--role", flags->role, "admin | write | read")->required();
  create->add_option("--name", flags->name, "label shown by token list");
  create->add_option("--site", flags->site,
                     "scope: the one site the token may use (default: all sites)");
  create->callback([flags] { Create(*flags); });

  auto* list = cmd->add_subcommand("list", "List tokens (never their secrets)");
  list->add_option("--data-dir", flags->data_dir, "data directory")->required();
  list->add_flag("--json", flags->json, "print JSON");
  list->callback([flags] { List(*flags); });

  auto* revoke = cmd->add_subcommand("revoke", "Revoke a token by id (or unique name)");
  revoke->add_option("--data-dir", flags->data_dir, "data directory")->required();
  revoke->add_option("id", flags->id, "token id or name")->required();
  revoke->callback([flags] { Revoke(*flags); });
}

}  // namespace dc::app
