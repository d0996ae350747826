#include "profiles/demo.h"

#include <algorithm>
#include <cstdio>
#include <random>

#include "core/json.h"
#include "core/money.h"
#include "profiles/internal/demo_data.h"
#include "profiles/internal/import_session.h"

namespace shopcrm::profiles {
namespace {

using internal::Feed;
using internal::ImportSession;
using internal::Origin;
using internal::Weighted;
using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Uniform choices built on the raw 64-bit stream, so every implementation
// draws the same values (std::uniform_int_distribution may differ).
class Rng final {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}

  // Uniform in [0, n), n > 0, without modulo bias.
  uint64_t Below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;
    for (;;) {
      const uint64_t r = gen_();
      if (r >= threshold) return r % n;
    }
  }
  // Uniform in [lo, hi].
  int64_t Between(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  bool Percent(uint64_t p) { return Below(100) < p; }
  template <typename A>
  const auto& Pick(const A& items) {
    return items[Below(items.size())];
  }
  template <typename A>
  size_t PickWeighted(const A& items) {
    uint64_t total = 0;
    for (const auto& w : items) total += w.weight;
    uint64_t r = Below(total);
    for (size_t i = 0; i < items.size(); ++i) {
      if (r < items[i].weight) return i;
      r -= items[i].weight;
    }
    return items.size() - 1;
  }

 private:
  std::mt19937_64 gen_;
};

constexpr hours kChinaOffset{8};
constexpr std::string_view kFile = "generated";

enum class Lifecycle { kNew, kLoyal, kRegular, kLapsing, kOneTime, kSilent };

struct Product {
  std::string id;
  std::string name;
  std::string category;      // leaf
  std::string top_category;  // its parent
  std::string store;
  int64_t price_fen = 0;
  size_t leaf = 0;  // index in kDemoLeaves
};

struct Catalog {
  std::vector<StoreRecord> stores;
  std::vector<CategoryRecord> categories;
  std::vector<Product> products;
};

std::string TopOf(std::string_view leaf) {
  for (const auto& c : internal::kDemoCategories) {
    if (c.id == leaf) return std::string(c.parent);
  }
  return "";
}

// A price a shop would ask: whole yuan ending in 9, sometimes .90.
int64_t ShopPrice(Rng& rng, int64_t min_yuan, int64_t max_yuan) {
  int64_t yuan = rng.Between(min_yuan, max_yuan);
  if (yuan >= 20) yuan = yuan / 10 * 10 + 9;
  return rng.Percent(20) ? yuan * 100 - 10 : yuan * 100;
}

Catalog MakeCatalog(Rng& rng) {
  Catalog c;
  for (const auto& s : internal::kDemoStores) {
    StoreRecord r;
    r.source_id = std::string(s.id);
    r.name = std::string(s.name);
    r.city = std::string(s.city);
    r.province = std::string(s.province);
    r.is_platform = s.top_category.empty();
    c.stores.push_back(std::move(r));
  }
  for (const auto& cat : internal::kDemoCategories) {
    CategoryRecord r;
    r.source_id = std::string(cat.id);
    r.name = std::string(cat.name);
    r.name_en = std::string(cat.name_en);
    if (!cat.parent.empty()) r.parent_source_id = std::string(cat.parent);
    c.categories.push_back(std::move(r));
  }
  // 12 products per leaf category: 300 in all.
  int n = 0;
  for (size_t leaf = 0; leaf < internal::kDemoLeaves.size(); ++leaf) {
    const auto& l = internal::kDemoLeaves[leaf];
    const std::string top = TopOf(l.category);
    std::vector<const internal::DemoStore*> sellers;
    for (const auto& s : internal::kDemoStores) {
      if (s.top_category == top) sellers.push_back(&s);
    }
    for (int k = 0; k < 12; ++k) {
      const internal::DemoStore* store =
          rng.Percent(20) ? &internal::kDemoStores[0] : sellers[rng.Below(sellers.size())];
      Product p;
      char id[16];
      std::snprintf(id, sizeof id, "P%04d", ++n);
      p.id = id;
      p.name = std::string(store->brand) + " " + std::string(l.items[static_cast<size_t>(k) % 6]) +
               " " + std::string(internal::kDemoVariants[static_cast<size_t>(k) / 2]);
      p.category = std::string(l.category);
      p.top_category = top;
      p.store = std::string(store->id);
      p.price_fen = ShopPrice(rng, l.min_yuan, l.max_yuan);
      p.leaf = leaf;
      c.products.push_back(std::move(p));
    }
  }
  return c;
}

// Everything one user brings.
struct UserData {
  UserRecord user;
  std::vector<OrderRecord> orders;
  std::vector<OrderUpdateRecord> updates;
  std::vector<EventRecord> events;
};

class UserGenerator final {
 public:
  UserGenerator(Rng& rng, const Catalog& catalog, core::Instant now)
      : rng_(rng),
        catalog_(catalog),
        now_(std::chrono::floor<seconds>(now)),
        today_(std::chrono::floor<days>(now_ + kChinaOffset)) {}

