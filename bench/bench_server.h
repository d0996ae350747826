// What the HTTP benchmarks share: command-line flags, a fresh database (a
// SQLite file, or a new schema on the PostgreSQL server the URL names), and
// every service behind a real ApiServer on 127.0.0.1 with an admin API key.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "api/server.h"
#include "audit/audit_log.h"
#include "core/id.h"
#include "identity/api_keys.h"
#include "identity/console_users.h"
#include "marketing/coupons.h"
#include "marketing/issuing.h"
#include "marketing/templates.h"
#include "profiles/directory.h"
#include "profiles/facts.h"
#include "profiles/import_runs.h"
#include "profiles/ingest.h"
#include "profiles/tags.h"
#include "segments/lifecycle_recorder.h"
#include "segments/segment_store.h"
#include "segments/segments.h"
#include "store/migrator.h"

namespace shopcrm::bench {

[[noreturn]] inline void Die(const std::string& what) {
  std::cerr << "bench: " << what << "\n";
  std::exit(1);
}

// `mode --name value …`
struct Flags {
  std::string mode;
  std::map<std::string, std::string> values;

  static Flags Parse(int argc, char** argv) {
    Flags f;
    if (argc >= 2) f.mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
      std::string name = argv[i];
      if (!name.starts_with("--")) Die("flags are --name value");
      f.values[name.substr(2)] = argv[i + 1];
    }
    return f;
  }
  int64_t Int(const std::string& name, int64_t def) const {
    auto it = values.find(name);
    return it == values.end() ? def : std::stoll(it->second);
  }
  double Double(const std::string& name, double def) const {
    auto it = values.find(name);
    return it == values.end() ? def : std::stod(it->second);
  }
  std::string Text(const std::string& name, std::string def) const {
    auto it = values.find(name);
    return it == values.end() ? def : it->second;
  }
};

// `target` is a file path (SQLite, removed first) or a postgresql:// URL
// (a fresh schema named `schema` is made and used).
inline std::unique_ptr<store::Database> OpenFresh(const std::string& target,
                                                  const std::string& synchronous, int pool_size,
                                                  const std::string& schema = "shopcrm_bench",
                                                  int checkpoint_pages = 16384) {
  store::DatabaseOptions o;
  o.sqlite_checkpoint_pages = checkpoint_pages;
  o.pool_size = pool_size;
  if (target.starts_with("postgres")) {
    {
      o.url = target;
      auto admin = store::Database::Open(o);
      if (!admin.ok()) Die(admin.error().ToString());
      auto st = (*admin)->WithSession([&](store::Session& s) {
        return s.ExecuteScript("DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " +
                               schema);
      });
      if (!st.ok()) Die(st.error().ToString());
    }
    o.url = target + (target.find('?') == std::string::npos ? "?" : "&") +
            "options=-csearch_path%3D" + schema;
  } else {
    std::filesystem::remove(target);
    std::filesystem::remove(target + "-wal");
    std::filesystem::remove(target + "-shm");
    o.url = "sqlite:" + target;
    o.sqlite_synchronous = synchronous;
  }
  auto db = store::Database::Open(o);
  if (!db.ok()) Die(db.error().ToString());
  return std::move(db).value();
}

// `--db`: a SQLite path (default `def`), or "postgres" for the server that
// scripts/with-postgres.sh started.
inline std::string Target(const Flags& f, const std::string& def) {
  std::string db = f.Text("db", def);
  if (db == "postgres") {
    const char* url = std::getenv("SHOPCRM_TEST_POSTGRES_URL");
    if (url == nullptr)
      Die("--db postgres needs SHOPCRM_TEST_POSTGRES_URL (scripts/with-postgres.sh)");
    db = url;
  }
  return db;
}

// Rows 1..n of `insert` ("INSERT INTO t (…) VALUES "), `row(j)` giving row j's
// "(…)": 500 rows a statement, 10,000 a transaction.
inline void InsertRows(store::Database& db, int64_t n, const std::string& insert,
                       const std::function<std::string(int64_t)>& row) {
  for (int64_t first = 1; first <= n; first += 10000) {
    auto st = db.Transact(store::TxMode::kWrite, [&](store::Session& s) -> core::Status {
      for (int64_t i = first; i < first + 10000 && i <= n; i += 500) {
        std::string sql = insert;
        for (int64_t j = i; j < i + 500 && j <= n && j < first + 10000; ++j) {
          if (j != i) sql += ",";
          sql += row(j);
        }
        SHOPCRM_RETURN_IF_ERROR(s.Execute(sql).status());
      }
      return core::Status::Ok();
    });
    if (!st.ok()) Die(st.error().ToString());
  }
}

// Users with ids 1..n (external ids b-1…).
inline void AddUsers(store::Database& db, int64_t n) {
  InsertRows(
      db, n, "INSERT INTO users (id, external_id, created_at, updated_at) VALUES ",
      [](int64_t j) { return "(" + std::to_string(j) + ",'b-" + std::to_string(j) + "',0,0)"; });
}

// Puts the setup's writes on disk before a measurement, so that their
// write-back does not stall the first commits measured: the log is copied
// into the database (SQLite; its file keeps its size, as on a running
// server) and every dirty page is written.
inline void Settle(store::Database& db) {
  if (db.backend() == store::Backend::kSqlite) {
    auto st = db.WithSession([](store::Session& s) -> core::Status {
      return s.Query("PRAGMA wal_checkpoint(RESTART)").status();
    });
    if (!st.ok()) Die(st.error().ToString());
  }
  ::sync();
}

