#include "store/paging.h"

namespace shopcrm::store {

core::Status ValidatePageLimit(int limit) {
  if (limit >= 1 && limit <= kMaxPageLimit) return core::Status::Ok();
  return core::InvalidFields("invalid_fields",
                             {{"limit", "out_of_range", "must be between 1 and 200"}});
}

}  // namespace shopcrm::store
