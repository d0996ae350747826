#include "membership/demo.h"

#include <random>
#include <string>

namespace shopcrm::membership {
namespace {

marketing::TemplateSpec DemoCoupon(std::string name, int64_t discount) {
  marketing::TemplateSpec t;
  t.name = std::move(name);
  t.terms.kind = marketing::CouponKind::kRedPacket;
  t.terms.discount = discount;
  t.validity.use_days = 30;
  return t;
}

LevelSchemeSpec DemoScheme(int64_t monthly_coupon) {
  LevelSchemeSpec s;
  const std::vector<std::pair<std::string, int64_t>> levels{{"普通会员", 0},
                                                            {"白银会员", 200},
                                                            {"黄金会员", 1000},
                                                            {"铂金会员", 3000},
                                                            {"钻石会员", 8000}};
  for (size_t i = 0; i < levels.size(); ++i) {
    LevelDef d;
    d.level = static_cast<int>(i) + 1;
    d.name = levels[i].first;
    d.threshold = levels[i].second;
    d.benefits.points_percent = 100 + 25 * static_cast<int>(i);
    d.benefits.free_shipping_per_month = static_cast<int>(i);
    d.benefits.priority_service = i >= 3;
    d.benefits.birthday_points = 100 * static_cast<int64_t>(i);
    if (i >= 2) d.benefits.monthly_coupon_template_id = monthly_coupon;
    s.levels.push_back(d);
  }
  s.growth_per_yuan = 1;
  s.tasks = {{"check_in", 5, 5}, {"review", 20, 40}, {"profile", 50, 50}, {"share", 10, 30}};
  s.recycle_period = "month";
  s.keep_percent = 50;
  return s;
}

}  // namespace

core::Result<MembershipDemoReport> GenerateMembershipDemo(const MembershipDemoServices& s,
                                                          const std::vector<int64_t>& user_ids,
                                                          uint64_t seed) {
  const audit::Actor actor{"cli", "", "demo", ""};
  SHOPCRM_ASSIGN_OR_RETURN(auto monthly,
                           s.templates.Create(DemoCoupon("会员月券 8 元", 800), actor));
  SHOPCRM_ASSIGN_OR_RETURN(auto mall_coupon,
                           s.templates.Create(DemoCoupon("积分兑 10 元券", 1000), actor));
  SHOPCRM_RETURN_IF_ERROR(s.levels.SetScheme(DemoScheme(monthly.id), actor).status());
  SHOPCRM_RETURN_IF_ERROR(
      s.mall.Create({"10 元无门槛券", "coupon", mall_coupon.id, 200, std::nullopt, 5}, actor)
          .status());
  SHOPCRM_RETURN_IF_ERROR(
      s.mall.Create({"定制帆布袋", "goods", std::nullopt, 500, 100, 1}, actor).status());
  SHOPCRM_RETURN_IF_ERROR(
      s.mall.Create({"视频会员周卡", "partner", std::nullopt, 800, 50, 2}, actor).status());
  SHOPCRM_ASSIGN_OR_RETURN(auto recharge_plan,
                           s.stored_value.CreatePlan({"充 500 送 50", 50000, 5000}, actor));
  PaidPlanSpec card{"PLUS 月卡", 30, 1500, 7, {}};
  card.benefits.points_percent = 200;
  card.benefits.free_shipping_per_month = 4;
  SHOPCRM_ASSIGN_OR_RETURN(auto paid_plan, s.paid.CreatePlan(card, actor));

  const std::vector<TaskSpec> tasks{{"profile", "完善个人资料", "once", 50, std::nullopt},
                                    {"first_review", "发表首条评价", "once", 30, std::nullopt},
                                    {"invite", "邀请好友注册", "once", 100, mall_coupon.id},
                                    {"share", "分享商品", "daily", 10, std::nullopt}};
  for (const auto& t : tasks) SHOPCRM_RETURN_IF_ERROR(s.tasks.Create(t, actor).status());
  const std::vector<MedalSpec> medals{
      {"first_check_in", "初来乍到", "第一次签到", "check_ins", 1},
      {"streak_7", "签到达人", "连续签到 7 天", "check_in_streak", 7},
      {"first_redemption", "积分玩家", "在积分商城兑换 1 次", "redemptions", 1},
      {"first_task", "行动派", "完成 1 个任务", "tasks", 1},
      {"gold", "黄金会员", "达到黄金会员", "level", 3},
      {"plus_regular", "PLUS 老友", "开通 PLUS 会员 2 期", "paid_terms", 2}};
  for (const auto& m : medals) SHOPCRM_RETURN_IF_ERROR(s.medals.Create(m, actor).status());

  std::mt19937_64 rng(seed ^ 0x6d656d62ULL);
  MembershipDemoReport report;
  for (size_t i = 0; i < user_ids.size(); ++i) {
    const int64_t user = user_ids[i];
    const std::string n = std::to_string(user);
    // A few orders: growth and points per yuan paid.
    const int orders = 1 + static_cast<int>(rng() % 4);
    for (int o = 0; o < orders; ++o) {
      const int64_t paid_fen = 5000 + static_cast<int64_t>(rng() % 60000);
      const std::string ref = "demo-order-" + n + "-" + std::to_string(o);
      SHOPCRM_RETURN_IF_ERROR(s.db.Transact(store::TxMode::kWrite, [&](store::Session& ss) {
        return s.levels.AddGrowthIn(ss, user, "order", paid_fen, ref, s.clock.Now()).status();
      }));
      SHOPCRM_RETURN_IF_ERROR(
          s.points.Earn({user, paid_fen / 100, "demo", ref, "order paid", o == 0 ? 7 : 0})
              .status());
    }
    if (rng() % 2 == 0) SHOPCRM_RETURN_IF_ERROR(s.check_ins.CheckInNow(user).status());
    SHOPCRM_ASSIGN_OR_RETURN(auto account, s.points.Account(user));
    if (rng() % 3 == 0 && account.available >= 10) {
      SHOPCRM_RETURN_IF_ERROR(s.points.Spend({user, 10, "demo", "", "points mall"}).status());
    }
    if (rng() % 4 == 0) {
      SHOPCRM_RETURN_IF_ERROR(
          s.stored_value.Recharge({user, recharge_plan.id, 0, "demo-recharge-" + n}).status());
      SHOPCRM_RETURN_IF_ERROR(
          s.stored_value.Pay(user, 1000 + static_cast<int64_t>(rng() % 20000), "demo-pay-" + n)
              .status());
      ++report.recharged;
    }
    if (rng() % 5 == 0) {
      SHOPCRM_RETURN_IF_ERROR(s.paid.Purchase(user, paid_plan.id, 1500, "demo-plus-" + n).status());
      ++report.paid;
    }
    if (rng() % 3 == 0) {
      SHOPCRM_RETURN_IF_ERROR(s.db.Transact(store::TxMode::kWrite, [&](store::Session& ss) {
        return s.tasks.CompleteIn(ss, user, "profile", s.clock.Now()).status();
      }));
    }
    SHOPCRM_RETURN_IF_ERROR(s.db.Transact(store::TxMode::kWrite, [&](store::Session& ss) {
      return s.medals.AwardIn(ss, user, s.clock.Now()).status();
    }));
    ++report.members;
  }
  SHOPCRM_RETURN_IF_ERROR(s.grants.RunMonthly(s.clock.Now()).status());
  return report;
}

}  // namespace shopcrm::membership
