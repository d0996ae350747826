// /api/v1/members/{user_id}/…: points, stored value and check-ins of a member
// (docs/membership.md), and /api/v1/recharge-plans. The mall changes
// balances (integration keys); operators manage plans; every role reads.
// Mutations honour an Idempotency-Key header. Points are whole numbers;
// money is a decimal string in major units of the business currency.
#include <algorithm>

#include "api/routes/coupon_json.h"
#include "api/routes/idempotent_request.h"
#include "api/routes/routes.h"

namespace shopcrm::api {
namespace {

core::Json PointsAccountJson(const membership::PointsAccount& a) {
  return {{"user_id", std::to_string(a.user_id)},
          {"available", a.available},
          {"pending", a.pending},
          {"next_expiry", TimeOrNull(a.next_expiry)},
          {"next_expiry_points", a.next_expiry_points}};
}

core::Json PointsEntryJson(const membership::PointsEntry& e) {
  return {{"id", std::to_string(e.id)},
          {"kind", e.kind},
          {"available_change", e.available_change},
          {"pending_change", e.pending_change},
          {"available_after", e.available_after},
          {"pending_after", e.pending_after},
          {"reason", e.reason},
          {"source", e.source},
          {"source_ref", e.source_ref},
          {"at", core::FormatRfc3339(e.at)}};
}

std::string PointsChangeText(const membership::PointsChange& c) {
  core::Json entries = core::Json::array();
  for (const auto& e : c.entries) entries.push_back(PointsEntryJson(e));
  return core::DumpJson(
      {{"entries", std::move(entries)}, {"account", PointsAccountJson(c.account)}});
}

core::Json StoredValueAccountJson(const membership::StoredValueAccount& a, core::Currency cur) {
  return {{"user_id", std::to_string(a.user_id)},
          {"balance", Amount(a.balance(), cur)},
          {"principal", Amount(a.principal, cur)},
          {"bonus", Amount(a.bonus, cur)},
          {"currency", std::string(cur.code())}};
}

core::Json StoredValueEntryJson(const membership::StoredValueEntry& e, core::Currency cur) {
  return {{"id", std::to_string(e.id)},
          {"kind", e.kind},
          {"principal_change", Amount(e.principal_change, cur)},
          {"bonus_change", Amount(e.bonus_change, cur)},
          {"principal_after", Amount(e.principal_after, cur)},
          {"bonus_after", Amount(e.bonus_after, cur)},
          {"order_id", e.order_id},
          {"payment_ref", e.payment_ref},
          {"plan_id", e.plan_id ? core::Json(std::to_string(*e.plan_id)) : core::Json(nullptr)},
          {"reason", e.reason},
          {"at", core::FormatRfc3339(e.at)}};
}

std::string StoredValueChangeText(const membership::StoredValueChange& c, core::Currency cur) {
  return core::DumpJson({{"entry", StoredValueEntryJson(c.entry, cur)},
                         {"account", StoredValueAccountJson(c.account, cur)}});
}

core::Json PlanJson(const membership::RechargePlan& p, core::Currency cur) {
  return {{"id", std::to_string(p.id)},
          {"name", p.name},
          {"pay", Amount(p.pay, cur)},
          {"bonus", Amount(p.bonus, cur)},
          {"status", p.status},
          {"created_at", core::FormatRfc3339(p.created_at)},
          {"updated_at", core::FormatRfc3339(p.updated_at)}};
}

core::Json CheckInJson(const membership::CheckIn& c) {
  return {{"day", c.day},
          {"streak", c.streak},
          {"points", c.points},
          {"at", core::FormatRfc3339(c.at)}};
}

core::Json LevelJson(const membership::MemberLevel& m) {
  core::Json next = nullptr;
  if (m.next) {
    next = {{"level", m.next->level}, {"name", m.next->name}, {"threshold", m.next->threshold}};
  }
  return {{"user_id", std::to_string(m.user_id)},
          {"level", m.level},
          {"name", m.level_name},
          {"growth", m.growth},
          {"next", std::move(next)},
          {"to_next", m.to_next},
          {"recycle_at", TimeOrNull(m.recycle_at)},
          {"to_keep", m.to_keep ? core::Json(*m.to_keep) : core::Json(nullptr)},
          {"benefits", membership::BenefitsJson(m.benefits)}};
}

core::Json GrowthEntryJson(const membership::GrowthEntry& e) {
  return {{"id", std::to_string(e.id)},
          {"task", e.task},
          {"amount", e.amount},
          {"growth_after", e.growth_after},
          {"level_after", e.level_after},
          {"source_ref", e.source_ref},
          {"at", core::FormatRfc3339(e.at)}};
}

std::string GrowthChangeText(const membership::GrowthChange& c) {
  return core::DumpJson({{"entry", c.entry ? GrowthEntryJson(*c.entry) : core::Json(nullptr)},
                         {"upgraded", c.upgraded},
                         {"member", LevelJson(c.member)}});
}

core::Json SchemeJson(const membership::LevelScheme& s) {
  core::Json j = membership::LevelSchemeSpecJson(s.spec);
  j["version"] = s.version;
  j["created_by"] = s.created_by;
  j["created_at"] = core::FormatRfc3339(s.created_at);
  return j;
}

core::Json MallItemJson(const membership::MallItem& i) {
  const auto& sp = i.spec;
  return {{"id", std::to_string(i.id)},
          {"name", sp.name},
          {"kind", sp.kind},
          {"coupon_template_id", sp.coupon_template_id
                                     ? core::Json(std::to_string(*sp.coupon_template_id))
                                     : core::Json(nullptr)},
          {"points_price", sp.points_price},
          {"stock", sp.stock ? core::Json(*sp.stock) : core::Json(nullptr)},
          {"per_member_limit",
           sp.per_member_limit ? core::Json(*sp.per_member_limit) : core::Json(nullptr)},
          {"redeemed", i.redeemed},
          {"status", i.status},
          {"created_at", core::FormatRfc3339(i.created_at)},
          {"updated_at", core::FormatRfc3339(i.updated_at)}};
}

core::Json RedemptionJson(const membership::Redemption& r) {
  return {
      {"id", std::to_string(r.id)},
      {"item_id", std::to_string(r.item_id)},
      {"item_name", r.item_name},
      {"points", r.points},
      {"coupon_id", r.coupon_id ? core::Json(std::to_string(*r.coupon_id)) : core::Json(nullptr)},
      {"at", core::FormatRfc3339(r.at)}};
}

core::Json PaidPlanJson(const membership::PaidPlan& p, core::Currency cur) {
  return {{"id", std::to_string(p.id)},
          {"name", p.spec.name},
          {"term_days", p.spec.term_days},
          {"price", Amount(p.spec.price, cur)},
          {"grace_days", p.spec.grace_days},
          {"benefits", membership::BenefitsJson(p.spec.benefits)},
          {"status", p.status},
          {"created_at", core::FormatRfc3339(p.created_at)},
          {"updated_at", core::FormatRfc3339(p.updated_at)}};
}

core::Json PaidMembershipJson(const membership::PaidMembership& m, core::Currency cur) {
  return {{"user_id", std::to_string(m.user_id)},
          {"status", m.status},
          {"plan", m.plan ? PaidPlanJson(*m.plan, cur) : core::Json(nullptr)},
          {"started_at", TimeOrNull(m.started_at)},
          {"expires_at", TimeOrNull(m.expires_at)},
          {"grace_until", TimeOrNull(m.grace_until)},
          {"terms", m.terms}};
}

// A whole number of points, 1 to 10^12.
std::optional<int64_t> ReadPoints(core::JsonObjectReader& r, std::string_view name) {
  auto n = r.RequiredInt(name);
  if (n && (*n <= 0 || *n > int64_t{1'000'000'000'000})) {
    r.AddError(r.Path(name), "out_of_range", "must be 1 to 1,000,000,000,000 points");
    return std::nullopt;
  }
  return n;
}

// Runs `work` in one transaction with the request's idempotency key, and
// answers 201 with what it rendered.
using Work = std::function<core::Result<std::string>(store::Session&, core::Instant)>;
core::Result<Response> Mutate(Services& s, const Request& req, std::string_view operation,
                              const Work& work) {
  SHOPCRM_ASSIGN_OR_RETURN(auto key, ReadKey(req, operation));
  if (s.member_commits == nullptr) {
    const core::Instant now = s.clock.Now();
    SHOPCRM_ASSIGN_OR_RETURN(
        auto answer, store::TransactOnce(s.db, key, core::ToUnixMicros(now),
                                         [&](store::Session& ss) { return work(ss, now); }));
    return AnswerResponse(201, answer);
  }
  // The caller waits for the batch, so the captured references stay valid.
  bool replayed = false;
  auto body = s.member_commits->Run([&](store::Session& ss) -> core::Result<std::string> {
    const core::Instant now = s.clock.Now();
    SHOPCRM_ASSIGN_OR_RETURN(auto a,
                             store::AnswerOnce(ss, key, core::ToUnixMicros(now),
                                               [&](store::Session& x) { return work(x, now); }));
    replayed = a.replayed;
    return std::move(a.body);
  });
  if (!body.ok()) return std::move(body).error();
  return AnswerResponse(201, store::Answer{std::move(body).value(), replayed});
}

template <typename Entry, typename ToJson>
Response EntriesPage(const std::vector<Entry>& page, int limit, const ToJson& to_json) {
  core::Json items = core::Json::array();
  for (const auto& e : page) items.push_back(to_json(e));
  std::optional<int64_t> next;
  if (static_cast<int>(page.size()) == limit && !page.empty()) next = page.back().id;
  return JsonResponse(200, {{"items", std::move(items)}, {"next_cursor", CursorOrNull(next)}});
}

// GET `path`: one member's ledger, newest first, paged by `limit` and `cursor`.
template <typename Fetch, typename ToJson>
void AddLedgerRoute(Router& router, const std::string& path, Fetch fetch, ToJson to_json) {
  router.Add({"GET", path, Access::kAuthenticated, identity::Permission::kRead,
              [fetch, to_json](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto page, ParsePageParams(req));
                SHOPCRM_ASSIGN_OR_RETURN(auto list, fetch(user, page.cursor, page.limit));
                return EntriesPage(list, page.limit, to_json);
              }});
}

}  // namespace