// The first column of the first row of `sql`.
inline int64_t CountOf(store::Database& db, const std::string& sql) {
  int64_t n = -1;
  auto st = db.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(auto r, s.Query(sql));
    n = r.rows.at(0).Int(0);
    return core::Status::Ok();
  });
  if (!st.ok()) Die(st.error().ToString());
  return n;
}

struct BenchServerOptions {
  int threads = 8;  // server threads; one per keep-alive connection
  marketing::CouponsOptions coupons;
  bool member_group_commit = true;  // membership changes share transactions
};

// A migrated database, the services and a listening server.
class BenchServer final {
 public:
  BenchServer(std::unique_ptr<store::Database> db, BenchServerOptions o = {})
      : db_(std::move(db)), coupons_(*db_, clock_, ids_, Tz(), o.coupons) {
    auto migrations = store::LoadMigrations(store::BuiltinMigrations(), db_->backend());
    if (!migrations.ok() || !store::Migrate(*db_, *migrations, clock_).ok()) Die("migrate");
    auto key = keys_.Create("bench", identity::Role::kAdmin, {"cli", "", "bench", ""});
    if (!key.ok()) Die(key.error().ToString());
    secret_ = key->secret;
    api::ServerOptions options;
    options.port = 0;
    options.threads = o.threads;
    options.max_body_bytes = 16 << 20;
    server_ = std::make_unique<api::ApiServer>(
        options, api::Services{*db_,
                               clock_,
                               audit_,
                               keys_,
                               users_,
                               member_tokens_,
                               metrics_,
                               "Asia/Shanghai",
                               clock_.Now(),
                               ingest_,
                               directory_,
                               tags_,
                               imports_,
                               segments_,
                               segment_store_,
                               facts_,
                               lifecycle_,
                               templates_,
                               coupons_,
                               issuing_,
                               points_,
                               stored_value_,
                               check_ins_,
                               levels_,
                               points_mall_,
                               paid_,
                               benefit_grants_,
                               tasks_,
                               medals_,
                               member_reports_,
                               order_rewards_,
                               member_rules_,
                               core::Currency::Cny(),
                               o.member_group_commit ? &member_commits_ : nullptr});
    if (!server_->Bind().ok()) Die("bind");
    thread_ = std::thread([this] { (void)server_->Run(); });
  }
  ~BenchServer() {
    server_->Stop();
    thread_.join();
  }

  int port() const { return server_->port(); }
  const std::string& secret() const { return secret_; }
  store::Database& db() { return *db_; }
  const core::Clock& clock() const { return clock_; }
  core::IdGenerator& ids() { return ids_; }
  profiles::Ingest& ingest() { return ingest_; }
  marketing::Templates& templates() { return templates_; }
  marketing::Coupons& coupons() { return coupons_; }
  marketing::Issuing& issuing() { return issuing_; }
  membership::Points& points() { return points_; }
  membership::StoredValue& stored_value() { return stored_value_; }
  membership::Levels& levels() { return levels_; }
  membership::BenefitGrants& benefit_grants() { return benefit_grants_; }

 private:
  static core::BusinessTimeZone Tz() { return *core::BusinessTimeZone::Load("Asia/Shanghai"); }

  core::SystemClock clock_;
  core::IdGenerator ids_{clock_, 7};
  std::unique_ptr<store::Database> db_;
  audit::AuditLog audit_{clock_, ids_};
  api::HttpMetrics metrics_;
  identity::ApiKeys keys_{*db_, clock_, ids_, audit_};
  identity::ConsoleUsers users_{*db_, clock_, ids_, audit_, {}};
  profiles::Ingest ingest_{*db_, clock_, ids_};
  profiles::Directory directory_{*db_, clock_, audit_, "Asia/Shanghai"};
  profiles::Tags tags_{*db_, clock_, ids_, audit_};
  profiles::ImportRuns imports_{*db_, clock_, ids_};
  segments::Segments segments_{*db_, clock_, Tz(), {}};
  segments::SegmentStore segment_store_{*db_, clock_, ids_, audit_};
  profiles::Facts facts_{*db_};
  segments::LifecycleRecorder lifecycle_{*db_, ids_};
  marketing::Templates templates_{*db_, clock_, ids_, audit_};
  marketing::Coupons coupons_;
  marketing::Issuing issuing_{*db_, clock_, ids_, audit_, coupons_};
  membership::Points points_{*db_, clock_, ids_, Tz(), {}};
  membership::StoredValue stored_value_{*db_, clock_, ids_, audit_};
  membership::Levels levels_{*db_, clock_, ids_, Tz(), audit_};
  membership::CheckIns check_ins_{*db_, clock_, Tz(), points_, {}, &levels_};
  membership::PointsMall points_mall_{*db_, clock_, ids_, audit_, points_, coupons_};
  membership::PaidMemberships paid_{*db_, clock_, ids_, audit_, levels_};
  membership::BenefitGrants benefit_grants_{*db_, Tz(), levels_, paid_, points_, coupons_};
  membership::Tasks tasks_{*db_, clock_, ids_, Tz(), audit_, points_, levels_, coupons_};
  membership::Medals medals_{*db_, clock_, ids_, audit_};
  membership::Reports member_reports_{*db_, clock_, Tz()};
  membership::OrderRewards order_rewards_{points_, levels_, paid_, {}};
  membership::Rules member_rules_{*db_, clock_, audit_, points_, check_ins_, order_rewards_};
  identity::MemberTokens member_tokens_{identity::MemberTokens::RandomSecret(), clock_};
  store::GroupCommitter member_commits_{*db_, {}};
  std::unique_ptr<api::ApiServer> server_;
  std::thread thread_;
  std::string secret_;
};

}  // namespace shopcrm::bench
