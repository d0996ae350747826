// The Olist Brazilian e-commerce dataset (docs/import.md, "Olist"): sellers
// become stores, the category translation and the products' categories
// become categories, products, customers grouped by customer_unique_id become
// users, orders with their items and payments become orders, and reviews
// become "review" events. Amounts are BRL; timestamps are local Brazilian time.
#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>

#include "core/json.h"
#include "core/money.h"
#include "profiles/csv.h"
#include "profiles/importers.h"
#include "profiles/internal/import_session.h"

namespace shopcrm::profiles {
namespace {

using internal::Feed;
using internal::ImportSession;
using internal::Origin;

constexpr std::string_view kTranslationFile = "product_category_name_translation.csv";
constexpr std::string_view kProductsFile = "olist_products_dataset.csv";
constexpr std::string_view kSellersFile = "olist_sellers_dataset.csv";
constexpr std::string_view kCustomersFile = "olist_customers_dataset.csv";
constexpr std::string_view kOrdersFile = "olist_orders_dataset.csv";
constexpr std::string_view kItemsFile = "olist_order_items_dataset.csv";
constexpr std::string_view kPaymentsFile = "olist_order_payments_dataset.csv";
constexpr std::string_view kReviewsFile = "olist_order_reviews_dataset.csv";

constexpr std::string_view kSkippedPayments = "payments of orders not in the orders file";

core::Error FieldError(std::string field, std::string reason, std::string detail) {
  return core::InvalidFields("invalid_fields",
                             {{std::move(field), std::move(reason), std::move(detail)}});
}

// "2018-08-08 10:00:35" in `zone`.
core::Result<core::Instant> ParseLocal(std::string_view s, const core::BusinessTimeZone& zone,
                                       const char* field) {
  auto num = [&](size_t pos, size_t len, int& out) {
    const char* b = s.data() + pos;
    return std::from_chars(b, b + len, out).ptr == b + len;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' ||
      s[16] != ':' || !num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) ||
      !num(14, 2, mi) || !num(17, 2, sec)) {
    return FieldError(field, "invalid_timestamp",
                      "expected YYYY-MM-DD HH:MM:SS, got '" + std::string(s) + "'");
  }
  const core::LocalDate date{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                             std::chrono::day(static_cast<unsigned>(d))};
  if (!date.ok() || h > 23 || mi > 59 || sec > 59) {
    return FieldError(field, "invalid_timestamp", "no such time: '" + std::string(s) + "'");
  }
  return zone.AtLocalTime(
      date, std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(sec));
}

core::Result<std::optional<core::Instant>> ParseOptionalLocal(std::string_view s,
                                                              const core::BusinessTimeZone& zone,
                                                              const char* field) {
  if (s.empty()) return std::optional<core::Instant>();
  SHOPCRM_ASSIGN_OR_RETURN(core::Instant t, ParseLocal(s, zone, field));
  return std::optional<core::Instant>(t);
}

core::Result<int64_t> ParseBrl(std::string_view s, const char* field) {
  if (s.empty()) return FieldError(field, "required", "the amount is missing");
  auto m = core::Money::ParseDecimal(s, *core::Currency::Parse("BRL"));
  if (!m.ok()) return FieldError(field, "invalid_amount", m.error().detail());
  if (m->is_negative()) return FieldError(field, "must_not_be_negative", "must be 0 or more");
  return m->minor_units();
}

core::Result<int64_t> ParseCount(std::string_view s, const char* field) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size()) {
    return FieldError(field, "must_be_integer",
                      "expected a whole number, got '" + std::string(s) + "'");
  }
  return v;
}

core::Status Required(std::string_view value, const char* field) {
  if (value.empty()) return FieldError(field, "required", "must not be empty");
  return core::Status::Ok();
}

// One CSV file of the dataset, read row by row with columns by name.
class OlistFile final {
 public:
  OlistFile(ImportSession& session, std::string dir, std::string_view name,
            std::vector<std::string_view> columns)
      : session_(session),
        path_(dir + "/" + std::string(name)),
        name_(name),
        columns_(std::move(columns)) {}

