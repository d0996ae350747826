// The one place the order-counting rule of docs/orders.md is written in SQL:
// paid, not cancelled, and not wholly refunded.
#pragma once

#include <string_view>

namespace shopcrm::profiles::internal {

inline constexpr std::string_view kCountingOrder =
    "(paid_at IS NOT NULL AND status <> 'cancelled' AND paid_minor > refunded_minor)";

}  // namespace shopcrm::profiles::internal