  UserData Make(int64_t index) {
    UserData d;
    number_ = 10'000'000 + index;
    event_seq_ = 0;
    MakeProfile(d.user, index);
    MakeActivity(d);
    return d;
  }

 private:
  // A time on the local day `days_ago` days before today, in the evening
  // more often than at night; never after now.
  core::Instant TimeOnDay(int64_t days_ago) {
    static constexpr std::array<Weighted, 24> kHours = {{
        {"", 2}, {"", 1}, {"", 1}, {"", 0},  {"", 0},  {"", 0},  {"", 1},  {"", 3},
        {"", 5}, {"", 6}, {"", 6}, {"", 7},  {"", 9},  {"", 7},  {"", 6},  {"", 6},
        {"", 6}, {"", 7}, {"", 8}, {"", 10}, {"", 13}, {"", 14}, {"", 12}, {"", 6},
    }};
    const auto local_day = today_ - days(days_ago);
    const auto local = local_day + hours(static_cast<int64_t>(rng_.PickWeighted(kHours))) +
                       minutes(rng_.Below(60)) + seconds(rng_.Below(60));
    return Clamp(core::Instant(local - kChinaOffset));
  }
  core::Instant Clamp(core::Instant t) const {
    if (t > now_ - seconds(1)) t = now_ - seconds(1);
    if (registered_ && t < *registered_ + seconds(60)) t = *registered_ + seconds(60);
    return t;
  }

