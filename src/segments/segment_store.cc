#include "segments/segment_store.h"

#include "segments/catalog.h"

namespace shopcrm::segments {
namespace {

using store::Row;
using store::Session;
using store::TxMode;
using store::Value;

constexpr std::string_view kColumns =
    "id, name, description, kind, filter, snapshot_of, snapshot_at, member_count, created_by, "
    "created_at, updated_at";

core::Error NotFound(int64_t id) {
  return core::NotFound("segment_not_found", "no segment with id " + std::to_string(id));
}

core::Status CheckNames(const std::optional<std::string>& name,
                        const std::optional<std::string>& description) {
  std::vector<core::FieldError> errors;
  if (name && (name->empty() || name->size() > 100)) {
    errors.push_back({"name", "invalid_length", "must be 1 to 100 bytes"});
  }
  if (description && description->size() > 1000) {
    errors.push_back({"description", "too_long", "at most 1000 bytes"});
  }
  if (errors.empty()) return core::Status::Ok();
  return core::InvalidFields("invalid_fields", std::move(errors));
}

core::Status NameFree(Session& s, const std::string& name, int64_t except_id) {
  SHOPCRM_ASSIGN_OR_RETURN(
      auto rows, s.Query("SELECT id FROM segments WHERE name = ? AND id <> ?", {name, except_id}));
  if (!rows.empty()) return core::Conflict("segment_name_taken", "a segment with this name exists");
  return core::Status::Ok();
}

// Two writers that both found a name free: the second one's unique-key
// conflict is the same answer the check gives.
core::Status TakenOnConflict(core::Status st) {
  if (!st.ok() && st.error().reason() == "unique_violation") {
    return core::Conflict("segment_name_taken", "a segment with this name exists");
  }
  return st;
}

core::Result<SavedSegment> FromRow(const Row& r) {
  SavedSegment g;
  g.id = r.Int(0);
  g.name = r.Text(1);
  g.description = r.Text(2);
  g.kind = r.Text(3);
  SHOPCRM_ASSIGN_OR_RETURN(core::Json json, core::ParseJson(r.Text(4)));
  SHOPCRM_ASSIGN_OR_RETURN(g.filter, FilterFromJson(json, Features()));
  g.text = FormatFilter(g.filter, Features());
  g.snapshot_of = r.OptionalInt(5);
  if (auto at = r.OptionalInt(6)) g.snapshot_at = core::FromUnixMicros(*at);
  g.member_count = r.OptionalInt(7);
  g.created_by = r.Text(8);
  g.created_at = core::FromUnixMicros(r.Int(9));
  g.updated_at = core::FromUnixMicros(r.Int(10));
  return g;
}

core::Result<SavedSegment> Load(Session& s, int64_t id) {
  SHOPCRM_ASSIGN_OR_RETURN(
      auto rows, s.Query("SELECT " + std::string(kColumns) + " FROM segments WHERE id = ?", {id}));
  if (rows.empty()) return NotFound(id);
  return FromRow(rows.rows[0]);
}

std::string AuditJson(const SavedSegment& g) {
  return core::DumpJson(
      core::Json{{"id", std::to_string(g.id)},
                 {"name", g.name},
                 {"description", g.description},
                 {"kind", g.kind},
                 {"filter", g.text},
                 {"member_count", g.member_count ? core::Json(*g.member_count) : core::Json()}});
}

}  // namespace

// Gives `g` an id, its canonical text and its creation stamps, and writes its
// row; segment_name_taken when the name is in use.
core::Status SegmentStore::Insert(Session& s, SavedSegment& g, core::Instant now,
                                  const audit::Actor& actor) {
  SHOPCRM_RETURN_IF_ERROR(NameFree(s, g.name, 0));
  g.id = ids_.Next();
  g.text = FormatFilter(g.filter, Features());
  g.created_by = actor.name;
  g.created_at = g.updated_at = now;
  const int64_t t = core::ToUnixMicros(now);
  auto opt = [](const std::optional<int64_t>& v) { return v ? Value(*v) : store::Null(); };
  return TakenOnConflict(
      s.Execute("INSERT INTO segments (id, name, description, kind, filter, filter_text, "
                "snapshot_of, snapshot_at, member_count, created_by, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {g.id, g.name, g.description, g.kind,
                 core::DumpJson(FilterToJson(g.filter, Features())), g.text, opt(g.snapshot_of),
                 g.snapshot_at ? Value(core::ToUnixMicros(*g.snapshot_at)) : store::Null(),
                 opt(g.member_count), g.created_by, t, t})
          .status());
}

core::Result<SavedSegment> SegmentStore::Create(const std::string& name,
                                                const std::string& description,
                                                const Filter& filter, const audit::Actor& actor) {
  SHOPCRM_RETURN_IF_ERROR(CheckNames(name, description));
  SHOPCRM_RETURN_IF_ERROR(CheckValues(filter));
  const auto now = clock_.Now();
  return store::TransactFor<SavedSegment>(
      db_, TxMode::kWrite, [&](Session& s) -> core::Result<SavedSegment> {
        SavedSegment g;
        g.name = name;
        g.description = description;
        g.kind = "dynamic";
        g.filter = filter;
        SHOPCRM_RETURN_IF_ERROR(Insert(s, g, now, actor));
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "segment.create", "segment",
                                              std::to_string(g.id), std::nullopt, AuditJson(g)));
        return g;
      });
}

