#include "membership/levels.h"

#include <algorithm>
#include <regex>
#include <set>

#include "membership/internal/accounts.h"

namespace shopcrm::membership {
namespace {

using store::Row;
using store::Session;

constexpr int kRecycleChunk = 2000;

void Merge(core::Status st, std::vector<core::FieldError>& errors) {
  if (st.ok()) return;
  for (const auto& f : st.error().fields()) errors.push_back(f);
}

void CheckRange(core::JsonObjectReader& r, std::string_view name, const std::optional<int64_t>& v,
                int64_t lo, int64_t hi) {
  if (v && (*v < lo || *v > hi)) {
    r.AddError(r.Path(name), "out_of_range",
               "must be " + std::to_string(lo) + " to " + std::to_string(hi));
  }
}

const LevelDef& LevelOf(const LevelSchemeSpec& spec, int64_t growth) {
  const LevelDef* best = &spec.levels.front();
  for (const auto& l : spec.levels) {
    if (growth >= l.threshold) best = &l;
  }
  return *best;
}

const LevelDef& Def(const LevelSchemeSpec& spec, int level) {
  return spec.levels.at(
      static_cast<size_t>(std::clamp<int>(level, 1, static_cast<int>(spec.levels.size())) - 1));
}

core::Result<LevelScheme> LoadActive(Session& s) {
  SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                           s.Query("SELECT id, version, spec, created_by, created_at FROM "
                                   "level_schemes ORDER BY version DESC LIMIT 1"));
  if (rows.empty()) {
    return core::NotFound("no_level_scheme", "no level scheme has been set up yet");
  }
  const Row& r = rows.rows[0];
  SHOPCRM_ASSIGN_OR_RETURN(core::Json j, core::ParseJson(r.Text(2)));
  SHOPCRM_ASSIGN_OR_RETURN(LevelSchemeSpec spec, ReadLevelSchemeSpec(j));
  return LevelScheme{r.Int(0), static_cast<int>(r.Int(1)), std::move(spec), r.Text(3),
                     core::FromUnixMicros(r.Int(4))};
}

GrowthEntry EntryOf(const Row& r) {
  return {r.Int(0),  r.Int(1),
          r.Text(2), r.Int(3),
          r.Int(4),  static_cast<int>(r.Int(5)),
          r.Text(6), core::FromUnixMicros(r.Int(7))};
}

core::Status AppendEntry(Session& s, const GrowthEntry& e, const std::string& day) {
  return s
      .Execute(
          "INSERT INTO growth_entries (id, user_id, task, amount, growth_after, level_after, "
          "day, source_ref, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {e.id, e.user_id, e.task, e.amount, e.growth_after, int64_t{e.level_after}, day,
           e.source_ref, core::ToUnixMicros(e.at)})
      .status();
}

core::Status RecordLevelChange(Session& s, core::IdGenerator& ids, int64_t user_id, int from,
                               int to, std::string_view reason, int64_t now) {
  return s
      .Execute(
          "INSERT INTO level_changes (id, user_id, from_level, to_level, reason, at) VALUES "
          "(?, ?, ?, ?, ?, ?)",
          {ids.Next(), user_id, int64_t{from}, int64_t{to}, std::string(reason), now})
      .status();
}

core::Json IdOrNull(const std::optional<int64_t>& id) {
  return id ? core::Json(std::to_string(*id)) : core::Json(nullptr);
}

}  // namespace

std::optional<int64_t> ReadTemplateId(core::JsonObjectReader& r, std::string_view name) {
  auto text = r.OptionalString(name, 32);
  if (!text) return std::nullopt;
  auto id = core::ParseId(*text);
  if (!id) r.AddError(r.Path(name), "invalid_id", "expected a coupon template id");
  return id;
}

