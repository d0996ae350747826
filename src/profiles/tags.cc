#include "profiles/tags.h"

#include <map>

#include "core/json.h"
#include "store/paging.h"

namespace shopcrm::profiles {
namespace {

using store::Row;
using store::Session;
using store::Value;

std::string GroupJson(const TagGroup& g) {
  return core::DumpJson({{"name", g.name}, {"description", g.description}, {"kind", g.kind}});
}

std::string TagJson(const Tag& t) {
  return core::DumpJson({{"group_id", std::to_string(t.group_id)},
                         {"name", t.name},
                         {"description", t.description},
                         {"kind", t.kind}});
}

core::Status CheckName(std::string_view field, std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return core::InvalidFields("invalid_fields",
                               {{std::string(field), "invalid_length", "must be 1 to 64 bytes"}});
  }
  return core::Status::Ok();
}

core::Status CheckDescription(std::string_view d) {
  if (d.size() > 500) {
    return core::InvalidFields("invalid_fields",
                               {{"description", "too_long", "at most 500 bytes"}});
  }
  return core::Status::Ok();
}

core::Result<TagGroup> LoadGroup(Session& s, int64_t id) {
  SHOPCRM_ASSIGN_OR_RETURN(
      auto rows, s.Query("SELECT id, name, description, kind FROM tag_groups WHERE id = ?", {id}));
  if (rows.empty()) {
    return core::NotFound("tag_group_not_found", "no tag group with id " + std::to_string(id));
  }
  const Row& r = rows.rows[0];
  return TagGroup{r.Int(0), r.Text(1), r.Text(2), r.Text(3), {}};
}

core::Result<Tag> LoadTag(Session& s, int64_t id) {
  SHOPCRM_ASSIGN_OR_RETURN(
      auto rows, s.Query("SELECT t.id, t.group_id, t.name, t.description, t.kind, "
                         "(SELECT COUNT(*) FROM user_tags ut WHERE ut.tag_id = t.id) FROM tags t "
                         "WHERE t.id = ?",
                         {id}));
  if (rows.empty()) return core::NotFound("tag_not_found", "no tag with id " + std::to_string(id));
  const Row& r = rows.rows[0];
  return Tag{r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5)};
}

core::Status GroupNameFree(Session& s, std::string_view name, int64_t except_id) {
  SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                           s.Query("SELECT id FROM tag_groups WHERE name = ? AND id <> ?",
                                   {std::string(name), except_id}));
  if (!rows.empty()) {
    return core::Conflict("tag_group_name_taken", "a tag group with this name exists");
  }
  return core::Status::Ok();
}

core::Status TagNameFree(Session& s, int64_t group_id, std::string_view name, int64_t except_id) {
  SHOPCRM_ASSIGN_OR_RETURN(
      auto rows, s.Query("SELECT id FROM tags WHERE group_id = ? AND name = ? AND id <> ?",
                         {group_id, std::string(name), except_id}));
  if (!rows.empty()) {
    return core::Conflict("tag_name_taken", "the group already has a tag with this name");
  }
  return core::Status::Ok();
}

core::Status ManualOnly(const Tag& t) {
  if (t.kind != "manual") {
    return core::Error(core::ErrorCode::kFailedPrecondition, "system_tag_read_only",
                       "system tags are computed; they cannot be set or changed by hand");
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<std::vector<TagGroup>> Tags::ListGroups() {
  std::vector<TagGroup> groups;
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kRead, [&](Session& s) -> core::Status {
    groups.clear();
    SHOPCRM_ASSIGN_OR_RETURN(
        auto g, s.Query("SELECT id, name, description, kind FROM tag_groups ORDER BY kind, name"));
    std::map<int64_t, size_t> index;
    for (const auto& r : g.rows) {
      index[r.Int(0)] = groups.size();
      groups.push_back({r.Int(0), r.Text(1), r.Text(2), r.Text(3), {}});
    }
    SHOPCRM_ASSIGN_OR_RETURN(auto t,
                             s.Query("SELECT t.id, t.group_id, t.name, t.description, t.kind, "
                                     "(SELECT COUNT(*) FROM user_tags ut WHERE ut.tag_id = t.id) "
                                     "FROM tags t ORDER BY t.name"));
    for (const auto& r : t.rows) {
      auto it = index.find(r.Int(1));
      if (it == index.end()) continue;
      groups[it->second].tags.push_back(
          {r.Int(0), r.Int(1), r.Text(2), r.Text(3), r.Text(4), r.Int(5)});
    }
    return core::Status::Ok();
  }));
  return groups;
}

