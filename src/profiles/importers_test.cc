// The file importers: the CSV reader's edge cases, import runs, the generic
// CSV / NDJSON formats, the Olist and Taobao datasets (counts checked against
// the files themselves), row-level rejects, and the demo's determinism. The
// storage tests run on SQLite and PostgreSQL.
#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "profiles/csv.h"
#include "profiles/demo.h"
#include "profiles/import_runs.h"
#include "profiles/importers.h"
#include "profiles/ingest.h"
#include "testing/fake_clock.h"
#include "testing/test_database.h"

namespace shopcrm::profiles {
namespace {

namespace fs = std::filesystem;
using shopcrm::testing::TestBackend;

// --- CSV reader --------------------------------------------------------------

std::vector<CsvRecord> ReadAll(const std::string& text, size_t block_bytes = 1 << 20) {
  std::istringstream in(text);
  CsvReader reader(in, block_bytes);
  std::vector<CsvRecord> out;
  CsvRecord rec;
  while (reader.Next(rec)) out.push_back(rec);
  EXPECT_EQ(reader.bytes_consumed(), static_cast<int64_t>(text.size()));
  return out;
}

using Fields = std::vector<std::string>;

TEST(CsvReader, ReadsQuotedFieldsWithCommasQuotesAndLineBreaks) {
  const std::string text =
      "id,text,n\n"
      "1,\"a, b\",2\n"
      "2,\"she said \"\"hi\"\"\",3\n"
      "3,\"two\nlines\",4\n"
      "4,,\n";
  // Every block size, so quotes, CRs and the BOM may fall across block edges.
  for (size_t block : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{1} << 20}) {
    auto recs = ReadAll(text, block);
    ASSERT_EQ(recs.size(), 5U) << block;
    EXPECT_EQ(recs[1].fields, (Fields{"1", "a, b", "2"}));
    EXPECT_EQ(recs[2].fields, (Fields{"2", "she said \"hi\"", "3"}));
    EXPECT_EQ(recs[3].fields, (Fields{"3", "two\nlines", "4"}));
    EXPECT_EQ(recs[4].fields, (Fields{"4", "", ""}));
    // Record numbers count records; lines count physical lines.
    EXPECT_EQ(recs[3].number, 4);
    EXPECT_EQ(recs[3].line, 4);
    EXPECT_EQ(recs[4].number, 5);
    EXPECT_EQ(recs[4].line, 6);
    for (const auto& r : recs) EXPECT_FALSE(r.error.has_value());
  }
}

TEST(CsvReader, SkipsBomAcceptsCrlfAndAMissingFinalNewline) {
  for (size_t block : {size_t{1}, size_t{2}, size_t{1} << 20}) {
    auto recs = ReadAll("\xEF\xBB\xBFname,value\r\n\"x\",\"1\r\n2\"\r\ny,3", block);
    ASSERT_EQ(recs.size(), 3U);
    EXPECT_EQ(recs[0].fields, (Fields{"name", "value"}));
    // A line break inside quotes is kept as it is.
    EXPECT_EQ(recs[1].fields, (Fields{"x", "1\r\n2"}));
    EXPECT_EQ(recs[2].fields, (Fields{"y", "3"}));
    EXPECT_EQ(recs[2].line, 4);
  }
  // A BOM elsewhere is data.
  EXPECT_EQ(ReadAll("a\n\xEF\xBB\xBF"
                    "b\n")[1]
                .fields,
            (Fields{"\xEF\xBB\xBF"
                    "b"}));
}

TEST(CsvReader, SkipsBlankLinesButCountsThem) {
  auto recs = ReadAll("a,b\n\n1,2\r\n\r\n\n3,4\n\n");
  ASSERT_EQ(recs.size(), 3U);
  EXPECT_EQ(recs[1].number, 2);
  EXPECT_EQ(recs[1].line, 3);
  EXPECT_EQ(recs[2].number, 3);
  EXPECT_EQ(recs[2].line, 6);
}

TEST(CsvReader, FlagsBrokenQuotingAndKeepsGoing) {
  auto recs = ReadAll("a,b\n\"x\"y,1\nab\"c,2\n3,\"open\n4,5\n");
  ASSERT_EQ(recs.size(), 4U);
  EXPECT_EQ(recs[1].error, "csv_text_after_quote");
  EXPECT_EQ(recs[1].fields, (Fields{"xy", "1"}));
  // A quote inside an unquoted field is an ordinary character.
  EXPECT_FALSE(recs[2].error.has_value());
  EXPECT_EQ(recs[2].fields, (Fields{"ab\"c", "2"}));
  // An unclosed quote runs to the end of the input.
  EXPECT_EQ(recs[3].error, "csv_unterminated_quote");
  EXPECT_EQ(recs[3].fields, (Fields{"3", "open\n4,5\n"}));
}

TEST(CsvReader, EmptyInputHasNoRecords) {
  EXPECT_TRUE(ReadAll("").empty());
  EXPECT_TRUE(ReadAll("\xEF\xBB\xBF").empty());
  EXPECT_TRUE(ReadAll("\n\r\n").empty());
}

TEST(CsvHeader, FindsColumnsByNameAndListsTheMissingOnes) {
  CsvRecord rec;
  rec.fields = {"id", " name ", "city"};
  CsvHeader h(rec);
  EXPECT_EQ(h.Find("name"), 1U);
  EXPECT_FALSE(h.Find("phone").has_value());
  EXPECT_TRUE(h.Require({"id", "city"}).ok());
  auto st = h.Require({"id", "phone", "email"});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason(), "missing_columns");
  ASSERT_EQ(st.error().fields().size(), 2U);
  EXPECT_EQ(st.error().fields()[1].field, "email");
}

