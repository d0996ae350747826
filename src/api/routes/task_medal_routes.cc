// Tasks and medals (docs/membership.md): operators define them
// (/api/v1/member-tasks, /api/v1/medals); the mall reports task completions
// (/api/v1/members/{user_id}/tasks/{code}/complete); operators, the mall and
// the member (/api/v1/me/…) read a member's tasks and medals.
#include "api/routes/member_json.h"
#include "api/routes/routes.h"

namespace shopcrm::api {
void AddTaskAndMedalRoutes(Router& router, Services& s, const ServerOptions& o) {
  using identity::Permission;

  // Task definitions.
  router.Add({"GET", "/api/v1/member-tasks", Access::kAuthenticated, Permission::kRead,
              [&s](Request&) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.tasks.List());
                core::Json items = core::Json::array();
                for (const auto& t : list) items.push_back(TaskJson(t));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"POST", "/api/v1/member-tasks", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                membership::TaskSpec spec;
                spec.code = r.RequiredString("code", 40).value_or("");
                spec.name = r.RequiredString("name", 100).value_or("x");
                spec.kind = r.OptionalString("kind", 10).value_or("once");
                spec.points = r.OptionalInt("points").value_or(0);
                spec.coupon_template_id = membership::ReadTemplateId(r, "coupon_template_id");
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto task, s.tasks.Create(spec, req.Actor()));
                return JsonResponse(201, TaskJson(task));
              }});

  AddStatusRoute(
      router, o, "/api/v1/member-tasks/{id}/status",
      [&s](int64_t id, const std::string& status, const audit::Actor& actor) {
        return s.tasks.SetStatus(id, status, actor);
      },
      TaskJson);

  router.Add({"POST", "/api/v1/members/{user_id}/tasks/{code}/complete", Access::kAuthenticated,
              Permission::kIntegrate, [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t user, PathId(req, "user_id"));
                const std::string code = req.path_params.at("code");
                return Mutate(
                    s, req, "task.complete",
                    [&](store::Session& ss, core::Instant now) -> core::Result<std::string> {
                      SHOPCRM_ASSIGN_OR_RETURN(auto c, s.tasks.CompleteIn(ss, user, code, now));
                      SHOPCRM_ASSIGN_OR_RETURN(auto medals, AwardMedals(s, ss, user, now));
                      core::Json j = TaskCompletionJson(c);
                      j["medals_awarded"] = std::move(medals);
                      return core::DumpJson(j);
                    });
              }});

  // Medal definitions.
  router.Add({"GET", "/api/v1/medals", Access::kAuthenticated, Permission::kRead,
              [&s](Request&) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.medals.List());
                core::Json items = core::Json::array();
                for (const auto& m : list) items.push_back(MedalJson(m));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"POST", "/api/v1/medals", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                membership::MedalSpec spec;
                spec.code = r.RequiredString("code", 40).value_or("");
                spec.name = r.RequiredString("name", 100).value_or("x");
                spec.description = r.OptionalString("description", 500).value_or("");
                spec.metric = r.RequiredString("metric", 40).value_or("check_ins");
                spec.threshold = r.RequiredInt("threshold").value_or(1);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto medal, s.medals.Create(spec, req.Actor()));
                return JsonResponse(201, MedalJson(medal));
              }});

  AddStatusRoute(
      router, o, "/api/v1/medals/{id}/status",
      [&s](int64_t id, const std::string& status, const audit::Actor& actor) {
        return s.medals.SetStatus(id, status, actor);
      },
      MedalJson);

  // A member's tasks and medals, for operators and the mall, and for the member.
  for (const auto& [base, access] : {std::pair{"/api/v1/members/{user_id}", Access::kAuthenticated},
                                     std::pair{"/api/v1/me", Access::kMember}}) {
    router.Add({"GET", std::string(base) + "/tasks", access, Permission::kRead,
                [&s](Request& req) -> core::Result<Response> {
                  SHOPCRM_ASSIGN_OR_RETURN(int64_t user, MemberOf(req));
                  SHOPCRM_ASSIGN_OR_RETURN(auto list, s.tasks.ForMember(user));
                  core::Json items = core::Json::array();
                  for (const auto& m : list) {
                    core::Json j = TaskJson(m.task);
                    j["done"] = m.done_at.has_value();
                    j["done_at"] = TimeOrNull(m.done_at);
                    items.push_back(std::move(j));
                  }
                  return JsonResponse(200, {{"items", std::move(items)}});
                }});

    router.Add({"GET", std::string(base) + "/medals", access, Permission::kRead,
                [&s](Request& req) -> core::Result<Response> {
                  SHOPCRM_ASSIGN_OR_RETURN(int64_t user, MemberOf(req));
                  SHOPCRM_ASSIGN_OR_RETURN(auto list, s.medals.ForMember(user));
                  core::Json items = core::Json::array();
                  for (const auto& m : list) {
                    core::Json j = MedalJson(m.medal);
                    j["awarded_at"] = TimeOrNull(m.awarded_at);
                    j["progress"] = m.progress;
                    items.push_back(std::move(j));
                  }
                  return JsonResponse(200, {{"items", std::move(items)}});
                }});
  }
}

}  // namespace shopcrm::api