  // Opens the file and matches its header; fails before anything is written.
  core::Status Open() {
    SHOPCRM_ASSIGN_OR_RETURN(stream_, internal::OpenInput(path_));
    reader_ = std::make_unique<CsvReader>(*stream_);
    size_ = internal::FileSize(path_);
    CsvRecord header;
    if (!reader_->Next(header)) {
      return core::InvalidFields("missing_columns",
                                 {{"header", "missing_column", name_ + " has no header row"}});
    }
    CsvHeader h(header);
    auto st = h.Require(columns_);
    if (!st.ok()) {
      std::vector<core::FieldError> fields = st.error().fields();
      for (auto& f : fields) f.detail = name_ + ": " + f.detail;
      return core::InvalidFields("missing_columns", std::move(fields));
    }
    for (auto c : columns_) index_.push_back(*h.Find(c));
    width_ = h.size();
    return core::Status::Ok();
  }

  void Register() { file_ = session_.AddFile(name_); }

  // The next well-formed row; a malformed one is rejected against `entity`
  // and skipped.
  bool Next(size_t entity) {
    while (reader_->Next(rec_)) {
      session_.CountRow(file_);
      if (rec_.error) {
        session_.Reject(entity, origin(),
                        core::InvalidArgument(*rec_.error, "the row breaks CSV quoting"));
        continue;
      }
      if (rec_.fields.size() != width_) {
        session_.Reject(entity, origin(),
                        core::InvalidArgument("csv_field_count",
                                              "the row has " + std::to_string(rec_.fields.size()) +
                                                  " fields, the header " + std::to_string(width_)));
        continue;
      }
      return true;
    }
    return false;
  }

  // The cell of the i-th column asked for in the constructor.
  std::string_view operator[](size_t i) const { return rec_.at(index_[i]); }
  Origin origin() const { return {file_, rec_.number}; }
  int64_t bytes_consumed() const { return reader_->bytes_consumed(); }
  int64_t size() const { return size_; }

 private:
  ImportSession& session_;
  std::string path_;
  std::string name_;
  std::vector<std::string_view> columns_;
  std::vector<size_t> index_;
  size_t width_ = 0;
  size_t file_ = 0;
  std::unique_ptr<std::ifstream> stream_;
  std::unique_ptr<CsvReader> reader_;
  int64_t size_ = 0;
  CsvRecord rec_;
};

struct Customer {
  std::string customer_id;
  std::string unique_id;
  std::string zip;
  std::string city;
  std::string state;
  Origin origin;
};

struct OrderRow {
  std::string order_id;
  std::string customer_id;
  std::string status;
  core::Instant placed_at{};
  std::optional<core::Instant> approved_at;
  std::optional<core::Instant> delivered_at;
  Origin origin;
  std::optional<core::Error> error;  // the row could not be read
};

struct ItemRow {
  int64_t line_no = 0;
  std::string product_id;
  std::string seller_id;
  int64_t price_minor = 0;
  int64_t freight_minor = 0;
};

struct OrderExtras {
  std::vector<ItemRow> items;
  int64_t voucher_minor = 0;
  int64_t paid_minor = 0;
  // The first item or payment row that could not be read, and why.
  std::optional<std::pair<Origin, core::Error>> error;
};

// Olist's order_status → ours (docs/import.md).
std::optional<std::string_view> MapStatus(std::string_view s) {
  if (s == "delivered") return "completed";
  if (s == "shipped" || s == "invoiced" || s == "processing" || s == "approved") return "paid";
  if (s == "canceled" || s == "unavailable") return "cancelled";
  if (s == "created") return "created";
  return std::nullopt;
}

