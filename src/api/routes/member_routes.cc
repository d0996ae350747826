// /api/v1/members/{user_id}/…: points, stored value and check-ins of a member
// (docs/membership.md), and /api/v1/recharge-plans. The mall changes
// balances (integration keys); operators manage plans; every role reads.
// Mutations honour an Idempotency-Key header. Points are whole numbers;
// money is a decimal string in major units of the business currency.
#include <algorithm>

#include "api/routes/coupon_json.h"
#include "api/routes/idempotent_request.h"
#include "api/routes/member_json.h"
#include "api/routes/routes.h"

namespace shopcrm::api {
namespace {

// A whole number of points, 1 to 10^12.
std::optional<int64_t> ReadPoints(core::JsonObjectReader& r, std::string_view name) {
  auto n = r.RequiredInt(name);
  if (n && (*n <= 0 || *n > int64_t{1'000'000'000'000})) {
    r.AddError(r.Path(name), "out_of_range", "must be 1 to 1,000,000,000,000 points");
    return std::nullopt;
  }
  return n;
}

// The routes that read a member, check them in and redeem points-mall items:
// for operators and the mall under /api/v1/members/{user_id}, and for the
// member under /api/v1/me.
struct MemberView {
  Access access;
  std::string base;
  identity::Permission write;  // what a mall key needs to change (not for members)
};

// GET `v.base + path`: what `fetch` renders of the member.
template <typename Fetch>
void AddMemberGet(Router& router, const MemberView& v, const std::string& path, Fetch fetch) {
  router.Add({"GET", v.base + path, v.access, identity::Permission::kRead,
              [fetch](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, MemberOf(req));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json j, fetch(user));
                return JsonResponse(200, j);
              }});
}

