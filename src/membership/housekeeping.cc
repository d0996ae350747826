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
  auto settled = points_.SettleDue();
  if (!settled.ok()) return std::move(settled).error();
  if (*settled > 0) core::log::Info("points settled", {{"entries", *settled}});
  SHOPCRM_RETURN_IF_ERROR(RecycleEnded());
  if (grants_ == nullptr) return core::Status::Ok();
  // After recycling, so that a new month's coupons follow the new levels.
  const core::Instant now = clock_.Now();
  SHOPCRM_RETURN_IF_ERROR(grants_->RunMonthly(now).status());
  return grants_->RunBirthdays(now).status();
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
