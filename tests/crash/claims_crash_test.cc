// Coupon claims against the real `shopcrm serve` binary, on both backends:
// - a server killed with SIGKILL in the middle of a burst of claims keeps
//   every claim it acknowledged, and its stock counter, coupons, and claim
//   steps agree; a restarted server then issues exactly the rest of the stock;
// - two servers on one database never issue more than the stock between them,
//   nor two coupons to one user.
//
// The database is made and filled (users, a template, an API key) by the test
// through TestDatabase before any server starts; the servers open its url().
// Every server is a child process that is SIGKILLed and reaped when its
// ServerProcess dies, so a failing test leaves no process behind; the child
// also asks the kernel to kill it should this test process die first.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/id.h"
#include "core/json.h"
#include "identity/api_keys.h"
#include "marketing/templates.h"
#include "testing/sql_fixtures.h"
#include "testing/test_database.h"

namespace shopcrm::crash {
namespace {

using shopcrm::testing::TestBackend;
using shopcrm::testing::TestDatabase;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr auto kReadyWithin = 10s;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One `shopcrm serve` child process. Start() runs it on a port of its own
// choosing (--port 0; the port is read from the line it prints to stdout) and
// waits for /readyz. The destructor SIGKILLs and reaps it.
class ServerProcess final {
 public:
  // `name` names its stdout / stderr files in `dir`; `node_id` is its id
  // generator node (distinct per server, so ids of two servers never clash).
  ServerProcess(std::filesystem::path dir, std::string database_url, std::string name, int node_id)
      : dir_(std::move(dir)),
        database_url_(std::move(database_url)),
        name_(std::move(name)),
        node_id_(node_id) {}
  ~ServerProcess() { Kill(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  ::testing::AssertionResult Start() {
    const std::string out = (dir_ / (name_ + ".out")).string();
    const std::string err = (dir_ / (name_ + ".err")).string();
    const std::string work_dir = dir_.string();
    std::vector<std::string> args = {
        SHOPCRM_BINARY, "serve", "--host", "127.0.0.1", "--port", "0", "--data-dir",
        (dir_ / "data").string(), "--database-url", database_url_, "--log-level", "warn", "--set",
        "server.node_id=" + std::to_string(node_id_),
        // Claims share transactions on both backends (by default PostgreSQL's do not).
        "--set", "coupons.group_commit=true"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) return ::testing::AssertionFailure() << "fork failed";
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec: this process has threads.
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
      const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int null_fd = open("/dev/null", O_RDONLY);
      if (out_fd < 0 || err_fd < 0 || null_fd < 0) _exit(127);
      dup2(null_fd, 0);
      dup2(out_fd, 1);
      dup2(err_fd, 2);
      // Away from any ./shopcrm.toml where the tests happen to run.
      if (chdir(work_dir.c_str()) != 0) _exit(127);
      execv(argv[0], argv.data());
      _exit(127);
    }
    pid_ = pid;

    const auto give_up = Clock::now() + kReadyWithin;
    const std::string announce = "listening on http://127.0.0.1:";
    while (Clock::now() < give_up) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return ::testing::AssertionFailure()
               << name_ << " exited during start-up ("
               << (WIFEXITED(status) ? "exit code " + std::to_string(WEXITSTATUS(status)) +
                                           (WEXITSTATUS(status) == 127 ? ", cannot exec" : "")
                                     : "signal " + std::to_string(WTERMSIG(status)))
               << "):\n"
               << ReadFile(err) << ReadFile(out);
      }
      if (port_ == 0) {
        const std::string text = ReadFile(out);
        const size_t at = text.find(announce);
        if (at != std::string::npos && text.find('/', at + announce.size()) != std::string::npos) {
          port_ = std::atoi(text.c_str() + at + announce.size());
        }
      }
      if (port_ != 0) {
        httplib::Client c("127.0.0.1", port_);
        c.set_connection_timeout(1, 0);
        c.set_read_timeout(1, 0);
        auto res = c.Get("/readyz");
        if (res && res->status == 200) return ::testing::AssertionSuccess();
      }
      std::this_thread::sleep_for(20ms);
    }
    Kill();
    return ::testing::AssertionFailure()
           << name_ << " not ready within " << kReadyWithin.count() << " s:\n"
           << ReadFile(err) << ReadFile(out);
  }

  // SIGKILLs and reaps the process. Returns false if it was not running
  // (never started, or it had exited on its own).
  bool Kill() {
    if (pid_ <= 0) return false;
    int status = 0;
    const bool running = waitpid(pid_, &status, WNOHANG) == 0;
    if (running) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    port_ = 0;
    return running;
  }

  int port() const { return port_; }

