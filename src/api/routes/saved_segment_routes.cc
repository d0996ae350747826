// /api/v1/segments (saved segments) and the analyses on filters: explain
// (a funnel), overlap of two saved segments, pivot by one or two dimensions.
// Saved segments: segments/segment_store.h; counts come from the feature
// index (segments/segments.h).
#include <charconv>

#include "api/routes/routes.h"
#include "api/routes/segment_request.h"
#include "segments/catalog.h"
#include "segments/segment_store.h"
#include "segments/segments.h"

namespace shopcrm::api {
namespace {

using segments::SavedSegment;

core::Json SegmentJson(const SavedSegment& g, std::optional<uint64_t> count) {
  return {
      {"id", std::to_string(g.id)},
      {"name", g.name},
      {"description", g.description},
      {"kind", g.kind},
      {"text", g.text},
      {"filter", segments::FilterToJson(g.filter, segments::Features())},
      {"count", count ? core::Json(*count) : core::Json()},
      {"snapshot_of", g.snapshot_of ? core::Json(std::to_string(*g.snapshot_of)) : core::Json()},
      {"snapshot_at", TimeOrNull(g.snapshot_at)},
      {"created_by", g.created_by},
      {"created_at", core::FormatRfc3339(g.created_at)},
      {"updated_at", core::FormatRfc3339(g.updated_at)}};
}

// The live count of a dynamic segment (null while the index loads); the
// stored count of a snapshot.
std::optional<uint64_t> CountOf(const SavedSegment& g, Services& s) {
  if (g.kind == "snapshot") return static_cast<uint64_t>(g.member_count.value_or(0));
  auto c = s.segments.Count(g.filter, std::nullopt);
  if (!c.ok()) return std::nullopt;
  return c->count;
}

// One page of members, ascending by user id, above `after`.
core::Result<std::vector<int64_t>> MembersPage(Services& s, const SavedSegment& g, int64_t after,
                                               size_t limit) {
  if (g.kind == "snapshot") return s.segment_store.Members(g.id, after, limit);
  return s.segments.Members(g.filter, std::nullopt, after, limit);
}

// A saved segment as a set of users for overlap: its filter, or its stored members.
struct ResolvedSet {
  SavedSegment segment;
  std::vector<int64_t> ids;
};

core::Result<ResolvedSet> Resolve(Services& s, int64_t id) {
  ResolvedSet out;
  SHOPCRM_ASSIGN_OR_RETURN(out.segment, s.segment_store.Get(id));
  if (out.segment.kind == "snapshot") {
    int64_t after = INT64_MIN;
    while (true) {
      SHOPCRM_ASSIGN_OR_RETURN(auto page, s.segment_store.Members(id, after, 50000));
      out.ids.insert(out.ids.end(), page.begin(), page.end());
      if (page.size() < 50000) break;
      after = page.back();
    }
  }
  return out;
}

segments::UserSet SetOf(const ResolvedSet& r) {
  if (r.segment.kind == "snapshot") return {nullptr, &r.ids};
  return {&r.segment.filter, nullptr};
}

}  // namespace

void AddSavedSegmentRoutes(Router& router, Services& s, const ServerOptions& o) {
  using identity::Permission;

  router.Add({"POST", "/api/v1/segments/explain", Access::kAuthenticated, Permission::kRead,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                SHOPCRM_ASSIGN_OR_RETURN(FilterRequest f, ReadFilterRequest(body));
                SHOPCRM_ASSIGN_OR_RETURN(auto counts, s.segments.Explain(f.filter, f.as_of));
                core::Json steps = core::Json::array();
                const bool funnel = f.filter.kind == segments::Filter::Kind::kAnd;
                for (size_t i = 0; i < counts.size(); ++i) {
                  const segments::Filter& step = funnel ? f.filter.children[i] : f.filter;
                  steps.push_back({{"text", segments::FormatFilter(step, segments::Features())},
                                   {"users", counts[i]}});
                }
                return JsonResponse(
                    200, {{"steps", std::move(steps)},
                          {"as_of", core::FormatRfc3339(s.segments.EvaluationTime(f.as_of))}});
              }});

