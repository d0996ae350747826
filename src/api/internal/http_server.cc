#include "api/internal/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/internal/dispatcher.h"
#include "api/internal/http_parser.h"
#include "api/problem.h"
#include "core/log.h"

namespace shopcrm::api::internal {
namespace {

constexpr size_t kReadChunk = 16 << 10;
constexpr int kMaxEvents = 256;
constexpr int64_t kLingerNs = 2'000'000'000;  // how long a closing client may go on sending

int64_t NowNs() { return std::chrono::steady_clock::now().time_since_epoch().count(); }

// Who may touch a connection: the event loop while it reads or finishes a
// write (kReading, kWriting), the thread holding the request's Reply while
// it is handled (kBusy). epoll's one-shot mode guarantees the loop hears
// nothing of a connection it does not own.
// kLingering: the last answer is sent and our side shut; what the client
// still sends is read and dropped until it closes, so that unread bytes do
// not make the kernel reset the connection before the answer is read.
enum class State : int { kReading, kBusy, kWriting, kLingering, kClosed };

struct Conn {
  Conn(int f, std::string ip) : fd(f), remote_ip(std::move(ip)) {}
  ~Conn() { ::close(fd); }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  const int fd;
  const std::string remote_ip;
  std::string in;   // read, not yet parsed
  std::string out;  // what the loop still has to write (kWriting)
  size_t out_pos = 0;
  bool close_after = false;  // close once `out` is written
  bool peer_done = false;    // the client shut down its side
  bool continue_sent = false;
  ChunkProgress chunks;  // of the request being read
  std::atomic<State> state{State::kReading};
  std::atomic<int64_t> last_active_ns{NowNs()};
};

// The Date header's value, formatted once a second per thread.
const std::string& HttpDate() {
  thread_local std::time_t formatted_at = 0;
  thread_local std::string value;
  const std::time_t now = std::time(nullptr);
  if (now != formatted_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    value.assign(buf, std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm));
    formatted_at = now;
  }
  return value;
}

bool HasBody(int status) { return status >= 200 && status != 204 && status != 304; }

// The status line and headers; `length` -1 means chunked, -2 that the body
// ends with the connection.
std::string ResponseHead(const Response& r, int64_t length, bool close) {
  std::string h;
  h.reserve(256);
  h += "HTTP/1.1 ";
  h += std::to_string(r.status);
  h += ' ';
  h += StatusReason(r.status);
  h += "\r\nDate: ";
  h += HttpDate();
  h += "\r\n";
  for (const auto& [k, v] : r.headers) {
    h += k;
    h += ": ";
    h += v;
    h += "\r\n";
  }
  if (HasBody(r.status)) {
    if (!r.content_type.empty()) {
      h += "Content-Type: ";
      h += r.content_type;
      h += "\r\n";
    }
    if (length == -1) {
      h += "Transfer-Encoding: chunked\r\n";
    } else if (length >= 0) {
      h += "Content-Length: ";
      h += std::to_string(length);
      h += "\r\n";
    }
  }
  if (close) h += "Connection: close\r\n";
  h += "\r\n";
  return h;
}

// Writes all of `data` to a non-blocking socket, waiting for room up to
// `timeout` at a time (streamed responses, on the replying thread).
bool WriteAll(int fd, std::string_view data, std::chrono::seconds timeout) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(timeout.count() * 1000));
      if (ready <= 0 || (p.revents & (POLLERR | POLLHUP)) != 0) return false;
      continue;
    }
    return false;
  }
  return true;
}

std::string RemoteIp(const sockaddr_storage& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, buf, sizeof buf);
  } else if (a.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, buf, sizeof buf);
  }
  return buf;
}

}  // namespace

struct HttpServer::Impl {
  Impl(HttpServerOptions o, HttpCallbacks c) : options(std::move(o)), cb(std::move(c)) {}

  ~Impl() {
    if (listen_fd >= 0) ::close(listen_fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
  }

  // --- the event loop ---

  void Loop() {
    epoll_event events[kMaxEvents];
    int64_t next_sweep = NowNs() + 1'000'000'000;
    while (!stopping.load()) {
      const int n = ::epoll_wait(epoll_fd, events, kMaxEvents, 250);
      for (int i = 0; i < n; ++i) {
        void* tag = events[i].data.ptr;
        if (tag == &listen_fd) {
          Accept();
        } else if (tag == &wake_fd) {
          TakePosted();
        } else {
          auto* c = static_cast<Conn*>(tag);
          const State state = c->state.load(std::memory_order_acquire);
          if (state == State::kWriting) {
            FlushOut(c);
          } else if (state == State::kLingering) {
            DropInput(c);
          } else {
            ReadFrom(c);
          }
        }
      }
      if (const int64_t now = NowNs(); now >= next_sweep) {
        CloseStale(now);
        if (listener_paused) {
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.ptr = &listen_fd;
          ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);
          listener_paused = false;
        }
        next_sweep = now + 1'000'000'000;
      }
    }
  }

