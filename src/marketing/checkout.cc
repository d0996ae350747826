// Checkout pricing (the rules are in checkout.h).
//
// The best-combination search is exact. The slots barely interact: store
// coupons of different stores touch disjoint items, the free-shipping coupon
// only touches the fee, and the one coupling is that store coupons shrink
// what is left for the platform coupon. So for each platform coupon (and
// none) a store whose coupons do not touch the platform coupon's items is
// chosen on its own, and only the stores that do are enumerated together,
// after dropping dominated choices. Maximising under that coupling is a
// subset-sum problem in general, so past kMaxCombinations the enumeration
// falls back to a few greedy picks; wallets that large do not occur in
// practice.
#include "marketing/checkout.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/money.h"

namespace shopcrm::marketing {
namespace {

__extension__ using Int128 = __int128;

constexpr size_t kMaxItems = 200;
constexpr int64_t kMaxQuantity = 100'000;
constexpr int64_t kMaxItemAmount = 10'000'000'000'000;   // 10^13 fen
constexpr int64_t kMaxCartAmount = 100'000'000'000'000;  // 10^14 fen
constexpr int64_t kMaxShippingFee = kMaxItemAmount;
constexpr size_t kMaxCombinations = 4096;  // store choices enumerated per platform coupon

enum class Slot { kPlatformGoods, kStoreGoods, kShipping };

Slot SlotOf(const Terms& t) {
  // A free-shipping coupon has its own slot whoever funds it.
  if (t.kind == CouponKind::kFreeShipping) return Slot::kShipping;
  return t.funding == Funding::kStore ? Slot::kStoreGoods : Slot::kPlatformGoods;
}

// The cart's amounts. A cart that passes ValidateCart is taken as it is; for
// one that does not, the clamps keep every later sum far from overflow
// (items within [0, 10^13], the cart within 10^14, the fee within 10^13).
struct CartView {
  const Cart* cart = nullptr;
  std::vector<int64_t> amounts;  // price × quantity per item
  int64_t shipping_fee = 0;
};

CartView MakeView(const Cart& cart) {
  CartView v;
  v.cart = &cart;
  v.amounts.reserve(cart.items.size());
  int64_t total = 0;
  for (const CartItem& item : cart.items) {
    const Int128 amount = static_cast<Int128>(std::max<int64_t>(item.price, 0)) *
                          std::clamp<int64_t>(item.quantity, 0, kMaxQuantity);
    const int64_t capped =
        static_cast<int64_t>(std::min<Int128>({amount, kMaxItemAmount, kMaxCartAmount - total}));
    v.amounts.push_back(capped);
    total += capped;
  }
  v.shipping_fee = std::clamp<int64_t>(cart.shipping_fee, 0, kMaxShippingFee);
  return v;
}

// One wallet coupon against the cart.
struct Analysis {
  const WalletCoupon* coupon = nullptr;
  Slot slot = Slot::kPlatformGoods;
  std::string reason;           // empty when usable
  std::vector<char> eligible;   // per cart item
  int64_t eligible_amount = 0;  // at list prices
  // Goods: the discount before the cap at what is left of the eligible
  // items. Shipping: the shipping discount.
  int64_t nominal = 0;
  int64_t standalone = 0;  // the discount were it used alone