class OlistImport final {
 public:
  OlistImport(Ingest& ingest, ImportSession& session, std::string dir, core::BusinessTimeZone zone)
      : ingest_(ingest),
        session_(session),
        zone_(zone),
        translation_(session, dir, kTranslationFile,
                     {"product_category_name", "product_category_name_english"}),
        products_(session, dir, kProductsFile, {"product_id", "product_category_name"}),
        sellers_(session, dir, kSellersFile,
                 {"seller_id", "seller_zip_code_prefix", "seller_city", "seller_state"}),
        customers_(session, dir, kCustomersFile,
                   {"customer_id", "customer_unique_id", "customer_zip_code_prefix",
                    "customer_city", "customer_state"}),
        orders_(session, dir, kOrdersFile,
                {"order_id", "customer_id", "order_status", "order_purchase_timestamp",
                 "order_approved_at", "order_delivered_customer_date"}),
        items_(session, dir, kItemsFile,
               {"order_id", "order_item_id", "product_id", "seller_id", "price", "freight_value"}),
        payments_(session, dir, kPaymentsFile, {"order_id", "payment_type", "payment_value"}),
        reviews_(session, dir, kReviewsFile,
                 {"review_id", "order_id", "review_score", "review_comment_title",
                  "review_comment_message", "review_creation_date", "review_answer_timestamp"}) {}

  core::Status OpenAll() {
    for (OlistFile* f : Files()) SHOPCRM_RETURN_IF_ERROR(f->Open());
    return core::Status::Ok();
  }

  core::Status Run() {
    for (OlistFile* f : Files()) {
      f->Register();
      total_bytes_ += f->size();
    }
    SHOPCRM_RETURN_IF_ERROR(Catalog());
    SHOPCRM_RETURN_IF_ERROR(ReadCustomersAndOrders());
    SHOPCRM_RETURN_IF_ERROR(WriteUsers());
    SHOPCRM_RETURN_IF_ERROR(ReadItemsAndPayments());
    SHOPCRM_RETURN_IF_ERROR(WriteOrders());
    return WriteReviews();
  }

 private:
  std::vector<OlistFile*> Files() {
    return {&translation_, &products_, &sellers_,  &customers_,
            &orders_,      &items_,    &payments_, &reviews_};
  }

  void Progress(std::string_view label, const OlistFile& current) {
    session_.ShowProgress(label, done_bytes_ + current.bytes_consumed(), total_bytes_, Rows());
  }
  int64_t Rows() const {
    int64_t n = 0;
    for (const auto& f : session_.report().files) n += f.rows;
    return n;
  }
  void Done(const OlistFile& f) { done_bytes_ += f.size(); }

  // Categories (the translation, then categories only products name),
  // stores (sellers) and products.
  core::Status Catalog() {
    // The summary lists entities in the order they are written.
    for (auto entity : {"categories", "stores", "products"}) session_.EntityIndex(entity);
    Feed<CategoryRecord> categories(
        session_, "categories",
        [this](std::span<const Incoming<CategoryRecord>> b) { return ingest_.Categories(b); });
    const size_t category_entity = categories.entity();
    std::set<std::string> known;
    while (translation_.Next(category_entity)) {
      CategoryRecord c;
      c.source_id = std::string(translation_[0]);
      c.name = c.source_id;
      if (!translation_[1].empty()) c.name_en = std::string(translation_[1]);
      known.insert(c.source_id);
      const std::string id = c.source_id;
      SHOPCRM_RETURN_IF_ERROR(categories.Add({id, std::move(c)}, translation_.origin()));
    }
    Done(translation_);

    Feed<ProductRecord> products(
        session_, "products",
        [this](std::span<const Incoming<ProductRecord>> b) { return ingest_.Products(b); });
    std::vector<std::pair<ProductRecord, Origin>> product_rows;
    std::map<std::string, Origin> untranslated;  // sorted, so the order is stable
    while (products_.Next(products.entity())) {
      ProductRecord p;
      p.source_id = std::string(products_[0]);
      if (auto st = Required(p.source_id, "product_id"); !st.ok()) {
        session_.Reject(products.entity(), products_.origin(), st.error());
        continue;
      }
      const std::string_view category = products_[1];
      if (!category.empty()) {
        p.category_source_id = std::string(category);
        category_of_product_[p.source_id] = p.category_source_id;
        if (!known.contains(*p.category_source_id)) {
          untranslated.emplace(*p.category_source_id, products_.origin());
        }
      } else {
        category_of_product_[p.source_id] = std::nullopt;
      }
      // Olist products have no names: the category and the id's start stand in.
      p.name = (category.empty() ? std::string("product") : std::string(category)) + " " +
               p.source_id.substr(0, 8);
      p.currency = "BRL";
      product_rows.emplace_back(std::move(p), products_.origin());
      Progress("products", products_);
    }
    Done(products_);
    for (auto& [id, origin] : untranslated) {
      CategoryRecord c;
      c.source_id = id;
      c.name = id;
      SHOPCRM_RETURN_IF_ERROR(categories.Add({id, std::move(c)}, origin));
    }
    SHOPCRM_RETURN_IF_ERROR(categories.Flush());

    Feed<StoreRecord> stores(session_, "stores", [this](std::span<const Incoming<StoreRecord>> b) {
      return ingest_.Stores(b);
    });
    while (sellers_.Next(stores.entity())) {
      StoreRecord s;
      s.source_id = std::string(sellers_[0]);
      if (auto st = Required(s.source_id, "seller_id"); !st.ok()) {
        session_.Reject(stores.entity(), sellers_.origin(), st.error());
        continue;
      }
      s.name = "Olist seller " + s.source_id.substr(0, 8);
      if (!sellers_[2].empty()) s.city = std::string(sellers_[2]);
      if (!sellers_[3].empty()) s.province = std::string(sellers_[3]);
      const std::string id = s.source_id;
      SHOPCRM_RETURN_IF_ERROR(stores.Add({id, std::move(s)}, sellers_.origin()));
      Progress("stores", sellers_);
    }
    Done(sellers_);
    SHOPCRM_RETURN_IF_ERROR(stores.Flush());

    for (auto& [p, origin] : product_rows) {
      const std::string id = p.source_id;
      SHOPCRM_RETURN_IF_ERROR(products.Add({id, std::move(p)}, origin));
    }
    return products.Flush();
  }

