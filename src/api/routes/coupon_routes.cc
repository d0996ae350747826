// /api/v1/coupon-templates, /api/v1/coupons, /api/v1/checkout: coupon
// templates (operators), claims, grants and codes, wallets, and checkout
// (the mall). Mutations honour an Idempotency-Key header (store/idempotency.h).
#include "api/routes/coupon_json.h"
#include "api/routes/idempotent_request.h"
#include "api/routes/routes.h"
#include "api/routes/segment_request.h"
#include "marketing/issuing.h"
#include "store/idempotency.h"

namespace shopcrm::api {
namespace {

// A claim or grant as its request reads.
struct IssueCall {
  marketing::IssueRequest request;
  store::IdempotencyKey key;
};

// A code redemption as its request reads.
struct RedeemCall {
  std::string code;
  int64_t user_id = 0;
  std::string channel;
  store::IdempotencyKey key;
};

// Answers a submitted issue with 201 and the coupon (or the stored answer).
marketing::Coupons::Answered Created(Later later) {
  return [later = std::move(later)](core::Result<store::Answer> answer) {
    if (!answer.ok()) return later(std::move(answer).error());
    later(AnswerResponse(201, *answer));
  };
}

core::Status PrefixCart(core::Status st) {
  if (st.ok()) return st;
  std::vector<core::FieldError> fields = st.error().fields();
  for (auto& f : fields) f.field = "cart." + f.field;
  return core::InvalidFields("invalid_fields", std::move(fields));
}

core::Json BatchJson(const marketing::CodeBatch& b) {
  return {{"id", std::to_string(b.id)},
          {"template_id", std::to_string(b.template_id)},
          {"name", b.name},
          {"size", b.size},
          {"redeemed", b.redeemed},
          {"created_by", b.created_by},
          {"created_at", core::FormatRfc3339(b.created_at)}};
}

core::Json JobJson(const marketing::GrantJob& j) {
  core::Json skipped = core::Json::object();
  for (const auto& [k, v] : j.skipped) skipped[k] = v;
  return {{"id", std::to_string(j.id)},
          {"template_id", std::to_string(j.template_id)},
          {"target", j.target},
          {"status", j.status},
          {"total", j.total},
          {"position", j.position},
          {"granted", j.granted},
          {"skipped", std::move(skipped)},
          {"channel", j.channel},
          {"error", j.error},
          {"created_by", j.created_by},
          {"created_at", core::FormatRfc3339(j.created_at)},
          {"updated_at", core::FormatRfc3339(j.updated_at)}};
}

// Every member of a saved segment now: a dynamic segment's from one index at
// one instant, a snapshot's as stored.
core::Result<std::vector<int64_t>> SegmentMembers(Services& s, int64_t segment_id) {
  SHOPCRM_ASSIGN_OR_RETURN(auto g, s.segment_store.Get(segment_id));
  if (g.kind != "snapshot") {
    return s.segments.Members(g.filter, s.segments.EvaluationTime(std::nullopt), INT64_MIN,
                              SIZE_MAX);
  }
  std::vector<int64_t> out;
  for (int64_t after = INT64_MIN;;) {
    SHOPCRM_ASSIGN_OR_RETURN(auto page, s.segment_store.Members(g.id, after, 100000));
    if (page.empty()) return out;
    after = page.back();
    out.insert(out.end(), page.begin(), page.end());
  }
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
  // With group commit on, a claim is submitted and answered once its shared
  // transaction is durable, so no thread waits for it.
  for (auto [path, source, permission] :
       {std::tuple{"/api/v1/coupons/claim", marketing::Source::kSelf, Permission::kIntegrate},
        std::tuple{"/api/v1/coupons/grant", marketing::Source::kCrm, Permission::kOperate}}) {
    auto read = [&o, source](Request& req) -> core::Result<IssueCall> {
      SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
      core::JsonObjectReader r(body);
      auto tmpl = r.RequiredString("template_id", 32);
      auto user = ReadUserId(r);
      auto channel = r.OptionalString("channel", 32);
      std::optional<int64_t> template_id;
      if (tmpl) {
        template_id = core::ParseId(*tmpl);
        if (!template_id) r.AddError("template_id", "invalid_id", "expected a coupon template id");
      }
      SHOPCRM_RETURN_IF_ERROR(r.Finish());
      SHOPCRM_ASSIGN_OR_RETURN(
          auto key, ReadKey(req, source == marketing::Source::kSelf ? "claim" : "grant"));
      const audit::Actor actor = req.Actor();
      return IssueCall{
          {*template_id, *user, source, actor.type + ":" + actor.name, channel.value_or("")},
          std::move(key)};
    };
    auto render = [cur](const marketing::Coupon& c) { return core::DumpJson(CouponJson(c, cur)); };
    Route route{"POST", path, Access::kAuthenticated, permission,
                [&s, read, render](Request& req) -> core::Result<Response> {
                  SHOPCRM_ASSIGN_OR_RETURN(IssueCall call, read(req));
                  SHOPCRM_ASSIGN_OR_RETURN(auto answer,
                                           s.coupons.Issue(call.request, call.key, render));
                  return AnswerResponse(201, answer);
                }};
    if (source == marketing::Source::kSelf && s.coupons.submits()) {
      route.submit = [&s, read, render](Request& req, Later later) {
        auto call = read(req);
        if (!call.ok()) return later(std::move(call).error());
        s.coupons.IssueLater(std::move(call->request), std::move(call->key), render,
                             Created(std::move(later)));
      };
    }
    router.Add(std::move(route));
  }

  {
    auto read = [&o](Request& req) -> core::Result<RedeemCall> {
      SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
      core::JsonObjectReader r(body);
      auto code = r.RequiredString("code", 64);
      auto user = ReadUserId(r);
      auto channel = r.OptionalString("channel", 32);
      SHOPCRM_RETURN_IF_ERROR(r.Finish());
      SHOPCRM_ASSIGN_OR_RETURN(auto key, ReadKey(req, "redeem-code"));
      return RedeemCall{*code, *user, channel.value_or(""), std::move(key)};
    };
    auto render = [cur](const marketing::Coupon& c) { return core::DumpJson(CouponJson(c, cur)); };
    Route route{"POST", "/api/v1/coupons/redeem-code", Access::kAuthenticated,
                Permission::kIntegrate, [&s, read, render](Request& req) -> core::Result<Response> {
                  SHOPCRM_ASSIGN_OR_RETURN(RedeemCall call, read(req));
                  SHOPCRM_ASSIGN_OR_RETURN(
                      auto answer, s.coupons.RedeemCode(call.code, call.user_id, call.channel,
                                                        call.key, render));
                  return AnswerResponse(201, answer);
                }};
    if (s.coupons.submits()) {
      route.submit = [&s, read, render](Request& req, Later later) {
        auto call = read(req);
        if (!call.ok()) return later(std::move(call).error());
        s.coupons.RedeemCodeLater(std::move(call->code), call->user_id, std::move(call->channel),
                                  std::move(call->key), render, Created(std::move(later)));
      };
    }
    router.Add(std::move(route));
  }

  router.Add({"GET", "/api/v1/coupons/{id}", Access::kAuthenticated, Permission::kRead,
              [&s, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto c, s.coupons.Get(id));
                return JsonResponse(200, CouponJson(c, cur));
              }});