  void MakeProfile(UserRecord& u, int64_t index) {
    u.external_id = "U" + std::to_string(number_);
    const uint64_t g = rng_.Below(100);
    const bool female = g < 52;
    u.gender = g < 52 ? "female" : (g < 97 ? "male" : "unknown");
    const auto& surname = internal::kDemoSurnames[rng_.PickWeighted(internal::kDemoSurnames)];
    const auto& names = female ? internal::kDemoFemaleGiven : internal::kDemoMaleGiven;
    std::string given(rng_.Pick(names));
    // A one-character name often gets a second character (CJK is 3 bytes in UTF-8).
    if (given.size() == 3 && rng_.Percent(45)) {
      std::string_view second = rng_.Pick(names);
      while (second.size() != 3) second = rng_.Pick(names);
      given += second;
    }
    u.name = std::string(surname.value) + given;
    // An odd multiplier coprime to 10 spreads the indices over all 8-digit
    // suffixes, so phones never repeat.
    const uint64_t suffix =
        (static_cast<uint64_t>(index) * 73'939'133ULL + 12'345'678ULL) % 100'000'000ULL;
    char phone[16];
    std::snprintf(phone, sizeof phone, "%s%08llu",
                  std::string(rng_.Pick(internal::kDemoPhonePrefixes)).c_str(),
                  static_cast<unsigned long long>(suffix));
    u.phone = phone;

    static constexpr std::array<Weighted, 5> kAges = {
        {{"18", 20}, {"25", 38}, {"35", 25}, {"45", 14}, {"60", 3}}};
    static constexpr std::array<int64_t, 5> kAgeFrom = {18, 25, 35, 45, 60};
    static constexpr std::array<int64_t, 5> kAgeTo = {24, 34, 44, 59, 70};
    const size_t band = rng_.PickWeighted(kAges);
    age_ = rng_.Between(kAgeFrom[band], kAgeTo[band]);
    if (rng_.Percent(92)) {
      const std::chrono::year_month_day today{std::chrono::sys_days(today_.time_since_epoch())};
      const std::chrono::year_month_day born{
          today.year() - std::chrono::years(age_),
          std::chrono::month(static_cast<unsigned>(rng_.Between(1, 12))),
          std::chrono::day(static_cast<unsigned>(rng_.Between(1, 28)))};
      u.birthday = core::FormatDate(born);
    }
    const auto& city = internal::kDemoCities[rng_.PickWeighted(internal::kDemoCities)];
    u.city = std::string(city.city);
    u.province = std::string(city.province);
    city_ = city.city;
    province_ = city.province;
    if (age_ <= 22 && rng_.Percent(75)) {
      u.occupation = "学生";
    } else if (age_ >= 60 && rng_.Percent(80)) {
      u.occupation = "退休";
    } else if (rng_.Percent(90)) {
      u.occupation = std::string(
          internal::kDemoOccupations[rng_.PickWeighted(internal::kDemoOccupations)].value);
    }
    if (rng_.Percent(85)) {
      u.education =
          std::string(internal::kDemoEducation[rng_.PickWeighted(internal::kDemoEducation)].value);
    }
    channel_ =
        std::string(internal::kDemoChannels[rng_.PickWeighted(internal::kDemoChannels)].value);
    u.source_channel = channel_;
    if (index > 10 && rng_.Percent(15)) {
      u.referrer_external_id =
          "U" + std::to_string(10'000'000 + 1 +
                               static_cast<int64_t>(rng_.Below(static_cast<uint64_t>(index - 1))));
    }
    static constexpr std::array<std::string_view, 3> kDevices = {"iOS", "Android", "HarmonyOS"};
    core::Json attrs = {{"device", rng_.Pick(kDevices)}, {"marketing_opt_in", rng_.Percent(70)}};
    u.attributes_json = core::DumpJson(attrs);

    // What they shop for: two top categories, leaning on gender and age.
    struct Interest {
      std::string_view id;
      uint32_t weight;
    };
    std::array<Interest, 7> interests = {{{"cat-apparel", female ? 30u : 18u},
                                          {"cat-digital", female ? 14u : 30u},
                                          {"cat-beauty", female ? 28u : 3u},
                                          {"cat-food", 20u},
                                          {"cat-home", female ? 18u : 10u},
                                          {"cat-baby", age_ >= 26 && age_ <= 40 ? 16u : 2u},
                                          {"cat-sports", female ? 8u : 18u}}};
    first_interest_ = std::string(interests[rng_.PickWeighted(interests)].id);
    do {
      second_interest_ = std::string(interests[rng_.PickWeighted(interests)].id);
    } while (second_interest_ == first_interest_);

    static constexpr std::array<Weighted, 6> kLifecycles = {{{"new", 15},
                                                             {"loyal", 18},
                                                             {"regular", 27},
                                                             {"lapsing", 15},
                                                             {"one_time", 10},
                                                             {"silent", 15}}};
    lifecycle_ = static_cast<Lifecycle>(rng_.PickWeighted(kLifecycles));
    switch (lifecycle_) {
      case Lifecycle::kNew:
        registered_days_ago_ = rng_.Between(0, 30);
        break;
      case Lifecycle::kLoyal:
      case Lifecycle::kLapsing:
        registered_days_ago_ = rng_.Between(200, 700);
        break;
      case Lifecycle::kRegular:
        registered_days_ago_ = rng_.Between(60, 700);
        break;
      case Lifecycle::kOneTime:
      case Lifecycle::kSilent:
        registered_days_ago_ = rng_.Between(30, 700);
        break;
    }
    registered_.reset();
    core::Instant reg = TimeOnDay(registered_days_ago_);
    if (reg > now_ - hours(1)) reg = now_ - hours(1);
    registered_ = reg;
    u.registered_at = reg;
  }