 private:
  const std::filesystem::path dir_;
  const std::string database_url_;
  const std::string name_;
  const int node_id_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// What a claim got back: "201", the problem reason of a 422, "unanswered"
// (no response: the server died), or "HTTP <status>: <body>" for anything else.
struct Answer {
  std::string outcome;
  std::string coupon_id;  // with "201"
};

// Claims for users[k] at ports[k % ports.size()] for k = 0, 1, …, from
// `threads` keep-alive clients at once. A thread stops at its first claim
// that gets no answer: the server it talks to is gone.
class ClaimLoad final {
 public:
  ClaimLoad(std::vector<int> ports, std::string api_key, int64_t template_id,
            std::vector<int64_t> users, int threads)
      : ports_(std::move(ports)),
        api_key_(std::move(api_key)),
        template_id_(template_id),
        users_(std::move(users)) {
    running_ = threads;
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this](std::stop_token stop) { Run(stop); });
    }
  }

  // Claims acknowledged (201) so far.
  int acknowledged() const { return acknowledged_.load(); }
  bool done() const { return running_.load() == 0; }

  void Wait() {
    for (auto& t : threads_) t.join();
  }

  // Valid after Wait().
  const std::map<std::string, int>& outcomes() const { return outcomes_; }
  const std::set<std::string>& coupon_ids() const { return coupon_ids_; }
  const std::map<int64_t, std::string>& by_user() const { return by_user_; }
  std::vector<int64_t> unanswered_users() const {
    std::vector<int64_t> out;
    for (const auto& [user, outcome] : by_user_)
      if (outcome == "unanswered") out.push_back(user);
    return out;
  }

 private:
  void Run(const std::stop_token& stop) {
    std::vector<std::unique_ptr<httplib::Client>> clients;
    for (int port : ports_) {
      clients.push_back(std::make_unique<httplib::Client>("127.0.0.1", port));
      clients.back()->set_keep_alive(true);
      // httplib sends a POST's headers and body in two writes: without this
      // each claim waits for a delayed ACK.
      clients.back()->set_tcp_nodelay(true);
      clients.back()->set_connection_timeout(2, 0);
      clients.back()->set_read_timeout(10, 0);
    }
    const httplib::Headers headers = {{"Authorization", "Bearer " + api_key_}};
    while (!stop.stop_requested()) {
      const size_t k = next_++;
      if (k >= users_.size()) break;
      const int64_t user = users_[k];
      const std::string body = R"({"template_id":")" + std::to_string(template_id_) +
                               R"(","user_id":")" + std::to_string(user) + R"(","channel":"app"})";
      auto res = clients[k % clients.size()]->Post("/api/v1/coupons/claim", headers, body,
                                                   "application/json");
      const Answer answer = Read(res);
      if (answer.outcome == "201") ++acknowledged_;
      {
        std::lock_guard lock(mu_);
        ++outcomes_[answer.outcome];
        by_user_[user] = answer.outcome;
        if (!answer.coupon_id.empty()) coupon_ids_.insert(answer.coupon_id);
      }
      if (answer.outcome == "unanswered") break;
    }
    --running_;
  }

  static Answer Read(const httplib::Result& res) {
    if (!res) return {"unanswered", ""};
    auto json = core::ParseJson(res->body);
    if (res->status == 201 && json.ok() && json->contains("id") && (*json)["id"].is_string()) {
      return {"201", (*json)["id"].get<std::string>()};
    }
    if (res->status == 422 && json.ok() && json->contains("reason") &&
        (*json)["reason"].is_string()) {
      return {(*json)["reason"].get<std::string>(), ""};
    }
    return {"HTTP " + std::to_string(res->status) + ": " + res->body, ""};
  }

  const std::vector<int> ports_;
  const std::string api_key_;
  const int64_t template_id_;
  const std::vector<int64_t> users_;
  std::atomic<size_t> next_{0};
  std::atomic<int> acknowledged_{0};
  std::atomic<int> running_{0};
  std::mutex mu_;
  std::map<std::string, int> outcomes_;
  std::set<std::string> coupon_ids_;
  std::map<int64_t, std::string> by_user_;
  // Last: the threads stop (request_stop + join) before the state above dies.
  std::vector<std::jthread> threads_;
};

class ClaimsCrashTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  static constexpr int kUsers = 2000;
  static constexpr int kThreads = 8;

  void SetUp() override {
    t_ = TestDatabase::Create(GetParam(), 2);
    std::string dir = (std::filesystem::temp_directory_path() / "shopcrm_crash_XXXXXX").string();
    ASSERT_NE(mkdtemp(dir.data()), nullptr);
    dir_ = dir;
    AddUsers();
    auto key = identity::ApiKeys(t_->db(), clock_, ids_, audit_)
                   .Create("mall", identity::Role::kIntegration, actor_);
    ASSERT_TRUE(key.ok()) << key.error().ToString();
    api_key_ = key->secret;
  }

  void TearDown() override {
    // Server logs stay behind only when the test failed.
    if (dir_.empty()) return;
    if (!HasFailure()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    } else {
      std::cerr << "server logs kept in " << dir_ << "\n";
    }
  }

  void AddUsers() {
    auto st = shopcrm::testing::InsertUsers(t_->db(), kUsers);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
  }

  // A red packet, one per user, `stock` in all.
  int64_t CreateTemplate(int64_t stock) {
    marketing::TemplateSpec s;
    s.name = "red packet";
    s.terms.kind = marketing::CouponKind::kRedPacket;
    s.terms.discount = 500;
    s.limits.stock = stock;
    s.limits.per_user_total = 1;
    s.validity.use_days = 7;
    auto t = marketing::Templates(t_->db(), clock_, ids_, audit_).Create(s, actor_);
    EXPECT_TRUE(t.ok()) << t.error().ToString();
    return t.ok() ? t->id : 0;
  }

  std::unique_ptr<ServerProcess> Server(const std::string& name, int node_id) {
    return std::make_unique<ServerProcess>(dir_, t_->url(), name, node_id);
  }

  // The integer the query returns, with `template_id` bound to its one parameter.
  int64_t Count(const std::string& sql, int64_t template_id) {
    int64_t n = -1;
    auto st = t_->db().WithSession([&](store::Session& s) -> core::Status {
      SHOPCRM_ASSIGN_OR_RETURN(auto r, s.QueryOne(sql, {template_id}, "x", "x"));
      n = r.Int(0);
      return core::Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.error().ToString();
    return n;
  }

  // coupon id → user id, for the template.
  std::map<std::string, int64_t> Coupons(int64_t template_id) {
    std::map<std::string, int64_t> out;
    auto st = t_->db().WithSession([&](store::Session& s) -> core::Status {
      SHOPCRM_ASSIGN_OR_RETURN(
          auto rows,
          s.Query("SELECT id, user_id FROM coupons WHERE template_id = ?", {template_id}));
      for (const auto& r : rows.rows) out[std::to_string(r.Int(0))] = r.Int(1);
      return core::Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << st.error().ToString();
    return out;
  }

  // The counts that must agree whatever happened to the servers: one coupon
  // per user, the stock counter equal to the coupons, one claim step per coupon.
  void ExpectConsistent(int64_t template_id, int64_t stock) {
    const int64_t coupons =
        Count("SELECT COUNT(*) FROM coupons WHERE template_id = ?", template_id);
    EXPECT_EQ(Count("SELECT issued FROM coupon_templates WHERE id = ?", template_id), coupons);
    EXPECT_EQ(
        Count("SELECT COUNT(DISTINCT user_id) FROM coupons WHERE template_id = ?", template_id),
        coupons);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM coupon_steps WHERE template_id = ? AND step = 'claimed'",
                    template_id),
              coupons);
    EXPECT_LE(coupons, stock);
  }

  static std::string Describe(const std::map<std::string, int>& outcomes) {
    std::string out;
    for (const auto& [outcome, n] : outcomes)
      out += "  " + outcome + " ×" + std::to_string(n) + "\n";
    return out;
  }

  // Every claim got an answer a live server may give.
  static void ExpectOnlyClaimAnswers(const std::map<std::string, int>& outcomes) {
    for (const auto& [outcome, n] : outcomes) {
      EXPECT_TRUE(outcome == "201" || outcome == "coupon_stock_exhausted" ||
                  outcome == "user_limit_reached")
          << n << " claims got " << outcome;
    }
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  core::SystemClock clock_;
  core::IdGenerator ids_{clock_, 1000};
  audit::AuditLog audit_{clock_, ids_};
  std::unique_ptr<TestDatabase> t_;
  std::filesystem::path dir_;
  std::string api_key_;
};

TEST_P(ClaimsCrashTest, KillDuringLoad) {
  constexpr int64_t kStock = 500;
  constexpr int kKillAfter = 150;  // acknowledged claims
  const int64_t tmpl = CreateTemplate(kStock);
  ASSERT_NE(tmpl, 0);

  std::vector<int64_t> all_users;
  for (int64_t u = 1; u <= kUsers; ++u) all_users.push_back(u);

  auto first = Server("first", 1);
  ASSERT_TRUE(first->Start());
  ClaimLoad load({first->port()}, api_key_, tmpl, all_users, kThreads);
  const auto give_up = Clock::now() + 2s;
  while (load.acknowledged() < kKillAfter && Clock::now() < give_up && !load.done())
    std::this_thread::sleep_for(1ms);
  EXPECT_TRUE(first->Kill()) << "the server exited before it was killed";
  load.Wait();
  const int acknowledged_before = load.acknowledged();
  EXPECT_GE(acknowledged_before, kKillAfter) << Describe(load.outcomes());
  EXPECT_GT(load.outcomes().count("unanswered"), 0u)
      << "the kill came after the load had finished:\n"
      << Describe(load.outcomes());
  for (const auto& [outcome, n] : load.outcomes()) {
    EXPECT_TRUE(outcome == "201" || outcome == "unanswered" || outcome == "user_limit_reached" ||
                outcome == "coupon_stock_exhausted")
        << n << " claims got " << outcome;
  }

  // What the killed server left: every acknowledged claim, and counts that
  // agree. Claims that committed but whose answer was lost in the kill may
  // be there too (that is allowed: the client saw no answer and may retry),
  // so the coupons are at least, not exactly, the acknowledged claims.
  const auto after_crash = Coupons(tmpl);
  // For the log: whether this run caught claims that committed unanswered.
  std::cout << "killed after " << acknowledged_before << " acknowledged claims; "
            << load.unanswered_users().size() << " claims unanswered; " << after_crash.size()
            << " coupons in the database\n";
  for (const auto& id : load.coupon_ids()) {
    EXPECT_TRUE(after_crash.contains(id)) << "acknowledged coupon " << id << " was lost";
  }
  EXPECT_GE(after_crash.size(), load.coupon_ids().size());
  ExpectConsistent(tmpl, kStock);
  std::set<int64_t> holders;
  for (const auto& [id, user] : after_crash) holders.insert(user);

  // A restarted server claims for every user without an answer so far, those
  // whose claim was lost in the kill first: it issues exactly the rest of
  // the stock, and nothing more to a user whose lost claim had committed.
  std::vector<int64_t> rest = load.unanswered_users();
  for (int64_t u = 1; u <= kUsers; ++u)
    if (!load.by_user().contains(u)) rest.push_back(u);
  ASSERT_GT(rest.size(), static_cast<size_t>(kStock)) << "not enough users left to empty the stock";
  auto second = Server("second", 2);
  ASSERT_TRUE(second->Start());
  ClaimLoad reload({second->port()}, api_key_, tmpl, rest, kThreads);
  reload.Wait();
  EXPECT_TRUE(second->Kill()) << "the restarted server exited on its own";
  ExpectOnlyClaimAnswers(reload.outcomes());
  const int acknowledged_after = reload.acknowledged();
  EXPECT_EQ(acknowledged_after, kStock - static_cast<int64_t>(after_crash.size()))
      << Describe(reload.outcomes());
  for (int64_t u : load.unanswered_users()) {
    const auto answer = reload.by_user().find(u);
    if (holders.contains(u) && answer != reload.by_user().end()) {
      EXPECT_NE(answer->second, "201") << "user " << u << " got a second coupon";
    }
  }

  const auto final_coupons = Coupons(tmpl);
  EXPECT_EQ(static_cast<int64_t>(final_coupons.size()), kStock);
  ExpectConsistent(tmpl, kStock);
  for (const auto& id : reload.coupon_ids()) {
    EXPECT_TRUE(final_coupons.contains(id)) << "acknowledged coupon " << id << " is missing";
    EXPECT_FALSE(after_crash.contains(id)) << "coupon " << id << " was answered twice";
  }
  // Both runs' acknowledged claims, plus any committed in the kill unanswered.
  EXPECT_LE(acknowledged_before + acknowledged_after, kStock);
}

TEST_P(ClaimsCrashTest, TwoServersShareTheStock) {
  constexpr int64_t kStock = 300;
  const int64_t tmpl = CreateTemplate(kStock);
  ASSERT_NE(tmpl, 0);

  auto a = Server("a", 1);
  auto b = Server("b", 2);
  ASSERT_TRUE(a->Start());
  ASSERT_TRUE(b->Start());
  // Every user claims twice, once at each server, the two claims sent at
  // nearly the same moment by neighbouring threads.
  std::vector<int64_t> users;
  for (int64_t u = 1; u <= kUsers; ++u) users.insert(users.end(), {u, u});
  ClaimLoad load({a->port(), b->port()}, api_key_, tmpl, users, kThreads);
  load.Wait();
  EXPECT_TRUE(a->Kill()) << "server a exited on its own";
  EXPECT_TRUE(b->Kill()) << "server b exited on its own";

  ExpectOnlyClaimAnswers(load.outcomes());
  EXPECT_EQ(load.acknowledged(), kStock) << Describe(load.outcomes());
  const auto coupons = Coupons(tmpl);
  EXPECT_EQ(static_cast<int64_t>(coupons.size()), kStock);
  ExpectConsistent(tmpl, kStock);
  for (const auto& id : load.coupon_ids()) {
    EXPECT_TRUE(coupons.contains(id)) << "acknowledged coupon " << id << " is missing";
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ClaimsCrashTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::crash
