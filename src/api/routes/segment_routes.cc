// /api/v1/segments: the live count of a filter (the segment builder types
// into it), the feature catalog the builder offers, and the state of the
// feature index (segments/segments.h).
#include <cmath>

#include "api/routes/routes.h"
#include "api/routes/segment_request.h"
#include "profiles/attitudes.h"
#include "segments/catalog.h"
#include "segments/segments.h"

namespace shopcrm::api {
namespace {

std::string_view TypeName(segments::FieldType t) {
  switch (t) {
    case segments::FieldType::kCount:
      return "count";
    case segments::FieldType::kMoney:
      return "money";
    case segments::FieldType::kDays:
      return "days";
    case segments::FieldType::kNumber:
      return "number";
    case segments::FieldType::kText:
      return "text";
    case segments::FieldType::kBool:
      return "bool";
  }
  return "";
}

core::Json InfoJson(const segments::IndexInfo& i) {
  return {
      {"ready", i.ready},
      {"generation", i.generation},
      {"users", i.users},
      {"memory_bytes", i.memory_bytes},
      {"built_at", i.built_at ? core::Json(core::FormatRfc3339(*i.built_at)) : core::Json()},
      {"build_seconds", i.build_seconds},
      {"changed_users", i.changed_users},
      {"updates", i.updates},
      {"updated_at", i.updated_at ? core::Json(core::FormatRfc3339(*i.updated_at)) : core::Json()},
      {"update_seconds", i.update_seconds}};
}

}  // namespace

void AddSegmentRoutes(Router& router, Services& s, const ServerOptions& o) {
  using identity::Permission;
  router.Add({"POST", "/api/v1/segments/preview", Access::kAuthenticated, Permission::kRead,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                SHOPCRM_ASSIGN_OR_RETURN(FilterRequest f, ReadFilterRequest(body));
                SHOPCRM_ASSIGN_OR_RETURN(auto c, s.segments.Count(f.filter, f.as_of));
                return JsonResponse(
                    200, {{"count", c.count},
                          {"users", c.users},
                          {"as_of", core::FormatRfc3339(c.as_of)},
                          {"generation", c.generation},
                          {"text", segments::FormatFilter(f.filter, segments::Features())},
                          {"filter", segments::FilterToJson(f.filter, segments::Features())}});
              }});

  router.Add({"GET", "/api/v1/segments/fields", Access::kAuthenticated, Permission::kRead,
              [](Request&) -> core::Result<Response> {
                core::Json items = core::Json::array();
                for (const auto& f : segments::Features().fields()) {
                  items.push_back({{"name", f.name},
                                   {"type", TypeName(f.type)},
                                   {"windowed", f.windowed},
                                   {"window_required", f.window_required}});
                }
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"GET", "/api/v1/users/{id}/models", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                std::optional<core::Instant> as_of;
                if (auto text = req.Query("as_of")) {
                  auto t = core::ParseRfc3339(*text);
                  if (!t.ok()) {
                    return core::InvalidFields(
                        "invalid_query", {{"as_of", "invalid_timestamp", "must be RFC 3339"}});
                  }
                  as_of = *t;
                }
                SHOPCRM_ASSIGN_OR_RETURN(auto m, s.segments.ModelsOf(id, as_of));
                auto text_or_null = [](const std::string& v) {
                  return v.empty() ? core::Json() : core::Json(v);
                };
                auto score = [](int v) { return v == 0 ? core::Json() : core::Json(v); };
                return JsonResponse(
                    200, {{"as_of", core::FormatRfc3339(s.segments.EvaluationTime(as_of))},
                          {"lifecycle", text_or_null(m.lifecycle)},
                          {"rfm_cell", text_or_null(m.rfm_cell)},
                          {"r_score", score(m.r_score)},
                          {"f_score", score(m.f_score)},
                          {"m_score", score(m.m_score)},
                          {"pareto_tier", text_or_null(m.pareto_tier)},
                          {"aidees", text_or_null(m.aidees)},
                          {"customer", text_or_null(m.customer)},
                          {"member", m.member},
                          {"motivations", m.motivations}});
              }});

