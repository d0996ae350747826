// Keyset paging shared by every list endpoint: newest first by id, `limit`
// rows a page, and the last id of a full page as the cursor for the next.
//
// Callers select `LIMIT limit + 1` rows with `id < cursor ORDER BY id DESC`;
// the extra row only tells whether another page exists.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "store/database.h"

namespace shopcrm::store {

inline constexpr int kMaxPageLimit = 200;

template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<int64_t> next_cursor;  // pass back as `cursor` for the next page
};

// invalid_fields naming `limit` unless 1 <= limit <= kMaxPageLimit.
core::Status ValidatePageLimit(int limit);

// The bound for `id < ?`: the cursor, or "no bound".
inline int64_t CursorBound(std::optional<int64_t> cursor) { return cursor.value_or(INT64_MAX); }

// Converts up to `limit` rows with `convert(row) -> T`; `id_of(item)` gives
// the cursor when a further row shows another page exists.
template <typename T, typename Convert, typename IdOf>
Page<T> MakePage(const Rows& rows, int limit, Convert convert, IdOf id_of) {
  Page<T> page;
  for (const auto& r : rows.rows) {
    if (page.items.size() == static_cast<size_t>(limit)) {
      page.next_cursor = id_of(page.items.back());
      break;
    }
    page.items.push_back(convert(r));
  }
  return page;
}

// Calls run(text, params) for `ids` a chunk of 500 at a time: `text` is `sql`
// with the chunk's parenthesized placeholders where it has "{in}", and
// `params` are `leading` then the chunk's ids.
core::Status EachIdChunk(const std::vector<int64_t>& ids, std::string_view sql,
                         const std::vector<Value>& leading,
                         const std::function<core::Status(const std::string& text,
                                                          const std::vector<Value>& params)>& run);

// Runs the query `sql` for `ids` a chunk at a time (EachIdChunk), each chunk
// in its own read transaction, calling `row` for each row.
core::Status ForIdChunks(Database& db, const std::vector<int64_t>& ids, std::string_view sql,
                         const std::function<core::Status(const Row&)>& row);

}  // namespace shopcrm::store
