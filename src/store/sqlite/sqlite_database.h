// SQLite backend: one file in WAL mode, a pool of connections (one per
// concurrent caller), BEGIN IMMEDIATE for writes, prepared statements cached
// per connection. `path` ":memory:" gives a private in-memory database with a
// single connection (tests only).
#pragma once

#include <memory>

#include "store/database.h"

namespace shopcrm::store::sqlite {

core::Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                                   const DatabaseOptions& options);

}  // namespace shopcrm::store::sqlite
