#include "server/server.h"

#include "server/scope.h"
#include "server/session.h"

namespace dc::server {

absl::StatusOr<ListenAddress> ParseListen(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", AV(text), "\" must be HOST:PORT (e.g. 127.0.0.1:8086)"));
  }
  ListenAddress a;
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  a.host = std::string(host);
  int port = 0;
  if (!absl::SimpleAtoi(AV(text.substr(colon + 1)), &port) || port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", AV(text), "\": port must be 0..65535"));
  }
  a.port = static_cast<uint16_t>(port);
  return a;
}

bool IsLoopback(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto addr = net::ip::make_address(std::string(host), ec);
  return !ec && addr.is_loopback();
}

void Server::Impl::Handle(const http::request<http::string_body>& msg, std::string* body,
                          ConnScratch* scratch, HttpResponse* res, std::string* route_name) {
  auto [path, query] = SplitTarget(ToSV(msg.target()));
  ErrorStyle style = path == "/write" || path == "/query" ? ErrorStyle::kInflux : ErrorStyle::kApi;
  auto fail = [&](const absl::Status& s) {
    res->status = HttpStatusFor(s);
    for (auto& h : ErrorHeaders(s)) res->headers.push_back(std::move(h));
    res->content_type = "application/json";
    res->body = ErrorBody(s, style);
  };
  auto params = Params::Parse(query);
  if (!params.ok()) return fail(params.status());
  std::string_view method = ToSV(msg.method_string());
  Router::Match m = router_.Find(method, path);
  if (m.route == nullptr) {
    if (m.path_known) {
      res->headers.emplace_back("Allow", m.allow);
      fail(absl::InvalidArgumentError(absl::StrCat("method ", AV(method), " not allowed on ",
                                                   AV(path), " (allowed: ", m.allow, ")")));
      res->status = 405;
      return;
    }
    return fail(absl::NotFoundError(absl::StrCat("no route ", AV(method), " ", AV(path))));
  }
  const Route& route = *m.route;
  *route_name = route.name;
  style = route.style;

  std::optional<TokenInfo> token;
  if (tokens_ != nullptr && route.access != Access::kPublic) {
    std::string t = ExtractToken(ToSV(msg[http::field::authorization]), params->Get("p"));
    if (t.empty()) {
      res->headers.emplace_back("WWW-Authenticate", "Bearer realm=\"dualcarbon\"");
      return fail(
          absl::UnauthenticatedError("authentication required: send \"Authorization: Bearer "
                                     "<token>\" (or Token, Basic, ?p=)"));
    }
    auto info = tokens_->Verify(t);
    if (!info.ok()) {
      res->headers.emplace_back("WWW-Authenticate", "Bearer realm=\"dualcarbon\"");
      return fail(info.status());
    }
    token = std::move(*info);
  }

  HttpRequest req;
  req.method = method;
  req.path = path;
  req.path_params = std::move(m.params);
  req.params = std::move(*params);
  req.content_type = ToSV(msg[http::field::content_type]);
  req.content_encoding = ToSV(msg[http::field::content_encoding]);
  req.accept = ToSV(msg[http::field::accept]);
  req.body = body;
  req.token = token ? &*token : nullptr;
  req.scratch = scratch;
  req.received_ns = Env::Default()->NowNanos();
  if (absl::Status s = Authorize(route, req); !s.ok()) return fail(s);  // role and scope
  if (method == "POST" && path == "/query" &&
      absl::StartsWithIgnoreCase(AV(req.content_type), "application/x-www-form-urlencoded")) {
    auto form = Params::Parse(*body);
    if (!form.ok()) return fail(form.status());
    req.params.Append(*form);
  }
  absl::Status s;
  try {
    s = route.handler(req, *res);
  } catch (const std::exception& e) {
    s = absl::InternalError(absl::StrCat("unexpected exception: ", e.what()));
  }
  if (!s.ok()) {
    ReportError(method, path, route.name, s);
    fail(s);
  }
}

void Server::Impl::ReportError(std::string_view method, std::string_view path,
                               std::string_view route, const absl::Status& s) {
  if (StorageFaultOf(s) != StorageFault::kNone) {
    // The write routes report their store's faults themselves (Api::StoreWrite).
    if (route != "write") ReportStorageFault(metrics_, s, absl::StrCat(AV(method), " ", AV(path)));
    return;
  }
  if (HttpStatusFor(s) >= 500) spdlog::error("{} {}: {}", method, path, SV(s.ToString()));
}

void Server::Impl::Register(const std::shared_ptr<Session>& s) {
  absl::MutexLock l(&mu_);
  sessions_.emplace(s.get(), s);
}

void Server::Impl::Unregister(Session* s) {
  absl::MutexLock l(&mu_);
  sessions_.erase(s);
}

