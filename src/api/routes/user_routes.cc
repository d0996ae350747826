// /api/v1/users: search and list, the 360 view with its timelines, erasure,
// and tagging one user. Phone numbers are masked for every role but admin.
#include "api/routes/routes.h"
#include "core/money.h"
#include "profiles/directory.h"
#include "profiles/tags.h"

namespace shopcrm::api {
namespace {

core::Json TextOrNull(const std::optional<std::string>& v) {
  return v ? core::Json(*v) : core::Json(nullptr);
}

core::Json ObjectOrEmpty(const std::optional<std::string>& text) {
  if (!text) return core::Json::object();
  auto j = core::ParseJson(*text);
  return j.ok() && j->is_object() ? std::move(j).value() : core::Json::object();
}

std::string Amount(int64_t minor, const std::string& currency) {
  auto c = core::Currency::Parse(currency);
  return core::Money(minor, c.ok() ? *c : core::Currency::Cny()).ToDecimalString();
}

bool SeesPhones(const Request& req) {
  return req.principal && req.principal->role == identity::Role::kAdmin;
}

core::Json Phone(const Request& req, const std::optional<std::string>& phone) {
  if (!phone) return nullptr;
  return SeesPhones(req) ? *phone : profiles::MaskPhone(*phone);
}

core::Json UserBrief(const Request& req, const profiles::User& u) {
  return {{"id", std::to_string(u.id)},
          {"external_id", u.external_id},
          {"name", TextOrNull(u.name)},
          {"phone", Phone(req, u.phone)},
          {"gender", TextOrNull(u.gender)},
          {"city", TextOrNull(u.city)},
          {"province", TextOrNull(u.province)},
          {"registered_at", TimeOrNull(u.registered_at)},
          {"source_channel", TextOrNull(u.source_channel)},
          {"is_bare", u.is_bare},
          {"erased", u.erased_at.has_value()}};
}

core::Json UserFull(const Request& req, const profiles::User& u) {
  core::Json j = UserBrief(req, u);
  j.erase("erased");
  j["birthday"] = TextOrNull(u.birthday);
  j["occupation"] = TextOrNull(u.occupation);
  j["education"] = TextOrNull(u.education);
  j["referrer"] = u.referrer_id ? core::Json{{"id", std::to_string(*u.referrer_id)},
                                             {"external_id", u.referrer_external_id.value_or("")}}
                                : core::Json(nullptr);
  j["attributes"] = ObjectOrEmpty(u.attributes_json);
  j["erased_at"] = TimeOrNull(u.erased_at);
  j["created_at"] = core::FormatRfc3339(u.created_at);
  j["updated_at"] = core::FormatRfc3339(u.updated_at);
  return j;
}

core::Json SummaryJson(const profiles::UserSummary& s) {
  const std::string currency = s.currency.empty() ? "CNY" : s.currency;
  core::Json months = core::Json::array();
  for (const auto& m : s.spend_by_month) {
    months.push_back({{"month", m.month}, {"paid", Amount(m.paid_minor, currency)}});
  }
  return {{"order_count", s.order_count},
          {"first_order_at", TimeOrNull(s.first_order_at)},
          {"last_order_at", TimeOrNull(s.last_order_at)},
          {"currency", s.currency.empty() ? core::Json(nullptr) : core::Json(s.currency)},
          {"total_paid", Amount(s.total_paid_minor, currency)},
          {"aov", Amount(s.aov_minor, currency)},
          {"refunded", Amount(s.refunded_minor, currency)},
          {"last_visit_at", TimeOrNull(s.last_visit_at)},
          {"event_count", s.event_count},
          {"spend_by_month", std::move(months)}};
}

core::Json OrderJson(const profiles::Order& o) {
  core::Json items = core::Json::array();
  for (const auto& l : o.items) {
    items.push_back({{"line_no", l.line_no},
                     {"sku", l.sku},
                     {"product_name", TextOrNull(l.product_name)},
                     {"category_source_id", TextOrNull(l.category_source_id)},
                     {"store_source_id", TextOrNull(l.store_source_id)},
                     {"quantity", l.quantity},
                     {"unit_price", Amount(l.unit_price_minor, o.currency)},
                     {"paid_amount", Amount(l.paid_minor, o.currency)},
                     {"refunded_quantity", l.refunded_quantity},
                     {"refunded_amount", Amount(l.refunded_minor, o.currency)}});
  }
  core::Json history = core::Json::array();
  for (const auto& h : o.history) {
    history.push_back({{"status", h.status},
                       {"at", core::FormatRfc3339(h.at)},
                       {"refund_amount", Amount(h.refund_minor, o.currency)},
                       {"detail", TextOrNull(h.detail)}});
  }
  return {{"id", std::to_string(o.id)},
          {"source_id", o.source_id},
          {"status", o.status},
          {"counts", o.counts},
          {"placed_at", core::FormatRfc3339(o.placed_at)},
          {"paid_at", TimeOrNull(o.paid_at)},
          {"completed_at", TimeOrNull(o.completed_at)},
          {"cancelled_at", TimeOrNull(o.cancelled_at)},
          {"refunded_at", TimeOrNull(o.refunded_at)},
          {"currency", o.currency},
          {"goods_amount", Amount(o.goods_minor, o.currency)},
          {"discount_amount", Amount(o.discount_minor, o.currency)},
          {"shipping_amount", Amount(o.shipping_minor, o.currency)},
          {"paid_amount", Amount(o.paid_minor, o.currency)},
          {"refunded_amount", Amount(o.refunded_minor, o.currency)},
          {"store_source_id", TextOrNull(o.store_source_id)},
          {"city", TextOrNull(o.city)},
          {"channel", TextOrNull(o.channel)},
          {"coupon_codes", o.coupon_codes},
          {"items", std::move(items)},
          {"history", std::move(history)}};
}

core::Json EventJson(const profiles::Event& e) {
  core::Json props = nullptr;
  if (e.properties_json) props = ObjectOrEmpty(e.properties_json);
  return {{"id", std::to_string(e.id)},
          {"source_id", e.source_id},
          {"type", e.type},
          {"name", TextOrNull(e.name)},
          {"occurred_at", core::FormatRfc3339(e.occurred_at)},
          {"channel", TextOrNull(e.channel)},
          {"page", TextOrNull(e.page)},
          {"store_source_id", TextOrNull(e.store_source_id)},
          {"product_source_id", TextOrNull(e.product_source_id)},
          {"category_source_id", TextOrNull(e.category_source_id)},
          {"search_query", TextOrNull(e.search_query)},
          {"rating", e.rating ? core::Json(*e.rating) : core::Json(nullptr)},
          {"properties", std::move(props)}};
}

core::Result<profiles::UserQuery> ParseUserQuery(const Request& req) {
  SHOPCRM_ASSIGN_OR_RETURN(PageParams page, ParsePageParams(req));
  profiles::UserQuery q;
  q.limit = page.limit;
  q.cursor = page.cursor;
  std::vector<core::FieldError> errors;
  auto text = [&](const char* name) -> std::optional<std::string> {
    auto v = req.Query(name);
    if (v && v->empty()) return std::nullopt;
    if (v && v->size() > profiles::kMaxTextLength) {
      errors.push_back({name, "too_long", "at most 512 bytes"});
      return std::nullopt;
    }
    return v;
  };
  q.q = text("q");
  q.city = text("city");
  q.province = text("province");
  q.source_channel = text("source_channel");
  q.gender = text("gender");
  if (q.gender && *q.gender != "male" && *q.gender != "female" && *q.gender != "unknown") {
    errors.push_back({"gender", "invalid_enum", "expected male, female or unknown"});
  }
  if (auto tag = text("tag_id")) {
    q.tag_id = core::ParseId(*tag);
    if (!q.tag_id) errors.push_back({"tag_id", "invalid_id", "expected a tag id"});
  }
  auto time = [&](const char* name) -> std::optional<core::Instant> {
    auto v = text(name);
    if (!v) return std::nullopt;
    auto t = core::ParseRfc3339(*v);
    if (!t.ok()) {
      errors.push_back({name, "invalid_timestamp", "expected RFC 3339"});
      return std::nullopt;
    }
    return *t;
  };
  q.registered_from = time("registered_from");
  q.registered_to = time("registered_to");
  if (!errors.empty()) return core::InvalidFields("invalid_query", std::move(errors));
  return q;
}

}  // namespace

void AddUserRoutes(Router& router, Services& s) {
  using identity::Permission;
  router.Add({"GET", "/api/v1/users", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(profiles::UserQuery q, ParseUserQuery(req));
                SHOPCRM_ASSIGN_OR_RETURN(profiles::UserPage page, s.directory.List(q));
                core::Json items = core::Json::array();
                for (const auto& u : page.items) items.push_back(UserBrief(req, u));
                return JsonResponse(200, {{"items", std::move(items)},
                                          {"next_cursor", CursorOrNull(page.next_cursor)}});
              }});

