#include "marketing/templates.h"

#include <unordered_map>

#include "core/json.h"
#include "marketing/internal/terms_codec.h"

namespace shopcrm::marketing {
namespace {

using store::Row;
using store::Session;
using store::Value;

constexpr int64_t kMaxAmount = 100'000'000'000;  // 1e9 major units of a two-digit currency
constexpr size_t kMaxFilterIds = 1000;

struct Checker {
  std::vector<core::FieldError> errors;
  void Add(std::string field, std::string reason, std::string detail) {
    errors.push_back({std::move(field), std::move(reason), std::move(detail)});
  }
  void Amount(std::string field, int64_t v, bool positive) {
    if (v < 0 || (positive && v == 0)) {
      Add(std::move(field), positive ? "must_be_positive" : "must_not_be_negative",
          positive ? "must be greater than zero" : "must not be negative");
    } else if (v > kMaxAmount) {
      Add(std::move(field), "too_large", "at most 1,000,000,000.00");
    }
  }
  void Filter(const std::string& name, const IdFilter& f) {
    for (const auto* list : {&f.include, &f.exclude}) {
      const std::string field = "terms." + name + (list == &f.include ? ".include" : ".exclude");
      if (list->size() > kMaxFilterIds) Add(field, "too_many_values", "at most 1000 entries");
      for (size_t i = 0; i < list->size(); ++i) {
        if ((*list)[i].empty() || (*list)[i].size() > 64) {
          Add(field + "[" + std::to_string(i) + "]", "invalid_length", "must be 1 to 64 bytes");
        }
      }
    }
  }
  void Count(std::string field, const std::optional<int64_t>& v) {
    if (v && (*v < 1 || *v > 1'000'000'000'000)) {
      Add(std::move(field), "out_of_range", "must be at least 1");
    }
  }
};

CouponTemplate TemplateFromRow(const Row& r) {
  // Columns: see kSelect.
  CouponTemplate t;
  t.id = r.Int(0);
  t.name = r.Text(1);
  t.description = r.Text(2);
  t.status = r.Text(3);
  t.version = r.Int(4);
  t.limits = {r.OptionalInt(6), r.OptionalInt(7), r.OptionalInt(8), r.OptionalInt(9)};
  auto instant = [&](size_t i) -> std::optional<core::Instant> {
    if (r.IsNull(i)) return std::nullopt;
    return core::FromUnixMicros(r.Int(i));
  };
  t.validity = {instant(10), instant(11), instant(12), instant(13), r.OptionalInt(14)};
  t.stats.issued = r.Int(15);
  t.stats.budget_used = r.Int(16);
  t.created_by = r.Text(17);
  t.created_at = core::FromUnixMicros(r.Int(18));
  t.updated_at = core::FromUnixMicros(r.Int(19));
  return t;
}

constexpr std::string_view kSelect =
    "SELECT id, name, description, status, version, terms, stock, budget, per_user_daily, "
    "per_user_total, claim_start, claim_end, use_start, use_end, use_days, issued, budget_used, "
    "created_by, created_at, updated_at FROM coupon_templates";

Value OptInstant(const std::optional<core::Instant>& t) {
  return t ? Value(core::ToUnixMicros(*t)) : store::Null();
}

std::string AuditJson(const CouponTemplate& t) {
  return core::DumpJson({{"name", t.name},
                         {"status", t.status},
                         {"version", t.version},
                         {"terms", core::ParseJson(internal::EncodeTerms(t.terms)).value()}});
}

core::Status LoadStats(Session& s, std::vector<CouponTemplate>& templates, bool all) {
  if (templates.empty()) return core::Status::Ok();
  std::string sql = "SELECT template_id, status, COUNT(*) FROM coupons";
  std::vector<Value> params;
  if (!all) {
    sql += " WHERE template_id = ?";
    params.emplace_back(templates[0].id);
  }
  sql += " GROUP BY template_id, status";
  SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
  std::unordered_map<int64_t, TemplateStats*> by_id;
  for (auto& t : templates) by_id[t.id] = &t.stats;
  for (const auto& r : rows.rows) {
    auto it = by_id.find(r.Int(0));
    if (it == by_id.end()) continue;
    const std::string& st = r.Text(1);
    TemplateStats& stats = *it->second;
    int64_t* slot = st == "unused"     ? &stats.unused
                    : st == "locked"   ? &stats.locked
                    : st == "used"     ? &stats.used
                    : st == "refunded" ? &stats.refunded
                                       : &stats.expired;
    *slot += r.Int(2);
  }
  return core::Status::Ok();
}

// One template with its figures.
core::Result<CouponTemplate> WithStats(Session& s, CouponTemplate t) {
  std::vector<CouponTemplate> one{std::move(t)};
  SHOPCRM_RETURN_IF_ERROR(LoadStats(s, one, false));
  return std::move(one[0]);
}

}  // namespace

core::Status ValidateSpec(const TemplateSpec& spec) {
  Checker c;
  if (spec.name.empty() || spec.name.size() > 100) {
    c.Add("name", "invalid_length", "must be 1 to 100 bytes");
  }
  if (spec.description.size() > 500) c.Add("description", "too_long", "at most 500 bytes");
  const Terms& t = spec.terms;
  c.Amount("terms.min_amount", t.min_amount, false);
  switch (t.kind) {
    case CouponKind::kThreshold:
      c.Amount("terms.discount", t.discount, true);
      if (t.min_amount < t.discount) {
        c.Add("terms.min_amount", "below_discount",
              "a threshold discount needs min_amount of at least the discount (满X减Y: X ≥ Y)");
      }
      break;
    case CouponKind::kRedPacket:
      c.Amount("terms.discount", t.discount, true);
      break;
    case CouponKind::kPercent:
      c.Amount("terms.discount", t.discount, false);
      if (t.percent_off < 1 || t.percent_off > 99) {
        c.Add("terms.percent_off", "out_of_range", "must be 1 to 99");
      }
      break;
    case CouponKind::kRandomPacket:
      c.Amount("terms.random_min", t.random_min, true);
      c.Amount("terms.random_max", t.random_max, true);
      if (t.random_max < t.random_min) {
        c.Add("terms.random_max", "below_random_min", "must be at least random_min");
      }
      if (!spec.limits.budget) {
        c.Add("limits.budget", "required", "a random red packet needs a budget");
      }
      break;
    case CouponKind::kFreeShipping:
      c.Amount("terms.discount", t.discount, false);
      break;
  }
  if (t.kind != CouponKind::kPercent && t.percent_off != 0) {
    c.Add("terms.percent_off", "not_allowed", "only for percent coupons");
  }
  if (t.kind != CouponKind::kRandomPacket && (t.random_min != 0 || t.random_max != 0)) {
    c.Add("terms.random_min", "not_allowed", "only for random red packets");
  }
  if (t.funding == Funding::kStore && (t.store_id.empty() || t.store_id.size() > 64)) {
    c.Add("terms.store_id", "required", "a store-funded coupon names its store (1 to 64 bytes)");
  }
  if (t.funding == Funding::kPlatform && !t.store_id.empty()) {
    c.Add("terms.store_id", "not_allowed", "only for store-funded coupons");
  }
  if (t.platform_share_percent < 0 || t.platform_share_percent > 100) {
    c.Add("terms.platform_share_percent", "out_of_range", "must be 0 to 100");
  }
  c.Filter("skus", t.skus);
  c.Filter("categories", t.categories);
  c.Filter("stores", t.stores);
  c.Filter("cities", t.cities);

  const Limits& l = spec.limits;
  c.Count("limits.stock", l.stock);
  c.Count("limits.per_user_daily", l.per_user_daily);
  c.Count("limits.per_user_total", l.per_user_total);
  if (l.budget) c.Amount("limits.budget", *l.budget, true);

  const Validity& v = spec.validity;
  if (v.claim_start && v.claim_end && *v.claim_end <= *v.claim_start) {
    c.Add("validity.claim_end", "not_after_start", "must be after claim_start");
  }
  const bool fixed = v.use_start || v.use_end;
  if (fixed == v.use_days.has_value()) {
    c.Add("validity.use_days", "one_of_required", "give either use_start and use_end, or use_days");
  } else if (fixed) {
    if (!v.use_start) c.Add("validity.use_start", "required", "a fixed use window needs both ends");
    if (!v.use_end) c.Add("validity.use_end", "required", "a fixed use window needs both ends");
    if (v.use_start && v.use_end && *v.use_end <= *v.use_start) {
      c.Add("validity.use_end", "not_after_start", "must be after use_start");
    }
  } else if (*v.use_days < 1 || *v.use_days > 3650) {
    c.Add("validity.use_days", "out_of_range", "must be 1 to 3650");
  }
  if (!c.errors.empty()) return core::InvalidFields("invalid_fields", std::move(c.errors));
  return core::Status::Ok();
}

core::Result<CouponTemplate> Templates::Load(Session& s, int64_t id, internal::TermsCache* cache) {
  SHOPCRM_ASSIGN_OR_RETURN(
      Row r, s.QueryOne(std::string(kSelect) + " WHERE id = ?", {id}, "template_not_found",
                        "no coupon template with id " + std::to_string(id)));
  CouponTemplate t = TemplateFromRow(r);
  SHOPCRM_ASSIGN_OR_RETURN(
      t.terms, cache != nullptr ? cache->Decode(r.Text(5)) : internal::DecodeTerms(r.Text(5)));
  return t;
}

core::Result<CouponTemplate> Templates::Create(const TemplateSpec& spec,
                                               const audit::Actor& actor) {
  SHOPCRM_RETURN_IF_ERROR(ValidateSpec(spec));
  const int64_t now = core::ToUnixMicros(clock_.Now());
  const int64_t id = ids_.Next();
  const std::string terms = internal::EncodeTerms(spec.terms);
  return store::TransactFor<CouponTemplate>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<CouponTemplate> {
        const auto& l = spec.limits;
        const auto& v = spec.validity;
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute(
                 "INSERT INTO coupon_templates (id, name, description, status, version, "
                 "terms, kind, funding, store_id, stock, budget, per_user_daily, "
                 "per_user_total, claim_start, claim_end, use_start, use_end, use_days, "
                 "created_by, created_at, updated_at) VALUES (?, ?, ?, 'active', 1, ?, ?, ?, "
                 "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 {id, spec.name, spec.description, terms, std::string(KindName(spec.terms.kind)),
                  std::string(FundingName(spec.terms.funding)), spec.terms.store_id,
                  store::OrNull(l.stock), store::OrNull(l.budget), store::OrNull(l.per_user_daily),
                  store::OrNull(l.per_user_total), OptInstant(v.claim_start),
                  OptInstant(v.claim_end), OptInstant(v.use_start), OptInstant(v.use_end),
                  store::OrNull(v.use_days), actor.name, now, now})
                .status());
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("INSERT INTO coupon_template_versions (template_id, version, terms, "
                      "created_at) VALUES (?, 1, ?, ?)",
                      {id, terms, now})
                .status());
        SHOPCRM_ASSIGN_OR_RETURN(CouponTemplate t, Load(s, id));
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "coupon_template.create", "coupon_template",
                                              std::to_string(id), std::nullopt, AuditJson(t)));
        return t;
      });
}