core::Json BenefitsJson(const LevelBenefits& b) {
  return {{"points_percent", b.points_percent},
          {"free_shipping_per_month", b.free_shipping_per_month},
          {"priority_service", b.priority_service},
          {"birthday_points", b.birthday_points},
          {"birthday_coupon_template_id", IdOrNull(b.birthday_coupon_template_id)},
          {"monthly_coupon_template_id", IdOrNull(b.monthly_coupon_template_id)}};
}

LevelBenefits CombineBenefits(const LevelBenefits& level, const LevelBenefits& paid) {
  LevelBenefits b = level;
  b.points_percent = std::max(b.points_percent, paid.points_percent);
  b.birthday_points = std::max(b.birthday_points, paid.birthday_points);
  b.free_shipping_per_month += paid.free_shipping_per_month;
  b.priority_service = b.priority_service || paid.priority_service;
  if (!b.monthly_coupon_template_id) b.monthly_coupon_template_id = paid.monthly_coupon_template_id;
  if (!b.birthday_coupon_template_id) {
    b.birthday_coupon_template_id = paid.birthday_coupon_template_id;
  }
  return b;
}

LevelBenefits ReadBenefits(const core::Json& json, const std::string& prefix,
                           std::vector<core::FieldError>& errors) {
  LevelBenefits out;
  core::JsonObjectReader br(json, prefix);
  auto pct = br.OptionalInt("points_percent");
  CheckRange(br, "points_percent", pct, 100, 1000);
  auto ship = br.OptionalInt("free_shipping_per_month");
  CheckRange(br, "free_shipping_per_month", ship, 0, 100);
  auto bday = br.OptionalInt("birthday_points");
  CheckRange(br, "birthday_points", bday, 0, 1'000'000);
  auto prio = br.OptionalBool("priority_service");
  out.monthly_coupon_template_id = ReadTemplateId(br, "monthly_coupon_template_id");
  out.birthday_coupon_template_id = ReadTemplateId(br, "birthday_coupon_template_id");
  out.points_percent = static_cast<int>(pct.value_or(100));
  out.free_shipping_per_month = static_cast<int>(ship.value_or(0));
  out.birthday_points = bday.value_or(0);
  out.priority_service = prio.value_or(false);
  Merge(br.Finish(), errors);
  return out;
}

core::Json LevelSchemeSpecJson(const LevelSchemeSpec& spec) {
  core::Json levels = core::Json::array();
  for (const auto& l : spec.levels) {
    levels.push_back({{"level", l.level},
                      {"name", l.name},
                      {"threshold", l.threshold},
                      {"benefits", BenefitsJson(l.benefits)}});
  }
  core::Json tasks = core::Json::array();
  for (const auto& t : spec.tasks) {
    tasks.push_back({{"task", t.task}, {"amount", t.amount}, {"daily_cap", t.daily_cap}});
  }
  return {{"levels", std::move(levels)},
          {"growth_per_yuan", spec.growth_per_yuan},
          {"order_daily_cap", spec.order_daily_cap},
          {"tasks", std::move(tasks)},
          {"recycle", {{"period", spec.recycle_period}, {"keep_percent", spec.keep_percent}}}};
}