  core::Status ReadCustomersAndOrders() {
    users_entity_ = session_.EntityIndex("users");
    orders_entity_ = session_.EntityIndex("orders");
    while (customers_.Next(users_entity_)) {
      Customer c;
      c.customer_id = std::string(customers_[0]);
      c.unique_id = std::string(customers_[1]);
      auto st = Required(customers_[0], "customer_id");
      if (st.ok()) st = Required(c.unique_id, "customer_unique_id");
      if (!st.ok()) {
        session_.Reject(users_entity_, customers_.origin(), st.error());
        continue;
      }
      c.zip = std::string(customers_[2]);
      c.city = std::string(customers_[3]);
      c.state = std::string(customers_[4]);
      c.origin = customers_.origin();
      const std::string id = c.customer_id;
      customers_by_id_.emplace(id, std::move(c));
      Progress("reading customers", customers_);
    }
    Done(customers_);

    while (orders_.Next(orders_entity_)) {
      OrderRow o;
      o.order_id = std::string(orders_[0]);
      o.customer_id = std::string(orders_[1]);
      o.status = std::string(orders_[2]);
      o.origin = orders_.origin();
      auto read = [&]() -> core::Status {
        SHOPCRM_RETURN_IF_ERROR(Required(o.order_id, "order_id"));
        SHOPCRM_RETURN_IF_ERROR(Required(o.customer_id, "customer_id"));
        SHOPCRM_ASSIGN_OR_RETURN(o.placed_at,
                                 ParseLocal(orders_[3], zone_, "order_purchase_timestamp"));
        SHOPCRM_ASSIGN_OR_RETURN(o.approved_at,
                                 ParseOptionalLocal(orders_[4], zone_, "order_approved_at"));
        SHOPCRM_ASSIGN_OR_RETURN(
            o.delivered_at, ParseOptionalLocal(orders_[5], zone_, "order_delivered_customer_date"));
        if (!MapStatus(o.status)) {
          return FieldError("order_status", "invalid_enum",
                            "unknown Olist order status '" + o.status + "'");
        }
        if (!customers_by_id_.contains(o.customer_id)) {
          return core::InvalidArgument(
              "customer_not_in_file",
              "no customer '" + o.customer_id + "' in " + std::string(kCustomersFile));
        }
        return core::Status::Ok();
      };
      if (auto st = read(); !st.ok()) o.error = std::move(st).error();
      if (!o.order_id.empty()) order_index_.emplace(o.order_id, order_rows_.size());
      order_rows_.push_back(std::move(o));
      Progress("reading orders", orders_);
    }
    Done(orders_);
    return core::Status::Ok();
  }