TEST(FileFormat, ComesFromTheExtensionOrTheFlag) {
  EXPECT_EQ(*FormatOfPath("data/Users.CSV"), FileFormat::kCsv);
  EXPECT_EQ(*FormatOfPath("x.ndjson"), FileFormat::kNdjson);
  EXPECT_EQ(*FormatOfPath("x.jsonl"), FileFormat::kNdjson);
  EXPECT_EQ(FormatOfPath("x.json").error().reason(), "unsupported_format");
  EXPECT_EQ(FormatOfPath("csv").error().reason(), "unsupported_format");
  EXPECT_EQ(*ParseFileFormat("jsonl"), FileFormat::kNdjson);
  EXPECT_EQ(ParseFileFormat("xml").error().reason(), "unsupported_format");
}

// --- storage ---------------------------------------------------------------

std::string DatasetsDir() {
  const char* env = std::getenv("SHOPCRM_DATASETS_DIR");
  return env != nullptr && *env != '\0' ? env : SHOPCRM_DATASETS_DIR;
}

std::string OlistDir() { return DatasetsDir() + "/olist"; }
std::string TaobaoFile() {
  return DatasetsDir() + "/taobao-userbehavior/UserBehavior_first814users.csv";
}

// Reads a CSV file whole: its header and data rows.
struct CsvFile {
  CsvHeader header;
  std::vector<CsvRecord> rows;
  std::string_view Get(size_t row, std::string_view column) const {
    return rows[row].at(*header.Find(column));
  }
};

CsvFile LoadCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.is_open()) << path;
  CsvReader reader(in);
  CsvFile f;
  CsvRecord rec;
  if (reader.Next(rec)) f.header = CsvHeader(rec);
  while (reader.Next(rec)) f.rows.push_back(rec);
  return f;
}

// What the Olist files imply, counted straight from them.
struct OlistExpected {
  int64_t persons = 0;
  int64_t order_rows = 0;
  int64_t orders_with_items = 0;
  int64_t items = 0;
  int64_t sellers = 0;
  int64_t products = 0;
  int64_t categories = 0;
  int64_t reviews = 0;
  int64_t foreign_payments = 0;
};