  router.Add({"GET", "/api/v1/users/{id}", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(profiles::User user, s.directory.Get(id));
                SHOPCRM_ASSIGN_OR_RETURN(auto tags, s.directory.TagsOf(id));
                SHOPCRM_ASSIGN_OR_RETURN(profiles::UserSummary summary, s.directory.Summary(id));
                core::Json tag_json = core::Json::array();
                for (const auto& t : tags) {
                  tag_json.push_back({{"id", std::to_string(t.tag_id)},
                                      {"name", t.name},
                                      {"group_id", std::to_string(t.group_id)},
                                      {"group_name", t.group_name},
                                      {"kind", t.kind},
                                      {"tagged_at", core::FormatRfc3339(t.tagged_at)},
                                      {"tagged_by", t.tagged_by}});
                }
                return JsonResponse(200, {{"user", UserFull(req, user)},
                                          {"tags", std::move(tag_json)},
                                          {"summary", SummaryJson(summary)}});
              }});

  router.Add({"GET", "/api/v1/users/{id}/orders", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(PageParams page, ParsePageParams(req));
                SHOPCRM_ASSIGN_OR_RETURN(profiles::OrderPage orders,
                                         s.directory.Orders(id, page.limit, page.cursor));
                core::Json items = core::Json::array();
                for (const auto& o : orders.items) items.push_back(OrderJson(o));
                return JsonResponse(200, {{"items", std::move(items)},
                                          {"next_cursor", CursorOrNull(orders.next_cursor)}});
              }});

  router.Add({"GET", "/api/v1/users/{id}/events", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(PageParams page, ParsePageParams(req));
                auto type = req.Query("type");
                if (type) {
                  const auto& types = profiles::EventTypes();
                  if (std::find(types.begin(), types.end(), *type) == types.end()) {
                    return core::InvalidFields("invalid_query",
                                               {{"type", "invalid_enum", "not an event type"}});
                  }
                }
                SHOPCRM_ASSIGN_OR_RETURN(profiles::EventPage events,
                                         s.directory.Events(id, type, page.limit, page.cursor));
                core::Json items = core::Json::array();
                for (const auto& e : events.items) items.push_back(EventJson(e));
                return JsonResponse(200, {{"items", std::move(items)},
                                          {"next_cursor", CursorOrNull(events.next_cursor)}});
              }});

  router.Add({"DELETE", "/api/v1/users/{id}", Access::kAuthenticated, Permission::kAdminister,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_RETURN_IF_ERROR(s.directory.Erase(id, req.Actor()));
                return NoContent();
              }});

  router.Add({"PUT", "/api/v1/users/{id}/tags/{tag_id}", Access::kAuthenticated,
              Permission::kOperate, [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(int64_t tag_id, PathId(req, "tag_id"));
                SHOPCRM_RETURN_IF_ERROR(s.tags.TagUser(id, tag_id, req.Actor()));
                return NoContent();
              }});

  router.Add({"DELETE", "/api/v1/users/{id}/tags/{tag_id}", Access::kAuthenticated,
              Permission::kOperate, [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(int64_t tag_id, PathId(req, "tag_id"));
                SHOPCRM_RETURN_IF_ERROR(s.tags.UntagUser(id, tag_id, req.Actor()));
                return NoContent();
              }});
}

}  // namespace shopcrm::api
