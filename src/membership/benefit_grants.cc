#include "membership/benefit_grants.h"

#include <map>

namespace shopcrm::membership {

using store::Session;

namespace {

constexpr const char kRunColumns[] =
    "kind, period, members, granted, refused, status, started_at, finished_at";

BenefitRun RunOf(const store::Row& r) {
  BenefitRun run;
  run.kind = r.Text(0);
  run.period = r.Text(1);
  run.members = r.Int(2);
  run.granted = r.Int(3);
  run.refused = r.Int(4);
  run.status = r.Text(5);
  run.started_at = core::FromUnixMicros(r.Int(6));
  if (auto f = r.OptionalInt(7)) run.finished_at = core::FromUnixMicros(*f);
  return run;
}

// Members, with their level and paid plan, from the user after `?`. The
// caller adds its own condition.
constexpr const char kMemberSelect[] =
    "SELECT u.id, ml.level, pm.plan_id, pm.expires_at FROM users u "
    "LEFT JOIN member_levels ml ON ml.user_id = u.id "
    "LEFT JOIN paid_memberships pm ON pm.user_id = u.id "
    "WHERE u.id > ? AND u.erased_at IS NULL AND (ml.user_id IS NOT NULL OR pm.expires_at > ?) ";

}  // namespace

struct BenefitGrants::Member {
  int64_t user_id = 0;
  LevelBenefits benefits;
};

BenefitGrants::BenefitGrants(store::Database& db, const core::BusinessTimeZone& tz, Levels& levels,
                             PaidMemberships& paid, Points& points, marketing::Coupons& coupons)
    : db_(db), tz_(tz), levels_(levels), paid_(paid), points_(points), coupons_(coupons) {}

core::Result<bool> BenefitGrants::Claim(Session& s, int64_t user_id, const std::string& benefit,
                                        const std::string& period, int64_t now) {
  SHOPCRM_ASSIGN_OR_RETURN(
      int64_t inserted,
      s.Execute("INSERT INTO benefit_grants (user_id, benefit, period, points, outcome, at) "
                "VALUES (?, ?, ?, 0, 'granted', ?) ON CONFLICT (user_id, benefit, period) DO "
                "NOTHING",
                {user_id, benefit, period, now}));
  return inserted == 1;
}

core::Status BenefitGrants::GiveCoupon(Session& s, int64_t user_id, int64_t template_id,
                                       const std::string& benefit, const std::string& period,
                                       core::Instant now, BenefitRun& run) {
  const int64_t at = core::ToUnixMicros(now);
  SHOPCRM_ASSIGN_OR_RETURN(bool first, Claim(s, user_id, benefit, period, at));
  if (!first) return core::Status::Ok();
  marketing::IssueRequest r{template_id, user_id, marketing::Source::kBenefit,
                            benefit + ":" + period, "membership"};
  SHOPCRM_ASSIGN_OR_RETURN(auto attempt, coupons_.TryIssueIn(s, r, now));
  attempt.coupon ? ++run.granted : ++run.refused;
  return s
      .Execute(
          "UPDATE benefit_grants SET coupon_id = ?, outcome = ? WHERE user_id = ? AND benefit = ? "
          "AND period = ?",
          {attempt.coupon ? store::Value(attempt.coupon->id) : store::Value(),
           attempt.coupon ? std::string("granted") : attempt.refusal, user_id, benefit, period})
      .status();
}

core::Status BenefitGrants::GivePoints(Session& s, int64_t user_id, int64_t points,
                                       const std::string& benefit, const std::string& period,
                                       core::Instant now, BenefitRun& run) {
  // One member's refusal is recorded as the grant's outcome; the run goes on.
  SHOPCRM_RETURN_IF_ERROR(s.Execute("SAVEPOINT benefit_points").status());
  EarnRequest earn{user_id, points, "benefit", benefit + ":" + period, "birthday gift"};
  auto earned = points_.EarnIn(s, earn, now, "birthday");
  std::string outcome = "granted";
  if (earned.ok()) {
    ++run.granted;
    SHOPCRM_RETURN_IF_ERROR(s.Execute("RELEASE SAVEPOINT benefit_points").status());
  } else {
    if (!marketing::IsRefusal(earned.error())) return std::move(earned).error();
    ++run.refused;
    outcome = earned.error().reason();
    SHOPCRM_RETURN_IF_ERROR(s.Execute("ROLLBACK TO SAVEPOINT benefit_points").status());
    SHOPCRM_RETURN_IF_ERROR(s.Execute("RELEASE SAVEPOINT benefit_points").status());
  }
  return s
      .Execute(
          "UPDATE benefit_grants SET points = ?, outcome = ? WHERE user_id = ? AND "
          "benefit = ? AND period = ?",
          {earned.ok() ? points : int64_t{0}, outcome, user_id, benefit, period})
      .status();
}

core::Result<BenefitRun> BenefitGrants::Run(const std::string& kind, const std::string& period,
                                            const std::string& select,
                                            const std::vector<store::Value>& params,
                                            core::Instant now, const Grant& grant) {
  const int64_t at = core::ToUnixMicros(now);
  // The scheme and the plans as they are when the run starts.
  std::optional<LevelScheme> scheme;
  if (auto active = levels_.Active(); active.ok()) {
    scheme = std::move(active).value();
  } else if (active.error().reason() != "no_level_scheme") {
    return std::move(active).error();
  }
  SHOPCRM_ASSIGN_OR_RETURN(auto plan_list, paid_.Plans());
  std::map<int64_t, LevelBenefits> plans;
  for (const auto& p : plan_list) plans[p.id] = p.spec.benefits;

  for (;;) {
    BenefitRun run;
    bool more = false;
    auto status = db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
      SHOPCRM_RETURN_IF_ERROR(
          s.Execute("INSERT INTO benefit_runs (kind, period, position, status, started_at) VALUES "
                    "(?, ?, 0, 'running', ?) ON CONFLICT (kind, period) DO NOTHING",
                    {kind, period, at})
              .status());
      SHOPCRM_ASSIGN_OR_RETURN(auto rows_read,
                               s.Query(std::string("SELECT ") + kRunColumns +
                                           ", position FROM benefit_runs WHERE kind = ? AND "
                                           "period = ?",
                                       {kind, period}));
      if (rows_read.empty()) return core::Internal("the benefit run vanished");
      const store::Row& r = rows_read.rows[0];
      run = RunOf(r);
      if (run.status == "finished") return core::Status::Ok();
      const int64_t position = r.Int(8);
      // Taking the run at the position read: a second runner that read the
      // same position waits for this chunk (a row lock on PostgreSQL; SQLite
      // writers are serial), then changes nothing and reads again.
      SHOPCRM_ASSIGN_OR_RETURN(
          int64_t taken,
          s.Execute("UPDATE benefit_runs SET position = position WHERE kind = ? AND period = ? "
                    "AND position = ?",
                    {kind, period, position}));
      if (taken == 0) {
        more = true;
        return core::Status::Ok();
      }
      std::vector<store::Value> args;
      args.reserve(params.size() + 3);
      args.emplace_back(position);
      args.emplace_back(at);
      for (const auto& p : params) args.push_back(p);
      args.emplace_back(int64_t{kChunk});
      SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(select + "ORDER BY u.id LIMIT ?", args));
      int64_t last = position;
      for (const auto& row : rows.rows) {
        Member m;
        m.user_id = row.Int(0);
        last = m.user_id;
        if (scheme && !row.IsNull(1)) {
          const auto level = static_cast<size_t>(row.Int(1));
          if (level >= 1 && level <= scheme->spec.levels.size()) {
            m.benefits = scheme->spec.levels[level - 1].benefits;
          }
        }
        if (!row.IsNull(2) && row.Int(3) > at) {
          if (auto p = plans.find(row.Int(2)); p != plans.end()) {
            m.benefits = CombineBenefits(m.benefits, p->second);
          }
        }
        ++run.members;
        SHOPCRM_RETURN_IF_ERROR(grant(s, m, run));
      }
      const bool finished = static_cast<int>(rows.size()) < kChunk;
      if (finished) {
        run.status = "finished";
        run.finished_at = now;
      }
      more = !finished;
      return s
          .Execute(
              "UPDATE benefit_runs SET position = ?, members = ?, granted = ?, refused = ?, "
              "status = ?, finished_at = ? WHERE kind = ? AND period = ?",
              {last, run.members, run.granted, run.refused, run.status,
               finished ? store::Value(at) : store::Value(), kind, period})
          .status();
    });
    if (!status.ok()) return std::move(status).error();
    if (!more) return run;
  }
}

