// The models on the real Olist data, as of its last order, against an
// independent computation in SQL (docs/analytics.md written as queries), on
// both backends: every lifecycle stage count, RFM cell count and Pareto tier
// count, and a few filters besides.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "profiles/import_runs.h"
#include "profiles/importers.h"
#include "profiles/ingest.h"
#include "segments/catalog.h"
#include "segments/segments.h"
#include "testing/fake_clock.h"
#include "testing/test_database.h"

namespace shopcrm::segments {
namespace {

using shopcrm::testing::TestBackend;
using store::Session;
using store::TxMode;

constexpr int64_t kDay = 86'400'000'000;

std::string OlistDir() {
  const char* env = std::getenv("SHOPCRM_DATASETS_DIR");
  return std::string(env != nullptr && *env != '\0' ? env : SHOPCRM_DATASETS_DIR) + "/olist";
}

class OlistModelsTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(std::filesystem::exists(OlistDir() + "/olist_orders_dataset.csv"))
        << "the Olist dataset is not at " << OlistDir()
        << "; set SHOPCRM_DATASETS_DIR to the folder holding olist/";
    t_ = shopcrm::testing::TestDatabase::Create(GetParam());
    profiles::Ingest ingest(t_->db(), clock_, ids_);
    profiles::ImportRuns runs(t_->db(), clock_, ids_);
    profiles::Importer importer(ingest, runs);
    auto report = importer.Olist(OlistDir());
    ASSERT_TRUE(report.ok()) << report.error().ToString();
    // As of the last counting order.
    t_micros_ = Scalar(
        "SELECT MAX(paid_at) FROM orders WHERE paid_at IS NOT NULL AND status <> 'cancelled' "
        "AND paid_minor > refunded_minor");
    ASSERT_GT(t_micros_, 0);
    SegmentsOptions o;
    o.currency = "BRL";
    o.as_of = core::FromUnixMicros(t_micros_);
    segments_ = std::make_unique<Segments>(t_->db(), clock_,
                                           *core::BusinessTimeZone::Load("America/Sao_Paulo"), o);
    ASSERT_TRUE(segments_->Rebuild().ok());
  }

  int64_t Scalar(const std::string& sql) {
    int64_t out = -1;
    EXPECT_TRUE(t_->db()
                    .Transact(TxMode::kRead,
                              [&](Session& s) -> core::Status {
                                SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql));
                                out = rows.rows.at(0).IsNull(0) ? 0 : rows.rows.at(0).Int(0);
                                return core::Status::Ok();
                              })
                    .ok())
        << sql;
    return out;
  }

  std::map<std::string, int64_t> Grouped(const std::string& sql) {
    std::map<std::string, int64_t> out;
    EXPECT_TRUE(t_->db()
                    .Transact(TxMode::kRead,
                              [&](Session& s) -> core::Status {
                                SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql));
                                for (const auto& r : rows.rows) out[r.Text(0)] = r.Int(1);
                                return core::Status::Ok();
                              })
                    .ok())
        << sql;
    return out;
  }

  uint64_t Count(const std::string& text) {
    auto f = ParseFilter(text, Features());
    EXPECT_TRUE(f.ok()) << text;
    if (!f.ok()) return 0;
    auto c = segments_->Count(*f, std::nullopt);
    EXPECT_TRUE(c.ok());
    return c.ok() ? c->count : 0;
  }

  // The counting orders up to T, as a SQL common table expression.
  std::string Orders() const {
    return "o AS (SELECT user_id, paid_at, paid_minor - refunded_minor AS net FROM orders "
           "WHERE paid_at IS NOT NULL AND status <> 'cancelled' AND paid_minor > refunded_minor "
           "AND currency = 'BRL' AND paid_at <= " +
           std::to_string(t_micros_) + ")";
  }
  std::string T() const { return std::to_string(t_micros_); }
  static std::string Days(int d) { return std::to_string(int64_t{d} * kDay); }

  shopcrm::testing::FakeClock clock_;
  core::IdGenerator ids_{clock_, 1};
  std::unique_ptr<shopcrm::testing::TestDatabase> t_;
  std::unique_ptr<Segments> segments_;
  int64_t t_micros_ = 0;
};