  // A user's wallet, for operators and the mall; the member's own at /api/v1/me/coupons.
  for (const auto& [path, access] :
       {std::pair{"/api/v1/users/{id}/coupons", Access::kAuthenticated},
        std::pair{"/api/v1/me/coupons", Access::kMember}}) {
    router.Add(
        {"GET", path, access, Permission::kRead, [&s, cur](Request& req) -> core::Result<Response> {
           int64_t id = 0;
           if (req.member_id) {
             id = *req.member_id;
           } else {
             SHOPCRM_ASSIGN_OR_RETURN(id, PathId(req, "id"));
           }
           auto status = req.Query("status");
           if (status && *status != "unused" && *status != "locked" && *status != "used" &&
               *status != "expired" && *status != "refunded") {
             return core::InvalidFields(
                 "invalid_query",
                 {{"status", "invalid_enum", "one of unused, locked, used, expired, refunded"}});
           }
           SHOPCRM_ASSIGN_OR_RETURN(auto coupons, s.coupons.Wallet(id, status));
           core::Json items = core::Json::array();
           for (const auto& c : coupons) items.push_back(CouponJson(c, cur));
           return JsonResponse(200, {{"items", std::move(items)}});
         }});
  }

  router.Add({"POST", "/api/v1/checkout/evaluate", Access::kAuthenticated, Permission::kIntegrate,
              [&s, &o, cur](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto user = ReadUserId(r);
                auto cart = ReadCart(r, cur);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_RETURN_IF_ERROR(PrefixCart(marketing::ValidateCart(*cart)));
                SHOPCRM_ASSIGN_OR_RETURN(auto e, s.coupons.Evaluate(*user, *cart));
                return JsonResponse(200, EvaluationJson(e, cur));
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

  router.Add({"POST", "/api/v1/coupon-templates/{id}/code-batches", Access::kAuthenticated,
              Permission::kOperate, [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto name = r.RequiredString("name", 100);
                auto size = r.RequiredInt("size");
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto b,
                                         s.issuing.GenerateCodes(id, *name, *size, req.Actor()));
                return JsonResponse(201, BatchJson(b));
              }});

  router.Add({"GET", "/api/v1/coupon-templates/{id}/code-batches", Access::kAuthenticated,
              Permission::kRead, [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.issuing.CodeBatches(id));
                core::Json items = core::Json::array();
                for (const auto& b : list) items.push_back(BatchJson(b));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  // The codes are bearer tokens for coupons: exporting them needs the operate permission.
  router.Add(
      {"GET", "/api/v1/code-batches/{id}/codes.csv", Access::kAuthenticated, Permission::kOperate,
       [&s](Request& req) -> core::Result<Response> {
         SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
         SHOPCRM_ASSIGN_OR_RETURN(auto batch, s.issuing.CodeBatchOf(id));
         SHOPCRM_ASSIGN_OR_RETURN(auto codes, s.issuing.Codes(id));
         Response r;
         r.content_type = "text/csv; charset=utf-8";
         r.headers.emplace_back("Content-Disposition", "attachment; filename=\"codes-" +
                                                           std::to_string(batch.id) + ".csv\"");
         r.body = "code,redeemed_at,user_id\n";
         for (const auto& c : codes) {
           r.body += c.code + "," + (c.redeemed_at ? core::FormatRfc3339(*c.redeemed_at) : "") +
                     "," + (c.user_id ? std::to_string(*c.user_id) : "") + "\n";
         }
         return r;
       }});

  // Body: {"segment_id": "…"} | {"user_ids": [...]} | {"external_ids": [...]}, "channel"?.
  router.Add(
      {"POST", "/api/v1/coupon-templates/{id}/grants", Access::kAuthenticated, Permission::kOperate,
       [&s](Request& req) -> core::Result<Response> {
         SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
         core::JsonLimits limits;
         limits.max_bytes = 64 << 20;
         SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, limits));
         core::JsonObjectReader r(body);
         auto segment = r.OptionalString("segment_id", 32);
         const core::Json* ours = r.Value("user_ids");
         const core::Json* external = r.Value("external_ids");
         auto channel = r.OptionalString("channel", 32);
         if ((segment ? 1 : 0) + (ours ? 1 : 0) + (external ? 1 : 0) != 1) {
           r.AddError("segment_id", "one_of_required",
                      "send exactly one of segment_id, user_ids and external_ids");
         }
         std::optional<int64_t> segment_id;
         if (segment) {
           segment_id = core::ParseId(*segment);
           if (!segment_id) r.AddError("segment_id", "invalid_id", "expected a segment id");
         }
         std::vector<int64_t> users;
         std::vector<std::string> external_ids;
         for (auto [list, name] :
              {std::pair{ours, "user_ids"}, std::pair{external, "external_ids"}}) {
           if (list == nullptr) continue;
           if (!list->is_array() || list->empty() || list->size() > marketing::kMaxGrantUsers) {
             r.AddError(name, "invalid_length", "a list of 1 to 10,000,000 ids");
             continue;
           }
           for (size_t i = 0; i < list->size(); ++i) {
             const auto& v = (*list)[i];
             if (!v.is_string()) {
               r.AddError(std::string(name) + "[" + std::to_string(i) + "]", "must_be_string",
                          "ids are strings");
               break;
             }
             if (list == external) {
               external_ids.push_back(v.get<std::string>());
             } else if (auto uid = core::ParseId(v.get<std::string>())) {
               users.push_back(*uid);
             } else {
               r.AddError(std::string(name) + "[" + std::to_string(i) + "]", "invalid_id",
                          "expected a user id");
               break;
             }
           }
         }
         SHOPCRM_RETURN_IF_ERROR(r.Finish());
         std::string target = "list";
         if (segment_id) {
           SHOPCRM_ASSIGN_OR_RETURN(users, SegmentMembers(s, *segment_id));
           target = "segment:" + std::to_string(*segment_id);
           if (users.empty()) {
             return core::InvalidFields(
                 "invalid_fields", {{"segment_id", "empty_segment", "the segment has no members"}});
           }
         } else if (!external_ids.empty()) {
           SHOPCRM_ASSIGN_OR_RETURN(users, s.directory.IdsByExternalId(external_ids));
           if (users.empty()) {
             return core::InvalidFields("invalid_fields",
                                        {{"external_ids", "no_known_users", "no id names a user"}});
           }
         }
         SHOPCRM_ASSIGN_OR_RETURN(
             auto job, s.issuing.StartGrant(id, target, users, channel.value_or(""), req.Actor()));
         return JsonResponse(202, JobJson(job));
       }});

  router.Add({"GET", "/api/v1/coupon-templates/{id}/grants", Access::kAuthenticated,
              Permission::kRead, [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto jobs, s.issuing.Jobs(id));
                core::Json items = core::Json::array();
                for (const auto& j : jobs) items.push_back(JobJson(j));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"GET", "/api/v1/grant-jobs/{id}", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto job, s.issuing.Job(id));
                return JsonResponse(200, JobJson(job));
              }});
}

}  // namespace shopcrm::api