void AddMemberViewRoutes(Router& router, Services& s, const ServerOptions& o, const MemberView& v) {
  using identity::Permission;
  const core::Currency cur = s.currency;
  // Points.
  AddMemberGet(router, v, "/points", [&s](int64_t user) -> core::Result<core::Json> {
    SHOPCRM_ASSIGN_OR_RETURN(auto a, s.points.Account(user));
    return PointsAccountJson(a);
  });

  AddLedgerRoute(
      router, v.access, v.base + "/points/entries",
      [&s](int64_t user, std::optional<int64_t> before, int limit) {
        return s.points.Entries(user, before, limit);
      },
      PointsEntryJson);

  // Stored value.
  AddMemberGet(router, v, "/stored-value", [&s, cur](int64_t user) -> core::Result<core::Json> {
    SHOPCRM_ASSIGN_OR_RETURN(auto a, s.stored_value.Account(user));
    return StoredValueAccountJson(a, cur);
  });

  AddLedgerRoute(
      router, v.access, v.base + "/stored-value/entries",
      [&s](int64_t user, std::optional<int64_t> before, int limit) {
        return s.stored_value.Entries(user, before, limit);
      },
      [cur](const membership::StoredValueEntry& e) { return StoredValueEntryJson(e, cur); });

  // Check-ins.
  router.Add({"POST", v.base + "/check-ins", v.access, v.write,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, MemberOf(req));
                return Mutate(
                    s, req, "check_in",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(auto c, s.check_ins.CheckInIn(ss, user, now));
                      SHOPCRM_ASSIGN_OR_RETURN(auto medals, AwardMedals(s, ss, user, now));
                      return core::DumpJson(
                          {{"check_in", CheckInJson(c.check_in)},
                           {"points", PointsAccountJson(c.points)},
                           {"coupon_id", c.coupon_id ? core::Json(std::to_string(*c.coupon_id))
                                                     : core::Json(nullptr)},
                           {"coupon_outcome", c.coupon_outcome},
                           {"medals_awarded", std::move(medals)}});
                    });
              }});

  router.Add({"POST", v.base + "/check-ins/make-up", v.access, v.write,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, MemberOf(req));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto day = r.RequiredString("day", 10);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                return Mutate(
                    s, req, "check_in.make_up",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(auto c, s.check_ins.MakeUpIn(ss, user, *day, now));
                      SHOPCRM_ASSIGN_OR_RETURN(auto medals, AwardMedals(s, ss, user, now));
                      return core::DumpJson({{"check_in", CheckInJson(c.check_in)},
                                             {"points", PointsAccountJson(c.points)},
                                             {"medals_awarded", std::move(medals)}});
                    });
              }});

  router.Add({"GET", v.base + "/check-ins", v.access, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, MemberOf(req));
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

  AddMemberGet(router, v, "/level", [&s](int64_t user) -> core::Result<core::Json> {
    SHOPCRM_ASSIGN_OR_RETURN(auto m, s.levels.Member(user));
    return LevelJson(m);
  });

  AddLedgerRoute(
      router, v.access, v.base + "/growth/entries",
      [&s](int64_t user, std::optional<int64_t> before, int limit) {
        return s.levels.Entries(user, before, limit);
      },
      GrowthEntryJson);

  router.Add({"POST", v.base + "/points-mall/redemptions", v.access, v.write,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, MemberOf(req));
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
                      SHOPCRM_ASSIGN_OR_RETURN(auto medals, AwardMedals(s, ss, user, now));
                      return core::DumpJson({{"redemption", RedemptionJson(x.redemption)},
                                             {"points", PointsAccountJson(x.points)},
                                             {"medals_awarded", std::move(medals)}});
                    });
              }});

  AddLedgerRoute(
      router, v.access, v.base + "/points-mall/redemptions",
      [&s](int64_t user, std::optional<int64_t> before, int limit) {
        return s.points_mall.Redemptions(user, before, limit);
      },
      RedemptionJson);
  AddMemberGet(router, v, "/paid-membership", [&s, cur](int64_t user) -> core::Result<core::Json> {
    SHOPCRM_ASSIGN_OR_RETURN(auto m, s.paid.Member(user));
    return PaidMembershipJson(m, cur);
  });

  AddMemberGet(router, v, "/benefits", [&s](int64_t user) -> core::Result<core::Json> {
    SHOPCRM_ASSIGN_OR_RETURN(auto b, s.paid.Benefits(user));
    return core::Json{{"user_id", std::to_string(user)},
                      {"level", b.level ? core::Json(*b.level) : core::Json(nullptr)},
                      {"paid", b.paid},
                      {"benefits", membership::BenefitsJson(b.benefits)}};
  });

  // The latest grants (a member has two or three a month at most).
  router.Add({"GET", v.base + "/benefit-grants", v.access, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, MemberOf(req));
                if (req.Query("cursor")) {
                  return core::InvalidFields(
                      "invalid_query", {{"cursor", "not_allowed", "the newest grants, by limit"}});
                }
                SHOPCRM_ASSIGN_OR_RETURN(auto page, ParsePageParams(req));
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.benefit_grants.ForMember(user, page.limit));
                core::Json items = core::Json::array();
                for (const auto& g : list) items.push_back(BenefitGrantJson(g));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});
}

}  // namespace

