// PostgreSQL backend over libpq: a pool of connections, statements prepared
// once per connection, `?` placeholders numbered to `$n`. Serialization
// failures, deadlocks and lock timeouts (40001, 40P01, 55P03) become database_busy, which makes
// Database::Transact re-run the transaction.
#pragma once

#include <memory>
#include <string>

#include "store/database.h"

namespace shopcrm::store::postgres {

core::Result<std::unique_ptr<Database>> OpenPostgres(const std::string& conninfo,
                                                     const DatabaseOptions& options);

// Rewrites `?` placeholders to `$1, $2, …`, leaving quoted strings, quoted
// identifiers, -- and /* */ comments alone. Exposed for tests.
std::string NumberPlaceholders(std::string_view sql);

}  // namespace shopcrm::store::postgres
