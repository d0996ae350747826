#include "membership/rules.h"

#include "membership/internal/accounts.h"

namespace shopcrm::membership {
namespace {

using store::Session;

const char* ExpiryName(PointsExpiry e) {
  switch (e) {
    case PointsExpiry::kNever:
      return "never";
    case PointsExpiry::kDays:
      return "days";
    case PointsExpiry::kYearEnd:
      return "year_end";
  }
  return "days";
}

// An optional whole number in [lo, hi] over `current`.
int64_t ReadIn(core::JsonObjectReader& r, std::string_view name, int64_t lo, int64_t hi,
               int64_t current) {
  auto n = r.OptionalInt(name);
  if (!n) return current;
  if (*n < lo || *n > hi) {
    r.AddError(r.Path(name), "out_of_range",
               "must be " + std::to_string(lo) + " to " + std::to_string(hi));
    return current;
  }
  return *n;
}

// Reads the object `name` of `body` with `read`, adding its errors to `errors`.
template <typename Read>
void Section(const core::Json& body, const std::string& name, std::vector<core::FieldError>& errors,
             Read read) {
  if (!body.contains(name)) return;
  const core::Json& part = body.at(name);
  if (!part.is_object()) {
    errors.push_back({name, "must_be_object", "expected an object"});
    return;
  }
  core::JsonObjectReader r(part, name + ".");
  read(r, part);
  if (auto st = r.Finish(); !st.ok()) {
    for (const auto& f : st.error().fields()) errors.push_back(f);
  }
}

}  // namespace

core::Json RuleSetJson(const RuleSet& r) {
  const auto& c = r.check_in;
  return {
      {"points", {{"expiry", ExpiryName(r.points.expiry)}, {"expiry_days", r.points.expiry_days}}},
      {"check_in",
       {{"points", c.points},
        {"streak_days", c.streak_days},
        {"streak_points", c.streak_points},
        {"streak_coupon_template_id", c.streak_coupon_template_id
                                          ? core::Json(std::to_string(*c.streak_coupon_template_id))
                                          : core::Json(nullptr)},
        {"make_ups_per_month", c.make_ups_per_month},
        {"make_up_cost", c.make_up_cost}}},
      {"orders",
       {{"points_per_yuan", r.orders.points_per_yuan}, {"hold_days", r.orders.hold_days}}}};
}

core::Result<RuleSet> ReadRuleSet(const core::Json& body, const RuleSet& base) {
  if (!body.is_object()) {
    return core::InvalidFields("invalid_fields", {{"", "must_be_object", "expected an object"}});
  }
  RuleSet out = base;
  std::vector<core::FieldError> errors;
  for (const auto& [key, value] : body.items()) {
    (void)value;
    if (key != "points" && key != "check_in" && key != "orders") {
      errors.push_back({key, "unknown_field", "not a rules section"});
    }
  }
  Section(body, "points", errors, [&](core::JsonObjectReader& r, const core::Json&) {
    if (auto e = r.OptionalString("expiry", 16)) {
      if (*e == "never") {
        out.points.expiry = PointsExpiry::kNever;
      } else if (*e == "days") {
        out.points.expiry = PointsExpiry::kDays;
      } else if (*e == "year_end") {
        out.points.expiry = PointsExpiry::kYearEnd;
      } else {
        r.AddError(r.Path("expiry"), "not_allowed", "one of never, days, year_end");
      }
    }
    out.points.expiry_days =
        static_cast<int>(ReadIn(r, "expiry_days", 1, 3650, out.points.expiry_days));
  });
  Section(body, "check_in", errors, [&](core::JsonObjectReader& r, const core::Json& part) {
    auto& c = out.check_in;
    c.points = ReadIn(r, "points", 0, 1'000'000, c.points);
    c.streak_days = static_cast<int>(ReadIn(r, "streak_days", 0, 366, c.streak_days));
    c.streak_points = ReadIn(r, "streak_points", 0, 1'000'000, c.streak_points);
    c.make_ups_per_month =
        static_cast<int>(ReadIn(r, "make_ups_per_month", 0, 31, c.make_ups_per_month));
    c.make_up_cost = ReadIn(r, "make_up_cost", 0, 1'000'000, c.make_up_cost);
    // null takes the coupon away; left out keeps it.
    if (auto id = ReadTemplateId(r, "streak_coupon_template_id")) {
      c.streak_coupon_template_id = id;
    } else if (part.contains("streak_coupon_template_id") &&
               part.at("streak_coupon_template_id").is_null()) {
      c.streak_coupon_template_id.reset();
    }
  });
  Section(body, "orders", errors, [&](core::JsonObjectReader& r, const core::Json&) {
    out.orders.points_per_yuan = ReadIn(r, "points_per_yuan", 0, 1000, out.orders.points_per_yuan);
    out.orders.hold_days = static_cast<int>(ReadIn(r, "hold_days", 0, 365, out.orders.hold_days));
  });
  if (!errors.empty()) return core::InvalidFields("invalid_fields", std::move(errors));
  return out;
}

void Rules::Apply(const RuleSet& r) {
  points_.SetOptions(r.points);
  check_ins_.SetOptions(r.check_in);
  OrderRewardOptions orders = r.orders;
  orders.minor_per_major = orders_.options().minor_per_major;  // the currency's, not a rule
  orders_.SetOptions(orders);
}

core::Result<SavedRules> Rules::Current() {
  SavedRules out;
  out.rules = {points_.options(), check_ins_.options(), orders_.options()};
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query("SELECT version, updated_by, updated_at FROM membership_rules WHERE "
                           "id = 1"));
    if (!rows.empty()) {
      out.version = static_cast<int>(rows.rows[0].Int(0));
      out.updated_by = rows.rows[0].Text(1);
      out.updated_at = core::FromUnixMicros(rows.rows[0].Int(2));
    }
    return core::Status::Ok();
  }));
  return out;
}