  // Days ago on which the user ordered, oldest first.
  std::vector<int64_t> OrderDays() {
    const int64_t window = std::min<int64_t>(registered_days_ago_, 400);
    std::vector<int64_t> out;
    auto spread = [&](int64_t count, int64_t from, int64_t to) {
      if (to < from) return;
      for (int64_t i = 0; i < count; ++i) out.push_back(rng_.Between(from, to));
    };
    switch (lifecycle_) {
      case Lifecycle::kNew: {
        const uint64_t r = rng_.Below(100);
        spread(r < 40 ? 0 : (r < 85 ? 1 : 2), 0, registered_days_ago_);
        break;
      }
      case Lifecycle::kLoyal:
        spread(rng_.Between(5, 17), 0, window);
        out.push_back(rng_.Between(0, 20));
        break;
      case Lifecycle::kRegular:
        spread(rng_.Between(1, 5), 0, window);
        out.push_back(rng_.Between(0, 75));
        break;
      case Lifecycle::kLapsing:
        spread(rng_.Between(2, 5), 120, window);
        break;
      case Lifecycle::kOneTime:
        spread(1, 30, window);
        break;
      case Lifecycle::kSilent:
        break;
    }
    std::sort(out.begin(), out.end(), std::greater<>());
    return out;
  }

  std::string EventId() {
    char id[32];
    std::snprintf(id, sizeof id, "E%lld-%04d", static_cast<long long>(number_), ++event_seq_);
    return id;
  }

  std::string EventChannel() {
    if (channel_ == "offline") return rng_.Percent(70) ? "app" : "mini_program";
    return rng_.Percent(85) ? channel_ : std::string(rng_.Percent(50) ? "app" : "h5");
  }

  EventRecord& AddEvent(UserData& d, std::string type, core::Instant at) {
    EventRecord e;
    e.source_id = EventId();
    e.user_external_id = d.user.external_id;
    e.type = std::move(type);
    e.occurred_at = Clamp(at);
    e.channel = EventChannel();
    d.events.push_back(std::move(e));
    return d.events.back();
  }

  void Visit(UserData& d, core::Instant at, const Product* p) {
    EventRecord& e = AddEvent(d, "visit", at);
    if (p == nullptr) {
      e.page = "home";
      return;
    }
    e.page = "product";
    e.product_source_id = p->id;
    e.category_source_id = p->category;
    e.store_source_id = p->store;
  }

  void OnProduct(UserData& d, std::string type, core::Instant at, const Product& p) {
    EventRecord& e = AddEvent(d, std::move(type), at);
    e.product_source_id = p.id;
    e.category_source_id = p.category;
    e.store_source_id = p.store;
  }

  std::string PickTopCategory() {
    const uint64_t r = rng_.Below(100);
    if (r < 50) return first_interest_;
    if (r < 78) return second_interest_;
    return TopOf(rng_.Pick(internal::kDemoLeaves).category);
  }

  std::vector<const Product*> ProductsOf(std::string_view top, std::string_view store) const {
    std::vector<const Product*> out;
    for (const auto& p : catalog_.products) {
      if (p.top_category == top && (store.empty() || p.store == store)) out.push_back(&p);
    }
    return out;
  }

  const Product& AnyProductOf(std::string_view top) {
    auto all = ProductsOf(top, "");
    return *all[rng_.Below(all.size())];
  }

  void Browse(UserData& d, int64_t days_ago) {
    core::Instant t = TimeOnDay(days_ago);
    if (rng_.Percent(25)) AddEvent(d, "login", t);
    Visit(d, t + seconds(5), nullptr);
    const std::string top = PickTopCategory();
    const Product& first = AnyProductOf(top);
    t += seconds(rng_.Between(20, 90));
    if (rng_.Percent(50)) {
      EventRecord& e = AddEvent(d, "search", t);
      e.search_query = std::string(rng_.Pick(internal::kDemoLeaves[first.leaf].searches));
      t += seconds(rng_.Between(10, 60));
    }
    if (rng_.Percent(5)) {
      EventRecord& e = AddEvent(d, "visit", t);
      e.page = "store";
      e.store_source_id = first.store;
      t += seconds(rng_.Between(10, 60));
    }
    const int64_t views = rng_.Between(1, 4);
    for (int64_t i = 0; i < views; ++i) {
      const Product& p = i == 0 ? first : AnyProductOf(top);
      Visit(d, t, &p);
      t += seconds(rng_.Between(15, 180));
      if (rng_.Percent(12)) OnProduct(d, "favourite", t, p);
      if (rng_.Percent(15)) OnProduct(d, "cart_add", t + seconds(5), p);
      if (rng_.Percent(4)) OnProduct(d, "share", t + seconds(20), p);
    }
  }