OlistExpected CountOlist(const std::string& dir) {
  OlistExpected x;
  std::set<std::string> persons, order_ids, ordered, categories;
  auto customers = LoadCsv(dir + "/olist_customers_dataset.csv");
  for (size_t i = 0; i < customers.rows.size(); ++i) {
    persons.insert(std::string(customers.Get(i, "customer_unique_id")));
  }
  auto orders = LoadCsv(dir + "/olist_orders_dataset.csv");
  for (size_t i = 0; i < orders.rows.size(); ++i) {
    order_ids.insert(std::string(orders.Get(i, "order_id")));
  }
  auto items = LoadCsv(dir + "/olist_order_items_dataset.csv");
  for (size_t i = 0; i < items.rows.size(); ++i) {
    ordered.insert(std::string(items.Get(i, "order_id")));
  }
  auto translation = LoadCsv(dir + "/product_category_name_translation.csv");
  for (size_t i = 0; i < translation.rows.size(); ++i) {
    categories.insert(std::string(translation.Get(i, "product_category_name")));
  }
  auto products = LoadCsv(dir + "/olist_products_dataset.csv");
  for (size_t i = 0; i < products.rows.size(); ++i) {
    if (!products.Get(i, "product_category_name").empty()) {
      categories.insert(std::string(products.Get(i, "product_category_name")));
    }
  }
  auto payments = LoadCsv(dir + "/olist_order_payments_dataset.csv");
  for (size_t i = 0; i < payments.rows.size(); ++i) {
    if (!order_ids.contains(std::string(payments.Get(i, "order_id")))) ++x.foreign_payments;
  }
  x.persons = static_cast<int64_t>(persons.size());
  x.order_rows = static_cast<int64_t>(orders.rows.size());
  for (const auto& id : order_ids) x.orders_with_items += ordered.contains(id) ? 1 : 0;
  x.items = static_cast<int64_t>(items.rows.size());
  x.sellers = static_cast<int64_t>(LoadCsv(dir + "/olist_sellers_dataset.csv").rows.size());
  x.products = static_cast<int64_t>(products.rows.size());
  x.categories = static_cast<int64_t>(categories.size());
  x.reviews = static_cast<int64_t>(LoadCsv(dir + "/olist_order_reviews_dataset.csv").rows.size());
  return x;
}

// Whether ingestion stores an order without lines; Olist has some, and the
// expected counts follow the rule in force.
bool OrdersMayLackLines() {
  OrderRecord probe;
  probe.source_id = "o";
  probe.user_external_id = "u";
  return ValidateOrder(probe).ok();
}

class ImportersTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    t_ = shopcrm::testing::TestDatabase::Create(GetParam());
    ingest_ = std::make_unique<Ingest>(t_->db(), clock_, ids_);
    runs_ = std::make_unique<ImportRuns>(t_->db(), clock_, ids_);
    importer_ = std::make_unique<Importer>(*ingest_, *runs_);
    tmp_ = fs::temp_directory_path() /
           ("shopcrm_import_" + std::to_string(ids_.Next()) + "_" + std::to_string(getpid()));
    fs::create_directories(tmp_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(tmp_, ec);
  }

  int64_t Count(const std::string& sql) {
    int64_t n = -1;
    auto st = t_->db().WithSession([&](store::Session& s) -> core::Status {
      SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql));
      n = rows.rows.at(0).Int(0);
      return core::Status::Ok();
    });
    EXPECT_TRUE(st.ok()) << sql;
    return n;
  }

  std::string Write(const std::string& name, const std::string& text) {
    const fs::path p = tmp_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }

  static ImportReport Ok(core::Result<ImportReport> r) {
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    if (!r.ok()) return {};
    EXPECT_TRUE(r->ok()) << r->error;
    return std::move(r).value();
  }

  static void ExpectReject(const ImportReport& r, const std::string& file, int64_t row,
                           const std::string& reason, const std::string& field = "") {
    for (const auto& x : r.rejects) {
      if (x.file == file && x.row == row) {
        EXPECT_EQ(x.reason, reason) << file << ":" << row << " " << x.detail;
        if (!field.empty()) {
          EXPECT_EQ(x.field, field) << file << ":" << row;
        }
        EXPECT_FALSE(x.detail.empty());
        return;
      }
    }
    ADD_FAILURE() << "no reject for " << file << ":" << row << " (" << reason << ")";
  }

  shopcrm::testing::FakeClock clock_;
  core::IdGenerator ids_{clock_, 3};
  std::unique_ptr<shopcrm::testing::TestDatabase> t_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<ImportRuns> runs_;
  std::unique_ptr<Importer> importer_;
  fs::path tmp_;
};