core::Result<LevelSchemeSpec> ReadLevelSchemeSpec(const core::Json& body) {
  static const std::regex kTaskName("[a-z][a-z0-9_]{0,31}");
  std::vector<core::FieldError> errors;
  LevelSchemeSpec spec;
  core::JsonObjectReader r(body);
  const core::Json* levels = r.Value("levels", true);
  if (levels != nullptr) {
    if (!levels->is_array() || levels->size() < 4 || levels->size() > 7) {
      r.AddError("levels", "must_be_levels", "an array of 4 to 7 levels");
    } else {
      for (size_t i = 0; i < levels->size(); ++i) {
        const std::string at = "levels[" + std::to_string(i) + "].";
        core::JsonObjectReader lr((*levels)[i], at);
        LevelDef d;
        d.level = static_cast<int>(i) + 1;
        auto number = lr.OptionalInt("level");
        if (number && *number != d.level) {
          lr.AddError(lr.Path("level"), "out_of_order", "levels are numbered 1, 2, … in order");
        }
        d.name = lr.RequiredString("name", 32).value_or("");
        if (lr.Value("name") != nullptr && d.name.empty()) {
          lr.AddError(lr.Path("name"), "required", "must not be empty");
        }
        auto threshold = lr.RequiredInt("threshold");
        CheckRange(lr, "threshold", threshold, 0, int64_t{1'000'000'000'000});
        d.threshold = threshold.value_or(0);
        if (i == 0 && threshold && *threshold != 0) {
          lr.AddError(lr.Path("threshold"), "first_not_zero", "the first level starts at 0");
        }
        if (i > 0 && threshold && *threshold <= spec.levels.back().threshold) {
          lr.AddError(lr.Path("threshold"), "not_increasing",
                      "must be above the threshold of the level before");
        }
        if (const core::Json* b = lr.Value("benefits"); b != nullptr) {
          d.benefits = ReadBenefits(*b, at + "benefits.", errors);
        }
        Merge(lr.Finish(), errors);
        spec.levels.push_back(std::move(d));
      }
    }
  }
  auto per_yuan = r.OptionalInt("growth_per_yuan");
  CheckRange(r, "growth_per_yuan", per_yuan, 0, 10000);
  spec.growth_per_yuan = per_yuan.value_or(1);
  auto order_cap = r.OptionalInt("order_daily_cap");
  CheckRange(r, "order_daily_cap", order_cap, 0, int64_t{1'000'000'000});
  spec.order_daily_cap = order_cap.value_or(0);
  if (const core::Json* tasks = r.Value("tasks"); tasks != nullptr) {
    if (!tasks->is_array() || tasks->size() > 32) {
      r.AddError("tasks", "must_be_tasks", "an array of at most 32 tasks");
    } else {
      std::set<std::string> names;
      for (size_t i = 0; i < tasks->size(); ++i) {
        core::JsonObjectReader tr((*tasks)[i], "tasks[" + std::to_string(i) + "].");
        GrowthTask t;
        t.task = tr.RequiredString("task", 32).value_or("");
        if (tr.Value("task") != nullptr &&
            (!std::regex_match(t.task, kTaskName) || t.task == "order" || t.task == "take_back" ||
             t.task == "recycle" || !names.insert(t.task).second)) {
          tr.AddError(tr.Path("task"), "invalid",
                      "a unique lower-case name, not order, take_back or recycle");
        }
        auto amount = tr.RequiredInt("amount");
        CheckRange(tr, "amount", amount, 1, 1'000'000);
        auto cap = tr.OptionalInt("daily_cap");
        CheckRange(tr, "daily_cap", cap, 0, int64_t{1'000'000'000});
        t.amount = amount.value_or(0);
        t.daily_cap = cap.value_or(0);
        Merge(tr.Finish(), errors);
        spec.tasks.push_back(std::move(t));
      }
    }
  }
  if (const core::Json* rec = r.Value("recycle"); rec != nullptr) {
    core::JsonObjectReader rr(*rec, "recycle.");
    auto period = rr.RequiredEnum("period", {"none", "week", "month", "quarter", "year"});
    auto keep = rr.OptionalInt("keep_percent");
    CheckRange(rr, "keep_percent", keep, 0, 100);
    spec.recycle_period = period.value_or("none");
    spec.keep_percent = static_cast<int>(keep.value_or(0));
    Merge(rr.Finish(), errors);
  }
  Merge(r.Finish(), errors);
  if (!errors.empty()) return core::InvalidFields("invalid_fields", std::move(errors));
  return spec;
}

Levels::Levels(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
               const core::BusinessTimeZone& tz, const audit::AuditLog& audit)
    : db_(db), clock_(clock), ids_(ids), tz_(tz), audit_(audit) {}

core::Result<LevelScheme> Levels::Active() {
  std::optional<LevelScheme> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(out, LoadActive(s));
    return core::Status::Ok();
  }));
  return std::move(*out);
}

core::Result<LevelScheme> Levels::SetScheme(const LevelSchemeSpec& spec,
                                            const audit::Actor& actor) {
  // Validate by the same reader the stored form goes through.
  const core::Json json = LevelSchemeSpecJson(spec);
  SHOPCRM_ASSIGN_OR_RETURN(LevelSchemeSpec checked, ReadLevelSchemeSpec(json));
  return store::TransactFor<
      LevelScheme>(db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<LevelScheme> {
    SHOPCRM_ASSIGN_OR_RETURN(Row v,
                             s.QueryOne("SELECT COALESCE(MAX(version), 0) FROM level_schemes", {},
                                        "no_level_scheme", "versions"));
    LevelScheme out{ids_.Next(), static_cast<int>(v.Int(0)) + 1, checked, actor.name, clock_.Now()};
    const std::string text = core::DumpJson(json);
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("INSERT INTO level_schemes (id, version, spec, created_by, created_at) "
                  "VALUES (?, ?, ?, ?, ?)",
                  {out.id, int64_t{out.version}, text, out.created_by,
                   core::ToUnixMicros(out.created_at)})
            .status());
    SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "level_scheme.set", "level_scheme",
                                          std::to_string(out.version), std::nullopt, text));
    return out;
  });
}