  void MakeActivity(UserData& d) {
    const std::vector<int64_t> order_days = OrderDays();
    for (size_t i = 0; i < order_days.size(); ++i) MakeOrder(d, order_days[i], i);

    int64_t sessions = 0;
    int64_t from = 0;
    int64_t to = std::min<int64_t>(registered_days_ago_, 400);
    switch (lifecycle_) {
      case Lifecycle::kNew:
        sessions = rng_.Between(1, 5);
        break;
      case Lifecycle::kLoyal:
        sessions = rng_.Between(8, 20);
        break;
      case Lifecycle::kRegular:
        sessions = rng_.Between(3, 10);
        break;
      case Lifecycle::kLapsing:
        sessions = rng_.Between(2, 6);
        from = 110;
        break;
      case Lifecycle::kOneTime:
        sessions = rng_.Between(1, 4);
        from = 25;
        break;
      case Lifecycle::kSilent:
        sessions = rng_.Between(0, 2);
        from = std::max<int64_t>(0, registered_days_ago_ - 7);
        to = registered_days_ago_;
        break;
    }
    for (int64_t i = 0; i < sessions && from <= to; ++i) Browse(d, rng_.Between(from, to));

    int64_t check_ins = 0;
    if (lifecycle_ == Lifecycle::kLoyal) check_ins = rng_.Between(6, 24);
    if (lifecycle_ == Lifecycle::kRegular && rng_.Percent(40)) check_ins = rng_.Between(1, 6);
    if (lifecycle_ == Lifecycle::kNew && rng_.Percent(30)) check_ins = rng_.Between(1, 3);
    const int64_t check_in_window = std::min<int64_t>(registered_days_ago_, 59);
    std::vector<int64_t> check_in_days;
    for (int64_t i = 0; i < check_ins; ++i)
      check_in_days.push_back(rng_.Between(0, check_in_window));
    std::sort(check_in_days.begin(), check_in_days.end(), std::greater<>());
    check_in_days.erase(std::unique(check_in_days.begin(), check_in_days.end()),
                        check_in_days.end());
    for (int64_t day : check_in_days) {
      const core::Instant t = Clamp(core::Instant(today_ - days(day) + hours(rng_.Between(7, 10)) +
                                                  minutes(rng_.Below(60)) - kChinaOffset));
      AddEvent(d, "check_in", t);
    }
  }

