// Tag groups and tags, and which users carry them. Manual tags are set by
// operators (one user, or in bulk from a list of ids); system tags are
// computed by analytics and stored beside them with kind "system", usable
// the same way. Every manual change is audited.
//
// Owns tables: tag_groups, tags, user_tags. Thread-safety: safe from any thread.
// Error reasons: invalid_fields, tag_group_not_found, tag_not_found,
// tag_group_name_taken, tag_name_taken, tag_group_not_empty, user_not_found,
// system_tag_read_only, bulk_too_large.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/id.h"
#include "store/database.h"

namespace shopcrm::profiles {

struct Tag {
  int64_t id = 0;
  int64_t group_id = 0;
  std::string name;
  std::string description;
  std::string kind;  // manual | system
  int64_t user_count = 0;
};

struct TagGroup {
  int64_t id = 0;
  std::string name;
  std::string description;
  std::string kind;  // manual | system
  std::vector<Tag> tags;
};

struct BulkTagResult {
  int64_t changed = 0;                 // users newly tagged (or untagged)
  int64_t unchanged = 0;               // already so
  std::vector<std::string> not_found;  // ids that name no user
};

inline constexpr size_t kMaxBulkTagIds = 100000;

class Tags final {
 public:
  Tags(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
       const audit::AuditLog& audit)
      : db_(db), clock_(clock), ids_(ids), audit_(audit) {}

  // Every group with its tags and how many users carry each.
  core::Result<std::vector<TagGroup>> ListGroups();
  core::Result<TagGroup> CreateGroup(std::string_view name, std::string_view description,
                                     const audit::Actor& actor);
  core::Result<TagGroup> UpdateGroup(int64_t id, std::optional<std::string> name,
                                     std::optional<std::string> description,
                                     const audit::Actor& actor);
  // Only an empty group can go (tag_group_not_empty).
  core::Status DeleteGroup(int64_t id, const audit::Actor& actor);

  core::Result<Tag> CreateTag(int64_t group_id, std::string_view name, std::string_view description,
                              const audit::Actor& actor);
  core::Result<Tag> UpdateTag(int64_t id, std::optional<std::string> name,
                              std::optional<std::string> description, const audit::Actor& actor);
  // Removes the tag from every user, then the tag.
  core::Status DeleteTag(int64_t id, const audit::Actor& actor);

  // Idempotent: tagging a tagged user (or untagging an untagged one) is fine.
  core::Status TagUser(int64_t user_id, int64_t tag_id, const audit::Actor& actor);
  core::Status UntagUser(int64_t user_id, int64_t tag_id, const audit::Actor& actor);
  // `ids` are our user ids (by_external_id false) or the mall's external ids.
  core::Result<BulkTagResult> Bulk(int64_t tag_id, bool add, const std::vector<std::string>& ids,
                                   bool by_external_id, const audit::Actor& actor);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const audit::AuditLog& audit_;
};

}  // namespace shopcrm::profiles