TEST_P(ImportersTest, ImportRunsRecordProgressAndTheEnd) {
  auto id = runs_->Start("users", "users.csv", "cli");
  ASSERT_TRUE(id.ok()) << id.error().ToString();
  ASSERT_TRUE(runs_->Progress(*id, {10, 8, 1, 0, 1}).ok());
  auto running = runs_->Get(*id);
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->status, "running");
  EXPECT_EQ(running->counts.accepted, 8);
  EXPECT_FALSE(running->finished_at.has_value());

  std::vector<RowReject> rejects(ImportRuns::kMaxStoredRejects + 5,
                                 {"users.csv", 7, "invalid_fields", "phone", "bad \xff phone"});
  ASSERT_TRUE(runs_->Finish(*id, {20, 15, 0, 0, 5}, rejects, R"({"k":1})", "").ok());
  auto done = runs_->Get(*id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "succeeded");
  EXPECT_EQ(done->counts.read, 20);
  EXPECT_EQ(done->finished_at, clock_.Now());
  EXPECT_EQ(done->summary_json, R"({"k":1})");
  ASSERT_EQ(done->rejects.size(), ImportRuns::kMaxStoredRejects);
  EXPECT_EQ(done->rejects[0].row, 7);
  EXPECT_EQ(done->rejects[0].field, "phone");

  auto failed = runs_->Start("events", "e.ndjson", "cli");
  ASSERT_TRUE(failed.ok());
  ASSERT_TRUE(runs_->Finish(*failed, {}, {}, "", "database_unavailable").ok());
  auto page = runs_->List(1, std::nullopt);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1U);
  EXPECT_EQ(page->items[0].id, *failed);
  EXPECT_EQ(page->items[0].status, "failed");
  EXPECT_EQ(page->items[0].error, "database_unavailable");
  EXPECT_EQ(page->items[0].summary_json, "{}");
  EXPECT_TRUE(page->items[0].rejects.empty());
  auto next = runs_->List(1, page->next_cursor);
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->items.at(0).id, *id);

  EXPECT_EQ(runs_->Get(42).error().reason(), "import_run_not_found");
  EXPECT_EQ(runs_->Progress(42, {}).error().reason(), "import_run_not_found");
  EXPECT_EQ(runs_->Start("", "x", "cli").error().reason(), "invalid_fields");
}

TEST_P(ImportersTest, UsersCsvAndNdjsonRejectBadRowsWithTheirRowNumbers) {
  const std::string csv =
      Write("users.csv",
            "external_id,name,phone,registered_at,attributes\n"
            "u1,张三,13800000001,2026-01-02T03:04:05+08:00,\"{\"\"vip\"\":true}\"\n"
            "u2,李四,,not-a-time,\n"
            "u3,\"王\n五\",13800000003,,\n"
            "u4,赵六,13800000004\n"
            ",nobody,,,\n"
            "u5,\"open,,,\n");
  auto r = Ok(importer_->Users(csv, FileFormat::kCsv));
  EXPECT_EQ(r.counts.read, 6);
  EXPECT_EQ(r.counts.accepted, 2);
  EXPECT_EQ(r.counts.rejected, 4);
  ExpectReject(r, "users.csv", 3, "invalid_timestamp", "registered_at");
  ExpectReject(r, "users.csv", 5, "csv_field_count");
  ExpectReject(r, "users.csv", 6, "required", "external_id");
  ExpectReject(r, "users.csv", 7, "csv_unterminated_quote");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM users WHERE name = '王\n五'"), 1);

  const std::string ndjson = Write("users.jsonl",
                                   "{\"external_id\":\"u1\",\"name\":\"张三\"}\n"
                                   "\n"
                                   "{not json\n"
                                   "{\"external_id\":\"u9\",\"gender\":\"robot\"}\r\n"
                                   "{\"external_id\":\"u10\",\"city\":\"上海\"}");
  auto n = Ok(importer_->Users(ndjson, FileFormat::kNdjson));
  EXPECT_EQ(n.counts.read, 4);
  EXPECT_EQ(n.counts.duplicate, 1);
  EXPECT_EQ(n.counts.accepted, 1);
  ExpectReject(n, "users.jsonl", 3, "invalid_json");
  ExpectReject(n, "users.jsonl", 4, "invalid_enum", "gender");

  // Column problems stop the import before it starts.
  auto unknown =
      importer_->Users(Write("bad.csv", "external_id,nickname\nu1,x\n"), FileFormat::kCsv);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().reason(), "unknown_columns");
  EXPECT_EQ(unknown.error().fields().at(0).field, "nickname");
  auto missing = importer_->Users(Write("bad2.csv", "name\nx\n"), FileFormat::kCsv);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().reason(), "missing_columns");
  EXPECT_EQ(importer_->Users((tmp_ / "nope.csv").string(), FileFormat::kCsv).error().reason(),
            "import_file_unreadable");
  auto page = runs_->List(10, std::nullopt);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 2U);
}