  void Accept() {
    for (;;) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          core::log::Error("accept failed", {{"error", std::strerror(errno)}});
          // Out of descriptors or memory: the listener would wake the loop
          // at once, forever. It listens again at the next sweep.
          epoll_event ev{};
          ev.data.ptr = &listen_fd;
          ::epoll_ctl(epoll_fd, EPOLL_CTL_MOD, listen_fd, &ev);
          listener_paused = true;
        }
        return;
      }
      const int yes = 1;
      // Small JSON answers must not wait for delayed ACKs.
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
      auto conn = std::make_shared<Conn>(fd, RemoteIp(addr));
      Conn* c = conn.get();
      {
        std::lock_guard lock(conns_mu);
        conns.emplace(c, std::move(conn));
      }
      Arm(c, EPOLLIN, EPOLL_CTL_ADD);
    }
  }

  void Arm(Conn* c, uint32_t what, int op = EPOLL_CTL_MOD) {
    epoll_event ev{};
    // A client that shut down its side while we write would wake us at once, forever.
    ev.events = what | EPOLLONESHOT;
    if (what == EPOLLIN) ev.events |= EPOLLRDHUP;
    ev.data.ptr = c;
    if (::epoll_ctl(epoll_fd, op, c->fd, &ev) != 0) Close(c);
  }

  void ReadFrom(Conn* c) {
    // At most this much per wake-up, so one fast sender cannot hold the loop;
    // the one-shot event fires again for the rest.
    const size_t cap = c->in.size() + 16 * kReadChunk;
    while (c->in.size() < cap) {
      const size_t old = c->in.size();
      c->in.resize(old + kReadChunk);
      const ssize_t n = ::recv(c->fd, c->in.data() + old, kReadChunk, 0);
      c->in.resize(old + (n > 0 ? static_cast<size_t>(n) : 0));
      if (n > 0) {
        if (static_cast<size_t>(n) < kReadChunk) break;
        continue;
      }
      if (n == 0) {
        c->peer_done = true;
        break;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      Close(c);
      return;
    }
    c->last_active_ns.store(NowNs(), std::memory_order_relaxed);
    Process(c);
  }

  // Parses the next request in `c->in` and hands it on; on the loop.
  void Process(Conn* c) {
    try {
      ProcessOrThrow(c);
    } catch (const std::exception& e) {
      // A reply already made answers 500 as it goes.
      core::log::Error("request handling failed", {{"error", e.what()}});
      Close(c);
    }
  }

  void ProcessOrThrow(Conn* c) {
    ParsedRequest p;
    ParseStatus status = ParseStatus::kRefused;
    try {
      status = ParseRequest(c->in, options.max_body_bytes, p, &c->chunks);
    } catch (const std::exception& e) {
      core::log::Error("request parsing failed", {{"error", e.what()}});
      Close(c);
      return;
    }
    if (status == ParseStatus::kNeedMore) {
      if (c->peer_done) {
        Close(c);
        return;
      }
      if (p.expects_continue && !c->continue_sent) {
        c->continue_sent = true;
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        (void)::send(c->fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
      }
      Arm(c, EPOLLIN);
      return;
    }
    c->continue_sent = false;
    c->chunks = {};
    // A large upload does not keep its buffer for the rest of the connection.
    if (c->in.empty() && c->in.capacity() > (1 << 20)) std::string().swap(c->in);
    std::shared_ptr<Conn> conn = Shared(c);
    if (!conn) return;
    c->state.store(State::kBusy, std::memory_order_release);
    p.request.remote_ip = c->remote_ip;
    const bool refused = status == ParseStatus::kRefused;
    if (refused) c->in.clear();
    // A client that shut down its side is answered what it sent, then closed.
    const bool close = p.close || refused || (c->peer_done && c->in.empty());
    Reply reply = MakeReply(std::move(conn), p.head, close, p.http10);
    if (refused) {
      reply(cb.refuse(p.refusal, p.request));
      return;
    }
    try {
      if (cb.try_on_loop(p.request, reply)) return;
    } catch (const std::exception& e) {
      core::log::Error("request handler failed", {{"error", e.what()}});
      return;  // the reply's last copy answers 500
    }
    Enqueue([this, req = std::move(p.request), reply = std::move(reply)]() mutable {
      cb.on_worker(req, std::move(reply));
    });
  }

  // The Reply for one request: answers once (a second call does nothing),
  // and a 500 when every copy is gone without an answer, so no connection
  // waits forever for a lost one.
  Reply MakeReply(std::shared_ptr<Conn> conn, bool head, bool close, bool http10) {
    struct Slot {
      Impl* impl;
      std::shared_ptr<Conn> conn;
      bool head, close, http10;
      std::atomic<bool> answered{false};
      void Send(Response r) {
        if (!answered.exchange(true)) impl->Answer(conn, std::move(r), head, close, http10);
      }
      ~Slot() {
        if (answered.load()) return;
        try {
          const std::string id = NewRequestId();
          Response r = ProblemResponse(core::Internal("the request was not answered"), "", id);
          r.headers.emplace_back("X-Request-Id", id);
          Send(std::move(r));
        } catch (...) {
          // Out of memory: the connection is closed instead.
          if (!answered.exchange(true)) impl->Abandon(conn);
        }
      }
    };
    outstanding.fetch_add(1);
    auto slot = std::make_shared<Slot>();
    slot->impl = this;
    slot->conn = std::move(conn);
    slot->head = head;
    slot->close = close;
    slot->http10 = http10;
    return [slot](Response r) { slot->Send(std::move(r)); };
  }

  // Connections handed back with a request already buffered (pipelining).
  void TakePosted() {
    uint64_t ignored;
    (void)::read(wake_fd, &ignored, sizeof ignored);
    std::vector<std::shared_ptr<Conn>> resume;
    {
      std::lock_guard lock(posted_mu);
      resume.swap(posted);
    }
    for (auto& c : resume) {
      c->state.store(State::kReading, std::memory_order_release);
      Process(c.get());
    }
  }

  void FlushOut(Conn* c) {
    std::string_view rest(c->out);
    rest.remove_prefix(c->out_pos);
    while (!rest.empty()) {
      const ssize_t n = ::send(c->fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n > 0) {
        rest.remove_prefix(static_cast<size_t>(n));
        c->out_pos += static_cast<size_t>(n);
        c->last_active_ns.store(NowNs(), std::memory_order_relaxed);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        Arm(c, EPOLLOUT);
        return;
      }
      Close(c);
      return;
    }
    c->out.clear();
    c->out_pos = 0;
    Done(c, c->close_after);
  }

  // Reads and drops what a closing client still sends; closes at its end.
  void DropInput(Conn* c) {
    char scratch[kReadChunk];
    for (size_t taken = 0; taken < 16 * kReadChunk;) {
      const ssize_t n = ::recv(c->fd, scratch, sizeof scratch, 0);
      if (n > 0) {
        taken += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      Close(c);  // the client closed too, or the connection broke
      return;
    }
    Arm(c, EPOLLIN);
  }

  // Closes connections idle, stalled mid-request or not reading their answer
  // for the read timeout, and lingering ones after two seconds.
  void CloseStale(int64_t now) {
    const int64_t limit =
        std::chrono::duration_cast<std::chrono::nanoseconds>(options.read_timeout).count();
    std::vector<Conn*> stale;
    {
      std::lock_guard lock(conns_mu);
      for (auto& [c, _] : conns) {
        const State state = c->state.load(std::memory_order_acquire);
        const int64_t idle = now - c->last_active_ns.load(std::memory_order_relaxed);
        if (((state == State::kReading || state == State::kWriting) && idle > limit) ||
            (state == State::kLingering && idle > kLingerNs)) {
          stale.push_back(c);
        }
      }
    }
    for (Conn* c : stale) Close(c);
  }

  // --- answering, from any thread ---

  void Answer(const std::shared_ptr<Conn>& conn, Response r, bool head, bool close, bool http10) {
    close = close || closing.load() || stopping.load();
    Conn* c = conn.get();
    try {
      if (r.stream && HasBody(r.status)) {
        // HTTP/1.0 has no chunked coding: the body ends when the connection does.
        const bool chunked = !http10;
        if (!chunked) close = true;
        if (!WriteAll(c->fd, ResponseHead(r, chunked ? -1 : -2, close), options.read_timeout)) {
          Close(c);
        } else if (head || WriteStream(c, r, chunked)) {
          Done(c, close);
        } else {
          Close(c);
        }
      } else {
        const size_t length = HasBody(r.status) ? r.body.size() : 0;
        std::string bytes = ResponseHead(r, static_cast<int64_t>(length), close);
        if (!head) bytes.append(r.body, 0, length);
        Send(c, std::move(bytes), close);
      }
    } catch (const std::exception& e) {
      core::log::Error("writing a response failed", {{"error", e.what()}});
      Close(c);
    }
    // The last touch of this object: Run waits for `outstanding` to reach zero.
    std::lock_guard lock(outstanding_mu);
    if (outstanding.fetch_sub(1) == 1) outstanding_cv.notify_all();
  }

  bool WriteStream(Conn* c, const Response& r, bool chunked) {
    std::string chunk;
    for (;;) {
      chunk.clear();
      bool more = false;
      try {
        more = r.stream(chunk);
      } catch (const std::exception& e) {
        // Without the last chunk the client sees an incomplete body, never a
        // short complete one.
        core::log::Error("streamed response failed", {{"error", e.what()}});
        return false;
      }
      if (!chunk.empty() && !chunked) {
        if (!WriteAll(c->fd, chunk, options.read_timeout)) return false;
      } else if (!chunk.empty()) {
        char size[20];
        const auto end = std::to_chars(size, size + sizeof size, chunk.size(), 16).ptr;
        std::string framed(size, end);
        framed += "\r\n";
        framed += chunk;
        framed += "\r\n";
        if (!WriteAll(c->fd, framed, options.read_timeout)) return false;
      }
      if (!more) return !chunked || WriteAll(c->fd, "0\r\n\r\n", options.read_timeout);
    }
  }

  // Writes what the socket takes now; the loop writes the rest.
  void Send(Conn* c, std::string bytes, bool close) {
    std::string_view rest(bytes);
    while (!rest.empty()) {
      const ssize_t n = ::send(c->fd, rest.data(), rest.size(), MSG_NOSIGNAL);
      if (n > 0) {
        rest.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        // The loop writes the rest; after it stopped, Run does.
        c->last_active_ns.store(NowNs(), std::memory_order_relaxed);
        c->out_pos = bytes.size() - rest.size();
        c->out = std::move(bytes);
        c->close_after = close;
        c->state.store(State::kWriting, std::memory_order_release);
        Arm(c, EPOLLOUT);
        return;
      }
      Close(c);
      return;
    }
    Done(c, close);
  }

  // A reply that cannot be made: the connection closes, and Run stops waiting for it.
  void Abandon(const std::shared_ptr<Conn>& conn) {
    Close(conn.get());
    std::lock_guard lock(outstanding_mu);
    if (outstanding.fetch_sub(1) == 1) outstanding_cv.notify_all();
  }

  // A response is written: close, or wait for the next request.
  void Done(Conn* c, bool close) {
    if (stopping.load()) {
      Close(c);
      return;
    }
    if (close) {
      // Our side is done; the client's is read to its end (kLingering).
      ::shutdown(c->fd, SHUT_WR);
      c->in.clear();
      c->last_active_ns.store(NowNs(), std::memory_order_relaxed);
      c->state.store(State::kLingering, std::memory_order_release);
      Arm(c, EPOLLIN);
      return;
    }
    c->last_active_ns.store(NowNs(), std::memory_order_relaxed);
    if (!c->in.empty()) {
      // A pipelined request is waiting: the loop parses it.
      std::shared_ptr<Conn> conn = Shared(c);
      if (!conn) return;
      c->state.store(State::kBusy, std::memory_order_release);
      {
        std::lock_guard lock(posted_mu);
        posted.push_back(std::move(conn));
      }
      const uint64_t one = 1;
      (void)::write(wake_fd, &one, sizeof one);
      return;
    }
    c->state.store(State::kReading, std::memory_order_release);
    Arm(c, EPOLLIN);
  }

  std::shared_ptr<Conn> Shared(Conn* c) {
    std::lock_guard lock(conns_mu);
    auto it = conns.find(c);
    return it == conns.end() ? nullptr : it->second;
  }

  // Forgets the connection; its socket closes with the last reference.
  void Close(Conn* c) {
    c->state.store(State::kClosed, std::memory_order_release);
    ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c->fd, nullptr);
    ::shutdown(c->fd, SHUT_RDWR);
    std::shared_ptr<Conn> last;
    std::lock_guard lock(conns_mu);
    auto it = conns.find(c);
    if (it == conns.end()) return;
    last = std::move(it->second);  // destroyed after the lock is released
    conns.erase(it);
  }

  // --- the workers ---

  void Enqueue(std::function<void()> task) {
    {
      std::lock_guard lock(pool_mu);
      tasks.push_back(std::move(task));
    }
    pool_cv.notify_one();
  }

  void Work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(pool_mu);
        pool_cv.wait(lock, [&] { return pool_stop || !tasks.empty(); });
        if (tasks.empty()) return;
        task = std::move(tasks.front());
        tasks.pop_front();
      }
      try {
        task();
      } catch (const std::exception& e) {
        // A worker loop is one of the two places exceptions are caught.
        core::log::Error("request handler failed", {{"error", e.what()}});
      }
    }
  }

  HttpServerOptions options;
  HttpCallbacks cb;
  int listen_fd = -1;
  int epoll_fd = -1;
  int wake_fd = -1;
  int port = 0;
  bool listener_paused = false;  // the loop's
  std::atomic<bool> stopping{false};
  std::atomic<bool> closing{false};
  std::mutex conns_mu;
  std::unordered_map<Conn*, std::shared_ptr<Conn>> conns;
  std::mutex posted_mu;
  std::vector<std::shared_ptr<Conn>> posted;
  std::mutex pool_mu;
  std::condition_variable pool_cv;
  std::deque<std::function<void()>> tasks;
  bool pool_stop = false;
  std::atomic<int> outstanding{0};  // replies not yet sent
  std::mutex outstanding_mu;
  std::condition_variable outstanding_cv;
};