  // One user per person (customer_unique_id), with the address of their
  // latest order.
  core::Status WriteUsers() {
    std::unordered_map<std::string, core::Instant> latest_order_of_customer;
    for (const auto& o : order_rows_) {
      if (!o.error) latest_order_of_customer[o.customer_id] = o.placed_at;
    }
    struct Pick {
      const Customer* customer = nullptr;
      std::optional<core::Instant> at;
    };
    std::unordered_map<std::string_view, Pick> person;
    std::vector<std::string_view> order_of_persons;
    // Rows in file order, so ties go the same way on every run.
    std::vector<const Customer*> by_row;
    for (const auto& [id, c] : customers_by_id_) by_row.push_back(&c);
    std::sort(by_row.begin(), by_row.end(),
              [](const Customer* a, const Customer* b) { return a->origin.row < b->origin.row; });
    for (const Customer* c : by_row) {
      std::optional<core::Instant> at;
      if (auto it = latest_order_of_customer.find(c->customer_id);
          it != latest_order_of_customer.end()) {
        at = it->second;
      }
      auto [it, inserted] = person.try_emplace(c->unique_id, Pick{c, at});
      if (inserted) {
        order_of_persons.push_back(c->unique_id);
      } else if (at && (!it->second.at || *at >= *it->second.at)) {
        it->second = Pick{c, at};
      }
    }
    Feed<UserRecord> users(session_, "users", [this](std::span<const Incoming<UserRecord>> b) {
      return ingest_.Users(b);
    });
    int64_t written = 0;
    for (std::string_view unique_id : order_of_persons) {
      const Customer& c = *person[unique_id].customer;
      UserRecord u;
      u.external_id = c.unique_id;
      if (!c.city.empty()) u.city = c.city;
      if (!c.state.empty()) u.province = c.state;
      if (!c.zip.empty()) u.attributes_json = core::DumpJson({{"zip_code_prefix", c.zip}});
      SHOPCRM_RETURN_IF_ERROR(users.Add({c.unique_id, std::move(u)}, c.origin));
      ++written;
      session_.ShowProgress("users", written, static_cast<int64_t>(order_of_persons.size()),
                            Rows());
    }
    return users.Flush();
  }

  core::Status ReadItemsAndPayments() {
    while (items_.Next(orders_entity_)) {
      const std::string order_id(items_[0]);
      auto it = order_index_.find(order_id);
      if (it == order_index_.end()) {
        session_.Reject(
            orders_entity_, items_.origin(),
            core::InvalidArgument("order_not_in_file",
                                  "no order '" + order_id + "' in " + std::string(kOrdersFile)));
        continue;
      }
      OrderExtras& extras = extras_[it->second];
      auto read = [&]() -> core::Result<ItemRow> {
        ItemRow item;
        SHOPCRM_ASSIGN_OR_RETURN(item.line_no, ParseCount(items_[1], "order_item_id"));
        item.product_id = std::string(items_[2]);
        SHOPCRM_RETURN_IF_ERROR(Required(item.product_id, "product_id"));
        item.seller_id = std::string(items_[3]);
        SHOPCRM_ASSIGN_OR_RETURN(item.price_minor, ParseBrl(items_[4], "price"));
        SHOPCRM_ASSIGN_OR_RETURN(item.freight_minor, ParseBrl(items_[5], "freight_value"));
        return item;
      };
      auto item = read();
      if (!item.ok()) {
        if (!extras.error) extras.error.emplace(items_.origin(), std::move(item).error());
        continue;
      }
      extras.items.push_back(std::move(item).value());
      Progress("reading order items", items_);
    }
    Done(items_);

    int64_t skipped = 0;
    while (payments_.Next(orders_entity_)) {
      auto it = order_index_.find(std::string(payments_[0]));
      if (it == order_index_.end()) {
        ++skipped;
        continue;
      }
      OrderExtras& extras = extras_[it->second];
      auto value = ParseBrl(payments_[2], "payment_value");
      if (!value.ok()) {
        if (!extras.error) extras.error.emplace(payments_.origin(), std::move(value).error());
        continue;
      }
      (payments_[1] == "voucher" ? extras.voucher_minor : extras.paid_minor) += *value;
      Progress("reading payments", payments_);
    }
    Done(payments_);
    if (skipped > 0) session_.CountSkipped(std::string(kSkippedPayments), skipped);
    return core::Status::Ok();
  }

