// POST /api/v1/ingest/{stores,categories,products,users,orders,order-updates,events}:
// batches from the mall's servers, as a JSON array or NDJSON, answered with
// an outcome per record (profiles/ingest.h).
#include "api/routes/routes.h"
#include "profiles/ingest.h"
#include "profiles/record_json.h"

namespace shopcrm::api {
namespace {

template <typename T>
using FromJson = profiles::Incoming<T> (*)(const core::Json&);

template <typename T>
using IngestFn = core::Result<profiles::BatchResult> (profiles::Ingest::*)(
    std::span<const profiles::Incoming<T>>);

core::Result<bool> IsNdjson(const Request& req) {
  const std::string& type = req.Header("content-type");
  if (type.starts_with("application/x-ndjson") || type.starts_with("application/ndjson") ||
      type.starts_with("application/jsonl")) {
    return true;
  }
  if (type.starts_with("application/json")) return false;
  return core::Error(core::ErrorCode::kUnsupportedMediaType, "unsupported_media_type",
                     "send a JSON array as application/json or one record per line as "
                     "application/x-ndjson");
}

core::Result<bool> ProblemsOnly(const Request& req) {
  auto v = req.Query("results");
  if (!v || *v == "all") return false;
  if (*v == "problems") return true;
  return core::InvalidFields("invalid_query",
                             {{"results", "invalid_enum", "expected all or problems"}});
}

template <typename T>
void AddIngestRoute(Router& router, Services& s, const ServerOptions& o, std::string path,
                    FromJson<T> from_json, IngestFn<T> ingest) {
  router.Add(
      {"POST", "/api/v1/ingest/" + path, Access::kAuthenticated, identity::Permission::kIntegrate,
       [&s, &o, from_json, ingest](Request& req) -> core::Result<Response> {
         SHOPCRM_ASSIGN_OR_RETURN(bool ndjson, IsNdjson(req));
         SHOPCRM_ASSIGN_OR_RETURN(bool problems_only, ProblemsOnly(req));
         SHOPCRM_ASSIGN_OR_RETURN(auto values, profiles::SplitBatch(req.body, ndjson, o.json,
                                                                    profiles::kMaxBatchRecords));
         std::vector<profiles::Incoming<T>> batch;
         batch.reserve(values.size());
         for (auto& v : values) {
           if (v.ok()) {
             batch.push_back(from_json(*v));
           } else {
             batch.push_back({"", std::move(v).error()});
           }
         }
         SHOPCRM_ASSIGN_OR_RETURN(profiles::BatchResult result, (s.ingest.*ingest)(batch));
         return JsonResponse(200, profiles::BatchResultJson(result, problems_only));
       }});
}

}  // namespace

void AddIngestRoutes(Router& router, Services& s, const ServerOptions& o) {
  using profiles::Ingest;
  AddIngestRoute(router, s, o, "stores", profiles::StoreFromJson, &Ingest::Stores);
  AddIngestRoute(router, s, o, "categories", profiles::CategoryFromJson, &Ingest::Categories);
  AddIngestRoute(router, s, o, "products", profiles::ProductFromJson, &Ingest::Products);
  AddIngestRoute(router, s, o, "users", profiles::UserFromJson, &Ingest::Users);
  AddIngestRoute(router, s, o, "orders", profiles::OrderFromJson, &Ingest::Orders);
  AddIngestRoute(router, s, o, "order-updates", profiles::OrderUpdateFromJson,
                 &Ingest::OrderUpdates);
  AddIngestRoute(router, s, o, "events", profiles::EventFromJson, &Ingest::Events);
}

}  // namespace shopcrm::api