void AddMemberRoutes(Router& router, Services& s, const ServerOptions& o) {
  using identity::Permission;
  const core::Currency cur = s.currency;
  const std::string base = "/api/v1/members/{user_id}";
  AddMemberViewRoutes(router, s, o, {Access::kAuthenticated, base, Permission::kIntegrate});
  AddMemberViewRoutes(router, s, o, {Access::kMember, "/api/v1/me", Permission::kRead});

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

  AddStatusRoute(
      router, o, "/api/v1/recharge-plans/{id}/status",
      [&s](int64_t id, const std::string& status, const audit::Actor& actor) {
        return s.stored_value.SetPlanStatus(id, status, actor);
      },
      [cur](const membership::RechargePlan& p) { return PlanJson(p, cur); });
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
                      SHOPCRM_ASSIGN_OR_RETURN(auto medals, AwardMedals(s, ss, user, now));
                      return GrowthChangeText(c, std::move(medals));
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

  AddStatusRoute(
      router, o, "/api/v1/points-mall/items/{id}/status",
      [&s](int64_t id, const std::string& status, const audit::Actor& actor) {
        return s.points_mall.SetStatus(id, status, actor);
      },
      MallItemJson);

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

  AddStatusRoute(
      router, o, "/api/v1/paid-plans/{id}/status",
      [&s](int64_t id, const std::string& status, const audit::Actor& actor) {
        return s.paid.SetPlanStatus(id, status, actor);
      },
      [cur](const membership::PaidPlan& p) { return PaidPlanJson(p, cur); });

  router.Add({"POST", base + "/paid-membership/purchases", Access::kAuthenticated,
              Permission::kIntegrate, [&s, &o, cur](Request& req) -> core::Result<Response> {
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
                      SHOPCRM_ASSIGN_OR_RETURN(
                          auto x, s.paid.PurchaseIn(ss, user, *plan, *amount, *ref, now));
                      SHOPCRM_ASSIGN_OR_RETURN(auto medals, AwardMedals(s, ss, user, now));
                      return core::DumpJson({{"kind", x.kind},
                                             {"membership", PaidMembershipJson(x.membership, cur)},
                                             {"medals_awarded", std::move(medals)}});
                    });
              }});

  // Order rewards: points (times the member's multiplier) and growth for a
  // paid order, and their take-back when it is refunded.
  router.Add({"POST", base + "/orders/{order_id}/rewards", Access::kAuthenticated,
              Permission::kIntegrate, [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                const std::string order = req.path_params.at("order_id");
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto paid = ReadAmount(r, "paid_amount", cur, true);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                return Mutate(
                    s, req, "order.reward",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(
                          auto x, s.order_rewards.RewardIn(ss, user, order, *paid, now));
                      SHOPCRM_ASSIGN_OR_RETURN(auto medals, AwardMedals(s, ss, user, now));
                      return OrderRewardText(x, std::move(medals));
                    });
              }});

  router.Add({"POST", base + "/orders/{order_id}/rewards/take-back", Access::kAuthenticated,
              Permission::kIntegrate, [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                const std::string order = req.path_params.at("order_id");
                return Mutate(
                    s, req, "order.take_back",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(auto x,
                                               s.order_rewards.TakeBackIn(ss, user, order, now));
                      return OrderRewardText(x, core::Json::array());
                    });
              }});

  // Benefit runs: the worker starts each month's and day's; an operator may
  // start one now (it runs once per period either way).
  router.Add({"GET", "/api/v1/benefit-runs", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto page, ParsePageParams(req));
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.benefit_grants.Runs(page.limit));
                core::Json items = core::Json::array();
                for (const auto& r : list) items.push_back(BenefitRunJson(r));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"POST", "/api/v1/benefit-runs", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto kind = r.RequiredEnum("kind", {"monthly", "birthday"});
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                const core::Instant now = s.clock.Now();
                SHOPCRM_ASSIGN_OR_RETURN(auto run, *kind == "monthly"
                                                       ? s.benefit_grants.RunMonthly(now)
                                                       : s.benefit_grants.RunBirthdays(now));
                return JsonResponse(200, BenefitRunJson(run));
              }});

  // A member-centre link for a member, as the mall would sign it: the
  // console's "open the member centre as this user".
  // The token acts as the member (it can check in and spend their points), so
  // only admins may have one, and each is audited.
  router.Add(
      {"POST", base + "/member-token", Access::kAuthenticated, Permission::kAdminister,
       [&s](Request& req) -> core::Result<Response> {
         SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
         SHOPCRM_ASSIGN_OR_RETURN(auto u, s.directory.Get(user));
         constexpr std::chrono::hours kTtl{2};
         SHOPCRM_RETURN_IF_ERROR(s.db.Transact(store::TxMode::kWrite, [&](store::Session& ss) {
           return s.audit.Record(
               ss, req.Actor(), "member_token.issue", "user", std::to_string(user), std::nullopt,
               core::DumpJson({{"external_id", u.external_id}, {"hours", kTtl.count()}}));
         }));
         const std::string token = s.member_tokens.Issue(u.external_id, kTtl);
         return JsonResponse(201, {{"token", token},
                                   {"expires_at", core::FormatRfc3339(s.clock.Now() + kTtl)},
                                   {"url", "/m/?token=" + token}});
       }});
}

}  // namespace shopcrm::api