core::Result<TagGroup> Tags::CreateGroup(std::string_view name, std::string_view description,
                                         const audit::Actor& actor) {
  SHOPCRM_RETURN_IF_ERROR(CheckName("name", name));
  SHOPCRM_RETURN_IF_ERROR(CheckDescription(description));
  const int64_t now = core::ToUnixMicros(clock_.Now());
  return store::TransactFor<TagGroup>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<TagGroup> {
        SHOPCRM_RETURN_IF_ERROR(GroupNameFree(s, name, 0));
        TagGroup g{ids_.Next(), std::string(name), std::string(description), "manual", {}};
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("INSERT INTO tag_groups (id, name, description, kind, created_at, "
                      "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                      {g.id, g.name, g.description, g.kind, now, now})
                .status());
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "tag_group.create", "tag_group",
                                              std::to_string(g.id), std::nullopt, GroupJson(g)));
        return g;
      });
}

core::Result<TagGroup> Tags::UpdateGroup(int64_t id, std::optional<std::string> name,
                                         std::optional<std::string> description,
                                         const audit::Actor& actor) {
  if (name) SHOPCRM_RETURN_IF_ERROR(CheckName("name", *name));
  if (description) SHOPCRM_RETURN_IF_ERROR(CheckDescription(*description));
  const int64_t now = core::ToUnixMicros(clock_.Now());
  return store::TransactFor<TagGroup>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<TagGroup> {
        SHOPCRM_ASSIGN_OR_RETURN(TagGroup before, LoadGroup(s, id));
        if (before.kind != "manual") {
          return core::Error(core::ErrorCode::kFailedPrecondition, "system_tag_read_only",
                             "system tag groups are maintained by analytics");
        }
        TagGroup after = before;
        if (name) {
          SHOPCRM_RETURN_IF_ERROR(GroupNameFree(s, *name, id));
          after.name = *name;
        }
        if (description) after.description = *description;
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE tag_groups SET name = ?, description = ?, updated_at = ? "
                      "WHERE id = ?",
                      {after.name, after.description, now, id})
                .status());
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "tag_group.update", "tag_group",
                                              std::to_string(id), GroupJson(before),
                                              GroupJson(after)));
        return after;
      });
}

core::Status Tags::DeleteGroup(int64_t id, const audit::Actor& actor) {
  return db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(TagGroup g, LoadGroup(s, id));
    if (g.kind != "manual") {
      return core::Error(core::ErrorCode::kFailedPrecondition, "system_tag_read_only",
                         "system tag groups are maintained by analytics");
    }
    SHOPCRM_ASSIGN_OR_RETURN(auto tags, s.Query("SELECT 1 FROM tags WHERE group_id = ?", {id}));
    if (!tags.empty()) {
      return core::Error(core::ErrorCode::kFailedPrecondition, "tag_group_not_empty",
                         "delete the group's tags first");
    }
    SHOPCRM_RETURN_IF_ERROR(s.Execute("DELETE FROM tag_groups WHERE id = ?", {id}).status());
    return audit_.Record(s, actor, "tag_group.delete", "tag_group", std::to_string(id),
                         GroupJson(g), std::nullopt);
  });
}

core::Result<Tag> Tags::CreateTag(int64_t group_id, std::string_view name,
                                  std::string_view description, const audit::Actor& actor) {
  SHOPCRM_RETURN_IF_ERROR(CheckName("name", name));
  SHOPCRM_RETURN_IF_ERROR(CheckDescription(description));
  const int64_t now = core::ToUnixMicros(clock_.Now());
  return store::TransactFor<Tag>(db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<Tag> {
    SHOPCRM_ASSIGN_OR_RETURN(TagGroup g, LoadGroup(s, group_id));
    if (g.kind != "manual") {
      return core::Error(core::ErrorCode::kFailedPrecondition, "system_tag_read_only",
                         "system tag groups are maintained by analytics");
    }
    SHOPCRM_RETURN_IF_ERROR(TagNameFree(s, group_id, name, 0));
    Tag t{ids_.Next(), group_id, std::string(name), std::string(description), "manual", 0};
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("INSERT INTO tags (id, group_id, name, description, kind, created_at, "
                  "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                  {t.id, t.group_id, t.name, t.description, t.kind, now, now})
            .status());
    SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "tag.create", "tag", std::to_string(t.id),
                                          std::nullopt, TagJson(t)));
    return t;
  });
}

core::Result<Tag> Tags::UpdateTag(int64_t id, std::optional<std::string> name,
                                  std::optional<std::string> description,
                                  const audit::Actor& actor) {
  if (name) SHOPCRM_RETURN_IF_ERROR(CheckName("name", *name));
  if (description) SHOPCRM_RETURN_IF_ERROR(CheckDescription(*description));
  const int64_t now = core::ToUnixMicros(clock_.Now());
  return store::TransactFor<Tag>(db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<Tag> {
    SHOPCRM_ASSIGN_OR_RETURN(Tag before, LoadTag(s, id));
    SHOPCRM_RETURN_IF_ERROR(ManualOnly(before));
    Tag after = before;
    if (name) {
      SHOPCRM_RETURN_IF_ERROR(TagNameFree(s, before.group_id, *name, id));
      after.name = *name;
    }
    if (description) after.description = *description;
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE tags SET name = ?, description = ?, updated_at = ? WHERE id = ?",
                  {after.name, after.description, now, id})
            .status());
    SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "tag.update", "tag", std::to_string(id),
                                          TagJson(before), TagJson(after)));
    return after;
  });
}

