#include "api/routes/idempotent_request.h"

#include <cstdio>

namespace shopcrm::api {
namespace {

// FNV-1a over the method, path and body: the same key must come with the same request.
std::string Fingerprint(const Request& req) {
  uint64_t h = 1469598103934665603ull;
  for (const std::string* part : {&req.method, &req.path, &req.body}) {
    for (char ch : *part) {
      h ^= static_cast<uint8_t>(ch);
      h *= 1099511628211ull;
    }
    h ^= 0xff;
    h *= 1099511628211ull;
  }
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
  return out;
}

}  // namespace

core::Result<store::IdempotencyKey> ReadKey(const Request& req, std::string_view operation) {
  store::IdempotencyKey key;
  key.key = req.Header("idempotency-key");
  if (key.key.empty()) return key;
  SHOPCRM_RETURN_IF_ERROR(store::CheckIdempotencyKey(key.key));
  const audit::Actor actor = req.Actor();
  key.scope = actor.type + ":" + actor.id + ":" + std::string(operation);
  key.fingerprint = Fingerprint(req);
  return key;
}

Response AnswerResponse(int status, const store::Answer& a) {
  Response r;
  r.status = status;
  r.body = a.body;
  if (a.replayed) r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

}  // namespace shopcrm::api
