// The HTTP/1.1 layer under ApiServer: the request parser on buffers, and the
// event-loop server on real sockets (pipelining, answers from other threads,
// 100-continue, large and streamed responses, refusals, shutdown).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "api/internal/http_parser.h"
#include "api/internal/http_server.h"

namespace shopcrm::api::internal {
namespace {

ParseStatus Parse(std::string& buffer, ParsedRequest& out, size_t max_body = 1 << 20) {
  out = ParsedRequest{};
  return ParseRequest(buffer, max_body, out);
}

TEST(HttpParser, ReadsTheRequestLineHeadersAndDecodedQuery) {
  std::string in =
      "GET /api/v1/a%20b/c+d?q=x+y%26z&flag&empty=&q=2 HTTP/1.1\r\n"
      "Host: h\r\nX-Thing:   spaced value \t\r\nx-thing: second\r\n\r\n";
  ParsedRequest p;
  ASSERT_EQ(Parse(in, p), ParseStatus::kDone);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_EQ(p.request.path, "/api/v1/a b/c+d");            // '+' is a space only in the query
  EXPECT_EQ(p.request.Header("x-thing"), "spaced value");  // the first of repeated headers
  EXPECT_EQ(p.request.Header("host"), "h");
  EXPECT_EQ(p.request.query.count("q"), 2U);
  EXPECT_EQ(p.request.Query("q"), "x y&z");
  EXPECT_EQ(p.request.Query("flag"), "");
  EXPECT_EQ(p.request.Query("empty"), "");
  EXPECT_FALSE(p.close);
  EXPECT_FALSE(p.head);
}

TEST(HttpParser, KeepsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("100%zz%4", false), "100%zz%4");
  EXPECT_EQ(PercentDecode("%41%2f%", true), "A/%");
}

TEST(HttpParser, WaitsForTheWholeBodyThenLeavesThePipelinedRest) {
  std::string in = "POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab";
  ParsedRequest p;
  EXPECT_EQ(Parse(in, p), ParseStatus::kNeedMore);
  in += "cdeGET /next HTTP/1.1\r\n\r\n";
  ASSERT_EQ(Parse(in, p), ParseStatus::kDone);
  EXPECT_EQ(p.request.body, "abcde");
  EXPECT_EQ(in, "GET /next HTTP/1.1\r\n\r\n");
  ASSERT_EQ(Parse(in, p), ParseStatus::kDone);
  EXPECT_EQ(p.request.path, "/next");
  EXPECT_TRUE(in.empty());
}

TEST(HttpParser, DecodesChunkedBodies) {
  std::string in =
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4;ext=1\r\nWiki\r\n";
  ParsedRequest p;
  EXPECT_EQ(Parse(in, p), ParseStatus::kNeedMore);
  in += "9\r\npedia in \r\n0\r\nTrailer: x\r\n\r\n";
  ASSERT_EQ(Parse(in, p), ParseStatus::kDone);
  EXPECT_EQ(p.request.body, "Wikipedia in ");
  EXPECT_TRUE(in.empty());
}

TEST(HttpParser, FramesAChunkedBodyFollowedByAnotherRequest) {
  std::string in =
      "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "POST /y HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}";
  ParsedRequest p;
  ASSERT_EQ(Parse(in, p), ParseStatus::kDone);
  EXPECT_EQ(p.request.body, "abc");
  ASSERT_EQ(Parse(in, p), ParseStatus::kDone);  // a repeated, equal Content-Length is fine
  EXPECT_EQ(p.request.body, "{}");
  EXPECT_TRUE(in.empty());
}

