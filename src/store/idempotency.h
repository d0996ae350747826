// Idempotent mutations: a caller's `Idempotency-Key` is stored with the first
// answer in the same transaction as the mutation, so repeating the call
// returns that answer and changes nothing, even across a crash between the
// commit and the reply.
//
// A call that fails rolls back and stores nothing: repeating it runs it again,
// which is safe because it wrote nothing. Two calls with one key racing each
// other: the second waits for the first's transaction (the key's row), then
// replays its answer.
//
// Owns table: idempotency_keys. Thread-safety: free functions, safe from any thread.
// Error reasons: idempotency_key_reused (kConflict: the key came with a
// different request), invalid_idempotency_key (kInvalidArgument).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "store/database.h"

namespace shopcrm::store {

struct IdempotencyKey {
  std::string scope;        // who and what: "<principal>:<operation>"
  std::string key;          // the caller's key; empty = not idempotent
  std::string fingerprint;  // a digest of the request; the same key with another request is refused
};

// Returns invalid_idempotency_key unless `key` is 1..255 printable ASCII characters.
core::Status CheckIdempotencyKey(std::string_view key);

struct Answer {
  std::string body;       // the answer `work` made, or the stored one
  bool replayed = false;  // true when this is the stored answer of an earlier call
};

// Runs `work` in one write transaction guarded by `key` (see above). `work`
// returns the answer to store and send. Without a key it simply runs `work`.
core::Result<Answer> TransactOnce(Database& db, const IdempotencyKey& key, int64_t now_micros,
                                  const std::function<core::Result<std::string>(Session&)>& work);

// The same inside the caller's write transaction (for callers that put several
// operations in one transaction, each in its own savepoint).
core::Result<Answer> AnswerOnce(Session& s, const IdempotencyKey& key, int64_t now_micros,
                                const std::function<core::Result<std::string>(Session&)>& work);

// Deletes keys older than `before_micros`; returns how many.
core::Result<int64_t> ForgetIdempotencyKeys(Database& db, int64_t before_micros);

}  // namespace shopcrm::store
