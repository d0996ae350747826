#include "membership/medals.h"

#include <algorithm>
#include <map>

#include "core/json.h"
#include "membership/internal/codes.h"

namespace shopcrm::membership {
namespace {

using store::Row;
using store::Session;

constexpr const char* kMedalColumns =
    "id, code, name, description, metric, threshold, status, created_at, updated_at";

// The active medals a member (the one parameter) does not hold yet.
constexpr const char* kOpenMedals =
    " FROM medals WHERE status = 'active' AND NOT EXISTS (SELECT 1 FROM member_medals mm WHERE "
    "mm.user_id = ? AND mm.medal_id = medals.id) ORDER BY id";

// Each metric as one query of the member's rows (the user id is its one parameter).
const std::map<std::string, std::string>& MetricQueries() {
  static const std::map<std::string, std::string> kQueries{
      {"check_ins", "SELECT COUNT(*) FROM check_ins WHERE user_id = ?"},
      {"check_in_streak", "SELECT COALESCE(MAX(streak), 0) FROM check_ins WHERE user_id = ?"},
      {"redemptions", "SELECT COUNT(*) FROM points_mall_redemptions WHERE user_id = ?"},
      {"tasks", "SELECT COUNT(*) FROM member_task_completions WHERE user_id = ?"},
      {"level", "SELECT COALESCE(MAX(level), 1) FROM member_levels WHERE user_id = ?"},
      {"paid_terms", "SELECT COALESCE(MAX(terms), 0) FROM paid_memberships WHERE user_id = ?"},
  };
  return kQueries;
}

Medal MedalOf(const Row& r) {
  Medal m;
  m.id = r.Int(0);
  m.spec = {r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5)};
  m.status = r.Text(6);
  m.created_at = core::FromUnixMicros(r.Int(7));
  m.updated_at = core::FromUnixMicros(r.Int(8));
  return m;
}

std::string MedalText(const Medal& m) {
  return core::DumpJson({{"code", m.spec.code},
                         {"name", m.spec.name},
                         {"metric", m.spec.metric},
                         {"threshold", m.spec.threshold},
                         {"status", m.status}});
}

core::Status Validate(const MedalSpec& s) {
  std::vector<core::FieldError> errors;
  internal::CheckCode(s.code, errors);
  if (s.name.empty() || s.name.size() > 100) {
    errors.push_back({"name", "required", "must be 1 to 100 characters"});
  }
  if (s.description.size() > 500) {
    errors.push_back({"description", "too_long", "at most 500 characters"});
  }
  if (!MetricQueries().contains(s.metric)) {
    errors.push_back({"metric", "not_allowed",
                      "one of check_ins, check_in_streak, redemptions, tasks, level, paid_terms"});
  }
  if (s.threshold < 1 || s.threshold > int64_t{1'000'000}) {
    errors.push_back({"threshold", "out_of_range", "must be 1 to 1,000,000"});
  }
  if (errors.empty()) return core::Status::Ok();
  return core::InvalidFields("invalid_fields", std::move(errors));
}

// The member's value of each metric the medals name, one query each.
core::Result<std::map<std::string, int64_t>> Metrics(Session& s, int64_t user_id,
                                                     const std::vector<Medal>& medals) {
  std::map<std::string, int64_t> out;
  for (const auto& m : medals) {
    if (out.contains(m.spec.metric)) continue;
    SHOPCRM_ASSIGN_OR_RETURN(Row r, s.QueryOne(MetricQueries().at(m.spec.metric), {user_id},
                                               "metric_failed", m.spec.metric));
    out[m.spec.metric] = r.Int(0);
  }
  return out;
}

}  // namespace

Medals::Medals(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
               const audit::AuditLog& audit)
    : db_(db), clock_(clock), ids_(ids), audit_(audit) {}

core::Result<std::vector<Medal>> Medals::List() {
  std::vector<Medal> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query(std::string("SELECT ") + kMedalColumns + " FROM medals ORDER BY id"));
    for (const auto& r : rows.rows) out.push_back(MedalOf(r));
    return core::Status::Ok();
  }));
  return out;
}

