#include "store/idempotency.h"

namespace shopcrm::store {

core::Status CheckIdempotencyKey(std::string_view key) {
  bool printable = !key.empty() && key.size() <= 255;
  for (char c : key) printable = printable && c >= 0x21 && c <= 0x7e;
  if (!printable) {
    return core::InvalidArgument(
        "invalid_idempotency_key", "Idempotency-Key must be 1 to 255 printable ASCII characters",
        {{"Idempotency-Key", "invalid_format", "1 to 255 printable ASCII characters, no spaces"}});
  }
  return core::Status::Ok();
}

core::Result<Answer> AnswerOnce(Session& s, const IdempotencyKey& key, int64_t now_micros,
                                const std::function<core::Result<std::string>(Session&)>& work) {
  Answer answer;
  if (!key.key.empty()) {
    // Taking the key first: a concurrent call with the same key waits here
    // (PostgreSQL: on the row; SQLite: writers are serial) until the first
    // commits, then finds its answer.
    SHOPCRM_ASSIGN_OR_RETURN(
        int64_t taken,
        s.Execute("INSERT INTO idempotency_keys (scope, idem_key, fingerprint, answer, "
                  "created_at) VALUES (?, ?, ?, '', ?) ON CONFLICT (scope, idem_key) DO NOTHING",
                  {key.scope, key.key, key.fingerprint, now_micros}));
    if (taken == 0) {
      SHOPCRM_ASSIGN_OR_RETURN(
          auto rows, s.Query("SELECT fingerprint, answer FROM idempotency_keys WHERE scope = ? "
                             "AND idem_key = ?",
                             {key.scope, key.key}));
      if (rows.empty() || rows.rows[0].Text(0) != key.fingerprint) {
        return core::Conflict("idempotency_key_reused",
                              "this Idempotency-Key was used with a different request");
      }
      answer.body = rows.rows[0].Text(1);
      answer.replayed = true;
      return answer;
    }
  }
  SHOPCRM_ASSIGN_OR_RETURN(answer.body, work(s));
  if (!key.key.empty()) {
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE idempotency_keys SET answer = ? WHERE scope = ? AND idem_key = ?",
                  {answer.body, key.scope, key.key})
            .status());
  }
  return answer;
}

core::Result<Answer> TransactOnce(Database& db, const IdempotencyKey& key, int64_t now_micros,
                                  const std::function<core::Result<std::string>(Session&)>& work) {
  return TransactFor<Answer>(db, TxMode::kWrite, [&](Session& s) -> core::Result<Answer> {
    return AnswerOnce(s, key, now_micros, work);
  });
}

core::Result<int64_t> ForgetIdempotencyKeys(Database& db, int64_t before_micros) {
  int64_t n = 0;
  SHOPCRM_RETURN_IF_ERROR(db.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        n, s.Execute("DELETE FROM idempotency_keys WHERE created_at < ?", {before_micros}));
    return core::Status::Ok();
  }));
  return n;
}

}  // namespace shopcrm::store
