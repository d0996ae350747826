// The built-in models, per user, as of one instant: lifecycle stage, RFM
// scores and cell, Pareto tier. Exact rules: docs/analytics.md. Internal to
// segments.
#pragma once

#include <array>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>
#include <vector>

#include "segments/feature_index.h"
#include "segments/internal/columns.h"

namespace shopcrm::segments::internal {

// Value names, in code order; code 0 means "none" where a user may have none.
inline constexpr std::array<std::string_view, 8> kStages = {
    "", "potential", "churned", "silent", "new", "mature", "rising", "declining"};
inline constexpr std::array<std::string_view, 9> kRfmCells = {
    "",
    "general_recall",         // R low, F low, M low
    "general_development",    // R high, F low, M low
    "general_retention",      // R low, F high, M low
    "general_value",          // R high, F high, M low
    "important_recall",       // R low, F low, M high
    "important_development",  // R high, F low, M high
    "important_retention",    // R low, F high, M high
    "important_value"};       // R high, F high, M high
inline constexpr std::array<std::string_view, 4> kTiers = {"", "head", "waist", "tail"};
inline constexpr std::array<std::string_view, 7> kAidees = {
    "", "attention", "interest", "desire", "experience", "enthusiasm", "share"};

// Where a buyer's relative models fall among a population's buyers, as of
// one instant (docs/analytics.md, "Changes between full builds"). An index of
// a few changed users ranks them against the whole population's figures
// instead of among themselves.
struct Population {
  int64_t buyers = 0;
  // A value strictly better than thresholds[k - 2] scores at least k.
  std::array<int64_t, 4> r{}, f{}, m{};
  int64_t sum_r = 0, sum_f = 0, sum_m = 0;  // of the buyers' scores
  // The last buyer of the Pareto head and of the waist (by spend, largest
  // first, then by id); absent when the tier is empty.
  struct Last {
    bool any = false;
    int64_t spend = 0;
    int64_t id = 0;
  };
  Last head, waist;
};

struct ModelColumns {
  std::vector<uint8_t> stage;  // kStages code, never 0
  std::vector<uint8_t> r;      // 1..5, 0 = not a buyer in the RFM window
  std::vector<uint8_t> f;
  std::vector<uint8_t> m;
  std::vector<uint8_t> cell;        // kRfmCells code, 0 = not a buyer
  std::vector<uint8_t> tier;        // kTiers code, 0 = not a buyer
  std::vector<uint8_t> aidees;      // kAidees code, 0 = no touch point in the window
  std::vector<uint8_t> customer;    // kCustomer code: 0 no order, 1 one, 2 more
  std::vector<uint8_t> member;      // kMember code: 1 a member by then, else 2
  std::vector<uint8_t> motivation;  // kMotivations bits
  Population population;            // of this index's own buyers
};

inline constexpr std::array<std::string_view, 3> kCustomer = {"", "new_customer",
                                                              "repeat_customer"};
inline constexpr std::array<std::string_view, 3> kMember = {"", "member", "non_member"};
// The five consumption values (Sheth, Newman and Gross) as motivation tags; a
// user may hold several: bit k - 1 of the user's code for value k.
inline constexpr std::array<std::string_view, 6> kMotivations = {
    "", "functional", "social", "emotional", "epistemic", "conditional"};

// A text-valued model feature (lifecycle, rfm_cell, pareto_tier, aidees):
// each user's code, and the value name of each code (code 0: none).
struct TextModel {
  const std::vector<uint8_t>* codes = nullptr;
  std::span<const std::string_view> names;
};
bool IsTextModel(std::string_view field);
// `field` must be one IsTextModel accepts.
TextModel TextModelOf(const ModelColumns& m, std::string_view field);

// The system tag groups (migration 0007_system_tags.sql) and the model
// column and value names each stands for.
enum class SystemGroup {
  kStageGroup,
  kRfmGroup,
  kParetoGroup,
  kAideesGroup,
  kCustomerGroup,
  kMemberGroup,
  kMotivationGroup  // several tags per user: codes are bits
};
struct SystemTag {
  SystemGroup group;
  uint8_t code;
};
// "sys:lifecycle/rising" or a bare system tag name ("rising"): the system
// tags it names (a bare name may be in several groups); empty for others.
std::vector<SystemTag> FindSystemTags(std::string_view tag);
// Whether a bit-coded value (kMotivations) includes value k (1-based).
inline bool HasBit(uint8_t code, size_t k) { return ((unsigned{code} >> (k - 1)) & 1U) != 0; }
// Whether user u holds the system tag.
bool Holds(const ModelColumns& m, const SystemTag& tag, uint32_t u);
// The members of each tag of the group, by code (position 0: none), not
// counting the users of `skip`.
std::vector<uint64_t> TallyOf(const ModelColumns& m, SystemGroup g, size_t codes,
                              const Bitmap* skip = nullptr);

// With `reference` (and buyers in it), buyers are scored, compared with the
// mean and tiered against it rather than among themselves.
ModelColumns ComputeModels(const Columns& c, int64_t at_micros, const ModelOptions& o,
                           const Population* reference = nullptr);

// The models of the last few instants asked for. Thread-safe: the first
// caller for an instant computes, later ones wait for its result.
class ModelCache final {
 public:
  // `reference` as for ComputeModels, the same for every call at an instant.
  std::shared_ptr<const ModelColumns> Get(const Columns& c, int64_t at_micros,
                                          const ModelOptions& o,
                                          const Population* reference = nullptr);

 private:
  using Shared = std::shared_future<std::shared_ptr<const ModelColumns>>;
  static constexpr size_t kEntries = 4;
  std::mutex mu_;
  std::vector<std::pair<int64_t, Shared>> entries_;  // newest last
};

}  // namespace shopcrm::segments::internal
