// /api/v1/tag-groups and /api/v1/tags: manual tag groups and tags, and bulk
// tagging from a list of ids. Every change is audited (profiles/tags.h).
#include <map>

#include "api/routes/routes.h"
#include "profiles/tags.h"
#include "segments/segments.h"

namespace shopcrm::api {
namespace {

core::Json TagJson(const profiles::Tag& t) {
  return {{"id", std::to_string(t.id)},
          {"group_id", std::to_string(t.group_id)},
          {"name", t.name},
          {"description", t.description},
          {"kind", t.kind},
          {"user_count", t.user_count}};
}

core::Json GroupJson(const profiles::TagGroup& g) {
  core::Json tags = core::Json::array();
  for (const auto& t : g.tags) tags.push_back(TagJson(t));
  return {{"id", std::to_string(g.id)},
          {"name", g.name},
          {"description", g.description},
          {"kind", g.kind},
          {"tags", std::move(tags)}};
}

}  // namespace

void AddTagRoutes(Router& router, Services& s, const ServerOptions& o) {
  using identity::Permission;
  router.Add({"GET", "/api/v1/tag-groups", Access::kAuthenticated, Permission::kRead,
              [&s](Request&) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto groups, s.tags.ListGroups());
                // System tags have no rows in user_tags: the segment engine
                // counts their members (none while its index loads).
                if (auto counts = s.segments.SystemTagCounts(); counts.ok()) {
                  const std::map<std::string, uint64_t> by_tag(counts->begin(), counts->end());
                  for (auto& g : groups) {
                    if (g.kind != "system") continue;
                    for (auto& t : g.tags) {
                      auto it = by_tag.find(g.name + "/" + t.name);
                      if (it != by_tag.end()) t.user_count = static_cast<int64_t>(it->second);
                    }
                  }
                }
                core::Json items = core::Json::array();
                for (const auto& g : groups) items.push_back(GroupJson(g));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"POST", "/api/v1/tag-groups", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto name = r.RequiredString("name", 64);
                auto description = r.OptionalString("description", 500);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(
                    auto g, s.tags.CreateGroup(*name, description.value_or(""), req.Actor()));
                return JsonResponse(201, GroupJson(g));
              }});

  router.Add({"PATCH", "/api/v1/tag-groups/{id}", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto name = r.OptionalString("name", 64);
                auto description = r.OptionalString("description", 500);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto g,
                                         s.tags.UpdateGroup(id, name, description, req.Actor()));
                return JsonResponse(200, GroupJson(g));
              }});

  router.Add({"DELETE", "/api/v1/tag-groups/{id}", Access::kAuthenticated, Permission::kOperate,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_RETURN_IF_ERROR(s.tags.DeleteGroup(id, req.Actor()));
                return NoContent();
              }});

  router.Add({"POST", "/api/v1/tags", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto group = r.RequiredString("group_id", 32);
                auto name = r.RequiredString("name", 64);
                auto description = r.OptionalString("description", 500);
                std::optional<int64_t> group_id;
                if (group) {
                  group_id = core::ParseId(*group);
                  if (!group_id) r.AddError("group_id", "invalid_id", "expected a tag group id");
                }
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(
                    auto t,
                    s.tags.CreateTag(*group_id, *name, description.value_or(""), req.Actor()));
                return JsonResponse(201, TagJson(t));
              }});

  router.Add({"PATCH", "/api/v1/tags/{id}", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto name = r.OptionalString("name", 64);
                auto description = r.OptionalString("description", 500);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto t,
                                         s.tags.UpdateTag(id, name, description, req.Actor()));
                return JsonResponse(200, TagJson(t));
              }});

  router.Add({"DELETE", "/api/v1/tags/{id}", Access::kAuthenticated, Permission::kOperate,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_RETURN_IF_ERROR(s.tags.DeleteTag(id, req.Actor()));
                return NoContent();
              }});

  // Body: {"action": "add"|"remove", "external_ids": [...]} or {"user_ids": [...]}.
  router.Add({"POST", "/api/v1/tags/{id}/bulk", Access::kAuthenticated, Permission::kOperate,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                core::JsonLimits limits;
                limits.max_bytes = 8 << 20;
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, limits));
                core::JsonObjectReader r(body);
                auto action = r.RequiredEnum("action", {"add", "remove"});
                const core::Json* external = r.Value("external_ids");
                const core::Json* ours = r.Value("user_ids");
                std::vector<std::string> ids;
                if ((external == nullptr) == (ours == nullptr)) {
                  r.AddError("external_ids", "one_of_required",
                             "send exactly one of external_ids and user_ids");
                } else {
                  const core::Json& list = external != nullptr ? *external : *ours;
                  const char* field = external != nullptr ? "external_ids" : "user_ids";
                  if (!list.is_array()) {
                    r.AddError(field, "must_be_array", "expected an array of ids");
                  } else if (list.size() > profiles::kMaxBulkTagIds) {
                    r.AddError(field, "too_many", "at most 100000 ids per call");
                  } else {
                    for (size_t i = 0; i < list.size(); ++i) {
                      if (!list[i].is_string() || list[i].get_ref<const std::string&>().empty()) {
                        r.AddError(std::string(field) + "[" + std::to_string(i) + "]",
                                   "must_be_string", "ids are non-empty strings");
                        break;
                      }
                      ids.push_back(list[i].get<std::string>());
                    }
                  }
                }
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(
                    profiles::BulkTagResult result,
                    s.tags.Bulk(id, *action == "add", ids, external != nullptr, req.Actor()));
                return JsonResponse(200, {{"changed", result.changed},
                                          {"unchanged", result.unchanged},
                                          {"not_found", result.not_found}});
              }});
}

