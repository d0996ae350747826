// /api/v1/coupon-templates, /api/v1/coupons, /api/v1/checkout: coupon
// templates (operators), claims, grants and codes, wallets, and checkout
// (the mall). Mutations honour an Idempotency-Key header (store/idempotency.h).
#include "api/routes/coupon_json.h"
#include "api/routes/routes.h"
#include "store/idempotency.h"

namespace shopcrm::api {
namespace {

// FNV-1a over the method, path and body: the same key must come with the same request.
std::string Fingerprint(const Request& req) {
  uint64_t h = 1469598103934665603ull;
  for (const std::string* part : {&req.method, &req.path, &req.body}) {
    for (char ch : *part) {
      h ^= static_cast<uint8_t>(ch);
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

core::Result<store::IdempotencyKey> ReadKey(const Request& req, std::string_view operation) {
  store::IdempotencyKey key;
  key.key = req.Header("idempotency-key");
  if (key.key.empty()) return key;
  SHOPCRM_RETURN_IF_ERROR(store::CheckIdempotencyKey(key.key));
  const audit::Actor actor = req.Actor();
  key.scope = actor.type + ":" + actor.id + ":" + std::string(operation);
  key.fingerprint = Fingerprint(req);
  return key;
}

Response AnswerResponse(int status, const store::Answer& a) {
  Response r;
  r.status = status;
  r.body = a.body;
  if (a.replayed) r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

core::Status PrefixCart(core::Status st) {
  if (st.ok()) return st;
  std::vector<core::FieldError> fields = st.error().fields();
  for (auto& f : fields) f.field = "cart." + f.field;
  return core::InvalidFields("invalid_fields", std::move(fields));
}

}  // namespace

void AddCouponRoutes(Router& router, Services& s, const ServerOptions& o) {
  using identity::Permission;
  const core::Currency cur = s.currency;

  router.Add({"GET", "/api/v1/coupon-templates", Access::kAuthenticated, Permission::kRead,
              [&s, cur](Request&) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.coupon_templates.List());
                core::Json items = core::Json::array();
                for (const auto& t : list) items.push_back(TemplateJson(t, cur));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"POST", "/api/v1/coupon-templates", Access::kAuthenticated, Permission::kOperate,
              [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                SHOPCRM_ASSIGN_OR_RETURN(auto spec, ReadTemplateSpec(body, cur));
                SHOPCRM_ASSIGN_OR_RETURN(auto t, s.coupon_templates.Create(spec, req.Actor()));
                return JsonResponse(201, TemplateJson(t, cur));
              }});

  router.Add({"GET", "/api/v1/coupon-templates/{id}", Access::kAuthenticated, Permission::kRead,
              [&s, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto t, s.coupon_templates.Get(id));
                return JsonResponse(200, TemplateJson(t, cur));
              }});

  router.Add({"PUT", "/api/v1/coupon-templates/{id}", Access::kAuthenticated, Permission::kOperate,
              [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                SHOPCRM_ASSIGN_OR_RETURN(auto spec, ReadTemplateSpec(body, cur));
                SHOPCRM_ASSIGN_OR_RETURN(auto t, s.coupon_templates.Update(id, spec, req.Actor()));
                return JsonResponse(200, TemplateJson(t, cur));
              }});

  router.Add({"POST", "/api/v1/coupon-templates/{id}/status", Access::kAuthenticated,
              Permission::kOperate, [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto status = r.RequiredEnum("status", {"active", "paused", "ended"});
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto t,
                                         s.coupon_templates.SetStatus(id, *status, req.Actor()));
                return JsonResponse(200, TemplateJson(t, cur));
              }});

  // Claim (the mall, for its user), grant (an operator) and code redemption.
  for (auto [path, source, permission] :
       {std::tuple{"/api/v1/coupons/claim", marketing::Source::kSelf, Permission::kIntegrate},
        std::tuple{"/api/v1/coupons/grant", marketing::Source::kCrm, Permission::kOperate}}) {
    router.Add(
        {"POST", path, Access::kAuthenticated, permission,
         [&s, &o, cur, source](Request& req) -> core::Result<Response> {
           SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
           core::JsonObjectReader r(body);
           auto tmpl = r.RequiredString("template_id", 32);
           auto user = ReadUserId(r);
           auto channel = r.OptionalString("channel", 32);
           std::optional<int64_t> template_id;
           if (tmpl) {
             template_id = core::ParseId(*tmpl);
             if (!template_id) {
               r.AddError("template_id", "invalid_id", "expected a coupon template id");
             }
           }
           SHOPCRM_RETURN_IF_ERROR(r.Finish());
           SHOPCRM_ASSIGN_OR_RETURN(
               auto key, ReadKey(req, source == marketing::Source::kSelf ? "claim" : "grant"));
           const audit::Actor actor = req.Actor();
           marketing::IssueRequest issue{*template_id, *user, source, actor.type + ":" + actor.name,
                                         channel.value_or("")};
           SHOPCRM_ASSIGN_OR_RETURN(auto answer,
                                    s.coupons.Issue(issue, key, [cur](const marketing::Coupon& c) {
                                      return core::DumpJson(CouponJson(c, cur));
                                    }));
           return AnswerResponse(201, answer);
         }});
  }

  router.Add({"POST", "/api/v1/coupons/redeem-code", Access::kAuthenticated, Permission::kIntegrate,
              [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto code = r.RequiredString("code", 64);
                auto user = ReadUserId(r);
                auto channel = r.OptionalString("channel", 32);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto key, ReadKey(req, "redeem-code"));
                SHOPCRM_ASSIGN_OR_RETURN(
                    auto answer, s.coupons.RedeemCode(*code, *user, channel.value_or(""), key,
                                                      [cur](const marketing::Coupon& c) {
                                                        return core::DumpJson(CouponJson(c, cur));
                                                      }));
                return AnswerResponse(201, answer);
              }});