core::Result<SavedRules> Rules::Set(const RuleSet& rules, const audit::Actor& actor) {
  SHOPCRM_ASSIGN_OR_RETURN(SavedRules before, Current());
  const core::Instant now = clock_.Now();
  const std::string text = core::DumpJson(RuleSetJson(rules));
  SavedRules out{rules, 0, actor.name, now};
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
    SHOPCRM_RETURN_IF_ERROR(internal::CheckTemplate(s, rules.check_in.streak_coupon_template_id));
    SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                             s.Query("SELECT version FROM membership_rules WHERE id = 1", {}));
    out.version = rows.empty() ? 1 : static_cast<int>(rows.rows[0].Int(0)) + 1;
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("INSERT INTO membership_rules (id, rules, version, updated_by, updated_at) "
                  "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, "
                  "version = excluded.version, updated_by = excluded.updated_by, updated_at = "
                  "excluded.updated_at",
                  {text, int64_t{out.version}, actor.name, core::ToUnixMicros(now)})
            .status());
    return audit_.Record(s, actor, "membership_rules.update", "membership_rules", "1",
                         core::DumpJson(RuleSetJson(before.rules)), text);
  }));
  Apply(rules);
  return out;
}

core::Status Rules::Load() {
  std::optional<std::string> text;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT rules FROM membership_rules WHERE id = 1"));
    if (!rows.empty()) text = rows.rows[0].Text(0);
    return core::Status::Ok();
  }));
  if (!text) return core::Status::Ok();
  SHOPCRM_ASSIGN_OR_RETURN(core::Json json, core::ParseJson(*text));
  const RuleSet current{points_.options(), check_ins_.options(), orders_.options()};
  SHOPCRM_ASSIGN_OR_RETURN(RuleSet saved, ReadRuleSet(json, current));
  Apply(saved);
  return core::Status::Ok();
}

}  // namespace shopcrm::membership