void AddImportRoutes(Router& router, Services& s) {
  using identity::Permission;
  auto run_json = [](const profiles::ImportRun& run) {
    return core::Json{{"id", std::to_string(run.id)},
                      {"kind", run.kind},
                      {"source", run.source},
                      {"status", run.status},
                      {"started_at", core::FormatRfc3339(run.started_at)},
                      {"finished_at", TimeOrNull(run.finished_at)},
                      {"started_by", run.started_by},
                      {"counts",
                       {{"read", run.counts.read},
                        {"accepted", run.counts.accepted},
                        {"duplicate", run.counts.duplicate},
                        {"held", run.counts.held},
                        {"rejected", run.counts.rejected}}}};
  };
  router.Add({"GET", "/api/v1/imports", Access::kAuthenticated, Permission::kRead,
              [&s, run_json](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(PageParams page, ParsePageParams(req));
                SHOPCRM_ASSIGN_OR_RETURN(profiles::ImportRunPage runs,
                                         s.imports.List(page.limit, page.cursor));
                core::Json items = core::Json::array();
                for (const auto& run : runs.items) items.push_back(run_json(run));
                return JsonResponse(200, {{"items", std::move(items)},
                                          {"next_cursor", CursorOrNull(runs.next_cursor)}});
              }});
  router.Add({"GET", "/api/v1/imports/{id}", Access::kAuthenticated, Permission::kRead,
              [&s, run_json](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(profiles::ImportRun run, s.imports.Get(id));
                core::Json j = run_json(run);
                core::Json rejects = core::Json::array();
                for (const auto& r : run.rejects) {
                  rejects.push_back(
                      {{"file", r.file},
                       {"row", r.row},
                       {"reason", r.reason},
                       {"field", r.field.empty() ? core::Json(nullptr) : core::Json(r.field)},
                       {"detail", r.detail}});
                }
                j["rejects"] = std::move(rejects);
                auto summary = core::ParseJson(run.summary_json.empty() ? "{}" : run.summary_json);
                j["summary"] = summary.ok() ? std::move(summary).value() : core::Json::object();
                j["error"] = run.error.empty() ? core::Json(nullptr) : core::Json(run.error);
                return JsonResponse(200, j);
              }});
}

}  // namespace shopcrm::api