  router.Add({"GET", "/api/v1/coupons/{id}", Access::kAuthenticated, Permission::kRead,
              [&s, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto c, s.coupons.Get(id));
                return JsonResponse(200, CouponJson(c, cur));
              }});

  router.Add({"GET", "/api/v1/users/{id}/coupons", Access::kAuthenticated, Permission::kRead,
              [&s, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                auto status = req.Query("status");
                if (status && *status != "unused" && *status != "locked" && *status != "used" &&
                    *status != "expired" && *status != "refunded") {
                  return core::InvalidFields("invalid_query",
                                             {{"status", "invalid_enum",
                                               "one of unused, locked, used, expired, refunded"}});
                }
                SHOPCRM_ASSIGN_OR_RETURN(auto coupons, s.coupons.Wallet(id, status));
                core::Json items = core::Json::array();
                for (const auto& c : coupons) items.push_back(CouponJson(c, cur));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"POST", "/api/v1/checkout/evaluate", Access::kAuthenticated, Permission::kIntegrate,
              [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto user = ReadUserId(r);
                auto cart = ReadCart(r, cur);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_RETURN_IF_ERROR(PrefixCart(marketing::ValidateCart(*cart)));
                SHOPCRM_ASSIGN_OR_RETURN(auto e, s.coupons.Evaluate(*user, *cart));
                return JsonResponse(200, EvaluationJson(e, *cart, cur));
              }});

  router.Add({"POST", "/api/v1/checkout/lock", Access::kAuthenticated, Permission::kIntegrate,
              [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto user = ReadUserId(r);
                auto order = r.RequiredString("order_id", 64);
                auto cart = ReadCart(r, cur);
                std::vector<int64_t> ids;
                const core::Json* list = r.Value("coupon_ids", true);
                if (list != nullptr) {
                  if (!list->is_array() || list->empty() || list->size() > 20) {
                    r.AddError("coupon_ids", "invalid_length", "a list of 1 to 20 coupon ids");
                  } else {
                    for (size_t i = 0; i < list->size(); ++i) {
                      const auto& v = (*list)[i];
                      auto id = v.is_string() ? core::ParseId(v.get<std::string>()) : std::nullopt;
                      if (!id) {
                        r.AddError("coupon_ids[" + std::to_string(i) + "]", "invalid_id",
                                   "expected a coupon id");
                      } else {
                        ids.push_back(*id);
                      }
                    }
                  }
                }
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_RETURN_IF_ERROR(PrefixCart(marketing::ValidateCart(*cart)));
                SHOPCRM_ASSIGN_OR_RETURN(auto key, ReadKey(req, "lock"));
                SHOPCRM_ASSIGN_OR_RETURN(
                    auto answer, s.coupons.Lock(*user, *order, *cart, ids, key,
                                                [cur](const marketing::OrderCoupons& oc) {
                                                  return core::DumpJson(OrderCouponsJson(oc, cur));
                                                }));
                return AnswerResponse(200, answer);
              }});

  using OrderFn = core::Result<store::Answer> (marketing::Coupons::*)(
      std::string_view, const store::IdempotencyKey&,
      const marketing::Render<marketing::OrderCoupons>&);
  for (auto [verb, fn] : {std::pair<const char*, OrderFn>{"redeem", &marketing::Coupons::Redeem},
                          std::pair<const char*, OrderFn>{"release", &marketing::Coupons::Release},
                          std::pair<const char*, OrderFn>{"refund", &marketing::Coupons::Refund}}) {
    router.Add(
        {"POST", std::string("/api/v1/checkout/orders/{order_id}/") + verb, Access::kAuthenticated,
         Permission::kIntegrate, [&s, cur, verb, fn](Request& req) -> core::Result<Response> {
           const std::string& order = req.path_params.at("order_id");
           if (order.empty() || order.size() > 64) {
             return core::InvalidFields("invalid_fields",
                                        {{"order_id", "invalid_length", "must be 1 to 64 bytes"}});
           }
           SHOPCRM_ASSIGN_OR_RETURN(auto key, ReadKey(req, verb));
           SHOPCRM_ASSIGN_OR_RETURN(
               auto answer, (s.coupons.*fn)(order, key, [cur](const marketing::OrderCoupons& oc) {
                 return core::DumpJson(OrderCouponsJson(oc, cur));
               }));
           return AnswerResponse(200, answer);
         }});
  }
}

}  // namespace shopcrm::api