core::Result<std::vector<SavedSegment>> SegmentStore::List() {
  return store::TransactFor<std::vector<SavedSegment>>(
      db_, TxMode::kRead, [&](Session& s) -> core::Result<std::vector<SavedSegment>> {
        SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT " + std::string(kColumns) +
                                                    " FROM segments ORDER BY id DESC"));
        std::vector<SavedSegment> out;
        for (const auto& r : rows.rows) {
          SHOPCRM_ASSIGN_OR_RETURN(auto g, FromRow(r));
          out.push_back(std::move(g));
        }
        return out;
      });
}

core::Result<SavedSegment> SegmentStore::Get(int64_t id) {
  return store::TransactFor<SavedSegment>(
      db_, TxMode::kRead, [&](Session& s) -> core::Result<SavedSegment> { return Load(s, id); });
}

core::Result<SavedSegment> SegmentStore::Update(int64_t id, const std::optional<std::string>& name,
                                                const std::optional<std::string>& description,
                                                const std::optional<Filter>& filter,
                                                const audit::Actor& actor) {
  SHOPCRM_RETURN_IF_ERROR(CheckNames(name, description));
  if (filter) SHOPCRM_RETURN_IF_ERROR(CheckValues(*filter));
  const auto now = clock_.Now();
  return store::TransactFor<SavedSegment>(
      db_, TxMode::kWrite, [&](Session& s) -> core::Result<SavedSegment> {
        SHOPCRM_ASSIGN_OR_RETURN(SavedSegment before, Load(s, id));
        if (filter && before.kind == "snapshot") {
          return core::Conflict("segment_is_snapshot",
                                "a snapshot's filter and members are frozen; save a new segment");
        }
        if (name) SHOPCRM_RETURN_IF_ERROR(NameFree(s, *name, id));
        SavedSegment after = before;
        if (name) after.name = *name;
        if (description) after.description = *description;
        if (filter) {
          after.filter = *filter;
          after.text = FormatFilter(*filter, Features());
        }
        after.updated_at = now;
        SHOPCRM_RETURN_IF_ERROR(TakenOnConflict(
            s.Execute("UPDATE segments SET name = ?, description = ?, filter = ?, filter_text = ?, "
                      "updated_at = ? WHERE id = ?",
                      {after.name, after.description,
                       core::DumpJson(FilterToJson(after.filter, Features())), after.text,
                       core::ToUnixMicros(now), id})
                .status()));
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "segment.update", "segment",
                                              std::to_string(id), AuditJson(before),
                                              AuditJson(after)));
        return after;
      });
}

core::Status SegmentStore::Delete(int64_t id, const audit::Actor& actor) {
  return db_.Transact(TxMode::kWrite, [&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(SavedSegment before, Load(s, id));
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("DELETE FROM segment_members WHERE segment_id = ?", {id}).status());
    SHOPCRM_RETURN_IF_ERROR(s.Execute("DELETE FROM segments WHERE id = ?", {id}).status());
    return audit_.Record(s, actor, "segment.delete", "segment", std::to_string(id),
                         AuditJson(before), std::nullopt);
  });
}

core::Result<SavedSegment> SegmentStore::Snapshot(const SavedSegment& of, const std::string& name,
                                                  core::Instant at,
                                                  const std::vector<int64_t>& members,
                                                  const audit::Actor& actor) {
  SHOPCRM_RETURN_IF_ERROR(CheckNames(name, std::nullopt));
  const auto now = clock_.Now();
  return store::TransactFor<SavedSegment>(
      db_, TxMode::kWrite, [&](Session& s) -> core::Result<SavedSegment> {
        SavedSegment g;
        g.name = name;
        g.description = "snapshot of " + of.name;
        g.kind = "snapshot";
        g.filter = of.filter;
        g.snapshot_of = of.id;
        g.snapshot_at = at;
        g.member_count = static_cast<int64_t>(members.size());
        SHOPCRM_RETURN_IF_ERROR(Insert(s, g, now, actor));
        constexpr size_t kRows = 500;
        for (size_t start = 0; start < members.size(); start += kRows) {
          const size_t n = std::min(kRows, members.size() - start);
          std::string sql = "INSERT INTO segment_members (segment_id, user_id) VALUES ";
          std::vector<Value> params;
          params.reserve(2 * n);
          for (size_t i = 0; i < n; ++i) {
            sql += i == 0 ? "(?, ?)" : ", (?, ?)";
            params.emplace_back(g.id);
            params.emplace_back(members[start + i]);
          }
          SHOPCRM_RETURN_IF_ERROR(s.Execute(sql, params).status());
        }
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "segment.snapshot", "segment",
                                              std::to_string(g.id), std::nullopt, AuditJson(g)));
        return g;
      });
}

core::Result<std::vector<int64_t>> SegmentStore::Members(int64_t id, int64_t after, size_t limit) {
  return store::TransactFor<std::vector<int64_t>>(
      db_, TxMode::kRead, [&](Session& s) -> core::Result<std::vector<int64_t>> {
        SHOPCRM_ASSIGN_OR_RETURN(
            auto rows, s.Query("SELECT user_id FROM segment_members WHERE segment_id = ? AND "
                               "user_id > ? ORDER BY user_id LIMIT ?",
                               {id, after, static_cast<int64_t>(limit)}));
        std::vector<int64_t> out;
        out.reserve(rows.rows.size());
        for (const auto& r : rows.rows) out.push_back(r.Int(0));
        return out;
      });
}

}  // namespace shopcrm::segments