  bool usable() const { return reason.empty(); }
  int64_t id() const { return coupon->id; }
  core::Instant until() const { return coupon->valid_until; }
};

std::string StatusReason(const WalletCoupon& c, core::Instant now) {
  if (c.status == "used") return "used";
  if (c.status == "locked") return "locked";
  if (c.status == "expired" || now >= c.valid_until) return "expired";
  if (now < c.valid_from) return "not_yet_valid";
  // A status outside the closed set: not usable, and "locked" is the slug
  // that promises the least about what happens to the coupon next.
  if (c.status != "unused") return "locked";
  return "";
}

bool ItemEligible(const Terms& t, const CartItem& item) {
  if (t.funding == Funding::kStore && item.store_id != t.store_id) return false;
  return t.skus.Allows(item.sku) && t.categories.Allows(item.category_id) &&
         t.stores.Allows(item.store_id);
}

int64_t NominalDiscount(const WalletCoupon& c, int64_t eligible_amount, int64_t shipping_fee) {
  const Terms& t = c.terms;
  switch (t.kind) {
    case CouponKind::kThreshold:
    case CouponKind::kRedPacket:
    case CouponKind::kRandomPacket:
      return std::max<int64_t>(c.face_value, 0);
    case CouponKind::kPercent: {
      // eligible_amount <= 10^14, so the product fits easily.
      const int64_t off = eligible_amount * std::clamp(t.percent_off, 0, 100) / 100;
      return t.discount > 0 ? std::min(off, t.discount) : off;
    }
    case CouponKind::kFreeShipping:
      return t.discount > 0 ? std::min(shipping_fee, t.discount) : shipping_fee;
  }
  return 0;
}

Analysis Analyze(const CartView& view, const WalletCoupon& c, core::Instant now) {
  Analysis a;
  a.coupon = &c;
  a.slot = SlotOf(c.terms);
  a.reason = StatusReason(c, now);
  if (!a.reason.empty()) return a;
  if (!c.terms.cities.Allows(view.cart->city)) {
    a.reason = "city_not_allowed";
    return a;
  }
  const auto& items = view.cart->items;
  a.eligible.assign(items.size(), 0);
  bool any = false;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!ItemEligible(c.terms, items[i])) continue;
    a.eligible[i] = 1;
    a.eligible_amount += view.amounts[i];
    any = true;
  }
  if (!any) {
    a.reason = "no_eligible_items";
    return a;
  }
  if (a.eligible_amount < c.terms.min_amount) {
    a.reason = "below_min_amount";
    return a;
  }
  if (a.slot == Slot::kShipping && view.shipping_fee <= 0) {
    a.reason = "no_shipping_fee";
    return a;
  }
  a.nominal = NominalDiscount(c, a.eligible_amount, view.shipping_fee);
  a.standalone = a.slot == Slot::kShipping ? a.nominal : std::min(a.nominal, a.eligible_amount);
  return a;
}

// Store coupons (by store id), then the platform goods coupon, then free shipping.
std::vector<const Analysis*> ApplicationOrder(std::vector<const Analysis*> coupons) {
  const auto rank = [](const Analysis* a) {
    switch (a->slot) {
      case Slot::kStoreGoods:
        return 0;
      case Slot::kPlatformGoods:
        return 1;
      case Slot::kShipping:
        return 2;
    }
    return 3;
  };
  std::sort(coupons.begin(), coupons.end(), [&](const Analysis* x, const Analysis* y) {
    const int rx = rank(x);
    const int ry = rank(y);
    if (rx != ry) return rx < ry;
    if (x->slot == Slot::kStoreGoods && x->coupon->terms.store_id != y->coupon->terms.store_id) {
      return x->coupon->terms.store_id < y->coupon->terms.store_id;
    }
    return x->id() < y->id();
  });
  return coupons;
}

// Splits `discount` over the items marked in `eligible`, weighted by `weights`
// (what is left of each); returns one part per cart item.
std::vector<int64_t> Split(int64_t discount, const std::vector<char>& eligible,
                           const std::vector<int64_t>& weights) {
  std::vector<int64_t> out(eligible.size(), 0);
  if (discount <= 0) return out;
  std::vector<size_t> index;
  std::vector<int64_t> w;
  for (size_t i = 0; i < eligible.size(); ++i) {
    if (!eligible[i]) continue;
    index.push_back(i);
    w.push_back(weights[i]);
  }
  auto parts = core::AllocateProportionally(discount, w);
  if (!parts.ok()) throw std::logic_error("checkout split: " + parts.error().ToString());
  for (size_t k = 0; k < index.size(); ++k) out[index[k]] = (*parts)[k];
  return out;
}