std::optional<core::Instant> Levels::PeriodEnd(const LevelSchemeSpec& spec,
                                               core::Instant now) const {
  using namespace std::chrono;
  const year_month_day d = tz_.DateOf(now);
  year_month_day end;
  if (spec.recycle_period == "week") {
    const unsigned monday_based = (weekday(sys_days(d)).c_encoding() + 6) % 7;
    end = year_month_day(sys_days(d) + days(7 - monday_based));
  } else if (spec.recycle_period == "month") {
    end = (year_month(d.year(), d.month()) + months(1)) / 1;
  } else if (spec.recycle_period == "quarter") {
    const unsigned m = static_cast<unsigned>(d.month());
    end = (year_month(d.year(), month((m - 1) / 3 * 3 + 1)) + months(3)) / 1;
  } else if (spec.recycle_period == "year") {
    end = (d.year() + years(1)) / January / 1;
  } else {
    return std::nullopt;
  }
  return tz_.StartOfDay(end);
}

std::optional<core::Instant> Levels::LastPeriodEnd(const LevelSchemeSpec& spec,
                                                   core::Instant now) const {
  using namespace std::chrono;
  const year_month_day d = tz_.DateOf(now);
  year_month_day start;
  if (spec.recycle_period == "week") {
    const unsigned monday_based = (weekday(sys_days(d)).c_encoding() + 6) % 7;
    start = year_month_day(sys_days(d) - days(monday_based));
  } else if (spec.recycle_period == "month") {
    start = year_month(d.year(), d.month()) / 1;
  } else if (spec.recycle_period == "quarter") {
    const unsigned m = static_cast<unsigned>(d.month());
    start = year_month(d.year(), month((m - 1) / 3 * 3 + 1)) / 1;
  } else if (spec.recycle_period == "year") {
    start = d.year() / January / 1;
  } else {
    return std::nullopt;
  }
  return tz_.StartOfDay(start);
}

MemberLevel Levels::Describe(const LevelScheme& scheme, int64_t user_id, int level, int64_t growth,
                             core::Instant now) const {
  const auto& spec = scheme.spec;
  const LevelDef& def = Def(spec, level);
  MemberLevel m;
  m.user_id = user_id;
  m.level = def.level;
  m.level_name = def.name;
  m.growth = growth;
  m.benefits = def.benefits;
  if (static_cast<size_t>(def.level) < spec.levels.size()) {
    m.next = spec.levels[static_cast<size_t>(def.level)];
    m.to_next = std::max<int64_t>(0, m.next->threshold - growth);
  }
  m.recycle_at = PeriodEnd(spec, now);
  if (m.recycle_at) {
    if (def.threshold == 0) {
      m.to_keep = 0;
    } else if (spec.keep_percent > 0) {
      // kept = growth × keep / 100 ≥ threshold  ⇔  growth ≥ ⌈threshold × 100 / keep⌉
      const int64_t need = (def.threshold * 100 + spec.keep_percent - 1) / spec.keep_percent;
      m.to_keep = std::max<int64_t>(0, need - growth);
    }
  }
  return m;
}