  core::Status WriteOrders() {
    Feed<OrderRecord> orders(session_, "orders", [this](std::span<const Incoming<OrderRecord>> b) {
      return ingest_.Orders(b);
    });
    int64_t written = 0;
    for (size_t i = 0; i < order_rows_.size(); ++i) {
      const OrderRow& row = order_rows_[i];
      ++written;
      if (row.error) {
        session_.Reject(orders_entity_, row.origin, *row.error);
        continue;
      }
      if (order_index_[row.order_id] != i) {
        // The same order id twice: the later row is a duplicate of the first.
        SHOPCRM_RETURN_IF_ERROR(orders.Add(
            {row.order_id, BuildOrder(row, extras_[order_index_[row.order_id]])}, row.origin));
        continue;
      }
      OrderExtras& extras = extras_[i];
      if (extras.error) {
        session_.Reject(orders_entity_, extras.error->first, extras.error->second);
        continue;
      }
      SHOPCRM_RETURN_IF_ERROR(orders.Add({row.order_id, BuildOrder(row, extras)}, row.origin));
      session_.ShowProgress("orders", written, static_cast<int64_t>(order_rows_.size()), Rows());
    }
    return orders.Flush();
  }

  OrderRecord BuildOrder(const OrderRow& row, OrderExtras& extras) {
    const Customer& c = customers_by_id_.at(row.customer_id);
    OrderRecord o;
    o.source_id = row.order_id;
    o.user_external_id = c.unique_id;
    if (!c.city.empty()) o.city = c.city;
    if (!c.state.empty()) o.province = c.state;
    o.currency = "BRL";
    std::sort(extras.items.begin(), extras.items.end(),
              [](const ItemRow& a, const ItemRow& b) { return a.line_no < b.line_no; });
    std::set<std::string_view> sellers;
    for (const auto& item : extras.items) {
      OrderItemRecord line;
      line.line_no = item.line_no;
      line.sku = item.product_id;
      if (auto it = category_of_product_.find(item.product_id); it != category_of_product_.end()) {
        line.category_source_id = it->second;
      }
      if (!item.seller_id.empty()) line.store_source_id = item.seller_id;
      line.quantity = 1;
      line.unit_price_minor = item.price_minor;
      o.goods_minor += item.price_minor;
      o.shipping_minor += item.freight_minor;
      sellers.insert(item.seller_id);
      o.items.push_back(std::move(line));
    }
    if (sellers.size() == 1 && !sellers.begin()->empty()) {
      o.store_source_id = std::string(*sellers.begin());
    }
    o.discount_minor = extras.voucher_minor;
    o.paid_minor = extras.paid_minor;
    if (extras.items.empty()) {
      // Some cancelled or unavailable orders have no item rows; their payments
      // are then the only measure of what was ordered.
      o.goods_minor = extras.voucher_minor + extras.paid_minor;
    }
    o.status = std::string(*MapStatus(row.status));
    o.placed_at = row.placed_at;
    // A cancelled order is stored as never paid (Olist gives no time of the
    // cancellation, and a paid order would have to be refunded instead).
    if (o.status != "cancelled") o.paid_at = row.approved_at;
    if (o.status == "completed") o.completed_at = row.delivered_at;
    return o;
  }

