// /api/v1/membership/…: what the console shows about membership as a whole —
// the members list, the monthly metrics, and the points rules (points expiry,
// check-in points, make-ups, order points), which operators may change.
// Every role reads.
#include <cmath>

#include "api/routes/coupon_json.h"
#include "api/routes/member_json.h"
#include "api/routes/routes.h"

namespace shopcrm::api {
namespace {

// A ratio rounded to four decimals (0.1234 = 12.34 %), or null.
core::Json RatioJson(std::optional<double> r) {
  if (!r) return nullptr;
  return std::round(*r * 10000) / 10000;
}

}  // namespace

void AddMemberReportRoutes(Router& router, Services& s, const ServerOptions& o) {
  using identity::Permission;
  const core::Currency cur = s.currency;
  const core::BusinessTimeZone tz = *core::BusinessTimeZone::Load(s.time_zone);

  router.Add(
      {"GET", "/api/v1/membership/members", Access::kAuthenticated, Permission::kRead,
       [&s, cur](Request& req) -> core::Result<Response> {
         SHOPCRM_ASSIGN_OR_RETURN(auto page, ParsePageParams(req));
         membership::MemberQuery q;
         q.cursor = page.cursor;
         q.limit = page.limit;
         std::vector<core::FieldError> errors;
         if (auto level = req.Query("level")) {
           auto n = core::ParseId(*level);
           if (!n || *n < 1 || *n > 7) {
             errors.push_back({"level", "invalid", "a level number, 1 to 7"});
           } else {
             q.level = static_cast<int>(*n);
           }
         }
         if (auto paid = req.Query("paid")) {
           if (*paid != "active" && *paid != "grace" && *paid != "expired" && *paid != "none") {
             errors.push_back({"paid", "invalid_enum", "one of active, grace, expired, none"});
           } else {
             q.paid = *paid;
           }
         }
         if (!errors.empty()) return core::InvalidFields("invalid_query", std::move(errors));
         SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.member_reports.Members(q));
         // Level names from the active scheme, when there is one.
         std::vector<std::string> names;
         if (auto scheme = s.levels.Active(); scheme.ok()) {
           for (const auto& l : scheme->spec.levels) names.push_back(l.name);
         }
         core::Json items = core::Json::array();
         for (const auto& m : rows) {
           core::Json level = nullptr;
           if (m.level) {
             const auto i = static_cast<size_t>(*m.level);
             level = {{"level", *m.level},
                      {"name", i >= 1 && i <= names.size() ? core::Json(names[i - 1])
                                                           : core::Json(nullptr)},
                      {"growth", m.growth}};
           }
           items.push_back(
               {{"user_id", std::to_string(m.user_id)},
                {"external_id", m.external_id},
                {"name", m.name ? core::Json(*m.name) : core::Json(nullptr)},
                {"level", std::move(level)},
                {"points", {{"available", m.points_available}, {"pending", m.points_pending}}},
                {"balance", Amount(m.principal + m.bonus, cur)},
                {"paid",
                 {{"status", m.paid_status},
                  {"plan", m.paid_plan ? core::Json(*m.paid_plan) : core::Json(nullptr)},
                  {"expires_at", TimeOrNull(m.paid_expires_at)}}}});
         }
         std::optional<int64_t> next;
         if (static_cast<int>(rows.size()) == q.limit && !rows.empty()) {
           next = rows.back().user_id;
         }
         return JsonResponse(200, {{"items", std::move(items)},
                                   {"next_cursor", CursorOrNull(next)},
                                   {"currency", std::string(cur.code())}});
       }});

  router.Add({"GET", "/api/v1/membership/metrics", Access::kAuthenticated, Permission::kRead,
              [&s, tz](Request& req) -> core::Result<Response> {
                // Default: the twelve months up to this one.
                const std::string now = core::FormatDate(tz.DateOf(s.clock.Now())).substr(0, 7);
                std::string from = req.Query("from").value_or("");
                if (from.empty()) {
                  const auto day = tz.DateOf(s.clock.Now());
                  const auto start = day.year() / day.month() - std::chrono::months(11);
                  from = core::FormatDate(core::LocalDate(start / 1)).substr(0, 7);
                }
                SHOPCRM_ASSIGN_OR_RETURN(
                    auto months, s.member_reports.Metrics(from, req.Query("to").value_or(now)));
                core::Json items = core::Json::array();
                for (const auto& m : months) {
                  items.push_back({{"month", m.month},
                                   {"users", m.users},
                                   {"members", m.members},
                                   {"penetration", RatioJson(m.penetration)},
                                   {"converted", m.converted},
                                   {"convertible", m.convertible},
                                   {"conversion", RatioJson(m.conversion)},
                                   {"paid_ending", m.paid_ending},
                                   {"paid_renewed", m.paid_renewed},
                                   {"renewal_rate", RatioJson(m.renewal_rate)},
                                   {"above_first", m.above_first},
                                   {"kept", m.kept},
                                   {"level_retention", RatioJson(m.level_retention)}});
                }
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  // The points rules: saved in the console, else as configured.
  const auto rules_json = [&s](const membership::SavedRules& r) {
    core::Json j = membership::RuleSetJson(r.rules);
    j["time_zone"] = s.time_zone;
    j["version"] = r.version;
    j["updated_by"] = r.updated_by.empty() ? core::Json(nullptr) : core::Json(r.updated_by);
    j["updated_at"] = TimeOrNull(r.updated_at);
    return j;
  };

  router.Add({"GET", "/api/v1/membership/settings", Access::kAuthenticated, Permission::kRead,
              [&s, rules_json](Request&) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto r, s.member_rules.Current());
                return JsonResponse(200, rules_json(r));
              }});

  router.Add({"PUT", "/api/v1/membership/settings", Access::kAuthenticated, Permission::kOperate,
              [&s, &o, rules_json](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                SHOPCRM_ASSIGN_OR_RETURN(auto current, s.member_rules.Current());
                SHOPCRM_ASSIGN_OR_RETURN(auto rules, membership::ReadRuleSet(body, current.rules));
                SHOPCRM_ASSIGN_OR_RETURN(auto saved, s.member_rules.Set(rules, req.Actor()));
                return JsonResponse(200, rules_json(saved));
              }});
}

}  // namespace shopcrm::api
