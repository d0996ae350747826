// Mutations that honour an Idempotency-Key header (store/idempotency.h): the
// key of a request, scoped to its principal and operation, and the answer,
// marked `Idempotent-Replayed: true` when it is a stored one.
#pragma once

#include <string_view>

#include "api/http.h"
#include "store/idempotency.h"

namespace shopcrm::api {

// The request's key, or an empty one when it has none: invalid_idempotency_key.
core::Result<store::IdempotencyKey> ReadKey(const Request& req, std::string_view operation);

// `status` with the answer's body and the replay header.
Response AnswerResponse(int status, const store::Answer& a);

}  // namespace shopcrm::api