  router.Add({"POST", "/api/v1/segments/overlap", Access::kAuthenticated, Permission::kRead,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto a = r.RequiredString("a", 32);
                auto b = r.RequiredString("b", 32);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                std::vector<core::FieldError> errors;
                auto id_of = [&](const char* field, const std::string& text) -> int64_t {
                  int64_t v = 0;
                  const auto* end = text.data() + text.size();
                  if (std::from_chars(text.data(), end, v).ptr != end || v <= 0) {
                    errors.push_back({field, "invalid_id", "segment ids are decimal"});
                  }
                  return v;
                };
                const int64_t ida = id_of("a", *a);
                const int64_t idb = id_of("b", *b);
                if (!errors.empty())
                  return core::InvalidFields("invalid_fields", std::move(errors));
                SHOPCRM_ASSIGN_OR_RETURN(ResolvedSet sa, Resolve(s, ida));
                SHOPCRM_ASSIGN_OR_RETURN(ResolvedSet sb, Resolve(s, idb));
                SHOPCRM_ASSIGN_OR_RETURN(auto c,
                                         s.segments.Overlap(SetOf(sa), SetOf(sb), std::nullopt));
                return JsonResponse(200, {{"a", c.a},
                                          {"b", c.b},
                                          {"both", c.both},
                                          {"a_only", c.a - c.both},
                                          {"b_only", c.b - c.both},
                                          {"either", c.a + c.b - c.both}});
              }});

  router.Add(
      {"POST", "/api/v1/segments/pivot", Access::kAuthenticated, Permission::kRead,
       [&s, &o](Request& req) -> core::Result<Response> {
         SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
         SHOPCRM_ASSIGN_OR_RETURN(PivotRequest p, ReadPivotRequest(body));
         SHOPCRM_ASSIGN_OR_RETURN(auto cells,
                                  s.segments.Pivot(p.filter, p.as_of, p.dimensions, p.measure));
         core::Json items = core::Json::array();
         for (const auto& c : cells) {
           core::Json key = core::Json::array();
           for (const auto& k : c.key) key.push_back(k ? core::Json(*k) : core::Json());
           core::Json cell = {{"key", std::move(key)}, {"users", c.users}};
           if (p.measure) cell["sum"] = c.sum;
           items.push_back(std::move(cell));
         }
         return JsonResponse(200, {{"dimensions", p.dimensions}, {"cells", std::move(items)}});
       }});

  router.Add({"GET", "/api/v1/segments", Access::kAuthenticated, Permission::kRead,
              [&s](Request&) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(auto list, s.segment_store.List());
                core::Json items = core::Json::array();
                for (const auto& g : list) items.push_back(SegmentJson(g, CountOf(g, s)));
                return JsonResponse(200, {{"items", std::move(items)}});
              }});

  router.Add({"POST", "/api/v1/segments", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto name = r.RequiredString("name", 100);
                auto description = r.OptionalString("description", 1000);
                const core::Json* filter = r.Value("filter", /*required=*/true);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(segments::Filter f, ReadFilter(*filter));
                SHOPCRM_ASSIGN_OR_RETURN(
                    auto g,
                    s.segment_store.Create(*name, description.value_or(""), f, req.Actor()));
                return JsonResponse(201, SegmentJson(g, CountOf(g, s)));
              }});

  router.Add({"GET", "/api/v1/segments/{id}", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto g, s.segment_store.Get(id));
                return JsonResponse(200, SegmentJson(g, CountOf(g, s)));
              }});

  router.Add({"PATCH", "/api/v1/segments/{id}", Access::kAuthenticated, Permission::kOperate,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto name = r.OptionalString("name", 100);
                auto description = r.OptionalString("description", 1000);
                const core::Json* filter = r.Value("filter");
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                std::optional<segments::Filter> f;
                if (filter != nullptr) {
                  SHOPCRM_ASSIGN_OR_RETURN(f, ReadFilter(*filter));
                }
                SHOPCRM_ASSIGN_OR_RETURN(
                    auto g, s.segment_store.Update(id, name, description, f, req.Actor()));
                return JsonResponse(200, SegmentJson(g, CountOf(g, s)));
              }});

  router.Add({"DELETE", "/api/v1/segments/{id}", Access::kAuthenticated, Permission::kOperate,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_RETURN_IF_ERROR(s.segment_store.Delete(id, req.Actor()));
                return NoContent();
              }});

  router.Add({"GET", "/api/v1/segments/{id}/members", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(PageParams page, ParsePageParams(req));
                SHOPCRM_ASSIGN_OR_RETURN(auto g, s.segment_store.Get(id));
                const auto limit = static_cast<size_t>(page.limit);
                SHOPCRM_ASSIGN_OR_RETURN(
                    auto ids, MembersPage(s, g, page.cursor.value_or(INT64_MIN), limit + 1));
                const bool more = ids.size() > limit;
                if (more) ids.resize(limit);
                SHOPCRM_ASSIGN_OR_RETURN(auto external, s.facts.ExternalIds(ids));
                core::Json items = core::Json::array();
                for (const auto& [user_id, external_id] : external) {
                  items.push_back({{"id", std::to_string(user_id)}, {"external_id", external_id}});
                }
                std::optional<int64_t> next;
                if (more && !ids.empty()) next = ids.back();
                return JsonResponse(
                    200, {{"items", std::move(items)}, {"next_cursor", CursorOrNull(next)}});
              }});

  router.Add({"GET", "/api/v1/segments/{id}/members.csv", Access::kAuthenticated, Permission::kRead,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(auto g, s.segment_store.Get(id));
                // The members are taken once, from one index at one instant (a
                // snapshot's are frozen anyway), then written a page at a time.
                std::vector<int64_t> ids;
                if (g.kind == "snapshot") {
                  for (int64_t after = INT64_MIN;;) {
                    SHOPCRM_ASSIGN_OR_RETURN(auto page, s.segment_store.Members(id, after, 50000));
                    ids.insert(ids.end(), page.begin(), page.end());
                    if (page.size() < 50000) break;
                    after = page.back();
                  }
                } else {
                  SHOPCRM_ASSIGN_OR_RETURN(
                      ids, s.segments.Members(g.filter, std::nullopt, INT64_MIN, SIZE_MAX));
                }
                Response res;
                res.content_type = "text/csv; charset=utf-8";
                res.headers.emplace_back("Content-Disposition", "attachment; filename=\"segment-" +
                                                                    std::to_string(id) + ".csv\"");
                struct State {
                  std::vector<int64_t> ids;
                  size_t next = 0;
                  bool header = true;
                };
                auto state = std::make_shared<State>();
                state->ids = std::move(ids);
                res.stream = [&s, state](std::string& out) -> bool {
                  if (state->header) {
                    out += "user_id,external_id\r\n";
                    state->header = false;
                  }
                  constexpr size_t kPage = 5000;
                  const size_t end = std::min(state->ids.size(), state->next + kPage);
                  const std::vector<int64_t> page(
                      state->ids.begin() + static_cast<ptrdiff_t>(state->next),
                      state->ids.begin() + static_cast<ptrdiff_t>(end));
                  state->next = end;
                  auto external = s.facts.ExternalIds(page);
                  if (!external.ok()) throw std::runtime_error(external.error().ToString());
                  for (const auto& [user_id, external_id] : *external) {
                    out += std::to_string(user_id) + "," + CsvField(external_id) + "\r\n";
                  }
                  return state->next < state->ids.size();
                };
                return res;
              }});

  router.Add({"POST", "/api/v1/segments/{id}/snapshot", Access::kAuthenticated,
              Permission::kOperate, [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto name = r.RequiredString("name", 100);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(auto g, s.segment_store.Get(id));
                if (g.kind == "snapshot") {
                  return core::Conflict("segment_is_snapshot",
                                        "this segment is a snapshot already");
                }
                // Every member from one index, at one instant.
                const core::Instant at = s.segments.EvaluationTime(std::nullopt);
                SHOPCRM_ASSIGN_OR_RETURN(auto members,
                                         s.segments.Members(g.filter, at, INT64_MIN, SIZE_MAX));
                SHOPCRM_ASSIGN_OR_RETURN(
                    auto snap, s.segment_store.Snapshot(g, *name, at, members, req.Actor()));
                return JsonResponse(201, SegmentJson(snap, CountOf(snap, s)));
              }});
}

}  // namespace shopcrm::api
