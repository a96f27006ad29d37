// Internal to the server layer: one HTTP connection (server_impl.h owns the registry).
#ifndef DC_SERVER_SESSION_H_
#define DC_SERVER_SESSION_H_

#include "common/thread_priority.h"
#include "server/server_impl.h"
#include "server/stream.h"

namespace dc::server {

using namespace internal;  // NOLINT: helpers shared with server.cc

// One connection: reads requests one after the other (keep-alive), each with its own deadline,
// and answers them in order. All its handlers run on its strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Server::Impl& server)
      : stream_(std::move(socket)),
        server_(server),
        request_timer_(stream_.get_executor()),
        events_timer_(stream_.get_executor()) {
    server_.metrics().ConnectionOpened();
  }
  ~Session() {
    server_.Unregister(this);
    server_.metrics().ConnectionClosed();
  }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->WaitForRequest(); });
  }

  // Graceful shutdown: an idle connection is closed now; a busy one after its response.
  void Shutdown() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->events_) return self->EndStream();
      if (self->idle_) self->Close();
    });
  }

 private:
  // Waits (idle timeout) for the first byte of the next request.
  void WaitForRequest() {
    if (server_.stopping()) return Close();
    if (buffer_.size() > 0) return ReadRequest();
    idle_ = true;
    stream_.expires_after(Ns(server_.options().idle_timeout_ns));
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->idle_ = false;
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadRequest();
                            });
  }

  // Reads one whole request (header and body) under one deadline: a slow sender gets 408. The
  // deadline is our own timer, not the stream's expiry, which would close the socket and so
  // leave no way to answer.
  void ReadRequest() {
    idle_ = false;
    body_.clear();
    parser_.emplace(std::piecewise_construct, std::make_tuple(std::move(body_)));
    parser_->header_limit(static_cast<uint32_t>(server_.options().max_header_bytes));
    parser_->body_limit(server_.options().max_body_bytes);
    stream_.expires_never();
    timed_out_ = false;
    reading_ = true;
    request_timer_.expires_after(Ns(server_.options().request_timeout_ns));
    request_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      // A deadline that expired as the request completed must not cancel the answer.
      if (ec || !self || !self->reading_) return;
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);  // the pending read ends with operation_aborted
    });
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  // Answers "Expect: 100-continue" (curl sends it for bodies over 1 MB), then reads the body
  // under the same deadline.
  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    if (absl::Status f = CheckFraming(); !f.ok()) return Refuse(f);
    auto read_body = [self = shared_from_this()] {
      http::async_read(self->stream_, self->buffer_, *self->parser_,
                       [self](beast::error_code ec, size_t) { self->OnRead(ec); });
    };
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue") &&
        !parser_->is_done()) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      net::async_write(stream_, net::buffer(kContinue.data(), kContinue.size()),
                       [self = shared_from_this(), read_body](beast::error_code ec, size_t) {
                         if (ec) return self->Close();
                         read_body();
                       });
      return;
    }
    read_body();
  }

  // The header's Transfer-Encoding and Content-Length fields (framing.h).
  absl::Status CheckFraming() {
    const auto& h = parser_->get();
    std::vector<std::string_view> te, cl;
    for (auto [it, end] = h.equal_range(http::field::transfer_encoding); it != end; ++it) {
      te.push_back(ToSV(it->value()));
    }
    for (auto [it, end] = h.equal_range(http::field::content_length); it != end; ++it) {
      cl.push_back(ToSV(it->value()));
    }
    return server::CheckFraming(te, cl);
  }

  // The request is read: its handler runs on the handler pool, so this connection's strand and
  // the I/O threads stay free for the others; the answer is sent back on the strand.
  void OnRead(beast::error_code ec) {
    StopDeadline();
    if (ec) return OnReadError(ec);
    const bool ingest = Server::Impl::IsIngest(parser_->get());
    net::post(ingest ? server_.ingest() : server_.handlers(), [self = shared_from_this(), ingest] {
      if (ingest) LowerThisThreadPriority();
      auto& msg = self->parser_->get();
      auto res = std::make_shared<HttpResponse>();
      auto route = std::make_shared<std::string>("unknown");
      self->server_.Handle(msg, &msg.body(), &self->scratch_, res.get(), route.get());
      net::post(self->stream_.get_executor(),
                [self, res, route] { self->OnHandled(std::move(*res), *route); });
    });
  }

  void OnHandled(HttpResponse res, const std::string& route) {
    auto& msg = parser_->get();
    server_.metrics().CountRequest(route, res.status);
    bool keep = msg.keep_alive() && !server_.stopping();
    bool head = msg.method() == http::verb::head;
    body_ = std::move(msg.body());  // keep the capacity for the next request
    if (res.stream && res.status == 200 && !head) return StartStream(std::move(res));
    Send(std::move(res), keep, head);
  }

  // A streaming response (stream.h): the header now, then the events as they come; the
  // connection closes when the stream ends, the client leaves or the server stops. The body
  // is delimited by the close (no Content-Length, no chunking).
  void StartStream(HttpResponse res) {
    events_ = std::move(res.stream);
    std::string head = absl::StrCat(
        "HTTP/1.1 200 OK\r\nServer: dualcarbon\r\nContent-Type: ", res.content_type, "\r\n");
    for (const auto& [name, value] : res.headers) absl::StrAppend(&head, name, ": ", value, "\r\n");
    absl::StrAppend(&head, "Connection: close\r\n\r\n: connected\n\n");
    events_->Start([weak = weak_from_this()] {
      if (auto self = weak.lock()) self->WakeStream();
    });
    // A read that completes only when the client closes (or sends anything): the end.
    stream_.async_read_some(
        buffer_.prepare(512),
        [self = shared_from_this()](beast::error_code, size_t) { self->EndStream(); });
    WriteEvents(std::move(head), /*more=*/true);
  }
  // Any thread: new points or the end of the subscription. Wakes coalesce.
  void WakeStream() {
    if (wake_pending_.exchange(true)) return;
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->wake_pending_ = false;
      self->PumpEvents();
    });
  }
  void PumpEvents() {
    if (!events_) return;
    if (writing_) {
      if (events_->ended()) EndStream();  // dropped: do not wait for the slow write
      return;
    }
    std::string out;
    const int64_t now = Env::Default()->MonotonicNanos();
    const bool more = events_->Next(now, &out) && !server_.stopping();
    if (out.empty()) {
      if (!more) return EndStream();
      events_timer_.expires_after(Ns(events_->WaitNs(now)));
      events_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
        auto self = weak.lock();
        if (!ec && self) self->PumpEvents();
      });
      return;
    }
    WriteEvents(std::move(out), more);
  }
  // A client that does not take the data within the write timeout is dropped.
  void WriteEvents(std::string out, bool more) {
    writing_ = true;
    events_out_ = std::move(out);
    stream_.expires_after(Ns(server_.options().write_timeout_ns));
    net::async_write(stream_, net::buffer(events_out_),
                     [self = shared_from_this(), more](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec || !more || !self->events_) return self->EndStream();
                       self->stream_.expires_never();
                       self->PumpEvents();
                     });
  }
  void EndStream() {
    if (!events_) return;
    events_timer_.cancel();
    events_.reset();
    Close();
  }

  // Answers `error` (its HTTP status from errors.h) and closes the connection without reading
  // further: what follows a refused header is not trusted to be the next request.
  void Refuse(const absl::Status& error) { Refuse(error, HttpStatusFor(error)); }
  void Refuse(const absl::Status& error, int status) {
    StopDeadline();
    spdlog::debug("http: {} from {}: {}", status, Peer(), SV(error.message()));
    server_.metrics().CountRequest("protocol_error", status);
    HttpResponse res;
    res.status = status;
    res.body = ErrorBody(error, ErrorStyle::kApi);
    Send(std::move(res), /*keep_alive=*/false, /*head=*/false);
  }

  void OnReadError(beast::error_code ec) {
    StopDeadline();
    // A request has started once any byte of it arrived (buffered or consumed by the parser).
    const bool got_some = (parser_ && parser_->got_some()) || buffer_.size() > 0;
    if (timed_out_) {
      if (!got_some) return Close();
      return Refuse(absl::DeadlineExceededError(
                        "request not received in time (header and body must arrive within "
                        "the request timeout)"),
                    408);
    }
    if (ec == http::error::end_of_stream && !got_some) return Close();
    if (ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::broken_pipe) {
      return Close();
    }
    int status = 400;
    std::string message;
    if (ec == http::error::body_limit) {
      status = 413;
      message = absl::StrCat("request body larger than the limit of ",
                             server_.options().max_body_bytes, " bytes");
    } else if (ec == http::error::header_limit) {
      status = 431;
      message = absl::StrCat("request header larger than the limit of ",
                             server_.options().max_header_bytes, " bytes");
    } else if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
      message = "connection closed before the request was complete (truncated body?)";
    } else {
      message = absl::StrCat("malformed HTTP request: ", ec.message());
    }
    spdlog::debug("http: {} from {}: {}", status, Peer(), message);
    server_.metrics().CountRequest("protocol_error", status);
    HttpResponse res;
    res.status = status;
    absl::Status err =
        status == 413 ? absl::ResourceExhaustedError(message) : absl::InvalidArgumentError(message);
    res.body = ErrorBody(err, ErrorStyle::kApi);
    Send(std::move(res), /*keep_alive=*/false, /*head=*/false);
  }

  void Send(HttpResponse res, bool keep_alive, bool head) {
    response_.emplace();
    response_->version(11);
    response_->result(static_cast<unsigned>(res.status));
    response_->set(http::field::server, "dualcarbon");
    response_->set("X-Influxdb-Version", kInfluxVersion);
    response_->set("X-Influxdb-Build", "OSS");
    for (auto& [name, value] : res.headers) response_->set(name, value);
    if (res.status != 204 && res.status != 304) {
      response_->set(http::field::content_type, res.content_type);
      response_->body() = std::move(res.body);
    }
    response_->keep_alive(keep_alive);
    response_->prepare_payload();
    if (head) response_->body().clear();  // Content-Length stays that of the GET answer
    keep_alive_ = keep_alive;
    stream_.expires_after(Ns(server_.options().write_timeout_ns));
    if (head) {
      serializer_.emplace(*response_);
      http::async_write_header(
          stream_, *serializer_,
          [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
      return;
    }
    http::async_write(
        stream_, *response_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(beast::error_code ec) {
    serializer_.reset();
    response_.reset();
    if (ec || !keep_alive_ || server_.stopping()) return Close();
    WaitForRequest();
  }

  void StopDeadline() {
    reading_ = false;
    request_timer_.cancel();
  }

  void Close() {
    StopDeadline();
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

  std::string Peer() {
    beast::error_code ec;
    auto ep = stream_.socket().remote_endpoint(ec);
    return ec ? std::string("?") : absl::StrCat(ep.address().to_string(), ":", ep.port());
  }

  beast::tcp_stream stream_;
  Server::Impl& server_;
  beast::flat_buffer buffer_;
  std::string body_;  // reused request body storage
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::optional<http::response_serializer<http::string_body>> serializer_;
  ConnScratch scratch_;
  net::steady_timer request_timer_;      // the deadline of the request being read
  net::steady_timer events_timer_;       // a streaming response: heartbeat and end
  std::shared_ptr<EventStream> events_;  // set while a streaming response is sent
  std::string events_out_;               // the stream's bytes being written
  bool writing_ = false;                 // a stream write is in progress
  std::atomic<bool> wake_pending_{false};
  bool timed_out_ = false;  // request_timer_ fired
  bool reading_ = false;    // a request is being read (its deadline applies)
  bool idle_ = false;
  bool keep_alive_ = true;
};

}  // namespace dc::server

#endif  // DC_SERVER_SESSION_H_