core::Result<CouponTemplate> Templates::Update(int64_t id, const TemplateSpec& spec,
                                               const audit::Actor& actor) {
  SHOPCRM_RETURN_IF_ERROR(ValidateSpec(spec));
  const int64_t now = core::ToUnixMicros(clock_.Now());
  const std::string terms = internal::EncodeTerms(spec.terms);
  return store::TransactFor<CouponTemplate>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<CouponTemplate> {
        SHOPCRM_ASSIGN_OR_RETURN(CouponTemplate before, Load(s, id));
        if (before.status == "ended") {
          return core::Error(core::ErrorCode::kFailedPrecondition, "template_ended",
                             "an ended template cannot be changed");
        }
        int64_t version = before.version;
        if (!(before.terms == spec.terms)) {
          ++version;
          SHOPCRM_RETURN_IF_ERROR(
              s.Execute("INSERT INTO coupon_template_versions (template_id, version, terms, "
                        "created_at) VALUES (?, ?, ?, ?)",
                        {id, version, terms, now})
                  .status());
        }
        const auto& l = spec.limits;
        const auto& v = spec.validity;
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE coupon_templates SET name = ?, description = ?, version = ?, "
                      "terms = ?, kind = ?, funding = ?, store_id = ?, stock = ?, budget = ?, "
                      "per_user_daily = ?, per_user_total = ?, claim_start = ?, claim_end = ?, "
                      "use_start = ?, use_end = ?, use_days = ?, updated_at = ? WHERE id = ?",
                      {spec.name, spec.description, version, terms,
                       std::string(KindName(spec.terms.kind)),
                       std::string(FundingName(spec.terms.funding)), spec.terms.store_id,
                       store::OrNull(l.stock), store::OrNull(l.budget),
                       store::OrNull(l.per_user_daily), store::OrNull(l.per_user_total),
                       OptInstant(v.claim_start), OptInstant(v.claim_end), OptInstant(v.use_start),
                       OptInstant(v.use_end), store::OrNull(v.use_days), now, id})
                .status());
        SHOPCRM_ASSIGN_OR_RETURN(CouponTemplate after, Load(s, id));
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "coupon_template.update", "coupon_template",
                                              std::to_string(id), AuditJson(before),
                                              AuditJson(after)));
        return WithStats(s, std::move(after));
      });
}