// Applies `ordered` (already in application order) to the cart.
Pricing Apply(const CartView& view, const std::vector<const Analysis*>& ordered) {
  const size_t n = view.amounts.size();
  Pricing p;
  p.item_discounts.assign(n, 0);
  std::vector<int64_t> remaining = view.amounts;
  for (const Analysis* a : ordered) {
    AppliedCoupon ac;
    ac.coupon_id = a->id();
    int64_t goods = 0;
    if (a->slot == Slot::kShipping) {
      ac.item_discounts.assign(n, 0);
      ac.shipping_discount = a->nominal;
    } else {
      int64_t left = 0;
      for (size_t i = 0; i < n; ++i) {
        if (a->eligible[i]) left += remaining[i];
      }
      goods = std::min(a->nominal, left);
      ac.item_discounts = Split(goods, a->eligible, remaining);
      for (size_t i = 0; i < n; ++i) remaining[i] -= ac.item_discounts[i];
    }
    ac.discount = goods + ac.shipping_discount;
    const int share = std::clamp(a->coupon->terms.platform_share_percent, 0, 100);
    ac.platform_part = ac.discount * share / 100;
    ac.store_part = ac.discount - ac.platform_part;
    p.total_discount += ac.discount;
    p.shipping_discount += ac.shipping_discount;
    for (size_t i = 0; i < n; ++i) p.item_discounts[i] += ac.item_discounts[i];
    p.applied.push_back(std::move(ac));
  }
  return p;
}

// ---- The search for the best combination ----

struct Candidate {
  int64_t total = 0;
  std::vector<const Analysis*> coupons;
};

// Larger total, then fewer coupons, then the sorted expiry lists compared
// lexicographically (those that expire first win), then the sorted id lists.
bool Better(const Candidate& a, const Candidate& b) {
  if (a.total != b.total) return a.total > b.total;
  if (a.coupons.size() != b.coupons.size()) return a.coupons.size() < b.coupons.size();
  const auto keys = [](const Candidate& c) {
    std::vector<core::Instant> until;
    std::vector<int64_t> ids;
    for (const Analysis* x : c.coupons) {
      until.push_back(x->until());
      ids.push_back(x->id());
    }
    std::sort(until.begin(), until.end());
    std::sort(ids.begin(), ids.end());
    return std::make_pair(std::move(until), std::move(ids));
  };
  return keys(a) < keys(b);
}

// One choice for a store's slot: a coupon, or none (coupon == nullptr).
struct StoreChoice {
  const Analysis* coupon = nullptr;
  int64_t discount = 0;  // its standalone discount (store coupons apply first)
  int64_t overlap = 0;   // the part of it on the platform coupon's eligible items
};

// Among choices that are equal on the money: none first, then the coupon
// that expires first, then the lower id.
bool TieFirst(const StoreChoice& x, const StoreChoice& y) {
  if (x.coupon == nullptr || y.coupon == nullptr) return x.coupon == nullptr && y.coupon != nullptr;
  return std::make_pair(x.coupon->until(), x.coupon->id()) <
         std::make_pair(y.coupon->until(), y.coupon->id());
}

// Drops choices that another choice beats in every context: at least the same
// discount, at least as much left for the platform coupon, and first on ties.
std::vector<StoreChoice> Undominated(const std::vector<StoreChoice>& choices) {
  std::vector<StoreChoice> out;
  for (const StoreChoice& x : choices) {
    const bool dominated = std::any_of(choices.begin(), choices.end(), [&](const StoreChoice& y) {
      return &x != &y && y.discount >= x.discount &&
             y.discount - y.overlap >= x.discount - x.overlap && TieFirst(y, x);
    });
    if (!dominated) out.push_back(x);
  }
  return out;
}