core::Result<BenefitRun> BenefitGrants::RunMonthly(core::Instant now) {
  const std::string month = core::FormatDate(tz_.DateOf(now)).substr(0, 7);
  return Run("monthly", month, kMemberSelect, {}, now,
             [&](Session& s, const Member& m, BenefitRun& run) -> core::Status {
               if (!m.benefits.monthly_coupon_template_id) return core::Status::Ok();
               return GiveCoupon(s, m.user_id, *m.benefits.monthly_coupon_template_id,
                                 "monthly_coupon", month, now, run);
             });
}

core::Result<BenefitRun> BenefitGrants::RunBirthdays(core::Instant now) {
  const core::LocalDate today = tz_.DateOf(now);
  const std::string day = core::FormatDate(today);
  const std::string year = day.substr(0, 4);
  const std::string month_day = day.substr(5);
  // 29 February birthdays are kept on 28 February when the year has no 29th.
  const bool leap_day_too = month_day == "02-28" && !today.year().is_leap();
  const std::string select = std::string(kMemberSelect) + "AND substr(u.birthday, 6, 5) IN (?, ?) ";
  return Run(
      "birthday", day, select, {month_day, std::string(leap_day_too ? "02-29" : month_day)}, now,
      [&](Session& s, const Member& m, BenefitRun& run) -> core::Status {
        const int64_t at = core::ToUnixMicros(now);
        if (m.benefits.birthday_points > 0) {
          SHOPCRM_ASSIGN_OR_RETURN(bool first, Claim(s, m.user_id, "birthday_points", year, at));
          if (first) {
            SHOPCRM_RETURN_IF_ERROR(GivePoints(s, m.user_id, m.benefits.birthday_points,
                                               "birthday_points", year, now, run));
          }
        }
        if (m.benefits.birthday_coupon_template_id) {
          SHOPCRM_RETURN_IF_ERROR(GiveCoupon(s, m.user_id, *m.benefits.birthday_coupon_template_id,
                                             "birthday_coupon", year, now, run));
        }
        return core::Status::Ok();
      });
}

core::Result<std::vector<BenefitGrant>> BenefitGrants::ForMember(int64_t user_id, int limit) {
  std::vector<BenefitGrant> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query("SELECT user_id, benefit, period, coupon_id, points, outcome, at FROM "
                           "benefit_grants WHERE user_id = ? ORDER BY at DESC, benefit LIMIT ?",
                           {user_id, int64_t{limit}}));
    for (const auto& r : rows.rows) {
      out.push_back({r.Int(0), r.Text(1), r.Text(2), r.OptionalInt(3), r.Int(4), r.Text(5),
                     core::FromUnixMicros(r.Int(6))});
    }
    return core::Status::Ok();
  }));
  return out;
}

core::Result<std::vector<BenefitRun>> BenefitGrants::Runs(int limit) {
  std::vector<BenefitRun> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kRunColumns +
                                                    " FROM benefit_runs ORDER BY started_at "
                                                    "DESC, kind LIMIT ?",
                                                {int64_t{limit}}));
    for (const auto& r : rows.rows) out.push_back(RunOf(r));
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace shopcrm::membership
