#include "segments/segments.h"

#include <algorithm>

#include "core/log.h"
#include "segments/catalog.h"

namespace shopcrm::segments {

Segments::Segments(store::Database& db, const core::Clock& clock, core::BusinessTimeZone tz,
                   SegmentsOptions options)
    : db_(db), clock_(clock), tz_(std::move(tz)), options_(std::move(options)), facts_(db) {}

Segments::~Segments() {
  stopping_ = true;  // a full build under way gives up
  {
    std::lock_guard lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
  if (preparer_.joinable()) preparer_.join();
  if (full_thread_.joinable()) full_thread_.join();
}

namespace {

core::Status Stopping(const std::atomic<bool>& stopping) {
  if (!stopping.load(std::memory_order_relaxed)) return core::Status::Ok();
  return core::Unavailable("shutting_down", "the segment service is stopping");
}

// Reads the facts of all users, or of `only`, into `b`; gives up once
// `stopping` is set.
core::Status Load(profiles::Facts& facts, FeatureIndex::Builder& b, profiles::Facts::Only only,
                  const std::atomic<bool>& stopping) {
  // Each row looks whether the service stops, then goes to the builder.
  auto each = [&stopping](auto add) {
    return [&stopping, add](const auto& row) -> core::Status {
      SHOPCRM_RETURN_IF_ERROR(Stopping(stopping));
      add(row);
      return core::Status::Ok();
    };
  };
  SHOPCRM_RETURN_IF_ERROR(facts.ScanUsers(each([&](const profiles::UserFact& u) {
                                            if (u.erased) {
                                              b.AddErasedUser(u.id);
                                              return;
                                            }
                                            b.AddUser({u.id, u.gender, u.birthday, u.city,
                                                       u.province, u.source_channel,
                                                       u.registered_at_micros, u.referrer_id});
                                          }),
                                          only));
  SHOPCRM_RETURN_IF_ERROR(facts.ScanCountingOrders(
      each([&](const profiles::OrderFact& o) {
        b.AddOrder(o.user_id, o.paid_at_micros, o.net_minor, o.currency, o.discounted);
      }),
      only));
  SHOPCRM_RETURN_IF_ERROR(facts.ScanCategoryFirsts(each([&](const profiles::CategoryFirst& f) {
                                                     b.AddCategoryFirst(f.user_id,
                                                                        f.first_at_micros);
                                                   }),
                                                   only));
  SHOPCRM_RETURN_IF_ERROR(facts.ScanEvents(each([&](const profiles::EventFact& e) {
                                             b.AddEvent(e.user_id, e.type, e.occurred_at_micros);
                                           }),
                                           only));
  SHOPCRM_RETURN_IF_ERROR(facts.ScanMembers(
      each([&](const profiles::MemberFact& m) { b.AddMember(m.user_id, m.since_micros, m.level); }),
      only));
  SHOPCRM_RETURN_IF_ERROR(facts.ScanTagNames(
      each([&](const profiles::TagName& t) { b.AddTagName(t.id, t.group, t.name); })));
  return facts.ScanUserTags(
      each([&](const profiles::TagFact& t) { b.AddUserTag(t.user_id, t.tag_id); }), only);
}

double SecondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

std::optional<profiles::FactMarks> Segments::Observe(std::chrono::steady_clock::time_point now,
                                                     const profiles::FactMarks& marks) {
  std::lock_guard lock(seen_mu_);
  seen_.emplace_back(now, marks);
  std::optional<profiles::FactMarks> old;
  // Keep the latest one old enough, and those after it.
  while (!seen_.empty() && seen_.front().first <= now - options_.straggler_window) {
    old = seen_.front().second;
    if (seen_.size() > 1 && seen_[1].first <= now - options_.straggler_window) {
      seen_.pop_front();
    } else {
      break;
    }
  }
  return old;
}

core::Result<Segments::FullBuild> Segments::BuildFull() {
  FullBuild out;
  out.started = std::chrono::steady_clock::now();
  // The marks are read first: a write that lands during the build moves them
  // again, and the update after it takes the write in.
  SHOPCRM_ASSIGN_OR_RETURN(out.marks, facts_.Marks());
  out.since = Observe(out.started, out.marks);
  // Audit ids are taken before commit: a tag edit numbered below the marks
  // may commit after the tags are read. Those a straggler window older are
  // in; the ones above are counted now, before the tags are read.
  out.edits_after = out.since ? out.since->audit : out.marks.audit;
  SHOPCRM_ASSIGN_OR_RETURN(out.edits, facts_.TagEditsAfter(out.edits_after));
  FeatureIndex::Builder b(options_.currency, options_.models);
  SHOPCRM_RETURN_IF_ERROR(Load(facts_, b, nullptr, stopping_));
  out.index = std::move(b).Finish();
  out.seconds = SecondsSince(out.started);
  return out;
}

core::Status Segments::InstallLocked(FullBuild b) {
  if (built_ != nullptr && b.started <= built_when_)
    return core::Status::Ok();  // a later one is in use
  built_ = b.index;
  built_when_ = b.started;
  // Without marks a straggler window old (at start-up), changes are read
  // from the build's own until a later full build has older ones.
  since_exact_ = b.since.has_value();
  since_ = b.since ? *b.since : b.marks;
  built_edits_after_ = b.edits_after;
  built_edits_ = b.edits;
  changed_.clear();
  {
    std::lock_guard lock(mu_);
    info_.built_at = clock_.Now();
    info_.build_seconds = b.seconds;
    info_.updates = 0;
    info_.updated_at.reset();
    info_.update_seconds = 0;
    core::log::Info("segment index built",
                    {{"users", static_cast<int64_t>(b.index->size())},
                     {"memory_bytes", static_cast<int64_t>(b.index->MemoryBytes())},
                     {"seconds", b.seconds}});
  }
  // What was written while it was built goes in with it.
  auto caught_up = UpdateLocked(Bound::kNone);
  if (caught_up.ok() && *caught_up) return core::Status::Ok();
  std::lock_guard lock(mu_);
  PublishLocked({b.index, nullptr}, b.marks);
  return caught_up.ok() ? core::Status::Ok() : core::Status(caught_up.error());
}

void Segments::PublishLocked(Indexes indexes, const profiles::FactMarks& marks) {
  indexes_ = std::move(indexes);
  applied_ = marks;
  info_.ready = true;
  ++info_.generation;
  info_.users = indexes_.full->size();
  info_.memory_bytes = indexes_.full->MemoryBytes();
  if (indexes_.changed) {
    info_.users += indexes_.changed->size();
    info_.memory_bytes += indexes_.changed->MemoryBytes();
  }
  info_.changed_users = static_cast<uint32_t>(changed_.size());
}

core::Result<bool> Segments::UpdateLocked(Bound bound) {
  const auto started = std::chrono::steady_clock::now();
  if (built_ == nullptr) return false;
  if (bound == Bound::kDue && started - built_when_ >= options_.full_build_interval) return false;
  const size_t limit = bound == Bound::kDue        ? options_.update_max_users
                       : bound == Bound::kBuilding ? 4 * options_.update_max_users
                                                   : SIZE_MAX;
  SHOPCRM_ASSIGN_OR_RETURN(profiles::FactMarks marks, facts_.Marks());
  const std::optional<profiles::FactMarks> next = Observe(started, marks);
  // A tag or group edit the full build did not count (committed since) needs
  // another: every user's tags may read differently.
  SHOPCRM_ASSIGN_OR_RETURN(int64_t edits, facts_.TagEditsAfter(built_edits_after_));
  if (edits > built_edits_) return false;
  SHOPCRM_ASSIGN_OR_RETURN(profiles::FactChanges changes, facts_.ChangedSince(since_));
  // Whoever invited a changed user before counts them no more if that changed.
  std::vector<int64_t> fresh_users = changes.users;
  for (int64_t u : changes.users) {
    if (auto r = built_->ReferrerOf(u)) fresh_users.push_back(*r);
  }
  std::sort(fresh_users.begin(), fresh_users.end());
  fresh_users.erase(std::unique(fresh_users.begin(), fresh_users.end()), fresh_users.end());
  std::vector<int64_t> changed;
  std::set_union(changed_.begin(), changed_.end(), fresh_users.begin(), fresh_users.end(),
                 std::back_inserter(changed));
  if (changed.size() > limit) return false;
  if (changed.empty()) {
    // Nothing to read again: the full build alone.
    if (next) since_ = *next;
    std::lock_guard lock(mu_);
    if (indexes_.full == built_ && indexes_.changed == nullptr) {
      applied_ = marks;
      return true;
    }
    PublishLocked({built_, nullptr}, marks);
    return true;
  }
  // The changed users' invitees are read too, for their inviters' models, and
  // hidden: they count in the full build.
  SHOPCRM_ASSIGN_OR_RETURN(std::vector<int64_t> invitees, facts_.InviteesOf(changed));
  if (changed.size() + invitees.size() > limit) return false;
  std::vector<int64_t> read;
  std::merge(changed.begin(), changed.end(), invitees.begin(), invitees.end(),
             std::back_inserter(read));
  FeatureIndex::Builder b(options_.currency, options_.models);
  b.RankAgainst(built_);
  SHOPCRM_RETURN_IF_ERROR(Load(facts_, b, &read, stopping_));
  std::shared_ptr<const FeatureIndex> fresh = std::move(b).Finish();
  Indexes indexes{built_->Without(changed), fresh->Without(invitees)};
  const double seconds = SecondsSince(started);
  changed_ = std::move(changed);
  if (next) since_ = *next;
  std::lock_guard lock(mu_);
  PublishLocked(std::move(indexes), marks);
  ++info_.updates;
  info_.updated_at = clock_.Now();
  info_.update_seconds = seconds;
  core::log::Debug("segment index updated",
                   {{"generation", static_cast<int64_t>(info_.generation)},
                    {"changed_users", static_cast<int64_t>(info_.changed_users)},
                    {"seconds", seconds}});
  return true;
}

core::Status Segments::Rebuild() {
  SHOPCRM_ASSIGN_OR_RETURN(FullBuild b, BuildFull());
  std::lock_guard build(build_mu_);
  return InstallLocked(std::move(b));
}

core::Status Segments::Update() {
  {
    std::lock_guard build(build_mu_);
    SHOPCRM_ASSIGN_OR_RETURN(bool updated, UpdateLocked(Bound::kDue));
    if (updated) return core::Status::Ok();
  }
  return Rebuild();
}

bool Segments::BuiltInBackground() {
  std::lock_guard lock(pending_mu_);
  return pending_.has_value();
}

core::Result<Segments::Refreshed> Segments::Refresh() {
  // A full build finished in the background goes in first.
  std::optional<core::Result<FullBuild>> done;
  {
    std::lock_guard lock(pending_mu_);
    done.swap(pending_);
  }
  if (done) {
    full_thread_.join();
    if (!done->ok()) return done->error();
    std::lock_guard build(build_mu_);
    SHOPCRM_RETURN_IF_ERROR(InstallLocked(std::move(**done)));
    return Refreshed::kBuilt;
  }
  bool first = false;
  bool updated = false;
  {
    std::lock_guard build(build_mu_);
    first = built_ == nullptr;
    if (!first) {
      const bool building = full_thread_.joinable();
      SHOPCRM_ASSIGN_OR_RETURN(updated, UpdateLocked(building ? Bound::kBuilding : Bound::kDue));
      // Read from marks of no straggler window (at start-up), a full build
      // follows (below).
      if (updated && (since_exact_ || building)) return Refreshed::kUpdated;
      if (building) return Refreshed::kNothing;
    }
  }
  if (first) {  // nothing to count from meanwhile
    SHOPCRM_RETURN_IF_ERROR(Rebuild());
    return Refreshed::kBuilt;
  }
  // A full build is due: on its own thread, with updates beside the old one
  // meanwhile.
  full_thread_ = std::thread([this] {
    core::Result<FullBuild> b = core::Internal("the full build threw");
    try {
      b = BuildFull();
    } catch (const std::exception& e) {
      b = core::Internal(std::string("the full build threw: ") + e.what());
    }
    std::lock_guard lock(pending_mu_);
    pending_ = std::move(b);
  });
  if (updated) return Refreshed::kUpdated;
  std::lock_guard build(build_mu_);
  SHOPCRM_ASSIGN_OR_RETURN(updated, UpdateLocked(Bound::kBuilding));
  return updated ? Refreshed::kUpdated : Refreshed::kNothing;
}

void Segments::StartRefresher(LifecycleRecorder* recorder) {
  std::lock_guard lock(stop_mu_);
  if (refresher_.joinable()) return;
  recorder_ = recorder;
  refresher_ = std::thread([this] { RefreshLoop(); });
  preparer_ = std::thread([this] { PrepareLoop(); });
}

void Segments::RefreshLoop() {
  std::unique_lock lock(stop_mu_);
  bool first = true;  // the first round runs at once: it builds the first index
  // Ids and times are taken before commit, so a write that commits after a
  // later one can leave the marks unchanged: a change is followed by one more
  // update a few rounds later, which picks such stragglers up.
  int rounds_to_trailing = -1;
  // Late enough that changes are asked for since marks read after the change.
  const int trailing =
      static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(options_.straggler_window) /
                       options_.refresh_interval) +
      2;
  while (first || !stop_cv_.wait_for(lock, options_.refresh_interval, [&] { return stop_; })) {
    first = false;
    lock.unlock();
    // Exceptions end nowhere else on this thread: log and try again later.
    try {
      auto marks = facts_.Marks();
      profiles::FactMarks applied;
      bool ready = false;
      {
        std::lock_guard g(mu_);
        applied = applied_;
        ready = info_.ready;
      }
      if (!marks.ok()) {
        core::log::Warn("segment index refresh failed", {{"error", marks.error().detail()}});
      } else if (!ready || *marks != applied || rounds_to_trailing == 0 || BuiltInBackground()) {
        rounds_to_trailing = !ready || *marks != applied ? trailing : -1;
        if (auto done = Refresh(); !done.ok()) {
          core::log::Warn("segment index update failed", {{"error", done.error().detail()}});
        } else if (*done == Refreshed::kBuilt) {
          recorded_on_.reset();  // a full build: record every user's stage again
          {
            std::lock_guard g(stop_mu_);
            prepare_now_ = true;  // its models, at once
          }
          stop_cv_.notify_all();
        } else if (*done == Refreshed::kUpdated && recorder_ != nullptr) {
          // The changed users' stages alone.
          const Indexes index = Current();
          if (index.changed) {
            auto r = recorder_->RecordSome(*index.changed, At(std::nullopt));
            if (!r.ok()) {
              core::log::Warn("recording lifecycle stages failed", {{"error", r.error().detail()}});
            }
          }
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

void Segments::PrepareLoop() {
  std::unique_lock lock(stop_mu_);
  // Every few seconds: the models of this minute's instant and the next
  // one's, for the indexes in use (a full build's are kept while updates
  // come and go beside it).
  while (true) {
    stop_cv_.wait_for(lock, std::chrono::seconds(5), [&] { return stop_ || prepare_now_; });
    if (stop_) return;
    prepare_now_ = false;
    lock.unlock();
    try {
      const Indexes index = Current();
      const core::Instant now = EvaluationTime(std::nullopt);
      for (const core::Instant at : {now, now + std::chrono::minutes(1)}) {
        if (stopping_) break;
        const AsOf as_of{at, tz_.DateOf(at)};
        if (index.full) index.full->Prepare(as_of);
        if (index.changed) index.changed->Prepare(as_of);
        if (options_.as_of) break;  // a fixed instant
      }
    } catch (const std::exception& e) {
      core::log::Error("preparing segment models threw", {{"error", e.what()}});
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

Segments::Indexes Segments::Current(uint64_t* generation) const {
  std::lock_guard lock(mu_);
  if (generation != nullptr) *generation = info_.generation;
  return indexes_;
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
  out.count = index.full->Count(filter, at);
  out.users = index.full->size();
  if (index.changed) {
    out.count += index.changed->Count(filter, at);
    out.users += index.changed->size();
  }
  out.as_of = at.at;
  return out;
}

core::Result<std::vector<int64_t>> Segments::Members(const Filter& filter,
                                                     std::optional<core::Instant> as_of,
                                                     int64_t after, size_t limit) const {
  auto index = Current();
  if (!index) return Loading();
  const AsOf at = At(as_of);
  std::vector<int64_t> out = index.full->Members(filter, at, after, limit);
  if (index.changed) {
    const std::vector<int64_t> more = index.changed->Members(filter, at, after, limit);
    std::vector<int64_t> both;
    std::merge(out.begin(), out.end(), more.begin(), more.end(), std::back_inserter(both));
    if (both.size() > limit) both.resize(limit);
    out = std::move(both);
  }
  return out;
}

core::Result<std::vector<uint64_t>> Segments::Explain(const Filter& filter,
                                                      std::optional<core::Instant> as_of) const {
  auto index = Current();
  if (!index) return Loading();
  const AsOf at = At(as_of);
  std::vector<uint64_t> out = index.full->Explain(filter, at);
  if (index.changed) {
    const std::vector<uint64_t> more = index.changed->Explain(filter, at);
    for (size_t i = 0; i < out.size() && i < more.size(); ++i) out[i] += more[i];
  }
  return out;
}

core::Result<OverlapCounts> Segments::Overlap(const UserSet& a, const UserSet& b,
                                              std::optional<core::Instant> as_of) const {
  auto index = Current();
  if (!index) return Loading();
  const AsOf at = At(as_of);
  OverlapCounts out = index.full->Overlap(a, b, at);
  if (index.changed) {
    const OverlapCounts more = index.changed->Overlap(a, b, at);
    out.a += more.a;
    out.b += more.b;
    out.both += more.both;
  }
  return out;
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
  auto index = Current();
  if (!index) return Loading();
  const AsOf at = At(as_of);
  std::vector<PivotCell> out = index.full->Pivot(filter, at, dimensions, measure);
  if (index.changed) {
    for (PivotCell& more : index.changed->Pivot(filter, at, dimensions, measure)) {
      auto same = std::find_if(out.begin(), out.end(),
                               [&](const PivotCell& c) { return c.key == more.key; });
      if (same == out.end()) {
        out.push_back(std::move(more));
      } else {
        same->users += more.users;
        same->sum += more.sum;
      }
    }
  }
  return out;
}

core::Result<AarrrCounts> Segments::Aarrr(core::Instant from, core::Instant to,
                                          const Filter* filter) const {
  if (!(from < to)) {
    return core::InvalidFields("invalid_fields", {{"to", "out_of_range", "must be after from"}});
  }
  auto index = Current();
  if (!index) return Loading();
  AarrrCounts out = index.full->Aarrr(from, to, filter, At(to));
  if (index.changed) {
    const AarrrCounts more = index.changed->Aarrr(from, to, filter, At(to));
    out.acquired += more.acquired;
    out.activated += more.activated;
    out.retained += more.retained;
    out.referring += more.referring;
    out.paying += more.paying;
    out.revenue += more.revenue;
  }
  return out;
}

core::Result<std::vector<std::pair<std::string, uint64_t>>> Segments::SystemTagCounts() const {
  auto index = Current();
  if (!index) return Loading();
  const AsOf at = At(std::nullopt);
  auto out = index.full->SystemTagCounts(at);
  if (index.changed) {
    // The same tags in the same order.
    const auto more = index.changed->SystemTagCounts(at);
    for (size_t i = 0; i < out.size() && i < more.size(); ++i) out[i].second += more[i].second;
  }
  return out;
}

core::Result<UserModels> Segments::ModelsOf(int64_t user_id,
                                            std::optional<core::Instant> as_of) const {
  auto index = Current();
  if (!index) return Loading();
  const AsOf at = At(as_of);
  auto m = index.changed ? index.changed->ModelsOf(user_id, at) : std::nullopt;
  if (!m) m = index.full->ModelsOf(user_id, at);
  if (!m) {
    return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id) +
                                                " in the segment index (unknown or erased)");
  }
  return *m;
}

core::Result<RecordReport> Segments::RecordStages(LifecycleRecorder& recorder,
                                                  std::optional<core::Instant> as_of) {
  auto index = Current();
  if (!index) return Loading();
  return recorder.Record(*index.full, index.changed.get(), At(as_of));
}

IndexInfo Segments::Info() const {
  std::lock_guard lock(mu_);
  return info_;
}

}  // namespace shopcrm::segments
