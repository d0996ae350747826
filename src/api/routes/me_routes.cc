// /api/v1/me: the member centre's own view of the member a member token
// names (identity/member_tokens.h). The ledgers, check-ins, redemptions and
// wallet under /api/v1/me/… are registered with the operators' routes
// (member_routes.cc, coupon_routes.cc); here are the summary and the mall's
// items a member can buy.
#include "api/routes/member_json.h"
#include "api/routes/routes.h"

namespace shopcrm::api {

void AddMeRoutes(Router& router, Services& s) {
  using identity::Permission;
  const core::Currency cur = s.currency;
  const core::BusinessTimeZone tz = *core::BusinessTimeZone::Load(s.time_zone);

  // Everything the member centre's first screen shows, in one answer.
  router.Add(
      {"GET", "/api/v1/me", Access::kMember, Permission::kRead,
       [&s, cur, tz](Request& req) -> core::Result<Response> {
         const int64_t user = *req.member_id;
         SHOPCRM_ASSIGN_OR_RETURN(auto u, s.directory.Get(user));
         core::Json level = nullptr;
         if (auto m = s.levels.Member(user); m.ok()) {
           level = LevelJson(*m);
         } else if (m.error().reason() != "no_level_scheme") {
           return std::move(m).error();
         }
         SHOPCRM_ASSIGN_OR_RETURN(auto paid, s.paid.Member(user));
         SHOPCRM_ASSIGN_OR_RETURN(auto benefits, s.paid.Benefits(user));
         SHOPCRM_ASSIGN_OR_RETURN(auto points, s.points.Account(user));
         SHOPCRM_ASSIGN_OR_RETURN(auto stored, s.stored_value.Account(user));
         const std::string today = core::FormatDate(tz.DateOf(s.clock.Now()));
         SHOPCRM_ASSIGN_OR_RETURN(auto month, s.check_ins.Month(user, today.substr(0, 7)));
         SHOPCRM_ASSIGN_OR_RETURN(int make_ups_left, s.check_ins.MakeUpsLeft(user));
         core::Json check_in = {{"today", today},
                                {"checked_in", false},
                                {"streak", 0},
                                {"make_ups_left", make_ups_left},
                                {"make_up_cost", s.check_ins.options().make_up_cost}};
         for (const auto& c : month) {
           if (c.day == today) {
             check_in["checked_in"] = true;
             check_in["streak"] = c.streak;
           }
         }
         return JsonResponse(
             200,
             {{"user",
               {{"id", std::to_string(user)},
                {"external_id", u.external_id},
                {"name", u.name ? core::Json(*u.name) : core::Json(nullptr)}}},
              {"level", std::move(level)},
              {"paid_membership", PaidMembershipJson(paid, cur)},
              {"benefits",
               {{"paid", benefits.paid},
                {"points_percent", benefits.benefits.points_percent},
                {"free_shipping_per_month", benefits.benefits.free_shipping_per_month},
                {"priority_service", benefits.benefits.priority_service},
                {"birthday_points", benefits.benefits.birthday_points},
                {"monthly_coupon", benefits.benefits.monthly_coupon_template_id.has_value()},
                {"birthday_coupon", benefits.benefits.birthday_coupon_template_id.has_value()}}},
              {"points", PointsAccountJson(points)},
              {"stored_value", StoredValueAccountJson(stored, cur)},
              {"check_in", std::move(check_in)}});
       }});

  // The items on sale (active), cheapest first.
  router.Add({"GET", "/api/v1/me/points-mall/items", Access::kMember, Permission::kRead,
              [&s](Request&) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.points_mall.Items());
                std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) {
                  return a.spec.points_price < b.spec.points_price;
                });
                core::Json items = core::Json::array();
                for (const auto& i : list) {
                  if (i.status == "active") items.push_back(MallItemJson(i));
                }
                return JsonResponse(200, {{"items", std::move(items)}});
              }});
}

}  // namespace shopcrm::api