core::Result<MemberLevel> Levels::MemberIn(Session& s, int64_t user_id, core::Instant now) {
  SHOPCRM_ASSIGN_OR_RETURN(LevelScheme scheme, LoadActive(s));
  SHOPCRM_ASSIGN_OR_RETURN(
      auto rows, s.Query("SELECT level, growth FROM member_levels WHERE user_id = ?", {user_id}));
  if (!rows.empty()) {
    return Describe(scheme, user_id, static_cast<int>(rows.rows[0].Int(0)), rows.rows[0].Int(1),
                    now);
  }
  SHOPCRM_ASSIGN_OR_RETURN(auto user, s.Query("SELECT 1 FROM users WHERE id = ?", {user_id}));
  if (user.empty()) {
    return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id));
  }
  return Describe(scheme, user_id, 1, 0, now);
}

core::Result<MemberLevel> Levels::Member(int64_t user_id) {
  std::optional<MemberLevel> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(out, MemberIn(s, user_id, clock_.Now()));
    return core::Status::Ok();
  }));
  return std::move(*out);
}

core::Result<GrowthChange> Levels::AddGrowthIn(Session& s, int64_t user_id, const std::string& task,
                                               int64_t paid_minor, const std::string& source_ref,
                                               core::Instant now_t) {
  SHOPCRM_ASSIGN_OR_RETURN(LevelScheme scheme, LoadActive(s));
  const auto& spec = scheme.spec;
  int64_t amount = 0, cap = 0;
  if (task == "order") {
    if (paid_minor <= 0) {
      return core::InvalidFields(
          "invalid_fields", {{"paid_amount", "required", "an order gives growth by its payment"}});
    }
    amount = paid_minor / 100 * spec.growth_per_yuan;
    cap = spec.order_daily_cap;
  } else {
    auto it = std::find_if(spec.tasks.begin(), spec.tasks.end(),
                           [&](const GrowthTask& t) { return t.task == task; });
    if (it == spec.tasks.end()) {
      return core::Error(core::ErrorCode::kInvalidArgument, "unknown_task",
                         "the level scheme gives no growth for '" + task + "'",
                         {{"task", "unknown", "not a task of the level scheme"}});
    }
    amount = it->amount;
    cap = it->daily_cap;
  }
  const int64_t now = core::ToUnixMicros(now_t);
  const std::string day = core::FormatDate(tz_.DateOf(now_t));
  SHOPCRM_RETURN_IF_ERROR(internal::EnsureMemberRow(
      s,
      "INSERT INTO member_levels (user_id, level, growth, level_since, updated_at) VALUES (?, 1, "
      "0, ?, ?) ON CONFLICT (user_id) DO NOTHING",
      user_id, {user_id, now, now}));
  if (cap > 0) {
    SHOPCRM_ASSIGN_OR_RETURN(Row given,
                             s.QueryOne("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM "
                                        "growth_entries WHERE user_id = ? AND day = ? AND task = ?",
                                        {user_id, day, task}, "no_level_scheme", "today's growth"));
    amount = std::min(amount, cap - given.Int(0));
  }
  GrowthChange out;
  SHOPCRM_ASSIGN_OR_RETURN(
      Row before, s.QueryOne("SELECT level, growth FROM member_levels WHERE user_id = ?", {user_id},
                             "user_not_found", "no member level"));
  const int level_before = static_cast<int>(before.Int(0));
  if (amount <= 0) {
    out.member = Describe(scheme, user_id, level_before, before.Int(1), now_t);
    return out;
  }
  const int64_t growth = before.Int(1) + amount;
  const int level = std::max(level_before, LevelOf(spec, growth).level);
  SHOPCRM_RETURN_IF_ERROR(
      s.Execute("UPDATE member_levels SET growth = ?, level = ?, level_since = CASE WHEN level = ? "
                "THEN level_since ELSE ? END, updated_at = ? WHERE user_id = ?",
                {growth, int64_t{level}, int64_t{level}, now, now, user_id})
          .status());
  if (level != level_before) {
    SHOPCRM_RETURN_IF_ERROR(
        RecordLevelChange(s, ids_, user_id, level_before, level, "upgrade", now));
    out.upgraded = true;
  }
  GrowthEntry e{ids_.Next(), user_id, task, amount, growth, level, source_ref, now_t};
  SHOPCRM_RETURN_IF_ERROR(AppendEntry(s, e, day));
  out.entry = std::move(e);
  out.member = Describe(scheme, user_id, level, growth, now_t);
  return out;
}