TEST_P(OlistModelsTest, StagesCellsAndTiersAgreeWithSql) {
  // Lifecycle.
  auto stages =
      Grouped("WITH " + Orders() +
              ", g AS (SELECT user_id, paid_at, LAG(paid_at) OVER (PARTITION BY user_id ORDER BY "
              "paid_at) AS prev FROM o), "
              "u AS (SELECT user_id, MAX(paid_at) AS last, "
              "MAX(CASE WHEN prev IS NULL OR paid_at - prev >= " +
              Days(180) +
              " THEN paid_at END) "
              "AS run_start, "
              "SUM(CASE WHEN paid_at > " +
              T() + " - " + Days(30) +
              " THEN 1 ELSE 0 END) AS recent, "
              "SUM(CASE WHEN paid_at > " +
              T() + " - " + Days(60) + " AND paid_at <= " + T() + " - " + Days(30) +
              " THEN 1 ELSE 0 END) AS before FROM g GROUP BY user_id) "
              "SELECT CASE WHEN last <= " +
              T() + " - " + Days(180) +
              " THEN 'churned' "
              "WHEN last <= " +
              T() + " - " + Days(30) +
              " THEN 'silent' "
              "WHEN run_start > " +
              T() + " - " + Days(30) +
              " THEN 'new' "
              "WHEN recent >= 5 THEN 'mature' WHEN recent >= before THEN 'rising' "
              "ELSE 'declining' END AS stage, COUNT(*) FROM u GROUP BY 1");
  int64_t buyers = 0;
  for (const auto& [stage, n] : stages) buyers += n;
  stages["potential"] = Scalar("SELECT COUNT(*) FROM users WHERE erased_at IS NULL") - buyers;
  ASSERT_GT(buyers, 20000);
  EXPECT_GE(stages.size(), 5u);  // Olist has churned, silent, new, rising … buyers
  for (const char* s : {"potential", "churned", "silent", "new", "mature", "rising", "declining"}) {
    EXPECT_EQ(Count(std::string("lifecycle = \"") + s + "\""), stages[s]) << s;
  }

  // RFM over 365 days.
  const std::string rfm_base =
      "WITH " + Orders() + ", b AS (SELECT user_id, (" + T() + " - MAX(paid_at)) / " + Days(1) +
      " AS days, COUNT(*) AS f, SUM(net) AS m FROM o WHERE paid_at > " + T() + " - " + Days(365) +
      " GROUP BY user_id), "
      "n AS (SELECT COUNT(*) AS n FROM b), "
      "s AS (SELECT user_id, "
      "1 + 5 * (RANK() OVER (ORDER BY days DESC) - 1) / (SELECT n FROM n) AS r, "
      "1 + 5 * (RANK() OVER (ORDER BY f) - 1) / (SELECT n FROM n) AS f, "
      "1 + 5 * (RANK() OVER (ORDER BY m) - 1) / (SELECT n FROM n) AS m FROM b), "
      "t AS (SELECT SUM(r) AS sr, SUM(f) AS sf, SUM(m) AS sm FROM s) ";
  auto cells = Grouped(
      rfm_base +
      "SELECT (CASE WHEN m * (SELECT n FROM n) >= (SELECT sm FROM t) THEN 'important_' ELSE "
      "'general_' END) || (CASE WHEN r * (SELECT n FROM n) >= (SELECT sr FROM t) THEN "
      "(CASE WHEN f * (SELECT n FROM n) >= (SELECT sf FROM t) THEN 'value' ELSE 'development' "
      "END) ELSE (CASE WHEN f * (SELECT n FROM n) >= (SELECT sf FROM t) THEN 'retention' ELSE "
      "'recall' END) END), COUNT(*) FROM s GROUP BY 1");
  ASSERT_FALSE(cells.empty());
  for (const char* c :
       {"important_value", "important_development", "important_retention", "important_recall",
        "general_value", "general_development", "general_retention", "general_recall"}) {
    EXPECT_EQ(Count(std::string("rfm_cell = \"") + c + "\""), cells[c]) << c;
  }
  for (int k = 1; k <= 5; ++k) {
    auto scores = Grouped(rfm_base + "SELECT 'r', COUNT(*) FROM s WHERE r = " + std::to_string(k) +
                          " UNION ALL SELECT 'f', COUNT(*) FROM s WHERE f = " + std::to_string(k) +
                          " UNION ALL SELECT 'm', COUNT(*) FROM s WHERE m = " + std::to_string(k));
    EXPECT_EQ(Count("r_score = " + std::to_string(k)), scores["r"]) << k;
    EXPECT_EQ(Count("f_score = " + std::to_string(k)), scores["f"]) << k;
    EXPECT_EQ(Count("m_score = " + std::to_string(k)), scores["m"]) << k;
  }

  // Pareto: a buyer is in the head while what the buyers before them spent
  // is short of 80 % of the total; the waist likewise within the rest.
  auto tiers = Grouped(
      "WITH " + Orders() + ", b AS (SELECT user_id, SUM(net) AS m FROM o WHERE paid_at > " + T() +
      " - " + Days(365) +
      " GROUP BY user_id), "
      "c AS (SELECT user_id, m, SUM(m) OVER (ORDER BY m DESC, user_id ROWS BETWEEN UNBOUNDED "
      "PRECEDING AND 1 PRECEDING) AS before FROM b), "
      "tot AS (SELECT SUM(m) AS total FROM b), "
      "h AS (SELECT user_id, m, COALESCE(before, 0) AS before, "
      "CASE WHEN COALESCE(before, 0) * 100 < (SELECT total FROM tot) * 80 THEN 1 ELSE 0 END "
      "AS head FROM c), "
      "hs AS (SELECT COALESCE(SUM(m), 0) AS head_total FROM h WHERE head = 1), "
      "r AS (SELECT user_id, head, before - (SELECT head_total FROM hs) AS rest_before FROM h) "
      "SELECT CASE WHEN head = 1 THEN 'head' WHEN rest_before * 100 < ((SELECT total FROM tot) - "
      "(SELECT head_total FROM hs)) * 80 THEN 'waist' ELSE 'tail' END, COUNT(*) FROM r "
      "GROUP BY 1");
  ASSERT_EQ(tiers.size(), 3u);
  for (const char* t : {"head", "waist", "tail"}) {
    EXPECT_EQ(Count(std::string("pareto_tier = \"") + t + "\""), tiers[t]) << t;
  }

  // And a feature filter, against SQL too.
  EXPECT_EQ(Count("orders(90d) >= 1"),
            Scalar("WITH " + Orders() + " SELECT COUNT(DISTINCT user_id) FROM o WHERE paid_at > " +
                   T() + " - " + Days(90)));
}

INSTANTIATE_TEST_SUITE_P(Backends, OlistModelsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::segments
