#include "segments/segments.h"

#include <algorithm>

#include "core/log.h"
#include "segments/catalog.h"

namespace shopcrm::segments {

Segments::Segments(store::Database& db, const core::Clock& clock, core::BusinessTimeZone tz,
                   SegmentsOptions options)
    : db_(db), clock_(clock), tz_(std::move(tz)), options_(std::move(options)), facts_(db) {}

Segments::~Segments() {
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

core::Status Segments::Rebuild() {
  std::lock_guard build(build_mu_);
  const auto started = std::chrono::steady_clock::now();
  // The version is read first: a write that lands during the build changes it
  // again, and the next refresh builds once more.
  SHOPCRM_ASSIGN_OR_RETURN(std::string version, facts_.Version());
  FeatureIndex::Builder b(options_.currency, options_.models);
  SHOPCRM_RETURN_IF_ERROR(facts_.ScanUsers([&](const profiles::UserFact& u) {
    if (u.erased) {
      b.AddErasedUser(u.id);
      return core::Status::Ok();
    }
    b.AddUser({u.id, u.gender, u.birthday, u.city, u.province, u.source_channel,
               u.registered_at_micros, u.referrer_id});
    return core::Status::Ok();
  }));
  SHOPCRM_RETURN_IF_ERROR(facts_.ScanCountingOrders([&](const profiles::OrderFact& o) {
    b.AddOrder(o.user_id, o.paid_at_micros, o.net_minor, o.currency, o.discounted);
    return core::Status::Ok();
  }));
  SHOPCRM_RETURN_IF_ERROR(facts_.ScanCategoryFirsts([&](const profiles::CategoryFirst& f) {
    b.AddCategoryFirst(f.user_id, f.first_at_micros);
    return core::Status::Ok();
  }));
  SHOPCRM_RETURN_IF_ERROR(facts_.ScanEvents([&](const profiles::EventFact& e) {
    b.AddEvent(e.user_id, e.type, e.occurred_at_micros);
    return core::Status::Ok();
  }));
  SHOPCRM_RETURN_IF_ERROR(facts_.ScanMembers([&](const profiles::MemberFact& m) {
    b.AddMember(m.user_id, m.since_micros, m.level);
    return core::Status::Ok();
  }));
  SHOPCRM_RETURN_IF_ERROR(facts_.ScanTagNames([&](const profiles::TagName& t) {
    b.AddTagName(t.id, t.group, t.name);
    return core::Status::Ok();
  }));
  SHOPCRM_RETURN_IF_ERROR(facts_.ScanUserTags([&](const profiles::TagFact& t) {
    b.AddUserTag(t.user_id, t.tag_id);
    return core::Status::Ok();
  }));
  std::shared_ptr<const FeatureIndex> index = std::move(b).Finish();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::lock_guard lock(mu_);
  index_ = index;
  version_ = std::move(version);
  info_.ready = true;
  ++info_.generation;
  info_.users = index->size();
  info_.memory_bytes = index->MemoryBytes();
  info_.built_at = clock_.Now();
  info_.build_seconds = seconds;
  core::log::Info("segment index built",
                  {{"generation", static_cast<int64_t>(info_.generation)},
                   {"users", static_cast<int64_t>(info_.users)},
                   {"memory_bytes", static_cast<int64_t>(info_.memory_bytes)},
                   {"seconds", seconds}});
  return core::Status::Ok();
}

void Segments::StartRefresher(LifecycleRecorder* recorder) {
  std::lock_guard lock(stop_mu_);
  if (refresher_.joinable()) return;
  recorder_ = recorder;
  refresher_ = std::thread([this] { RefreshLoop(); });
}

void Segments::RefreshLoop() {
  std::unique_lock lock(stop_mu_);
  bool first = true;  // the first round runs at once: it builds the first index
  // Ids and times are taken before commit, so a write that commits after a
  // later one can leave the fingerprint unchanged: a change is followed by
  // one more rebuild a few rounds later, which picks such stragglers up.
  int rounds_to_trailing = -1;
  while (first || !stop_cv_.wait_for(lock, options_.refresh_interval, [&] { return stop_; })) {
    first = false;
    lock.unlock();
    // Exceptions end nowhere else on this thread: log and try again later.
    try {
      auto version = facts_.Version();
      std::string built;
      {
        std::lock_guard g(mu_);
        built = version_;
      }
      if (!version.ok()) {
        core::log::Warn("segment index refresh failed", {{"error", version.error().detail()}});
      } else if (*version != built || rounds_to_trailing == 0) {
        rounds_to_trailing = *version != built ? 5 : -1;
        if (auto st = Rebuild(); !st.ok()) {
          core::log::Warn("segment index rebuild failed", {{"error", st.error().detail()}});
        } else {
          recorded_on_.reset();  // new facts: record the stages again
        }
      } else if (rounds_to_trailing > 0) {
        --rounds_to_trailing;
      }
      const core::LocalDate today = tz_.DateOf(clock_.Now());
      if (recorder_ != nullptr && recorded_on_ != today && Info().ready) {
        if (auto r = RecordStages(*recorder_); r.ok()) {
          recorded_on_ = today;
          if (r->changed > 0) {
            core::log::Info("lifecycle stages recorded",
                            {{"users", r->users}, {"changed", r->changed}});
          }
        } else {
          core::log::Warn("recording lifecycle stages failed", {{"error", r.error().detail()}});
        }
      }
    } catch (const std::exception& e) {
      core::log::Error("segment index refresh threw", {{"error", e.what()}});
    }
    lock.lock();
  }
}

core::Instant Segments::EvaluationTime(std::optional<core::Instant> as_of) const {
  if (as_of) return *as_of;
  if (options_.as_of) return *options_.as_of;
  // Now, rounded up to the next whole minute: counts typed in one minute share
  // their models (RFM and Pareto rank every buyer) instead of ranking them
  // again each time, and every fact already committed is before it.
  return std::chrono::ceil<std::chrono::minutes>(clock_.Now());
}

AsOf Segments::At(std::optional<core::Instant> as_of) const {
  const core::Instant t = EvaluationTime(as_of);
  return {t, tz_.DateOf(t)};
}

std::shared_ptr<const FeatureIndex> Segments::Current(uint64_t* generation) const {
  std::lock_guard lock(mu_);
  *generation = info_.generation;
  return index_;
}

namespace {
core::Error Loading() {
  return core::Unavailable("segment_index_loading",
                           "the segment index is being built; retry in a few seconds");
}
}  // namespace

core::Result<CountResult> Segments::Count(const Filter& filter,
                                          std::optional<core::Instant> as_of) const {
  CountResult out;
  auto index = Current(&out.generation);
  if (!index) return Loading();
  const AsOf at = At(as_of);
  out.count = index->Count(filter, at);
  out.users = index->size();
  out.as_of = at.at;
  return out;
}

core::Result<std::vector<int64_t>> Segments::Members(const Filter& filter,
                                                     std::optional<core::Instant> as_of,
                                                     int64_t after, size_t limit) const {
  uint64_t generation = 0;
  auto index = Current(&generation);
  if (!index) return Loading();
  return index->Members(filter, At(as_of), after, limit);
}

core::Result<std::vector<uint64_t>> Segments::Explain(const Filter& filter,
                                                      std::optional<core::Instant> as_of) const {
  uint64_t generation = 0;
  auto index = Current(&generation);
  if (!index) return Loading();
  return index->Explain(filter, At(as_of));
}

core::Result<OverlapCounts> Segments::Overlap(const UserSet& a, const UserSet& b,
                                              std::optional<core::Instant> as_of) const {
  uint64_t generation = 0;
  auto index = Current(&generation);
  if (!index) return Loading();
  return index->Overlap(a, b, At(as_of));
}

core::Result<std::vector<PivotCell>> Segments::Pivot(const Filter& filter,
                                                     std::optional<core::Instant> as_of,
                                                     const std::vector<std::string>& dimensions,
                                                     const std::optional<Measure>& measure) const {
  std::vector<core::FieldError> errors;
  const auto known = [](const std::string& d) {
    return std::find(std::begin(kPivotDimensions), std::end(kPivotDimensions), d) !=
           std::end(kPivotDimensions);
  };
  if (dimensions.empty() || dimensions.size() > 2 ||
      (dimensions.size() == 2 && dimensions[0] == dimensions[1])) {
    errors.push_back({"dimensions", "invalid_length", "one or two distinct dimensions"});
  }
  for (const auto& d : dimensions) {
    if (!known(d)) {
      errors.push_back({"dimensions", "not_allowed",
                        "\"" + d +
                            "\" is not one of city, province, gender, source_channel, "
                            "lifecycle, rfm_cell, pareto_tier, aidees"});
    }
  }
  if (measure) {
    const FieldSpec* spec = Features().Find(measure->field);
    if (spec == nullptr || spec->type == FieldType::kText || spec->type == FieldType::kBool) {
      errors.push_back({"sum", "not_allowed", "must be a numeric feature, e.g. spend(365d)"});
    } else if (measure->window_days &&
               (!spec->windowed || *measure->window_days < 1 || *measure->window_days > 3650)) {
      errors.push_back(
          {"sum", "invalid_window", "a window of 1 to 3650 days, on a windowed feature"});
    }
  }
  if (!errors.empty()) return core::InvalidFields("invalid_fields", std::move(errors));
  uint64_t generation = 0;
  auto index = Current(&generation);
  if (!index) return Loading();
  return index->Pivot(filter, At(as_of), dimensions, measure);
}

core::Result<AarrrCounts> Segments::Aarrr(core::Instant from, core::Instant to,
                                          const Filter* filter) const {
  if (!(from < to)) {
    return core::InvalidFields("invalid_fields", {{"to", "out_of_range", "must be after from"}});
  }
  uint64_t generation = 0;
  auto index = Current(&generation);
  if (!index) return Loading();
  return index->Aarrr(from, to, filter, At(to));
}

core::Result<std::vector<std::pair<std::string, uint64_t>>> Segments::SystemTagCounts() const {
  uint64_t generation = 0;
  auto index = Current(&generation);
  if (!index) return Loading();
  return index->SystemTagCounts(At(std::nullopt));
}

core::Result<UserModels> Segments::ModelsOf(int64_t user_id,
                                            std::optional<core::Instant> as_of) const {
  uint64_t generation = 0;
  auto index = Current(&generation);
  if (!index) return Loading();
  auto m = index->ModelsOf(user_id, At(as_of));
  if (!m) {
    return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id) +
                                                " in the segment index (unknown or erased)");
  }
  return *m;
}

core::Result<RecordReport> Segments::RecordStages(LifecycleRecorder& recorder,
                                                  std::optional<core::Instant> as_of) {
  uint64_t generation = 0;
  auto index = Current(&generation);
  if (!index) return Loading();
  return recorder.Record(*index, At(as_of));
}

IndexInfo Segments::Info() const {
  std::lock_guard lock(mu_);
  return info_;
}

}  // namespace shopcrm::segments