core::Result<CouponTemplate> Templates::SetStatus(int64_t id, std::string_view status,
                                                  const audit::Actor& actor) {
  if (status != "active" && status != "paused" && status != "ended") {
    return core::InvalidFields("invalid_fields",
                               {{"status", "invalid_value", "one of active, paused, ended"}});
  }
  const int64_t now = core::ToUnixMicros(clock_.Now());
  return store::TransactFor<CouponTemplate>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<CouponTemplate> {
        SHOPCRM_ASSIGN_OR_RETURN(CouponTemplate before, Load(s, id));
        if (before.status == "ended" && status != "ended") {
          return core::Error(core::ErrorCode::kFailedPrecondition, "template_ended",
                             "an ended template cannot be reopened");
        }
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE coupon_templates SET status = ?, updated_at = ? WHERE id = ?",
                      {std::string(status), now, id})
                .status());
        SHOPCRM_ASSIGN_OR_RETURN(CouponTemplate after, Load(s, id));
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "coupon_template.status", "coupon_template",
                                              std::to_string(id), AuditJson(before),
                                              AuditJson(after)));
        return WithStats(s, std::move(after));
      });
}

core::Result<CouponTemplate> Templates::Get(int64_t id) {
  return store::TransactFor<CouponTemplate>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<CouponTemplate> {
        SHOPCRM_ASSIGN_OR_RETURN(CouponTemplate t, Load(s, id));
        return WithStats(s, std::move(t));
      });
}

core::Result<std::vector<CouponTemplate>> Templates::List() {
  return store::TransactFor<std::vector<CouponTemplate>>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<std::vector<CouponTemplate>> {
        SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(std::string(kSelect) + " ORDER BY id DESC"));
        std::vector<CouponTemplate> out;
        out.reserve(rows.size());
        for (const auto& r : rows.rows) {
          out.push_back(TemplateFromRow(r));
          SHOPCRM_ASSIGN_OR_RETURN(out.back().terms, internal::DecodeTerms(r.Text(5)));
        }
        SHOPCRM_RETURN_IF_ERROR(LoadStats(s, out, true));
        return out;
      });
}

}  // namespace shopcrm::marketing
