// Where the order-counting rule of docs/orders.md is written in SQL:
// paid, not cancelled, and not wholly refunded.
#pragma once

#include <string_view>

namespace shopcrm::profiles::internal {

inline constexpr std::string_view kCountingOrder =
    "(paid_at IS NOT NULL AND status <> 'cancelled' AND paid_minor > refunded_minor)";
// The same rule for `orders o` in a join.
inline constexpr std::string_view kCountingOrderO =
    "(o.paid_at IS NOT NULL AND o.status <> 'cancelled' AND o.paid_minor > o.refunded_minor)";

}  // namespace shopcrm::profiles::internal