core::Result<GrowthChange> Levels::TakeBackIn(Session& s, int64_t user_id,
                                              const std::string& source_ref, core::Instant now_t) {
  if (source_ref.empty()) {
    return core::InvalidFields("invalid_fields",
                               {{"source_ref", "required", "names what gave the growth"}});
  }
  SHOPCRM_ASSIGN_OR_RETURN(LevelScheme scheme, LoadActive(s));
  SHOPCRM_ASSIGN_OR_RETURN(
      Row given, s.QueryOne("SELECT CAST(COALESCE(SUM(CASE WHEN task = 'take_back' THEN 0 ELSE "
                            "amount END), 0) AS BIGINT), COUNT(CASE WHEN task = 'take_back' THEN "
                            "1 END) FROM growth_entries WHERE user_id = ? AND source_ref = ?",
                            {user_id, source_ref}, "nothing_to_take_back", "growth given"));
  if (given.Int(0) <= 0 || given.Int(1) > 0) {
    return core::NotFound("nothing_to_take_back",
                          "'" + source_ref + "' gave this member no growth still standing");
  }
  SHOPCRM_ASSIGN_OR_RETURN(
      Row m, s.QueryOne("SELECT level, growth FROM member_levels WHERE user_id = ?", {user_id},
                        "user_not_found", "no member level"));
  const int level = static_cast<int>(m.Int(0));
  const int64_t take = std::min(given.Int(0), m.Int(1));
  const int64_t growth = m.Int(1) - take;
  const int64_t now = core::ToUnixMicros(now_t);
  SHOPCRM_RETURN_IF_ERROR(
      s.Execute("UPDATE member_levels SET growth = ?, updated_at = ? WHERE user_id = ?",
                {growth, now, user_id})
          .status());
  GrowthEntry e{ids_.Next(), user_id, "take_back", -take, growth, level, source_ref, now_t};
  SHOPCRM_RETURN_IF_ERROR(AppendEntry(s, e, core::FormatDate(tz_.DateOf(now_t))));
  GrowthChange out;
  out.entry = std::move(e);
  out.member = Describe(scheme, user_id, level, growth, now_t);
  return out;
}

core::Result<std::vector<GrowthEntry>> Levels::Entries(int64_t user_id,
                                                       std::optional<int64_t> before, int limit) {
  std::vector<GrowthEntry> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query("SELECT id, user_id, task, amount, growth_after, level_after, "
                           "source_ref, at FROM growth_entries WHERE user_id = ? AND id < ? "
                           "ORDER BY id DESC LIMIT ?",
                           {user_id, before.value_or(INT64_MAX), int64_t{limit}}));
    for (const auto& r : rows.rows) out.push_back(EntryOf(r));
    return core::Status::Ok();
  }));
  return out;
}