class Search final {
 public:
  Search(const CartView& view, const std::vector<Analysis>& analyses) {
    for (const Analysis& a : analyses) {
      if (!a.usable()) continue;
      if (a.coupon->terms.exclusive) {
        Consider({a.standalone, {&a}});
        continue;
      }
      switch (a.slot) {
        case Slot::kPlatformGoods:
          platform_.push_back(&a);
          break;
        case Slot::kStoreGoods:
          stores_[a.coupon->terms.store_id].push_back(
              {&a, Split(a.standalone, a.eligible, view.amounts)});
          break;
        case Slot::kShipping:
          if (shipping_ == nullptr || a.nominal > shipping_->nominal ||
              (a.nominal == shipping_->nominal &&
               std::make_pair(a.until(), a.id()) <
                   std::make_pair(shipping_->until(), shipping_->id()))) {
            shipping_ = &a;
          }
          break;
      }
    }
  }

  Candidate Run() {
    WithPlatform(nullptr);
    for (const Analysis* p : platform_) WithPlatform(p);
    return best_;
  }

 private:
  struct StoreCoupon {
    const Analysis* analysis;
    std::vector<int64_t> split;  // its parts per cart item, at list prices
  };

  void Consider(Candidate c) {
    if (Better(c, best_)) best_ = std::move(c);
  }

  void WithPlatform(const Analysis* platform) {
    std::vector<const Analysis*> fixed;
    int64_t fixed_total = 0;
    if (shipping_ != nullptr) {
      fixed.push_back(shipping_);
      fixed_total += shipping_->nominal;
    }
    if (platform != nullptr) fixed.push_back(platform);

    std::vector<std::vector<StoreChoice>> coupled;
    for (const auto& [store_id, coupons] : stores_) {
      std::vector<StoreChoice> choices{StoreChoice{}};
      bool touches_platform = false;
      for (const StoreCoupon& sc : coupons) {
        StoreChoice ch{sc.analysis, sc.analysis->standalone, 0};
        if (platform != nullptr) {
          for (size_t i = 0; i < sc.split.size(); ++i) {
            if (platform->eligible[i]) ch.overlap += sc.split[i];
          }
        }
        touches_platform = touches_platform || ch.overlap > 0;
        choices.push_back(ch);
      }
      if (touches_platform) {
        coupled.push_back(Undominated(choices));
        continue;
      }
      const StoreChoice pick = *std::min_element(choices.begin(), choices.end(),
                                                 [](const StoreChoice& x, const StoreChoice& y) {
                                                   if (x.discount != y.discount)
                                                     return x.discount > y.discount;
                                                   return TieFirst(x, y);
                                                 });
      if (pick.coupon != nullptr) {
        fixed.push_back(pick.coupon);
        fixed_total += pick.discount;
      }
    }

    const auto evaluate = [&](const std::vector<const StoreChoice*>& picks) {
      int64_t store_total = 0;
      int64_t overlap = 0;
      for (const StoreChoice* ch : picks) {
        store_total += ch->discount;
        overlap += ch->overlap;
      }
      int64_t total = fixed_total + store_total;
      if (platform != nullptr)
        total += std::min(platform->nominal, platform->eligible_amount - overlap);
      if (total < best_.total) return;
      Candidate c{total, fixed};
      for (const StoreChoice* ch : picks) {
        if (ch->coupon != nullptr) c.coupons.push_back(ch->coupon);
      }
      Consider(std::move(c));
    };

    size_t combinations = 1;
    for (const auto& choices : coupled) {
      combinations = combinations > kMaxCombinations ? combinations : combinations * choices.size();
    }
    std::vector<const StoreChoice*> picks(coupled.size());
    if (combinations <= kMaxCombinations) {
      std::vector<size_t> at(coupled.size(), 0);
      while (true) {
        for (size_t s = 0; s < coupled.size(); ++s) picks[s] = &coupled[s][at[s]];
        evaluate(picks);
        size_t s = 0;
        while (s < coupled.size() && ++at[s] == coupled[s].size()) at[s++] = 0;
        if (s == coupled.size()) break;
      }
      return;
    }
    // Too many to enumerate: the largest discount per store, the most left for
    // the platform coupon per store, and no store coupon at all.
    const auto greedy = [&](auto key) {
      for (size_t s = 0; s < coupled.size(); ++s) {
        picks[s] = &*std::min_element(coupled[s].begin(), coupled[s].end(),
                                      [&](const StoreChoice& x, const StoreChoice& y) {
                                        if (key(x) != key(y)) return key(x) > key(y);
                                        return TieFirst(x, y);
                                      });
      }
      evaluate(picks);
    };
    greedy([](const StoreChoice& c) { return c.discount; });
    greedy([](const StoreChoice& c) { return c.discount - c.overlap; });
    greedy([](const StoreChoice&) { return int64_t{0}; });
  }

