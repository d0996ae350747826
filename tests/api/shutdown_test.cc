// Graceful shutdown: requests in flight when Stop is called still get their
// answers. Logins with the production argon2id cost take tens of
// milliseconds each, which keeps several requests in flight at once.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <thread>

#include "testing/test_server.h"

namespace shopcrm::contract {
namespace {

TEST(GracefulShutdown, InFlightRequestsFinishBeforeStopReturns) {
  testing::TestServer harness(testing::TestBackend::kSqlite, testing::TestServer::DefaultOptions(),
                              /*fast_password_hash=*/false);
  constexpr int kClients = 4;
  std::atomic<int> answered{0};
  std::atomic<int> started{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, i] {
      httplib::Client c("127.0.0.1", harness.port());
      c.set_read_timeout(30, 0);
      c.set_keep_alive(true);
      // A first request proves the connection is up before Stop is called.
      auto warm = c.Get("/healthz");
      if (!warm) return;
      ++started;
      auto res = c.Post("/api/v1/auth/login",
                        R"({"username":"admin","password":"wrong-)" + std::to_string(i) + R"("})",
                        "application/json");
      if (res && res->status == 401) ++answered;
    });
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (started < kClients && std::chrono::steady_clock::now() < give_up)
    std::this_thread::yield();
  EXPECT_EQ(started.load(), kClients);
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  const auto stop_started = std::chrono::steady_clock::now();
  harness.Stop();  // returns once the worker pool has drained
  // The drain ends when the server is quiet, not when the 10 s grace period runs out.
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(5));
  for (auto& t : clients) t.join();
  EXPECT_EQ(answered.load(), kClients);
}

// A second server on a port in use must fail to bind, not share the port and
// take half of its connections.
TEST(ServerBind, PortInUseIsRefused) {
  testing::TestServer first(testing::TestBackend::kSqlite);
  auto options = testing::TestServer::DefaultOptions();
  options.port = first.port();
  auto second = first.MakeServer(options);
  const core::Status bound = second->Bind();
  ASSERT_FALSE(bound.ok());
  EXPECT_EQ(bound.error().reason(), "bind_failed");
}

}  // namespace
}  // namespace shopcrm::contract
