// The wire form of membership (docs/membership.md): points are whole
// numbers, money a decimal string in major units of the business currency,
// instants RFC 3339, ids strings. Shared by the operators' and integrators'
// /api/v1/members/… routes and the members' own /api/v1/me/… routes.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/router.h"
#include "api/routes/routes.h"
#include "core/json.h"
#include "core/money.h"

namespace shopcrm::api {

core::Json PointsAccountJson(const membership::PointsAccount& a);
core::Json PointsEntryJson(const membership::PointsEntry& e);
std::string PointsChangeText(const membership::PointsChange& c);
core::Json StoredValueAccountJson(const membership::StoredValueAccount& a, core::Currency cur);
core::Json StoredValueEntryJson(const membership::StoredValueEntry& e, core::Currency cur);
std::string StoredValueChangeText(const membership::StoredValueChange& c, core::Currency cur);
core::Json PlanJson(const membership::RechargePlan& p, core::Currency cur);
core::Json CheckInJson(const membership::CheckIn& c);
core::Json LevelJson(const membership::MemberLevel& m);
core::Json GrowthEntryJson(const membership::GrowthEntry& e);
// With `medals` (not null), also "medals_awarded".
std::string GrowthChangeText(const membership::GrowthChange& c, core::Json medals = nullptr);
core::Json SchemeJson(const membership::LevelScheme& s);
core::Json MallItemJson(const membership::MallItem& i);
core::Json RedemptionJson(const membership::Redemption& r);
core::Json PaidPlanJson(const membership::PaidPlan& p, core::Currency cur);
core::Json PaidMembershipJson(const membership::PaidMembership& m, core::Currency cur);
core::Json BenefitGrantJson(const membership::BenefitGrant& g);
core::Json BenefitRunJson(const membership::BenefitRun& r);
core::Json TaskJson(const membership::Task& t);
core::Json TaskCompletionJson(const membership::TaskCompletion& c);
core::Json MedalJson(const membership::Medal& m);
std::string OrderRewardText(const membership::OrderReward& r, core::Json medals);

// Awards the medals `user` has earned (Medals::AwardIn) in the change's
// transaction; their JSON, for the change's answer as "medals_awarded".
core::Result<core::Json> AwardMedals(Services& s, store::Session& ss, int64_t user,
                                     core::Instant now);

// The member a request is about: the member token's (Access::kMember) or
// the path's {user_id}.
core::Result<int64_t> MemberOf(const Request& req);

// Runs `work` in one transaction with the request's idempotency key (in the
// membership group commit when there is one), and answers 201 with what it
// rendered.
using Work = std::function<core::Result<std::string>(store::Session&, core::Instant)>;
core::Result<Response> Mutate(Services& s, const Request& req, std::string_view operation,
                              const Work& work);

template <typename Entry, typename ToJson>
Response EntriesPage(const std::vector<Entry>& page, int limit, const ToJson& to_json) {
  core::Json items = core::Json::array();
  for (const auto& e : page) items.push_back(to_json(e));
  std::optional<int64_t> next;
  if (static_cast<int>(page.size()) == limit && !page.empty()) next = page.back().id;
  return JsonResponse(200, {{"items", std::move(items)}, {"next_cursor", CursorOrNull(next)}});
}

// GET `path`: one member's ledger, newest first, paged by `limit` and
// `cursor`. The member is the token's for Access::kMember, else the path's
// {user_id}.
template <typename Fetch, typename ToJson>
void AddLedgerRoute(Router& router, Access access, const std::string& path, Fetch fetch,
                    ToJson to_json) {
  router.Add({"GET", path, access, identity::Permission::kRead,
              [fetch, to_json](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, MemberOf(req));
                SHOPCRM_ASSIGN_OR_RETURN(auto page, ParsePageParams(req));
                SHOPCRM_ASSIGN_OR_RETURN(auto list, fetch(user, page.cursor, page.limit));
                return EntriesPage(list, page.limit, to_json);
              }});
}

// POST `path` {status: active | archived}, operators.
template <typename SetStatus, typename ToJson>
void AddStatusRoute(Router& router, const ServerOptions& o, const std::string& path,
                    SetStatus set_status, ToJson to_json) {
  router.Add({"POST", path, Access::kAuthenticated, identity::Permission::kOperate,
              [&o, set_status, to_json](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto status = r.RequiredEnum("status", {"active", "archived"});
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto x, set_status(id, *status, req.Actor()));
                return JsonResponse(200, to_json(x));
              }});
}

}  // namespace shopcrm::api