  std::vector<const Analysis*> platform_;
  std::map<std::string, std::vector<StoreCoupon>> stores_;
  const Analysis* shipping_ = nullptr;
  Candidate best_;  // starts as no coupon at all
};

std::string CouponField(size_t i) { return "coupon_ids[" + std::to_string(i) + "]"; }

std::string DetailOf(const std::vector<core::FieldError>& fields, std::string_view many) {
  if (fields.size() == 1) return fields[0].field + ": " + fields[0].detail;
  return std::to_string(fields.size()) + " " + std::string(many);
}

// The stacking rules over the chosen coupons (`chosen[i]` → `analyses[i]`).
std::vector<core::FieldError> StackingConflicts(const std::vector<const Analysis*>& chosen) {
  std::vector<core::FieldError> out;
  if (chosen.size() > 1) {
    for (size_t i = 0; i < chosen.size(); ++i) {
      if (chosen[i]->coupon->terms.exclusive) {
        out.push_back({CouponField(i), "coupons_do_not_stack",
                       "coupon " + std::to_string(chosen[i]->id()) + " is used alone"});
      }
    }
  }
  bool platform = false;
  bool shipping = false;
  std::unordered_set<std::string> stores;
  for (size_t i = 0; i < chosen.size(); ++i) {
    const Analysis& a = *chosen[i];
    bool second = false;
    std::string what;
    switch (a.slot) {
      case Slot::kPlatformGoods:
        second = std::exchange(platform, true);
        what = "a second platform coupon";
        break;
      case Slot::kStoreGoods:
        second = !stores.insert(a.coupon->terms.store_id).second;
        what = "a second coupon of store " + a.coupon->terms.store_id;
        break;
      case Slot::kShipping:
        second = std::exchange(shipping, true);
        what = "a second free-shipping coupon";
        break;
    }
    if (second) {
      out.push_back({CouponField(i), "coupons_do_not_stack",
                     "coupon " + std::to_string(a.id()) + " is " + what});
    }
  }
  return out;
}

}  // namespace

Evaluation Evaluate(const Cart& cart, std::span<const WalletCoupon> wallet, core::Instant now) {
  const CartView view = MakeView(cart);
  std::vector<Analysis> analyses;
  analyses.reserve(wallet.size());
  for (const WalletCoupon& c : wallet) analyses.push_back(Analyze(view, c, now));

  Evaluation out;
  for (const Analysis& a : analyses) {
    out.coupons.push_back({a.id(), a.usable(), a.reason, a.usable() ? a.standalone : 0});
  }
  Candidate best = Search(view, analyses).Run();
  out.best = Apply(view, ApplicationOrder(std::move(best.coupons)));
  return out;
}