TEST_P(ImportersTest, CsvOrdersJoinTheirLinesAndReportOrphans) {
  const std::string orders =
      Write("orders.csv",
            "source_id,user_external_id,goods_amount,discount_amount,paid_amount,status,placed_at,"
            "coupon_codes\n"
            "o1,u1,30.00,5.00,25.00,paid,2026-09-01T10:00:00+08:00,NEW5;VIP\n"
            "o2,u2,12.50,,12.50,completed,2026-09-02T10:00:00+08:00,\n"
            "o3,u3,10.00,,10.00,paid,yesterday,\n");
  const std::string items = Write("items.csv",
                                  "order_source_id,line_no,sku,quantity,unit_price\n"
                                  "o2,1,sku-b,1,12.50\n"
                                  "o1,1,sku-a,2,10.00\n"
                                  "o1,2,sku-c,1,10.00\n"
                                  "o9,1,sku-z,1,1.00\n"
                                  "o3,1,sku-d,x,10.00\n");
  auto r = Ok(importer_->Orders(orders, items, FileFormat::kCsv));
  EXPECT_EQ(r.counts.read, 8);
  EXPECT_EQ(r.counts.accepted, 2);
  EXPECT_EQ(r.counts.rejected, 2);
  // A line that cannot be read rejects its order, pointing at the line.
  ExpectReject(r, "items.csv", 6, "must_be_integer", "quantity");
  ExpectReject(r, "items.csv", 5, "order_not_in_file");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_items"), 3);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders WHERE source_id = 'o1' AND goods_minor = 3000 "
                  "AND discount_minor = 500 AND coupon_codes IS NOT NULL"),
            1);

  auto again = Ok(importer_->Orders(orders, items, FileFormat::kCsv));
  EXPECT_EQ(again.counts.accepted, 0);
  EXPECT_EQ(again.counts.duplicate, 2);
}

TEST_P(ImportersTest, NdjsonOrdersUpdatesAndEvents) {
  const std::string orders = Write(
      "orders.ndjson",
      R"({"source_id":"o1","user_external_id":"u1","goods_amount":"20.00","paid_amount":"20.00",)"
      R"("status":"completed","placed_at":"2026-09-01T10:00:00Z","items":[{"sku":"a","quantity":2,)"
      R"("unit_price":"10.00"}]})"
      "\n");
  EXPECT_EQ(Ok(importer_->Orders(orders, std::nullopt, FileFormat::kNdjson)).counts.accepted, 1);
  EXPECT_EQ(importer_->Orders(orders, "items.csv", FileFormat::kNdjson).error().reason(),
            "unsupported_format");

  const std::string updates = Write("updates.csv",
                                    "source_id,order_source_id,type,at,refund_amount,refund_lines\n"
                                    "r1,o1,refunded,2026-09-05T10:00:00Z,10.00,1:1:10.00\n"
                                    "r2,o7,completed,2026-09-05T10:00:00Z,,\n"
                                    "r3,o1,refunded,2026-09-06T10:00:00Z,1.00,1-1-1\n");
  auto u = Ok(importer_->OrderUpdates(updates, FileFormat::kCsv));
  EXPECT_EQ(u.counts.accepted, 1);
  EXPECT_EQ(u.counts.held, 1);
  ExpectReject(u, "updates.csv", 4, "invalid_refund_lines", "refund_lines");
  EXPECT_EQ(Count("SELECT refunded_minor FROM orders WHERE source_id = 'o1'"), 1000);

  const std::string events =
      Write("events.csv",
            "source_id,user_external_id,type,occurred_at,page,rating,properties\n"
            "e1,u1,visit,2026-09-01T09:00:00Z,home,,\n"
            "e2,u1,review,2026-09-08T09:00:00Z,,5,\"{\"\"text\"\":\"\"好\"\"}\"\n"
            "e3,u1,review,2026-09-08T09:00:00Z,,five,\n"
            "e4,u1,teleport,2026-09-08T09:00:00Z,,,\n");
  auto e = Ok(importer_->Events(events, FileFormat::kCsv));
  EXPECT_EQ(e.counts.accepted, 2);
  ExpectReject(e, "events.csv", 4, "must_be_integer", "rating");
  ExpectReject(e, "events.csv", 5, "invalid_enum", "type");
}