HttpServer::HttpServer(HttpServerOptions options, HttpCallbacks callbacks)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(callbacks))) {}

HttpServer::~HttpServer() = default;

core::Status HttpServer::Bind() {
  auto& o = impl_->options;
  auto failed = [&] {
    return core::Unavailable("bind_failed", "cannot listen on " + o.host + ":" +
                                                std::to_string(o.port) +
                                                " (in use, or not an address of this machine)");
  };
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(o.host.c_str(), std::to_string(o.port).c_str(), &hints, &found) != 0) {
    return failed();
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // SO_REUSEADDR alone (no SO_REUSEPORT): a second server on a port in use fails to bind.
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd < 0) return failed();
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  impl_->port =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6&>(bound).sin6_port
                                        : reinterpret_cast<const sockaddr_in&>(bound).sin_port);
  impl_->listen_fd = fd;
  impl_->epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  impl_->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl_->epoll_fd < 0 || impl_->wake_fd < 0) return failed();
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &impl_->listen_fd;
  ::epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  ev.data.ptr = &impl_->wake_fd;
  ::epoll_ctl(impl_->epoll_fd, EPOLL_CTL_ADD, impl_->wake_fd, &ev);
  return core::Status::Ok();
}

int HttpServer::port() const { return impl_->port; }