core::Result<Medal> Medals::Create(const MedalSpec& spec, const audit::Actor& actor) {
  SHOPCRM_RETURN_IF_ERROR(Validate(spec));
  return store::TransactFor<Medal>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<Medal> {
        Medal m{ids_.Next(), spec, "active", clock_.Now(), {}};
        m.updated_at = m.created_at;
        const int64_t now = core::ToUnixMicros(m.created_at);
        auto inserted = s.Execute(
            "INSERT INTO medals (id, code, name, description, metric, threshold, status, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)",
            {m.id, spec.code, spec.name, spec.description, spec.metric, spec.threshold, now, now});
        if (!inserted.ok() && inserted.error().reason() == "unique_violation") {
          return core::InvalidFields("invalid_fields",
                                     {{"code", "taken", "a medal with this code exists"}});
        }
        SHOPCRM_RETURN_IF_ERROR(inserted.status());
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "medal.create", "medal",
                                              std::to_string(m.id), std::nullopt, MedalText(m)));
        return m;
      });
}

core::Result<Medal> Medals::SetStatus(int64_t id, const std::string& status,
                                      const audit::Actor& actor) {
  if (status != "active" && status != "archived") {
    return core::InvalidFields("invalid_fields",
                               {{"status", "not_allowed", "must be active or archived"}});
  }
  return store::TransactFor<Medal>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<Medal> {
        SHOPCRM_ASSIGN_OR_RETURN(
            Row r, s.QueryOne(std::string("SELECT ") + kMedalColumns + " FROM medals WHERE id = ?",
                              {id}, "medal_not_found", "no medal " + std::to_string(id)));
        const Medal before = MedalOf(r);
        Medal after = before;
        after.status = status;
        after.updated_at = clock_.Now();
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE medals SET status = ?, updated_at = ? WHERE id = ?",
                      {status, core::ToUnixMicros(after.updated_at), id})
                .status());
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "medal.status", "medal", std::to_string(id),
                                              MedalText(before), MedalText(after)));
        return after;
      });
}

core::Result<std::vector<Medal>> Medals::AwardIn(Session& s, int64_t user_id, core::Instant now) {
  SHOPCRM_ASSIGN_OR_RETURN(
      auto rows, s.Query(std::string("SELECT ") + kMedalColumns + kOpenMedals, {user_id}));
  std::vector<Medal> open;
  for (const auto& r : rows.rows) open.push_back(MedalOf(r));
  std::vector<Medal> awarded;
  if (open.empty()) return awarded;
  SHOPCRM_ASSIGN_OR_RETURN(auto metrics, Metrics(s, user_id, open));
  for (auto& m : open) {
    if (metrics[m.spec.metric] < m.spec.threshold) continue;
    SHOPCRM_ASSIGN_OR_RETURN(
        int64_t inserted,
        s.Execute("INSERT INTO member_medals (user_id, medal_id, awarded_at) VALUES (?, ?, ?) ON "
                  "CONFLICT (user_id, medal_id) DO NOTHING",
                  {user_id, m.id, core::ToUnixMicros(now)}));
    if (inserted == 1) awarded.push_back(std::move(m));
  }
  return awarded;
}

core::Result<std::vector<MemberMedal>> Medals::ForMember(int64_t user_id) {
  std::vector<MemberMedal> out;
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kRead, [&](Session& s) -> core::Status {
    out.clear();
    SHOPCRM_ASSIGN_OR_RETURN(
        auto held, s.Query("SELECT m.id, m.code, m.name, m.description, m.metric, m.threshold, "
                           "m.status, m.created_at, m.updated_at, mm.awarded_at FROM "
                           "member_medals mm JOIN medals m ON m.id = mm.medal_id WHERE "
                           "mm.user_id = ? ORDER BY mm.awarded_at DESC, m.id",
                           {user_id}));
    for (const auto& r : held.rows) {
      MemberMedal mm{MedalOf(r), core::FromUnixMicros(r.Int(9)), 0};
      mm.progress = mm.medal.spec.threshold;
      out.push_back(std::move(mm));
    }
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query(std::string("SELECT ") + kMedalColumns + kOpenMedals, {user_id}));
    std::vector<Medal> open;
    for (const auto& r : rows.rows) open.push_back(MedalOf(r));
    SHOPCRM_ASSIGN_OR_RETURN(auto metrics, Metrics(s, user_id, open));
    for (auto& m : open) {
      const int64_t progress = std::min(metrics[m.spec.metric], m.spec.threshold);
      out.push_back({std::move(m), std::nullopt, progress});
    }
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace shopcrm::membership
