#include "store/paging.h"

#include <algorithm>
#include <string>

namespace shopcrm::store {

core::Status ValidatePageLimit(int limit) {
  if (limit >= 1 && limit <= kMaxPageLimit) return core::Status::Ok();
  return core::InvalidFields("invalid_fields",
                             {{"limit", "out_of_range", "must be between 1 and 200"}});
}

core::Status EachIdChunk(const std::vector<int64_t>& ids, std::string_view sql,
                         const std::vector<Value>& leading,
                         const std::function<core::Status(const std::string& text,
                                                          const std::vector<Value>& params)>& run) {
  constexpr size_t kChunk = 500;
  const size_t at = sql.find("{in}");
  for (size_t start = 0; start < ids.size(); start += kChunk) {
    const size_t n = std::min(kChunk, ids.size() - start);
    std::string list = "(?";
    for (size_t i = 1; i < n; ++i) list += ", ?";
    list += ")";
    const std::string text =
        std::string(sql.substr(0, at)) + list + std::string(sql.substr(at + 4));
    std::vector<Value> params = leading;
    params.insert(params.end(), ids.begin() + static_cast<ptrdiff_t>(start),
                  ids.begin() + static_cast<ptrdiff_t>(start + n));
    SHOPCRM_RETURN_IF_ERROR(run(text, params));
  }
  return core::Status::Ok();
}

core::Status ForIdChunks(Database& db, const std::vector<int64_t>& ids, std::string_view sql,
                         const std::function<core::Status(const Row&)>& row) {
  return EachIdChunk(
      ids, sql, {}, [&](const std::string& text, const std::vector<Value>& params) -> core::Status {
        Rows rows;
        SHOPCRM_RETURN_IF_ERROR(db.Transact(TxMode::kRead, [&](Session& s) -> core::Status {
          SHOPCRM_ASSIGN_OR_RETURN(rows, s.Query(text, params));
          return core::Status::Ok();
        }));
        for (const auto& r : rows.rows) SHOPCRM_RETURN_IF_ERROR(row(r));
        return core::Status::Ok();
      });
}

}  // namespace shopcrm::store
