#include "api/routes/member_json.h"

#include "api/routes/coupon_json.h"
#include "api/routes/idempotent_request.h"

namespace shopcrm::api {

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
          {"made_up", c.made_up},
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

std::string GrowthChangeText(const membership::GrowthChange& c, core::Json medals) {
  core::Json j = {{"entry", c.entry ? GrowthEntryJson(*c.entry) : core::Json(nullptr)},
                  {"upgraded", c.upgraded},
                  {"member", LevelJson(c.member)}};
  if (!medals.is_null()) j["medals_awarded"] = std::move(medals);
  return core::DumpJson(j);
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

core::Json BenefitGrantJson(const membership::BenefitGrant& g) {
  return {
      {"user_id", std::to_string(g.user_id)},
      {"benefit", g.benefit},
      {"period", g.period},
      {"coupon_id", g.coupon_id ? core::Json(std::to_string(*g.coupon_id)) : core::Json(nullptr)},
      {"points", g.points},
      {"outcome", g.outcome},
      {"at", core::FormatRfc3339(g.at)}};
}

core::Json BenefitRunJson(const membership::BenefitRun& r) {
  return {{"kind", r.kind},
          {"period", r.period},
          {"members", r.members},
          {"granted", r.granted},
          {"refused", r.refused},
          {"status", r.status},
          {"started_at", core::FormatRfc3339(r.started_at)},
          {"finished_at", TimeOrNull(r.finished_at)}};
}

core::Json TaskJson(const membership::Task& t) {
  return {{"id", std::to_string(t.id)},
          {"code", t.spec.code},
          {"name", t.spec.name},
          {"kind", t.spec.kind},
          {"points", t.spec.points},
          {"coupon_template_id", t.spec.coupon_template_id
                                     ? core::Json(std::to_string(*t.spec.coupon_template_id))
                                     : core::Json(nullptr)},
          {"status", t.status},
          {"created_at", core::FormatRfc3339(t.created_at)},
          {"updated_at", core::FormatRfc3339(t.updated_at)}};
}

core::Json TaskCompletionJson(const membership::TaskCompletion& c) {
  return {
      {"user_id", std::to_string(c.user_id)},
      {"task_id", std::to_string(c.task_id)},
      {"code", c.code},
      {"name", c.name},
      {"period", c.period},
      {"points", c.points},
      {"growth", c.growth},
      {"coupon_id", c.coupon_id ? core::Json(std::to_string(*c.coupon_id)) : core::Json(nullptr)},
      {"coupon_outcome", c.coupon_outcome},
      {"at", core::FormatRfc3339(c.at)}};
}

core::Json MedalJson(const membership::Medal& m) {
  return {{"id", std::to_string(m.id)},
          {"code", m.spec.code},
          {"name", m.spec.name},
          {"description", m.spec.description},
          {"metric", m.spec.metric},
          {"threshold", m.spec.threshold},
          {"status", m.status},
          {"created_at", core::FormatRfc3339(m.created_at)},
          {"updated_at", core::FormatRfc3339(m.updated_at)}};
}

std::string OrderRewardText(const membership::OrderReward& r, core::Json medals) {
  return core::DumpJson({{"order_id", r.order_id},
                         {"points_percent", r.points_percent},
                         {"points", r.points},
                         {"growth", r.growth},
                         {"points_account", PointsAccountJson(r.account)},
                         {"level", r.level ? LevelJson(*r.level) : core::Json(nullptr)},
                         {"medals_awarded", std::move(medals)}});
}

core::Result<core::Json> AwardMedals(Services& s, store::Session& ss, int64_t user,
                                     core::Instant now) {
  SHOPCRM_ASSIGN_OR_RETURN(auto awarded, s.medals.AwardIn(ss, user, now));
  core::Json out = core::Json::array();
  for (const auto& m : awarded) out.push_back(MedalJson(m));
  return out;
}

core::Result<int64_t> MemberOf(const Request& req) {
  if (req.member_id) return *req.member_id;
  return PathId(req, "user_id");
}

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

}  // namespace shopcrm::api