core::Status HttpServer::Run() {
  Impl& s = *impl_;
  if (s.epoll_fd < 0) return core::Unavailable("listen_failed", "Run before a successful Bind");
  std::vector<std::thread> workers;
  for (int i = 0; i < std::max(1, s.options.threads); ++i) {
    workers.emplace_back([&s] {
      pthread_setname_np(pthread_self(), "http-worker");
      s.Work();
    });
  }
  pthread_setname_np(pthread_self(), "http-loop");
  s.Loop();
  ::epoll_ctl(s.epoll_fd, EPOLL_CTL_DEL, s.listen_fd, nullptr);
  ::close(s.listen_fd);
  s.listen_fd = -1;
  {
    std::lock_guard lock(s.pool_mu);
    s.pool_stop = true;
  }
  s.pool_cv.notify_all();
  for (auto& w : workers) w.join();
  {
    std::unique_lock lock(s.outstanding_mu);
    s.outstanding_cv.wait(lock, [&] { return s.outstanding.load() == 0; });
  }
  std::vector<std::shared_ptr<Conn>> open;
  {
    std::lock_guard lock(s.conns_mu);
    for (auto& [c, conn] : s.conns) open.push_back(conn);
  }
  for (auto& c : open) {
    // Answers the loop had not finished writing, each given a second.
    if (c->state.load(std::memory_order_acquire) == State::kWriting) {
      (void)WriteAll(c->fd, std::string_view(c->out).substr(c->out_pos), std::chrono::seconds(1));
    }
    s.Close(c.get());
  }
  return core::Status::Ok();
}

void HttpServer::Stop() {
  impl_->stopping = true;
  if (impl_->wake_fd >= 0) {
    const uint64_t one = 1;
    (void)::write(impl_->wake_fd, &one, sizeof one);
  }
}

void HttpServer::set_closing(bool closing) { impl_->closing = closing; }

}  // namespace shopcrm::api::internal