TEST(HttpParser, ContinuesAChunkedWalkWhereTheLastReadStopped) {
  std::string in = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  ChunkProgress progress;
  ParsedRequest p;
  std::string expected;
  for (int i = 0; i < 50; ++i) {
    in += "3\r\nab" + std::to_string(i % 10) + "\r\n";
    expected += "ab" + std::to_string(i % 10);
    p = ParsedRequest{};
    ASSERT_EQ(ParseRequest(in, 1 << 20, p, &progress), ParseStatus::kNeedMore);
    EXPECT_EQ(progress.decoded, expected.size());
  }
  in += "0\r\n\r\n";
  p = ParsedRequest{};
  ASSERT_EQ(ParseRequest(in, 1 << 20, p, &progress), ParseStatus::kDone);
  EXPECT_EQ(p.request.body, expected);
}

TEST(HttpParser, LimitsAChunkedBodyOnTheWire) {
  // Endless trailer lines after the last chunk still count against the limit.
  std::string in = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n";
  ParsedRequest p;
  for (int i = 0; i < 30000; ++i) in += "X-Trailer: 0123456789\r\n";
  EXPECT_EQ(Parse(in, p, 1024), ParseStatus::kRefused);
  EXPECT_EQ(p.refusal, 413);
}

TEST(HttpParser, RefusesWhatItCannotFrameSafely) {
  struct Case {
    std::string request;
    int status;
  };
  const std::string big_header = "X: " + std::string(70 << 10, 'a') + "\r\n";
  std::string blank_lines;
  for (int i = 0; i < 1000; ++i) blank_lines += "\r\n";
  const std::vector<Case> cases = {
      {"GET /x HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"POST /x HTTP/1.1\r\nContent-Length: 3x\r\n\r\nabc", 400},
      {"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
      {"POST /x HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n", 413},
      {"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
      {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nBad Header: v\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nNoColon\r\n\r\n", 400},
      {"GET /x HTTP/2.0\r\n\r\n", 400},
      {"GET x HTTP/1.1\r\n\r\n", 400},
      {"GET /x\r\n\r\n", 400},
      {"GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n", 414},
      {"GET /" + std::string(9000, 'a'), 414},
      {"GET /x HTTP/1.1\r\n" + big_header + "\r\n", 431},
      {"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400},
      {"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
      {"GET /x HTTP/1.1\r\nX: a\rb\r\n\r\n", 400},
      {"GET /a%00b HTTP/1.1\r\n\r\n", 400},
      {blank_lines + "GET / HTTP/1.1\r\n\r\n", 400},
  };
  for (const auto& c : cases) {
    std::string in = c.request;
    ParsedRequest p;
    EXPECT_EQ(Parse(in, p), ParseStatus::kRefused) << c.request.substr(0, 80);
    EXPECT_EQ(p.refusal, c.status) << c.request.substr(0, 80);
  }
}

TEST(HttpParser, ConnectionHeadAndContinue) {
  std::string in = "HEAD /x HTTP/1.0\r\n\r\n";
  ParsedRequest p;
  ASSERT_EQ(Parse(in, p), ParseStatus::kDone);
  EXPECT_TRUE(p.head);
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_TRUE(p.close);  // HTTP/1.0 without keep-alive

  in = "GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
  ASSERT_EQ(Parse(in, p), ParseStatus::kDone);
  EXPECT_FALSE(p.close);

  in = "GET /x HTTP/1.1\r\nConnection: foo, close\r\n\r\n";
  ASSERT_EQ(Parse(in, p), ParseStatus::kDone);
  EXPECT_TRUE(p.close);

  in = "\r\nPOST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
  EXPECT_EQ(Parse(in, p), ParseStatus::kNeedMore);
  EXPECT_TRUE(p.expects_continue);
  in += "a";
  EXPECT_EQ(Parse(in, p), ParseStatus::kNeedMore);
  EXPECT_FALSE(p.expects_continue);  // the body has started
}

// --- the server, on real sockets ---

class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) ADD_FAILURE();
  }
  ~Client() { ::close(fd_); }

  // Whether all of `s` was sent.
  bool Send(std::string_view s) {
    while (!s.empty()) {
      const ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Reads until `needle` has arrived (or the peer closes); returns all read so far.
  std::string ReadUntil(std::string_view needle) {
    while (buffer_.find(needle) == std::string::npos) {
      char b[65536];
      const ssize_t n = ::recv(fd_, b, sizeof b, 0);
      if (n <= 0) break;
      buffer_.append(b, static_cast<size_t>(n));
    }
    return buffer_;
  }
  // Reads until `n` bytes have arrived (or the peer closes).
  std::string ReadAtLeast(size_t n) {
    while (buffer_.size() < n) {
      char b[65536];
      const ssize_t got = ::recv(fd_, b, sizeof b, 0);
      if (got <= 0) break;
      buffer_.append(b, static_cast<size_t>(got));
    }
    return buffer_;
  }
  // Whether the server closed the connection (after what was read).
  bool Closed() {
    char b[1];
    return ::recv(fd_, b, 1, 0) == 0;
  }
  void Clear() { buffer_.clear(); }

 private:
  int fd_ = -1;
  std::string buffer_;
};

// A server whose handlers echo the path; "/later" is answered from another
// thread after a short wait, "/big" is 4 MiB, "/stream" is chunked.
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HttpCallbacks cb;
    cb.try_on_loop = [this](Request& req, Reply& reply) {
      if (req.path == "/lost") return true;  // a bug: the reply is dropped unanswered
      if (req.path != "/later") return false;
      ++later_started_;
      later_.emplace_back([reply, body = req.body] {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        Response r;
        r.body = "later:" + body;
        reply(std::move(r));
      });
      return true;
    };
    cb.on_worker = [](Request& req, Reply reply) {
      Response r;
      if (req.path == "/big") {
        r.body.assign(4 << 20, 'x');
      } else if (req.path == "/stream") {
        auto n = std::make_shared<int>(0);
        r.stream = [n](std::string& chunk) {
          chunk = "part" + std::to_string(++*n) + ";";
          return *n < 3;
        };
      } else {
        r.body = req.method + " " + req.path + " " + req.body;
      }
      reply(std::move(r));
    };
    cb.refuse = [](int status, const Request&) {
      Response r;
      r.status = status;
      r.body = "refused";
      return r;
    };
    HttpServerOptions o;
    o.threads = 2;
    o.max_body_bytes = 1024;
    server_ = std::make_unique<HttpServer>(o, cb);
    ASSERT_TRUE(server_->Bind().ok());
    run_ = std::thread([this] { ran_ = server_->Run().ok(); });
  }
  void TearDown() override {
    server_->Stop();
    run_.join();
    for (auto& t : later_) t.join();
    EXPECT_TRUE(ran_);
  }

  std::unique_ptr<HttpServer> server_;
  std::thread run_;
  std::atomic<bool> ran_{false};
  std::atomic<int> later_started_{0};
  std::vector<std::thread> later_;
};

TEST_F(ServerTest, AnswersPipelinedRequestsInOrderOnOneConnection) {
  Client c(server_->port());
  c.Send(
      "POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
      "GET /b HTTP/1.1\r\n\r\n"
      "POST /later HTTP/1.1\r\nContent-Length: 1\r\n\r\nz"
      "GET /c HTTP/1.1\r\n\r\n");
  const std::string all = c.ReadUntil("GET /c ");
  const size_t a = all.find("POST /a hi");
  const size_t b = all.find("GET /b ");
  const size_t later = all.find("later:z");
  const size_t last = all.find("GET /c ");
  ASSERT_NE(a, std::string::npos) << all;
  ASSERT_NE(b, std::string::npos) << all;
  ASSERT_NE(later, std::string::npos) << all;
  EXPECT_LT(a, b);
  EXPECT_LT(b, later);
  EXPECT_LT(later, last);
  EXPECT_NE(all.find("HTTP/1.1 200 OK\r\nDate: "), std::string::npos);
  EXPECT_EQ(later_started_.load(), 1);
}

TEST_F(ServerTest, SendsContinueBeforeTheBody) {
  Client c(server_->port());
  c.Send("POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_NE(c.ReadUntil("\r\n\r\n").find("HTTP/1.1 100 Continue"), std::string::npos);
  c.Clear();
  c.Send("abc");
  EXPECT_NE(c.ReadUntil("POST /x abc").find("Content-Length: 11"), std::string::npos);
}

TEST_F(ServerTest, WritesLargeAndStreamedAnswersWhole) {
  Client c(server_->port());
  c.Send("GET /big HTTP/1.1\r\n\r\n");
  // Not read for a while: the socket fills and the event loop writes the rest.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const size_t body = c.ReadUntil("\r\n\r\n").find("\r\n\r\n") + 4;
  const std::string all = c.ReadAtLeast(body + (4u << 20));
  EXPECT_EQ(all.size() - body, 4u << 20);
  EXPECT_NE(all.find("Content-Length: 4194304"), std::string::npos);

  Client s(server_->port());
  s.Send("GET /stream HTTP/1.1\r\n\r\n");
  const std::string streamed = s.ReadUntil("0\r\n\r\n");
  EXPECT_NE(streamed.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_NE(streamed.find("6\r\npart1;\r\n6\r\npart2;\r\n6\r\npart3;\r\n0\r\n\r\n"),
            std::string::npos)
      << streamed;
}

TEST_F(ServerTest, HeadGetsTheHeadersAlone) {
  Client c(server_->port());
  c.Send("HEAD /h HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n");
  const std::string all = c.ReadUntil("GET /after ");
  EXPECT_NE(all.find("Content-Length: 7\r\n"), std::string::npos);  // "GET /h "
  EXPECT_EQ(all.find("GET /h "), std::string::npos) << all;
}

TEST_F(ServerTest, RefusesAnOversizedBodyAndCloses) {
  Client c(server_->port());
  c.Send("POST /x HTTP/1.1\r\nContent-Length: 5000\r\n\r\n");
  const std::string all = c.ReadUntil("refused");
  EXPECT_NE(all.find("HTTP/1.1 413 "), std::string::npos);
  EXPECT_NE(all.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.Closed());
}

TEST_F(ServerTest, AnswersALostReplyWith500) {
  Client c(server_->port());
  c.Send("GET /lost HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n");
  const std::string all = c.ReadUntil("GET /next ");
  EXPECT_NE(all.find("HTTP/1.1 500 "), std::string::npos) << all;
  EXPECT_NE(all.find("GET /next "), std::string::npos) << all;
}

TEST_F(ServerTest, ARefusedClientMayFinishSendingItsBody) {
  Client c(server_->port());
  // Far more than the socket buffers hold: the server refuses after the
  // headers while this is still being sent, and must not reset the
  // connection under the client's feet.
  const std::string body(16 << 20, 'b');
  bool sent = false;
  std::thread sender([&] {
    sent =
        c.Send("POST /x HTTP/1.1\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n") &&
        c.Send(body);
  });
  const std::string all = c.ReadUntil("refused");
  sender.join();
  EXPECT_NE(all.find("HTTP/1.1 413 "), std::string::npos) << all.substr(0, 200);
  // The server read and dropped the rest rather than breaking the upload off.
  EXPECT_TRUE(sent);
  EXPECT_TRUE(c.Closed());
}

TEST_F(ServerTest, ClosesWhenTheClientAsks) {
  Client c(server_->port());
  c.Send("GET /x HTTP/1.1\r\nConnection: close\r\n\r\n");
  EXPECT_NE(c.ReadUntil("GET /x ").find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.Closed());
}

TEST_F(ServerTest, StopWaitsForAnswersStillOutstanding) {
  Client c(server_->port());
  c.Send("POST /later HTTP/1.1\r\nContent-Length: 1\r\n\r\nq");
  while (later_started_.load() == 0) std::this_thread::yield();
  server_->Stop();  // the answer comes 50 ms later, from another thread
  run_.join();
  run_ = std::thread([] {});
  EXPECT_NE(c.ReadUntil("later:q").find("later:q"), std::string::npos);
}

}  // namespace
}  // namespace shopcrm::api::internal