  router.Add({"GET", "/api/v1/users/{id}/attitudes", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                profiles::Attitudes model(s.db, s.attitude_attributes);
                SHOPCRM_ASSIGN_OR_RETURN(auto items, model.Of(id));
                // Two decimals: beliefs are means of whole scores.
                auto round2 = [](double x) { return std::round(x * 100) / 100; };
                core::Json attributes = core::Json::array();
                for (const auto& a : model.attributes()) {
                  attributes.push_back({{"name", a.name}, {"weight", a.weight}});
                }
                core::Json out = core::Json::array();
                for (const auto& a : items) {
                  core::Json beliefs = core::Json::object();
                  for (const auto& [name, b] : a.beliefs) beliefs[name] = round2(b);
                  out.push_back({{"category", a.category},
                                 {"category_name",
                                  a.category_name ? core::Json(*a.category_name) : core::Json()},
                                 {"attitude", round2(a.score)},
                                 {"reviews", a.reviews},
                                 {"beliefs", std::move(beliefs)}});
                }
                return JsonResponse(
                    200, {{"attributes", std::move(attributes)}, {"items", std::move(out)}});
              }});

  router.Add({"POST", "/api/v1/analytics/aarrr", Access::kAuthenticated, Permission::kRead,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                const auto from_t = ReadTime(r, "from", true);
                const auto to_t = ReadTime(r, "to", true);
                const core::Json* filter = r.Value("filter");
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                std::optional<segments::Filter> f;
                if (filter != nullptr) {
                  SHOPCRM_ASSIGN_OR_RETURN(f, ReadFilter(*filter));
                }
                SHOPCRM_ASSIGN_OR_RETURN(auto c,
                                         s.segments.Aarrr(*from_t, *to_t, f ? &*f : nullptr));
                return JsonResponse(200, {{"from", core::FormatRfc3339(*from_t)},
                                          {"to", core::FormatRfc3339(*to_t)},
                                          {"acquired", c.acquired},
                                          {"activated", c.activated},
                                          {"retained", c.retained},
                                          {"referring", c.referring},
                                          {"paying", c.paying},
                                          {"revenue", c.revenue}});
              }});

  router.Add({"GET", "/api/v1/analytics/lifecycle/flows", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                std::vector<core::FieldError> errors;
                auto read = [&](const char* name) -> std::optional<core::Instant> {
                  auto text = req.Query(name);
                  if (!text) {
                    errors.push_back({name, "required", "an RFC 3339 time"});
                    return std::nullopt;
                  }
                  auto t = core::ParseRfc3339(*text);
                  if (!t.ok()) {
                    errors.push_back({name, "invalid_timestamp", "must be an RFC 3339 time"});
                    return std::nullopt;
                  }
                  return *t;
                };
                const auto from = read("from");
                const auto to = read("to");
                if (!errors.empty()) return core::InvalidFields("invalid_query", std::move(errors));
                SHOPCRM_ASSIGN_OR_RETURN(auto flows, s.lifecycle.Flows(*from, *to));
                core::Json items = core::Json::array();
                for (const auto& f : flows) {
                  items.push_back({{"from", f.from ? core::Json(*f.from) : core::Json()},
                                   {"to", f.to},
                                   {"users", f.users}});
                }
                return JsonResponse(200, {{"from", core::FormatRfc3339(*from)},
                                          {"to", core::FormatRfc3339(*to)},
                                          {"flows", std::move(items)}});
              }});

  router.Add({"GET", "/api/v1/segments/index", Access::kAuthenticated, Permission::kRead,
              [&s](Request&) -> core::Result<Response> {
                return JsonResponse(200, InfoJson(s.segments.Info()));
              }});

  router.Add({"POST", "/api/v1/segments/index/rebuild", Access::kAuthenticated,
              Permission::kOperate, [&s](Request&) -> core::Result<Response> {
                SHOPCRM_RETURN_IF_ERROR(s.segments.Rebuild());
                SHOPCRM_RETURN_IF_ERROR(s.segments.RecordStages(s.lifecycle).status());
                return JsonResponse(200, InfoJson(s.segments.Info()));
              }});
}

}  // namespace shopcrm::api