core::Result<Pricing> Price(const Cart& cart, std::span<const WalletCoupon> wallet,
                            std::span<const int64_t> chosen, core::Instant now) {
  std::vector<core::FieldError> duplicates;
  std::unordered_set<int64_t> seen;
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (!seen.insert(chosen[i]).second) {
      duplicates.push_back({CouponField(i), "duplicate_coupon",
                            "coupon " + std::to_string(chosen[i]) + " is chosen more than once"});
    }
  }
  if (!duplicates.empty()) {
    return core::InvalidArgument("duplicate_coupon",
                                 DetailOf(duplicates, "coupons are chosen more than once"),
                                 std::move(duplicates));
  }

  std::unordered_map<int64_t, const WalletCoupon*> by_id;
  for (const WalletCoupon& c : wallet) by_id.emplace(c.id, &c);
  std::vector<core::FieldError> missing;
  for (size_t i = 0; i < chosen.size(); ++i) {
    if (!by_id.contains(chosen[i])) {
      missing.push_back({CouponField(i), "coupon_not_found",
                         "coupon " + std::to_string(chosen[i]) + " is not in the wallet"});
    }
  }
  if (!missing.empty()) {
    return core::InvalidArgument(
        "coupon_not_found", DetailOf(missing, "coupons are not in the wallet"), std::move(missing));
  }

  const CartView view = MakeView(cart);
  std::vector<Analysis> analyses;
  analyses.reserve(chosen.size());
  std::vector<core::FieldError> unusable;
  for (size_t i = 0; i < chosen.size(); ++i) {
    analyses.push_back(Analyze(view, *by_id.at(chosen[i]), now));
    if (!analyses.back().usable()) {
      unusable.push_back({CouponField(i), analyses.back().reason,
                          "coupon " + std::to_string(chosen[i]) +
                              " cannot be used on this cart: " + analyses.back().reason});
    }
  }
  if (!unusable.empty()) {
    std::string detail = DetailOf(unusable, "coupons cannot be used on this cart");
    return core::Error(core::ErrorCode::kFailedPrecondition, "coupon_not_usable", std::move(detail),
                       std::move(unusable));
  }

  std::vector<const Analysis*> pointers;
  for (const Analysis& a : analyses) pointers.push_back(&a);
  std::vector<core::FieldError> conflicts = StackingConflicts(pointers);
  if (!conflicts.empty()) {
    std::string detail = DetailOf(conflicts, "coupons do not stack with the others");
    return core::Error(core::ErrorCode::kFailedPrecondition, "coupons_do_not_stack",
                       std::move(detail), std::move(conflicts));
  }
  return Apply(view, ApplicationOrder(std::move(pointers)));
}

core::Status ValidateCart(const Cart& cart) {
  std::vector<core::FieldError> errors;
  if (cart.items.empty() || cart.items.size() > kMaxItems) {
    errors.push_back({"items", "invalid_length", "must hold 1 to 200 items"});
  }
  Int128 total = 0;
  for (size_t i = 0; i < cart.items.size(); ++i) {
    const CartItem& item = cart.items[i];
    const std::string prefix = "items[" + std::to_string(i) + "]";
    if (item.sku.empty()) errors.push_back({prefix + ".sku", "required", "must not be empty"});
    const bool price_ok = item.price >= 0;
    if (!price_ok) errors.push_back({prefix + ".price", "must_not_be_negative", "must be >= 0"});
    const bool quantity_ok = item.quantity >= 1 && item.quantity <= kMaxQuantity;
    if (!quantity_ok) {
      errors.push_back({prefix + ".quantity", "out_of_range", "must be 1 to 100000"});
    }
    if (!price_ok || !quantity_ok) continue;
    const Int128 amount = static_cast<Int128>(item.price) * item.quantity;
    if (amount > kMaxItemAmount) {
      errors.push_back(
          {prefix, "too_large", "price * quantity must be at most 10000000000000 minor units"});
      continue;
    }
    total += amount;
  }
  if (total > kMaxCartAmount) {
    errors.push_back(
        {"items", "too_large", "the cart must total at most 100000000000000 minor units"});
  }
  if (cart.shipping_fee < 0) {
    errors.push_back({"shipping_fee", "must_not_be_negative", "must be >= 0"});
  } else if (cart.shipping_fee > kMaxShippingFee) {
    errors.push_back({"shipping_fee", "too_large", "must be at most 10000000000000 minor units"});
  }
  if (errors.empty()) return core::Status::Ok();
  return core::InvalidFields("invalid_fields", std::move(errors));
}

}  // namespace shopcrm::marketing