TEST_P(ImportersTest, OlistGivesTheCountsItsFilesImplyAndASecondRunChangesNothing) {
  ASSERT_TRUE(fs::exists(OlistDir() + "/olist_orders_dataset.csv"))
      << "the Olist dataset is not at " << OlistDir()
      << "; set SHOPCRM_DATASETS_DIR to the folder holding olist/";
  const OlistExpected x = CountOlist(OlistDir());
  ASSERT_GT(x.order_rows, 20000);

  const int64_t orders = OrdersMayLackLines() ? x.order_rows : x.orders_with_items;

  auto first = Ok(importer_->Olist(OlistDir()));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM users"), x.persons);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM users WHERE is_bare = 1"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM stores"), x.sellers);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM products"), x.products);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM categories"), x.categories);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders"), orders);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM order_items"), x.items);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'review'"), x.reviews);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders WHERE currency <> 'BRL'"), 0);

  ASSERT_NE(first.Entity("orders"), nullptr);
  EXPECT_EQ(first.Entity("users")->accepted, x.persons);
  EXPECT_EQ(first.Entity("orders")->records, x.order_rows);
  EXPECT_EQ(first.Entity("orders")->accepted, orders);
  // Only orders without any item row may be refused, and only for that.
  EXPECT_EQ(first.Entity("orders")->rejected, x.order_rows - orders);
  EXPECT_EQ(first.counts.rejected, x.order_rows - orders);
  for (const auto& r : first.rejects) EXPECT_EQ(r.field, "items") << r.file << ":" << r.row;
  // What was paid is what the payments file says, vouchers as discount.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders WHERE discount_minor > goods_minor + "
                  "shipping_minor"),
            0);
  ASSERT_EQ(first.skipped.size(), 1U);
  EXPECT_EQ(first.skipped[0].second, x.foreign_payments);

  auto run = runs_->Get(first.run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->kind, "olist");
  EXPECT_EQ(run->status, "succeeded");
  EXPECT_EQ(run->counts.accepted, first.counts.accepted);
  EXPECT_EQ(run->counts.read, first.counts.read);
  EXPECT_EQ(run->rejects.size(), static_cast<size_t>(first.counts.rejected));
  EXPECT_NE(run->summary_json.find("\"orders\""), std::string::npos);

  // A known order, checked field by field: the Olist README's first order row.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders WHERE source_id = "
                  "'00024acbcdf0a6daa1e931b038114c75' AND status = 'completed' AND "
                  "goods_minor = 1299 AND shipping_minor = 1279 AND placed_at = "
                  "1533733235000000"),  // 2018-08-08 10:00:35 in São Paulo (UTC-3)
            1);

  auto second = Ok(importer_->Olist(OlistDir()));
  EXPECT_EQ(second.counts.accepted, 0);
  EXPECT_EQ(second.counts.duplicate, first.counts.accepted);
  EXPECT_EQ(second.counts.rejected, first.counts.rejected);
  for (const auto& e : second.entities) EXPECT_EQ(e.updated, 0) << e.entity;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM users"), x.persons);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders"), orders);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events"), x.reviews);
}

void WriteCsv(const fs::path& p, const CsvFile& f, const std::function<bool(size_t)>& keep) {
  std::ofstream out(p, std::ios::binary);
  auto write = [&](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) {
      std::string quoted;
      for (char c : fields[i]) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
      out << (i > 0 ? "," : "") << '"' << quoted << '"';
    }
    out << "\n";
  };
  write(f.header.names());
  for (size_t i = 0; i < f.rows.size(); ++i) {
    if (keep(i)) write(f.rows[i].fields);
  }
}

// A consistent slice of the Olist dataset: its first `orders` orders with
// their customers, items, payments and reviews, and the whole catalog but
// the products no kept item names.
void CopyOlistSlice(const std::string& from, const fs::path& to, size_t orders) {
  fs::create_directories(to);
  const auto in = [&](const char* name) { return LoadCsv(from + "/" + name); };
  auto order_file = in("olist_orders_dataset.csv");
  std::set<std::string> order_ids, customer_ids, product_ids;
  for (size_t i = 0; i < orders && i < order_file.rows.size(); ++i) {
    order_ids.insert(std::string(order_file.Get(i, "order_id")));
    customer_ids.insert(std::string(order_file.Get(i, "customer_id")));
  }
  WriteCsv(to / "olist_orders_dataset.csv", order_file, [&](size_t i) { return i < orders; });
  auto by = [&](const CsvFile& f, const char* column, const std::set<std::string>& ids) {
    return [&f, column, &ids](size_t i) { return ids.contains(std::string(f.Get(i, column))); };
  };
  auto customers = in("olist_customers_dataset.csv");
  WriteCsv(to / "olist_customers_dataset.csv", customers,
           by(customers, "customer_id", customer_ids));
  auto items = in("olist_order_items_dataset.csv");
  for (size_t i = 0; i < items.rows.size(); ++i) {
    if (order_ids.contains(std::string(items.Get(i, "order_id")))) {
      product_ids.insert(std::string(items.Get(i, "product_id")));
    }
  }
  WriteCsv(to / "olist_order_items_dataset.csv", items, by(items, "order_id", order_ids));
  auto payments = in("olist_order_payments_dataset.csv");
  WriteCsv(to / "olist_order_payments_dataset.csv", payments, by(payments, "order_id", order_ids));
  auto reviews = in("olist_order_reviews_dataset.csv");
  WriteCsv(to / "olist_order_reviews_dataset.csv", reviews, by(reviews, "order_id", order_ids));
  auto products = in("olist_products_dataset.csv");
  WriteCsv(to / "olist_products_dataset.csv", products, by(products, "product_id", product_ids));
  for (const char* name : {"olist_sellers_dataset.csv", "product_category_name_translation.csv"}) {
    fs::copy_file(from + "/" + name, to / name);
  }
}