  core::Status WriteReviews() {
    Feed<EventRecord> events(session_, "events", [this](std::span<const Incoming<EventRecord>> b) {
      return ingest_.Events(b);
    });
    while (reviews_.Next(events.entity())) {
      const std::string review_id(reviews_[0]);
      const std::string order_id(reviews_[1]);
      auto read = [&]() -> core::Result<EventRecord> {
        SHOPCRM_RETURN_IF_ERROR(Required(review_id, "review_id"));
        auto it = order_index_.find(order_id);
        if (it == order_index_.end()) {
          return core::InvalidArgument(
              "order_not_in_file", "no order '" + order_id + "' in " + std::string(kOrdersFile));
        }
        const OrderRow& order = order_rows_[it->second];
        auto customer = customers_by_id_.find(order.customer_id);
        if (customer == customers_by_id_.end()) {
          return core::InvalidArgument(
              "customer_not_in_file",
              "the review's order has no customer in " + std::string(kCustomersFile));
        }
        EventRecord e;
        // review_id alone repeats across orders.
        e.source_id = review_id + ":" + order_id;
        e.user_external_id = customer->second.unique_id;
        e.type = "review";
        SHOPCRM_ASSIGN_OR_RETURN(e.rating, ParseCount(reviews_[2], "review_score"));
        SHOPCRM_ASSIGN_OR_RETURN(e.occurred_at,
                                 ParseLocal(reviews_[5], zone_, "review_creation_date"));
        SHOPCRM_ASSIGN_OR_RETURN(auto answered,
                                 ParseOptionalLocal(reviews_[6], zone_, "review_answer_timestamp"));
        const OrderExtras& extras = extras_[it->second];
        std::set<std::string_view> sellers, products;
        for (const auto& item : extras.items) {
          sellers.insert(item.seller_id);
          products.insert(item.product_id);
        }
        if (sellers.size() == 1 && !sellers.begin()->empty()) {
          e.store_source_id = std::string(*sellers.begin());
        }
        if (products.size() == 1) {
          e.product_source_id = std::string(*products.begin());
          auto cat = category_of_product_.find(*e.product_source_id);
          if (cat != category_of_product_.end()) e.category_source_id = cat->second;
        }
        core::Json props = {{"review_id", review_id}, {"order_id", order_id}};
        if (!reviews_[3].empty()) props["title"] = std::string(reviews_[3]);
        if (!reviews_[4].empty()) props["message"] = std::string(reviews_[4]);
        if (answered) props["answered_at"] = core::FormatRfc3339(*answered);
        e.properties_json = core::DumpJson(props);
        return e;
      };
      auto e = read();
      if (!e.ok()) {
        session_.Reject(events.entity(), reviews_.origin(), e.error());
        continue;
      }
      const std::string id = e->source_id;
      SHOPCRM_RETURN_IF_ERROR(events.Add({id, std::move(e).value()}, reviews_.origin()));
      Progress("reviews", reviews_);
    }
    Done(reviews_);
    return events.Flush();
  }

  Ingest& ingest_;
  ImportSession& session_;
  core::BusinessTimeZone zone_;
  OlistFile translation_, products_, sellers_, customers_, orders_, items_, payments_, reviews_;
  int64_t total_bytes_ = 0;
  int64_t done_bytes_ = 0;
  size_t users_entity_ = 0;
  size_t orders_entity_ = 0;
  std::unordered_map<std::string, std::optional<std::string>> category_of_product_;
  std::unordered_map<std::string, Customer> customers_by_id_;
  std::vector<OrderRow> order_rows_;
  std::unordered_map<std::string, size_t> order_index_;  // order_id → its first row
  std::unordered_map<size_t, OrderExtras> extras_;       // by index in order_rows_
};

}  // namespace

core::Result<ImportReport> Importer::Olist(const std::string& dir) {
  SHOPCRM_RETURN_IF_ERROR(options_.Validate());
  SHOPCRM_ASSIGN_OR_RETURN(core::BusinessTimeZone zone,
                           core::BusinessTimeZone::Load(options_.olist_time_zone));
  ImportSession session(runs_, options_, "olist", dir);
  OlistImport import(ingest_, session, dir, zone);
  SHOPCRM_RETURN_IF_ERROR(import.OpenAll());
  SHOPCRM_RETURN_IF_ERROR(session.Start());
  auto st = import.Run();
  return session.Finish(st.ok() ? "" : st.error().ToString());
}

}  // namespace shopcrm::profiles