void AddMemberRoutes(Router& router, Services& s, const ServerOptions& o) {
  using identity::Permission;
  const core::Currency cur = s.currency;
  const std::string base = "/api/v1/members/{user_id}";

  // Points.
  router.Add({"GET", base + "/points", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto a, s.points.Account(user));
                return JsonResponse(200, PointsAccountJson(a));
              }});

  AddLedgerRoute(
      router, base + "/points/entries",
      [&s](int64_t user, std::optional<int64_t> before, int limit) {
        return s.points.Entries(user, before, limit);
      },
      PointsEntryJson);

  router.Add({"POST", base + "/points/earn", Access::kAuthenticated, Permission::kIntegrate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto amount = ReadPoints(r, "amount");
                auto ref = r.OptionalString("source_ref", 128);
                auto reason = r.OptionalString("reason", 200);
                auto hold = r.OptionalInt("hold_days");
                if (hold && (*hold < 0 || *hold > 365)) {
                  r.AddError(r.Path("hold_days"), "out_of_range", "must be 0 to 365 days");
                }
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                membership::EarnRequest earn{user,
                                             *amount,
                                             req.Actor().type,
                                             ref.value_or(""),
                                             reason.value_or(""),
                                             static_cast<int>(hold.value_or(0))};
                return Mutate(
                    s, req, "points.earn",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(auto c, s.points.EarnIn(ss, earn, now));
                      return PointsChangeText(c);
                    });
              }});

  router.Add({"POST", base + "/points/spend", Access::kAuthenticated, Permission::kIntegrate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto amount = ReadPoints(r, "amount");
                auto ref = r.OptionalString("source_ref", 128);
                auto reason = r.OptionalString("reason", 200);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                membership::SpendRequest spend{user, *amount, req.Actor().type, ref.value_or(""),
                                               reason.value_or("")};
                return Mutate(
                    s, req, "points.spend",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(auto c, s.points.SpendIn(ss, spend, now));
                      return PointsChangeText(c);
                    });
              }});

  router.Add({"POST", base + "/points/reverse", Access::kAuthenticated, Permission::kIntegrate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto ref = r.RequiredString("source_ref", 128);
                auto reason = r.OptionalString("reason", 200);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                return Mutate(
                    s, req, "points.reverse",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(
                          auto c, s.points.ReverseIn(ss, user, *ref, reason.value_or(""), now));
                      return PointsChangeText(c);
                    });
              }});

  // Stored value.
  router.Add({"GET", base + "/stored-value", Access::kAuthenticated, Permission::kRead,
              [&s, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto a, s.stored_value.Account(user));
                return JsonResponse(200, StoredValueAccountJson(a, cur));
              }});

  AddLedgerRoute(
      router, base + "/stored-value/entries",
      [&s](int64_t user, std::optional<int64_t> before, int limit) {
        return s.stored_value.Entries(user, before, limit);
      },
      [cur](const membership::StoredValueEntry& e) { return StoredValueEntryJson(e, cur); });

  router.Add({"POST", base + "/stored-value/recharge", Access::kAuthenticated,
              Permission::kIntegrate, [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto plan = r.OptionalString("plan_id", 32);
                auto amount = ReadAmount(r, "amount", cur, false);
                auto ref = r.RequiredString("payment_ref", 128);
                std::optional<int64_t> plan_id;
                if (plan) {
                  plan_id = core::ParseId(*plan);
                  if (!plan_id) r.AddError(r.Path("plan_id"), "invalid_id", "expected a plan id");
                } else if (!amount && !r.Value("amount", false)) {
                  r.AddError(r.Path("amount"), "required", "give a plan_id or an amount");
                }
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                membership::RechargeRequest recharge{user, plan_id, amount.value_or(0), *ref};
                return Mutate(s, req, "stored_value.recharge",
                              [&](store::Session& ss, core::Instant) -> core::Result<std::string> {
                                SHOPCRM_ASSIGN_OR_RETURN(auto c,
                                                         s.stored_value.RechargeIn(ss, recharge));
                                return StoredValueChangeText(c, cur);
                              });
              }});

  router.Add({"POST", base + "/stored-value/pay", Access::kAuthenticated, Permission::kIntegrate,
              [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto amount = ReadAmount(r, "amount", cur, true);
                auto order = r.RequiredString("order_id", 128);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                return Mutate(s, req, "stored_value.pay",
                              [&](store::Session& ss, core::Instant) -> core::Result<std::string> {
                                SHOPCRM_ASSIGN_OR_RETURN(
                                    auto c, s.stored_value.PayIn(ss, user, *amount, *order));
                                return StoredValueChangeText(c, cur);
                              });
              }});

  router.Add({"POST", base + "/stored-value/refund", Access::kAuthenticated, Permission::kIntegrate,
              [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto amount = ReadAmount(r, "amount", cur, true);
                auto order = r.RequiredString("order_id", 128);
                auto reason = r.OptionalString("reason", 200);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                return Mutate(s, req, "stored_value.refund",
                              [&](store::Session& ss, core::Instant) -> core::Result<std::string> {
                                SHOPCRM_ASSIGN_OR_RETURN(
                                    auto c, s.stored_value.RefundIn(ss, user, *amount, *order,
                                                                    reason.value_or("")));
                                return StoredValueChangeText(c, cur);
                              });
              }});

  router.Add({"POST", base + "/stored-value/refund-recharge", Access::kAuthenticated,
              Permission::kIntegrate, [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto ref = r.RequiredString("payment_ref", 128);
                auto reason = r.OptionalString("reason", 200);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                return Mutate(s, req, "stored_value.refund_recharge",
                              [&](store::Session& ss, core::Instant) -> core::Result<std::string> {
                                SHOPCRM_ASSIGN_OR_RETURN(
                                    auto c, s.stored_value.RefundRechargeIn(ss, user, *ref,
                                                                            reason.value_or("")));
                                return StoredValueChangeText(c, cur);
                              });
              }});

  // Check-ins.
  router.Add({"POST", base + "/check-ins", Access::kAuthenticated, Permission::kIntegrate,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                return Mutate(
                    s, req, "check_in",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(auto c, s.check_ins.CheckInIn(ss, user, now));
                      return core::DumpJson({{"check_in", CheckInJson(c.check_in)},
                                             {"points", PointsAccountJson(c.points)}});
                    });
              }});

  router.Add({"GET", base + "/check-ins", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                const auto month = req.Query("month");
                if (!month) {
                  return core::InvalidFields("invalid_query",
                                             {{"month", "required", "a month like 2026-11"}});
                }
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.check_ins.Month(user, *month));
                core::Json items = core::Json::array();
                for (const auto& c : list) items.push_back(CheckInJson(c));
                return JsonResponse(200, {{"month", *month}, {"items", std::move(items)}});
              }});

  // Recharge plans.
  router.Add({"GET", "/api/v1/recharge-plans", Access::kAuthenticated, Permission::kRead,
              [&s, cur](Request&) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.stored_value.Plans());
                core::Json items = core::Json::array();
                for (const auto& p : list) items.push_back(PlanJson(p, cur));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"POST", "/api/v1/recharge-plans", Access::kAuthenticated, Permission::kOperate,
              [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto name = r.RequiredString("name", 100);
                if (name && name->empty()) {
                  r.AddError(r.Path("name"), "required", "must not be empty");
                }
                auto pay = ReadAmount(r, "pay", cur, true);
                auto bonus = ReadAmount(r, "bonus", cur, false);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(
                    auto p,
                    s.stored_value.CreatePlan({*name, *pay, bonus.value_or(0)}, req.Actor()));
                return JsonResponse(201, PlanJson(p, cur));
              }});

  router.Add({"POST", "/api/v1/recharge-plans/{id}/status", Access::kAuthenticated,
              Permission::kOperate, [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto status = r.RequiredEnum("status", {"active", "archived"});
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto p,
                                         s.stored_value.SetPlanStatus(id, *status, req.Actor()));
                return JsonResponse(200, PlanJson(p, cur));
              }});
  // Levels and growth.
  router.Add({"GET", "/api/v1/level-scheme", Access::kAuthenticated, Permission::kRead,
              [&s](Request&) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto scheme, s.levels.Active());
                return JsonResponse(200, SchemeJson(scheme));
              }});

  router.Add({"PUT", "/api/v1/level-scheme", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                SHOPCRM_ASSIGN_OR_RETURN(auto spec, membership::ReadLevelSchemeSpec(body));
                SHOPCRM_ASSIGN_OR_RETURN(auto scheme, s.levels.SetScheme(spec, req.Actor()));
                return JsonResponse(200, SchemeJson(scheme));
              }});

  router.Add({"POST", "/api/v1/level-scheme/recycles", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto text = r.RequiredString("period_end", 40);
                std::optional<core::Instant> end;
                if (text) {
                  auto parsed = core::ParseRfc3339(*text);
                  if (parsed.ok()) {
                    end = *parsed;
                  } else {
                    r.AddError(r.Path("period_end"), "invalid_timestamp",
                               "an RFC 3339 time, e.g. 2026-12-01T00:00:00+08:00");
                  }
                }
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto report, s.levels.Recycle(*end));
                return JsonResponse(200, {{"period_end", core::FormatRfc3339(report.period_end)},
                                          {"version", report.version},
                                          {"members", report.members},
                                          {"changed", report.changed},
                                          {"status", report.status}});
              }});

  router.Add({"GET", base + "/level", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto m, s.levels.Member(user));
                return JsonResponse(200, LevelJson(m));
              }});

  AddLedgerRoute(
      router, base + "/growth/entries",
      [&s](int64_t user, std::optional<int64_t> before, int limit) {
        return s.levels.Entries(user, before, limit);
      },
      GrowthEntryJson);

  router.Add({"POST", base + "/growth", Access::kAuthenticated, Permission::kIntegrate,
              [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto task = r.RequiredString("task", 32);
                auto paid = ReadAmount(r, "paid_amount", cur, false);
                auto ref = r.OptionalString("source_ref", 128);
                if (task && *task == "order" && !paid && !r.has_errors()) {
                  r.AddError(r.Path("paid_amount"), "required", "an order gives growth by it");
                }
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                return Mutate(
                    s, req, "growth.add",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(
                          auto c, s.levels.AddGrowthIn(ss, user, *task, paid.value_or(0),
                                                       ref.value_or(""), now));
                      return GrowthChangeText(c);
                    });
              }});

  router.Add({"POST", base + "/growth/take-back", Access::kAuthenticated, Permission::kIntegrate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto ref = r.RequiredString("source_ref", 128);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                return Mutate(
                    s, req, "growth.take_back",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(auto c, s.levels.TakeBackIn(ss, user, *ref, now));
                      return GrowthChangeText(c);
                    });
              }});
  // The points mall.
  router.Add({"GET", "/api/v1/points-mall/items", Access::kAuthenticated, Permission::kRead,
              [&s](Request&) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.points_mall.Items());
                core::Json items = core::Json::array();
                for (const auto& i : list) items.push_back(MallItemJson(i));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"POST", "/api/v1/points-mall/items", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                membership::MallItemSpec spec;
                spec.name = r.RequiredString("name", 100).value_or("");
                spec.kind = r.RequiredEnum("kind", {"coupon", "goods", "partner"}).value_or("");
                if (auto t = r.OptionalString("coupon_template_id", 32)) {
                  spec.coupon_template_id = core::ParseId(*t);
                  if (!spec.coupon_template_id) {
                    r.AddError(r.Path("coupon_template_id"), "invalid_id",
                               "expected a coupon template id");
                  }
                }
                spec.points_price = r.RequiredInt("points_price").value_or(0);
                spec.stock = r.OptionalInt("stock");
                spec.per_member_limit = r.OptionalInt("per_member_limit");
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto item, s.points_mall.Create(spec, req.Actor()));
                return JsonResponse(201, MallItemJson(item));
              }});

  router.Add({"POST", "/api/v1/points-mall/items/{id}/status", Access::kAuthenticated,
              Permission::kOperate, [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto status = r.RequiredEnum("status", {"active", "archived"});
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto item,
                                         s.points_mall.SetStatus(id, *status, req.Actor()));
                return JsonResponse(200, MallItemJson(item));
              }});

  router.Add({"POST", base + "/points-mall/redemptions", Access::kAuthenticated,
              Permission::kIntegrate, [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto text = r.RequiredString("item_id", 32);
                std::optional<int64_t> item;
                if (text) {
                  item = core::ParseId(*text);
                  if (!item) r.AddError(r.Path("item_id"), "invalid_id", "expected an item id");
                }
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                return Mutate(
                    s, req, "points_mall.redeem",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(auto x,
                                               s.points_mall.RedeemIn(ss, user, *item, now));
                      return core::DumpJson({{"redemption", RedemptionJson(x.redemption)},
                                             {"points", PointsAccountJson(x.points)}});
                    });
              }});

  AddLedgerRoute(
      router, base + "/points-mall/redemptions",
      [&s](int64_t user, std::optional<int64_t> before, int limit) {
        return s.points_mall.Redemptions(user, before, limit);
      },
      RedemptionJson);
  // Paid membership.
  router.Add({"GET", "/api/v1/paid-plans", Access::kAuthenticated, Permission::kRead,
              [&s, cur](Request&) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.paid.Plans());
                core::Json items = core::Json::array();
                for (const auto& p : list) items.push_back(PaidPlanJson(p, cur));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"POST", "/api/v1/paid-plans", Access::kAuthenticated, Permission::kOperate,
              [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                membership::PaidPlanSpec spec;
                spec.name = r.RequiredString("name", 100).value_or("");
                if (r.Value("name") != nullptr && spec.name.empty()) {
                  r.AddError(r.Path("name"), "required", "must not be empty");
                }
                const auto term = r.RequiredInt("term_days");
                if (term && (*term < 1 || *term > 3660)) {
                  r.AddError(r.Path("term_days"), "out_of_range", "must be 1 to 3660 days");
                }
                spec.term_days = static_cast<int>(std::clamp<int64_t>(term.value_or(1), 1, 3660));
                spec.price = ReadAmount(r, "price", cur, true).value_or(1);
                const auto grace = r.OptionalInt("grace_days");
                if (grace && (*grace < 0 || *grace > 365)) {
                  r.AddError(r.Path("grace_days"), "out_of_range", "must be 0 to 365 days");
                }
                spec.grace_days = static_cast<int>(std::clamp<int64_t>(grace.value_or(0), 0, 365));
                std::vector<core::FieldError> errors;
                if (const core::Json* b = r.Value("benefits"); b != nullptr) {
                  spec.benefits = membership::ReadBenefits(*b, "benefits.", errors);
                }
                for (auto& e : errors) r.AddError(e.field, e.reason, e.detail);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto plan, s.paid.CreatePlan(spec, req.Actor()));
                return JsonResponse(201, PaidPlanJson(plan, cur));
              }});

  router.Add({"POST", "/api/v1/paid-plans/{id}/status", Access::kAuthenticated,
              Permission::kOperate, [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto status = r.RequiredEnum("status", {"active", "archived"});
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto plan, s.paid.SetPlanStatus(id, *status, req.Actor()));
                return JsonResponse(200, PaidPlanJson(plan, cur));
              }});

  router.Add(
      {"POST", base + "/paid-membership/purchases", Access::kAuthenticated, Permission::kIntegrate,
       [&s, &o, cur](Request& req) -> core::Result<Response> {
         SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
         SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
         core::JsonObjectReader r(body);
         auto plan_text = r.RequiredString("plan_id", 32);
         auto amount = ReadAmount(r, "amount", cur, true);
         auto ref = r.RequiredString("payment_ref", 128);
         std::optional<int64_t> plan;
         if (plan_text) {
           plan = core::ParseId(*plan_text);
           if (!plan) r.AddError(r.Path("plan_id"), "invalid_id", "expected a plan id");
         }
         SHOPCRM_RETURN_IF_ERROR(r.Finish());
         return Mutate(
             s, req, "paid_membership.purchase",
             [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
               SHOPCRM_ASSIGN_OR_RETURN(auto x,
                                        s.paid.PurchaseIn(ss, user, *plan, *amount, *ref, now));
               return core::DumpJson(
                   {{"kind", x.kind}, {"membership", PaidMembershipJson(x.membership, cur)}});
             });
       }});

  router.Add({"GET", base + "/paid-membership", Access::kAuthenticated, Permission::kRead,
              [&s, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto m, s.paid.Member(user));
                return JsonResponse(200, PaidMembershipJson(m, cur));
              }});

  router.Add({"GET", base + "/benefits", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto b, s.paid.Benefits(user));
                return JsonResponse(
                    200, {{"user_id", std::to_string(user)},
                          {"level", b.level ? core::Json(*b.level) : core::Json(nullptr)},
                          {"paid", b.paid},
                          {"benefits", membership::BenefitsJson(b.benefits)}});
              }});
}

}  // namespace shopcrm::api