void ReplaceInFile(const fs::path& p, const std::string& from, const std::string& to) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
  in.close();
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

TEST_P(ImportersTest, OlistReportsMalformedRowsWithFileRowAndReason) {
  ASSERT_TRUE(fs::exists(OlistDir())) << "no Olist dataset at " << OlistDir();
  const fs::path dir = tmp_ / "olist";
  CopyOlistSlice(OlistDir(), dir, 300);
  // Row 2 of the orders file: a timestamp that cannot be; row 3 of the items
  // file (an item of another order): a price that is not a number.
  ReplaceInFile(dir / "olist_orders_dataset.csv", "2018-08-08 10:00:35", "2018-13-08 10:00:35");
  ReplaceInFile(dir / "olist_order_items_dataset.csv", "\"810.00\"", "\"81O.00\"");
  const OlistExpected x = CountOlist(dir.string());

  auto r = Ok(importer_->Olist(dir.string()));
  ExpectReject(r, "olist_orders_dataset.csv", 2, "invalid_timestamp", "order_purchase_timestamp");
  ExpectReject(r, "olist_order_items_dataset.csv", 3, "invalid_amount", "price");
  EXPECT_EQ(r.Entity("orders")->accepted,
            (OrdersMayLackLines() ? x.order_rows : x.orders_with_items) - 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM orders WHERE source_id IN "
                  "('00024acbcdf0a6daa1e931b038114c75', '000576fe39319847cbb9d288c5617fa6')"),
            0);
  // The rest went in, reviews and users of the rejected orders included.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM users"), x.persons);
  EXPECT_EQ(r.Entity("events")->accepted, x.reviews);
}

TEST_P(ImportersTest, TaobaoEventsMatchTheFile) {
  ASSERT_TRUE(fs::exists(TaobaoFile())) << "no Taobao dataset at " << TaobaoFile();
  // A slice keeps the PostgreSQL run short; the file has no header.
  const fs::path slice = tmp_ / "taobao.csv";
  std::map<std::string, int64_t> by_type;
  std::set<std::string> users;
  int64_t lines = 0;
  {
    std::ifstream in(TaobaoFile());
    std::ofstream out(slice);
    std::string line;
    static const std::map<std::string, std::string> kTypes = {
        {"pv", "visit"}, {"fav", "favourite"}, {"cart", "cart_add"}, {"buy", "purchase"}};
    while (lines < 20000 && std::getline(in, line)) {
      out << line << "\n";
      ++lines;
      std::vector<std::string> f;
      std::stringstream ss(line);
      for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
      ASSERT_EQ(f.size(), 5U) << line;
      users.insert(f[0]);
      ++by_type[kTypes.at(f[3])];
    }
    out << "1,2,3,teleport,1511544070\n";
    out << "1,2,3,pv,yesterday\n";
  }
  auto r = Ok(importer_->Taobao(slice.string()));
  EXPECT_EQ(r.counts.read, lines + 2);
  EXPECT_EQ(r.counts.accepted, lines);
  EXPECT_EQ(r.counts.rejected, 2);
  ExpectReject(r, "taobao.csv", lines + 1, "invalid_enum", "behavior_type");
  ExpectReject(r, "taobao.csv", lines + 2, "invalid_timestamp", "timestamp");
  for (const auto& [type, n] : by_type) {
    EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = '" + type + "'"), n) << type;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM users"), static_cast<int64_t>(users.size()));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE type = 'visit' AND page <> 'product'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM events WHERE source_id = 'tb:1:2268318:pv:1511544070' AND "
                  "occurred_at = 1511544070000000 AND product_source_id = '2268318' AND "
                  "category_source_id = '2520377'"),
            1);

  auto again = Ok(importer_->Taobao(slice.string()));
  EXPECT_EQ(again.counts.duplicate, lines);
  EXPECT_EQ(again.counts.accepted, 0);
}