  void MakeOrder(UserData& d, int64_t days_ago, size_t nth) {
    const core::Instant placed = TimeOnDay(days_ago);
    const std::string top = PickTopCategory();
    // The order's store: a merchant of that category, or the platform's own.
    std::vector<const Product*> candidates;
    {
      std::vector<std::string_view> stores;
      for (const auto& s : internal::kDemoStores) {
        if (s.top_category == top) stores.push_back(s.id);
      }
      const std::string_view store = rng_.Percent(25) ? std::string_view("S00") : rng_.Pick(stores);
      candidates = ProductsOf(top, store);
      if (candidates.empty()) candidates = ProductsOf(top, "");
    }
    const uint64_t r = rng_.Below(100);
    const size_t want = std::min<size_t>(r < 70 ? 1 : (r < 92 ? 2 : 3), candidates.size());
    std::vector<const Product*> lines;
    while (lines.size() < want) {
      const Product* p = candidates[rng_.Below(candidates.size())];
      if (std::find(lines.begin(), lines.end(), p) == lines.end()) lines.push_back(p);
    }
    for (size_t i = 1; i < lines.size(); ++i) {
      // One store per order: a product of another store would be another order.
      if (lines[i]->store != lines[0]->store) lines.resize(i);
    }

    OrderRecord o;
    char id[32];
    std::snprintf(id, sizeof id, "O%lld-%02zu", static_cast<long long>(number_), nth + 1);
    o.source_id = id;
    o.user_external_id = d.user.external_id;
    o.store_source_id = lines[0]->store;
    o.city = std::string(city_);
    o.province = std::string(province_);
    o.channel = channel_ == "offline" || rng_.Percent(75)
                    ? channel_
                    : std::string(rng_.Percent(50) ? "app" : "mini_program");
    o.currency = "CNY";
    std::vector<int64_t> gross;
    for (size_t i = 0; i < lines.size(); ++i) {
      OrderItemRecord line;
      line.line_no = static_cast<int64_t>(i) + 1;
      line.sku = lines[i]->id;
      line.product_name = lines[i]->name;
      line.category_source_id = lines[i]->category;
      line.store_source_id = lines[i]->store;
      const uint64_t q = rng_.Below(100);
      line.quantity = q < 80 ? 1 : (q < 95 ? 2 : 3);
      line.unit_price_minor = lines[i]->price_fen;
      o.goods_minor += line.quantity * line.unit_price_minor;
      gross.push_back(line.quantity * line.unit_price_minor);
      o.items.push_back(std::move(line));
    }
    if (rng_.Percent(25)) {
      const auto& coupon = nth == 0 && lifecycle_ == Lifecycle::kNew
                               ? internal::kDemoCoupons[0]
                               : internal::kDemoCoupons[1 + rng_.Below(4)];
      if (o.goods_minor >= coupon.min_goods_fen) {
        o.coupon_codes.push_back(std::string(coupon.code));
        o.discount_minor = coupon.discount_fen;
      }
    }
    o.shipping_minor = o.goods_minor >= 9900 ? 0 : (rng_.Percent(50) ? 800 : 1000);
    o.paid_minor = o.goods_minor - o.discount_minor + o.shipping_minor;
    auto shares = core::AllocateProportionally(o.goods_minor - o.discount_minor, gross);
    for (size_t i = 0; i < o.items.size() && shares.ok(); ++i) o.items[i].paid_minor = (*shares)[i];
    o.placed_at = placed;

    // Status by age: recent orders may be unpaid or on their way.
    const uint64_t s = rng_.Below(100);
    std::string status;
    if (days_ago == 0) {
      status = s < 25 ? "created" : "paid";
    } else if (days_ago <= 2) {
      status = s < 5 ? "cancelled" : "paid";
    } else if (days_ago <= 9) {
      status = s < 5 ? "cancelled" : (s < 45 ? "paid" : "completed");
    } else {
      status = s < 6 ? "cancelled" : "completed";
    }
    std::optional<core::Instant> paid_at, completed_at;
    if (status == "cancelled") {
      o.paid_minor = 0;
      for (auto& line : o.items) line.paid_minor = 0;
      o.cancelled_at = Clamp(placed + minutes(rng_.Between(15, 30)));
    } else if (status != "created") {
      paid_at = Clamp(placed + minutes(rng_.Between(1, 10)));
      if (status == "completed") {
        completed_at = Clamp(*paid_at + days(rng_.Between(2, std::min<int64_t>(days_ago, 7))) +
                             hours(rng_.Between(0, 12)));
      }
    }
    // Some orders arrive as created and move on through status updates.
    const bool via_updates = paid_at && rng_.Percent(10);
    o.status = via_updates ? "created" : status;
    if (!via_updates) {
      o.paid_at = paid_at;
      o.completed_at = completed_at;
    } else {
      d.updates.push_back({o.source_id + ":paid", o.source_id, "paid", *paid_at, 0, {}});
      if (completed_at) {
        d.updates.push_back(
            {o.source_id + ":completed", o.source_id, "completed", *completed_at, 0, {}});
      }
    }
    if (completed_at && days_ago >= 10 && rng_.Percent(7)) {
      // Mostly partial: one unit of several, or a compensation for one line;
      // now and then the whole of a single-unit order.
      const size_t k = rng_.Below(o.items.size());
      const OrderItemRecord& line = o.items[k];
      const int64_t line_paid = line.paid_minor.value_or(0);
      int64_t units = 0;
      for (const auto& l : o.items) units += l.quantity;
      RefundLine refund{line.line_no, 1, line_paid / line.quantity};
      if (units == 1 && rng_.Percent(70)) {
        refund.quantity = 0;
        refund.amount_minor = line_paid * rng_.Between(10, 50) / 100;
      }
      if (refund.amount_minor > 0) {
        OrderUpdateRecord u;
        u.source_id = o.source_id + ":refund";
        u.order_source_id = o.source_id;
        u.type = "refunded";
        u.at = Clamp(*completed_at + days(rng_.Between(1, 5)));
        u.refund_minor = refund.amount_minor;
        u.refund_lines.push_back(refund);
        d.updates.push_back(std::move(u));
      }
    }

    // The session that led to the order.
    core::Instant t = placed - minutes(rng_.Between(3, 40));
    if (rng_.Percent(30)) AddEvent(d, "login", t);
    Visit(d, t + seconds(10), nullptr);
    t += seconds(30);
    if (rng_.Percent(40)) {
      EventRecord& e = AddEvent(d, "search", t);
      e.search_query = std::string(rng_.Pick(internal::kDemoLeaves[lines[0]->leaf].searches));
    }
    if (rng_.Percent(10)) Visit(d, t + seconds(40), &AnyProductOf(top));
    for (size_t i = 0; i < lines.size(); ++i) {
      Visit(d, t + seconds(60 * (static_cast<int64_t>(i) + 1)), lines[i]);
      if (rng_.Percent(15))
        OnProduct(d, "favourite", t + seconds(60 * (static_cast<int64_t>(i) + 1) + 20), *lines[i]);
      OnProduct(d, "cart_add", placed - seconds(rng_.Between(30, 120)), *lines[i]);
    }
    EventRecord& purchase = AddEvent(d, "purchase", placed);
    purchase.product_source_id = lines[0]->id;
    purchase.category_source_id = lines[0]->category;
    purchase.store_source_id = lines[0]->store;
    purchase.properties_json = core::DumpJson({{"order_id", o.source_id}});
    if (completed_at && rng_.Percent(35)) {
      static constexpr std::array<Weighted, 5> kRatings = {
          {{"1", 7}, {"2", 4}, {"3", 9}, {"4", 22}, {"5", 58}}};
      const size_t stars = rng_.PickWeighted(kRatings);
      EventRecord& review = AddEvent(
          d, "review", *completed_at + days(rng_.Between(0, 5)) + hours(rng_.Between(1, 20)));
      review.rating = static_cast<int64_t>(stars) + 1;
      review.product_source_id = lines[0]->id;
      review.category_source_id = lines[0]->category;
      review.store_source_id = lines[0]->store;
      review.properties_json = core::DumpJson(
          {{"order_id", o.source_id}, {"content", rng_.Pick(internal::kDemoReviews[stars])}});
    }
    if (rng_.Percent(8)) OnProduct(d, "share", placed + hours(rng_.Between(1, 48)), *lines[0]);
    d.orders.push_back(std::move(o));
  }