absl::Status Server::Impl::Listen() {
  auto addr = ParseListen(options_.listen);
  if (!addr.ok()) return addr.status();
  beast::error_code ec;
  net::ip::address ip;
  if (addr->host.empty()) {
    ip = net::ip::address_v6::any();
  } else if (addr->host == "localhost") {
    ip = net::ip::address_v4::loopback();
  } else {
    ip = net::ip::make_address(addr->host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("listen host \"", addr->host, "\" is not an IP address: ", ec.message()));
    }
  }
  tcp::endpoint ep(ip, addr->port);
  auto check = [&](std::string_view what) -> absl::Status {
    if (!ec) return absl::OkStatus();
    return absl::UnavailableError(
        absl::StrCat("cannot ", AV(what), " ", options_.listen, ": ", ec.message()));
  };
  acceptor_.open(ep.protocol(), ec);
  if (auto s = check("open"); !s.ok()) return s;
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (ip.is_v6() && addr->host.empty()) acceptor_.set_option(net::ip::v6_only(false), ec);
  acceptor_.bind(ep, ec);
  if (auto s = check("bind"); !s.ok()) return s;
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (auto s = check("listen on"); !s.ok()) return s;
  endpoint_ = acceptor_.local_endpoint(ec);
  return absl::OkStatus();
}

bool Server::Impl::IsIngest(const http::request<http::string_body>& msg) {
  if (msg.method() != http::verb::post) return false;
  std::string_view target = ToSV(msg.target());
  target = target.substr(0, target.find('?'));
  return target == "/write" || target == "/api/v1/write" || target == "/api/v1/import";
}

void Server::Impl::Run() {
  if (options_.handle_signals) {
    signals_.add(SIGINT);
    signals_.add(SIGTERM);
    WaitForSignal();
  }
  Accept();
  // I/O threads only read, write and dispatch: as many as cores (handlers_ does the work).
  int n = static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1u, 4u));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
}

void Server::Impl::WaitForSignal() {
  signals_.async_wait([this](beast::error_code ec, int sig) {
    if (ec) return;
    if (stopping()) {
      spdlog::warn("signal {} again: not waiting for busy connections", sig);
      force_.store(true);
      return;
    }
    spdlog::info("signal {}: shutting down", sig);
    Stop();
    WaitForSignal();
  });
}

void Server::Impl::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
    OnAccept(ec, std::move(s));
  });
}

void Server::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (stopping() || ec == net::error::operation_aborted) return;
  if (ec) {
    // Out of file descriptors and the like: log, back off briefly, keep serving the others.
    spdlog::warn("accept: {}", ec.message());
    accept_retry_.emplace(acceptor_.get_executor(), std::chrono::milliseconds(100));
    accept_retry_->async_wait([this](beast::error_code) {
      if (!stopping()) Accept();
    });
    return;
  }
  beast::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  auto session = std::make_shared<Session>(std::move(socket), *this);
  Register(session);
  session->Start();
  Accept();
}

void Server::Impl::Stop() {
  if (stopping_.exchange(true)) return;
  hub_.Close();  // live streams end now (their sessions close)
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    if (accept_retry_) accept_retry_->cancel();
  });
  std::vector<std::shared_ptr<Session>> live;
  {
    absl::MutexLock l(&mu_);
    for (auto& [ptr, weak] : sessions_) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) s->Shutdown();
  stop_requested_.Notify();
}

absl::Status Server::Impl::Wait() {
  if (waited_) return absl::OkStatus();
  waited_ = true;
  stop_requested_.WaitForNotification();
  auto deadline = std::chrono::steady_clock::now() + Ns(options_.shutdown_grace_ns);
  for (;;) {
    size_t open;
    {
      absl::MutexLock l(&mu_);
      open = sessions_.size();
    }
    if (open == 0) break;
    if (std::chrono::steady_clock::now() >= deadline || force_.load()) {
      spdlog::warn("shutdown: closing {} connection(s) still busy after the grace period", open);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ioc_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
  handlers_.stop();  // handlers still running (after the grace period) finish first
  ingest_.stop();
  handlers_.join();
  ingest_.join();
  absl::Status s = store_.Sync();
  if (!s.ok()) spdlog::error("shutdown: store sync failed: {}", SV(s.ToString()));
  return s;
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() {
  impl_->Stop();
  (void)impl_->Wait();
}

absl::StatusOr<std::unique_ptr<Server>> Server::Start(Store& store, TokenStore* tokens,
                                                      const ServerOptions& options,
                                                      SitesOptions sites) {
  auto addr = ParseListen(options.listen);
  if (!addr.ok()) return addr.status();
  if (!options.auth && !IsLoopback(addr->host)) {
    return absl::FailedPreconditionError(
        absl::StrCat("--no-auth is refused on ", options.listen,
                     ": without authentication the server may only listen on a loopback address "
                     "(127.0.0.1, ::1)"));
  }
  if (options.auth && tokens == nullptr) {
    return absl::InvalidArgumentError("authentication is on but no token store was given");
  }
  auto impl =
      std::make_unique<Impl>(store, options.auth ? tokens : nullptr, options, std::move(sites));
  absl::Status s = impl->Listen();
  if (!s.ok()) return s;
  impl->Run();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

std::string Server::address() const {
  auto ep = impl_->endpoint();
  std::string host = ep.address().to_string();
  if (ep.address().is_v6()) host = absl::StrCat("[", host, "]");
  return absl::StrCat(host, ":", ep.port());
}

uint16_t Server::port() const { return impl_->endpoint().port(); }

void Server::Stop() { impl_->Stop(); }

absl::Status Server::Wait() { return impl_->Wait(); }

void Server::Publish(const PointBatch& batch) { impl_->hub().Publish(batch); }

}  // namespace dc::server