struct DemoOutcome {
  ImportReport report;
  std::vector<std::string> first_user;
  int64_t orders = 0;
  int64_t events = 0;
};

DemoOutcome RunDemo(TestBackend backend, const shopcrm::testing::FakeClock& clock, uint64_t seed) {
  auto t = shopcrm::testing::TestDatabase::Create(backend);
  core::IdGenerator ids(clock, 5);
  Ingest ingest(t->db(), clock, ids);
  ImportRuns runs(t->db(), clock, ids);
  DemoOutcome out;
  auto r = GenerateDemo(ingest, runs, clock, {.users = 150, .seed = seed});
  EXPECT_TRUE(r.ok()) << r.error().ToString();
  if (!r.ok()) return out;
  out.report = std::move(r).value();
  EXPECT_TRUE(out.report.ok()) << out.report.error;
  auto st = t->db().WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows,
        s.Query("SELECT external_id, name, phone, gender, birthday, city, province, "
                "registered_at, source_channel FROM users ORDER BY external_id LIMIT 1"));
    for (size_t i = 0; i < rows.rows.at(0).size(); ++i) {
      const auto& v = rows.rows[0].at(i);
      out.first_user.push_back(std::holds_alternative<std::string>(v) ? std::get<std::string>(v)
                               : std::holds_alternative<int64_t>(v)
                                   ? std::to_string(std::get<int64_t>(v))
                                   : "null");
    }
    SHOPCRM_ASSIGN_OR_RETURN(auto orders, s.Query("SELECT COUNT(*) FROM orders"));
    out.orders = orders.rows[0].Int(0);
    SHOPCRM_ASSIGN_OR_RETURN(auto events, s.Query("SELECT COUNT(*) FROM events"));
    out.events = events.rows[0].Int(0);
    return core::Status::Ok();
  });
  EXPECT_TRUE(st.ok());
  return out;
}

TEST_P(ImportersTest, DemoIsDeterministicBySeed) {
  const auto a = RunDemo(GetParam(), clock_, 7);
  const auto b = RunDemo(GetParam(), clock_, 7);
  const auto c = RunDemo(GetParam(), clock_, 8);
  ASSERT_FALSE(a.first_user.empty());
  EXPECT_EQ(a.first_user, b.first_user);
  EXPECT_EQ(a.first_user[0], "U10000001");
  EXPECT_NE(a.first_user, c.first_user);
  EXPECT_EQ(a.orders, b.orders);
  EXPECT_EQ(a.events, b.events);
  ASSERT_EQ(a.report.entities.size(), b.report.entities.size());
  for (size_t i = 0; i < a.report.entities.size(); ++i) {
    EXPECT_EQ(a.report.entities[i].entity, b.report.entities[i].entity);
    EXPECT_EQ(a.report.entities[i].accepted, b.report.entities[i].accepted);
  }
  // Everything the generator makes passes ingestion.
  EXPECT_EQ(a.report.counts.rejected, 0);
  EXPECT_EQ(a.report.counts.held, 0);
  EXPECT_EQ(a.report.Entity("users")->accepted, 150);
  EXPECT_EQ(a.report.Entity("products")->accepted, 300);
  EXPECT_EQ(a.report.Entity("stores")->accepted, 20);
  EXPECT_GT(a.orders, 150);
  EXPECT_GT(a.report.Entity("order_updates")->accepted, 0);
}

TEST_P(ImportersTest, DemoRunTwiceWritesNothingNew) {
  ASSERT_TRUE(GenerateDemo(*ingest_, *runs_, clock_, {.users = 60, .seed = 3}).ok());
  auto again = GenerateDemo(*ingest_, *runs_, clock_, {.users = 60, .seed = 3});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->counts.accepted, 0);
  EXPECT_EQ(again->counts.rejected, 0);
  EXPECT_EQ(again->counts.duplicate, again->counts.read);
  auto run = runs_->Get(again->run_id);
  ASSERT_TRUE(run.ok());
  EXPECT_EQ(run->kind, "demo");
  EXPECT_EQ(GenerateDemo(*ingest_, *runs_, clock_, {.users = 0}).error().reason(),
            "invalid_config");
}

INSTANTIATE_TEST_SUITE_P(Backends, ImportersTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::profiles