core::Result<RecycleReport> Levels::Recycle(core::Instant period_end) {
  SHOPCRM_ASSIGN_OR_RETURN(LevelScheme scheme, Active());
  const auto& spec = scheme.spec;
  if (spec.recycle_period == "none") {
    return core::Error(core::ErrorCode::kFailedPrecondition, "recycling_off",
                       "the level scheme does not recycle growth");
  }
  const int64_t end = core::ToUnixMicros(period_end);
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kWrite, [&](Session& s) {
    return s
        .Execute(
            "INSERT INTO level_recycles (period_end, version, members, changed, position, "
            "status, started_at, finished_at) VALUES (?, ?, 0, 0, 0, 'running', ?, NULL) ON "
            "CONFLICT (period_end) DO NOTHING",
            {end, int64_t{scheme.version}, core::ToUnixMicros(clock_.Now())})
        .status();
  }));
  const std::string day = core::FormatDate(tz_.DateOf(period_end));
  for (;;) {
    bool done = false;
    RecycleReport report;
    SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
      SHOPCRM_ASSIGN_OR_RETURN(Row run,
                               s.QueryOne("SELECT version, members, changed, position, status FROM "
                                          "level_recycles WHERE period_end = ?",
                                          {end}, "no_level_scheme", "recycle run"));
      report = {period_end, static_cast<int>(run.Int(0)), run.Int(1), run.Int(2), run.Text(4)};
      if (report.status == "finished") {
        done = true;
        return core::Status::Ok();
      }
      const int64_t position = run.Int(3);
      SHOPCRM_ASSIGN_OR_RETURN(
          auto members, s.Query("SELECT user_id, level, growth FROM member_levels WHERE user_id "
                                "> ? ORDER BY user_id LIMIT ?",
                                {position, int64_t{kRecycleChunk}}));
      int64_t changed = 0, above_first = 0, kept_level = 0;
      for (const auto& m : members.rows) {
        const int64_t user = m.Int(0);
        const int level_before = static_cast<int>(m.Int(1));
        const int64_t growth_before = m.Int(2);
        const int64_t kept = growth_before * spec.keep_percent / 100;
        const int level = LevelOf(spec, kept).level;
        if (level_before > 1) {
          ++above_first;
          if (level >= level_before) ++kept_level;
        }
        if (kept == growth_before && level == level_before) continue;
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE member_levels SET growth = ?, level = ?, level_since = CASE WHEN "
                      "level = ? THEN level_since ELSE ? END, updated_at = ? WHERE user_id = ?",
                      {kept, int64_t{level}, int64_t{level}, end, end, user})
                .status());
        if (kept != growth_before) {
          SHOPCRM_RETURN_IF_ERROR(AppendEntry(
              s, {ids_.Next(), user, "recycle", kept - growth_before, kept, level, day, period_end},
              day));
        }
        if (level != level_before) {
          ++changed;
          SHOPCRM_RETURN_IF_ERROR(
              RecordLevelChange(s, ids_, user, level_before, level, "recycle", end));
        }
      }
      const bool last = static_cast<int>(members.size()) < kRecycleChunk;
      SHOPCRM_ASSIGN_OR_RETURN(
          int64_t advanced,
          s.Execute("UPDATE level_recycles SET members = members + ?, changed = changed + ?, "
                    "above_first = above_first + ?, kept = kept + ?, position = ?, status = ?, "
                    "finished_at = ? WHERE period_end = ? AND position = ?",
                    {static_cast<int64_t>(members.size()), changed, above_first, kept_level,
                     members.empty() ? position : members.rows.back().Int(0),
                     last ? "finished" : "running",
                     last ? store::Value(core::ToUnixMicros(clock_.Now())) : store::Null(), end,
                     position}));
      if (advanced != 1) {
        // Another run moved on first: undo this chunk and read again.
        return core::Unavailable("database_busy", "a concurrent recycle run advanced");
      }
      report.members += static_cast<int64_t>(members.size());
      report.changed += changed;
      report.status = last ? "finished" : "running";
      done = last;
      return core::Status::Ok();
    }));
    if (done) return report;
  }
}

}  // namespace shopcrm::membership
