#include "membership/housekeeping.h"

#include "core/log.h"

namespace shopcrm::membership {

Housekeeping::~Housekeeping() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

core::Status Housekeeping::RunOnce() {
  // Each step runs whatever the others did: a failing one is logged and
  // reported, and is tried again next round.
  core::Status first = core::Status::Ok();
  const auto step = [&first](std::string_view what, core::Status st) {
    if (st.ok()) return;
    core::log::Warn("membership housekeeping step failed",
                    {{"step", std::string(what)}, {"error", st.error().ToString()}});
    if (first.ok()) first = std::move(st);
  };
  if (rules_ != nullptr) step("load rules", rules_->Load());
  auto settled = points_.SettleDue();
  if (settled.ok() && *settled > 0) core::log::Info("points settled", {{"entries", *settled}});
  step("settle points", settled.status());
  auto recycle = RecycleEnded();
  const bool recycled = recycle.ok();
  step("recycle levels", std::move(recycle));
  if (grants_ == nullptr) return first;
  const core::Instant now = clock_.Now();
  // After recycling, so that a new month's coupons follow the new levels:
  // not before a failed recycle is done.
  if (recycled) step("monthly benefits", grants_->RunMonthly(now).status());
  step("birthday gifts", grants_->RunBirthdays(now).status());
  return first;
}

core::Status Housekeeping::RecycleEnded() {
  auto scheme = levels_.Active();
  if (!scheme.ok()) {
    if (scheme.error().reason() == "no_level_scheme") return core::Status::Ok();
    return std::move(scheme).error();
  }
  const auto end = levels_.LastPeriodEnd(scheme->spec, clock_.Now());
  if (!end || *end <= scheme->created_at) return core::Status::Ok();
  return levels_.Recycle(*end).status();
}

void Housekeeping::Start(std::chrono::milliseconds interval) {
  std::lock_guard lock(mu_);
  if (worker_.joinable()) return;
  worker_ = std::thread([this, interval] {
    for (;;) {
      {
        std::unique_lock wait(mu_);
        if (cv_.wait_for(wait, interval, [&] { return stop_; })) return;
      }
      try {
        auto st = RunOnce();
        if (!st.ok())
          core::log::Warn("membership housekeeping", {{"error", st.error().ToString()}});
      } catch (const std::exception& e) {
        // A worker loop is one of the two places exceptions are caught.
        core::log::Error("membership housekeeping", {{"error", e.what()}});
      }
    }
  });
}

}  // namespace shopcrm::membership