  Rng& rng_;
  const Catalog& catalog_;
  core::Instant now_;
  std::chrono::sys_days today_;  // today's local date (China time), as a day count
  int64_t number_ = 0;
  int event_seq_ = 0;
  int64_t age_ = 30;
  std::string_view city_;
  std::string_view province_;
  std::string channel_;
  std::string first_interest_;
  std::string second_interest_;
  Lifecycle lifecycle_ = Lifecycle::kRegular;
  int64_t registered_days_ago_ = 0;
  std::optional<core::Instant> registered_;
};

// Users are written a block at a time: the users first, then their orders,
// order updates and events, so every record finds the user it names.
constexpr int64_t kUsersPerBlock = 500;

}  // namespace

core::Status DemoOptions::Validate() const {
  if (users < 1 || users > kMaxDemoUsers) {
    return core::InvalidFields(
        "invalid_config",
        {{"users", "out_of_range", "must be 1 to " + std::to_string(kMaxDemoUsers)}});
  }
  return core::Status::Ok();
}

core::Result<ImportReport> GenerateDemo(Ingest& ingest, ImportRuns& runs, const core::Clock& clock,
                                        const DemoOptions& demo, const ImportOptions& options) {
  SHOPCRM_RETURN_IF_ERROR(demo.Validate());
  SHOPCRM_RETURN_IF_ERROR(options.Validate());
  ImportSession session(
      runs, options, "demo",
      "demo --users " + std::to_string(demo.users) + " --seed " + std::to_string(demo.seed));
  SHOPCRM_RETURN_IF_ERROR(session.Start());
  const size_t file = session.AddFile(std::string(kFile));
  int64_t row = 0;
  auto origin = [&] {
    session.CountRow(file);
    return Origin{file, ++row};
  };

  Feed<StoreRecord> stores(session, "stores", [&](std::span<const Incoming<StoreRecord>> b) {
    return ingest.Stores(b);
  });
  Feed<CategoryRecord> categories(
      session, "categories",
      [&](std::span<const Incoming<CategoryRecord>> b) { return ingest.Categories(b); });
  Feed<ProductRecord> products(
      session, "products",
      [&](std::span<const Incoming<ProductRecord>> b) { return ingest.Products(b); });
  Feed<UserRecord> users(session, "users",
                         [&](std::span<const Incoming<UserRecord>> b) { return ingest.Users(b); });
  Feed<OrderRecord> orders(session, "orders", [&](std::span<const Incoming<OrderRecord>> b) {
    return ingest.Orders(b);
  });
  Feed<OrderUpdateRecord> updates(
      session, "order_updates",
      [&](std::span<const Incoming<OrderUpdateRecord>> b) { return ingest.OrderUpdates(b); });
  Feed<EventRecord> events(session, "events", [&](std::span<const Incoming<EventRecord>> b) {
    return ingest.Events(b);
  });

  auto run = [&]() -> core::Status {
    Rng rng(demo.seed);
    const Catalog catalog = MakeCatalog(rng);
    for (const auto& s : catalog.stores) {
      SHOPCRM_RETURN_IF_ERROR(stores.Add({s.source_id, s}, origin()));
    }
    SHOPCRM_RETURN_IF_ERROR(stores.Flush());
    for (const auto& c : catalog.categories) {
      SHOPCRM_RETURN_IF_ERROR(categories.Add({c.source_id, c}, origin()));
    }
    SHOPCRM_RETURN_IF_ERROR(categories.Flush());
    for (const auto& p : catalog.products) {
      ProductRecord r;
      r.source_id = p.id;
      r.name = p.name;
      r.category_source_id = p.category;
      r.store_source_id = p.store;
      r.price_minor = p.price_fen;
      r.currency = "CNY";
      SHOPCRM_RETURN_IF_ERROR(products.Add({p.id, std::move(r)}, origin()));
    }
    SHOPCRM_RETURN_IF_ERROR(products.Flush());

    UserGenerator gen(rng, catalog, clock.Now());
    for (int64_t first = 1; first <= demo.users; first += kUsersPerBlock) {
      const int64_t last = std::min(demo.users, first + kUsersPerBlock - 1);
      std::vector<UserData> block;
      for (int64_t i = first; i <= last; ++i) block.push_back(gen.Make(i));
      for (auto& d : block) {
        const std::string id = d.user.external_id;
        SHOPCRM_RETURN_IF_ERROR(users.Add({id, std::move(d.user)}, origin()));
      }
      SHOPCRM_RETURN_IF_ERROR(users.Flush());
      for (auto& d : block) {
        for (auto& o : d.orders) {
          const std::string id = o.source_id;
          SHOPCRM_RETURN_IF_ERROR(orders.Add({id, std::move(o)}, origin()));
        }
      }
      SHOPCRM_RETURN_IF_ERROR(orders.Flush());
      for (auto& d : block) {
        for (auto& u : d.updates) {
          const std::string id = u.source_id;
          SHOPCRM_RETURN_IF_ERROR(updates.Add({id, std::move(u)}, origin()));
        }
      }
      SHOPCRM_RETURN_IF_ERROR(updates.Flush());
      for (auto& d : block) {
        for (auto& e : d.events) {
          const std::string id = e.source_id;
          SHOPCRM_RETURN_IF_ERROR(events.Add({id, std::move(e)}, origin()));
        }
      }
      SHOPCRM_RETURN_IF_ERROR(events.Flush());
      session.ShowProgress("users", last, demo.users, row);
    }
    return core::Status::Ok();
  };
  auto st = run();
  return session.Finish(st.ok() ? "" : st.error().ToString());
}

}  // namespace shopcrm::profiles