core::Status Tags::DeleteTag(int64_t id, const audit::Actor& actor) {
  return db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(Tag t, LoadTag(s, id));
    SHOPCRM_RETURN_IF_ERROR(ManualOnly(t));
    SHOPCRM_RETURN_IF_ERROR(s.Execute("DELETE FROM user_tags WHERE tag_id = ?", {id}).status());
    SHOPCRM_RETURN_IF_ERROR(s.Execute("DELETE FROM tags WHERE id = ?", {id}).status());
    std::string before = TagJson(t);
    before.back() = ',';
    before += "\"user_count\":" + std::to_string(t.user_count) + "}";
    return audit_.Record(s, actor, "tag.delete", "tag", std::to_string(id), before, std::nullopt);
  });
}

core::Status Tags::TagUser(int64_t user_id, int64_t tag_id, const audit::Actor& actor) {
  SHOPCRM_ASSIGN_OR_RETURN(BulkTagResult r,
                           Bulk(tag_id, true, {std::to_string(user_id)}, false, actor));
  if (!r.not_found.empty()) {
    return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id));
  }
  return core::Status::Ok();
}

core::Status Tags::UntagUser(int64_t user_id, int64_t tag_id, const audit::Actor& actor) {
  SHOPCRM_ASSIGN_OR_RETURN(BulkTagResult r,
                           Bulk(tag_id, false, {std::to_string(user_id)}, false, actor));
  if (!r.not_found.empty()) {
    return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id));
  }
  return core::Status::Ok();
}

core::Result<BulkTagResult> Tags::Bulk(int64_t tag_id, bool add,
                                       const std::vector<std::string>& ids, bool by_external_id,
                                       const audit::Actor& actor) {
  if (ids.size() > kMaxBulkTagIds) {
    return core::Error(core::ErrorCode::kPayloadTooLarge, "bulk_too_large",
                       "at most " + std::to_string(kMaxBulkTagIds) + " ids per call");
  }
  const int64_t now = core::ToUnixMicros(clock_.Now());
  return store::TransactFor<BulkTagResult>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<BulkTagResult> {
        SHOPCRM_ASSIGN_OR_RETURN(Tag t, LoadTag(s, tag_id));
        SHOPCRM_RETURN_IF_ERROR(ManualOnly(t));
        BulkTagResult out;
        std::vector<int64_t> changed;
        for (const auto& raw : ids) {
          std::optional<int64_t> user_id;
          if (by_external_id) {
            SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                                     s.Query("SELECT id FROM users WHERE external_id = ?", {raw}));
            if (!rows.empty()) user_id = rows.rows[0].Int(0);
          } else if (auto id = core::ParseId(raw)) {
            SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                                     s.Query("SELECT id FROM users WHERE id = ?", {*id}));
            if (!rows.empty()) user_id = *id;
          }
          if (!user_id) {
            out.not_found.push_back(raw);
            continue;
          }
          int64_t n = 0;
          if (add) {
            SHOPCRM_ASSIGN_OR_RETURN(
                n, s.Execute("INSERT INTO user_tags (user_id, tag_id, source, tagged_at, "
                             "tagged_by) VALUES (?, ?, 'manual', ?, ?) "
                             "ON CONFLICT (user_id, tag_id) DO NOTHING",
                             {*user_id, tag_id, now, actor.name}));
          } else {
            SHOPCRM_ASSIGN_OR_RETURN(
                n, s.Execute("DELETE FROM user_tags WHERE user_id = ? AND tag_id = ?",
                             {*user_id, tag_id}));
          }
          if (n > 0) changed.push_back(*user_id);
          (n > 0 ? out.changed : out.unchanged) += 1;
        }
        // The users changed: derived indexes read them again (Facts::ChangedSince).
        SHOPCRM_RETURN_IF_ERROR(store::EachIdChunk(
            changed, "UPDATE users SET updated_at = ? WHERE id IN {in}", {now},
            [&](const std::string& text, const std::vector<Value>& params) -> core::Status {
              return s.Execute(text, params).status();
            }));
        if (out.changed > 0) {
          const std::string detail = core::DumpJson(
              {{"tag_id", std::to_string(tag_id)},
               {"tag", t.name},
               {"users", out.changed},
               {"first_user", ids.size() == 1 ? core::Json(ids[0]) : core::Json(nullptr)}});
          SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, add ? "user_tag.add" : "user_tag.remove",
                                                "tag", std::to_string(tag_id), std::nullopt,
                                                detail));
        }
        return out;
      });
}

}  // namespace shopcrm::profiles
