// The membership worker: once a minute it releases and expires the points
// that fell due (Points::SettleDue); when a recycling period of the active
// level scheme has ended, runs its recycle (Levels::Recycle, once per period
// end); then, with `grants`, gives the month's coupons and the day's birthday
// gifts (BenefitGrants, once per month and day). With `rules`, each round
// first applies the points rules saved by any server (Rules::Load).
//
// Only period ends after the scheme was saved are recycled. A recycle that
// runs late (the server was down when the period ended) recycles the growth
// as it is then, including what was earned since the period's end.
//
// Thread-safety: RunOnce from any thread; Start once; the destructor stops
// and joins the worker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "membership/benefit_grants.h"
#include "membership/levels.h"
#include "membership/points.h"
#include "membership/rules.h"

namespace shopcrm::membership {

class Housekeeping final {
 public:
  Housekeeping(const core::Clock& clock, Points& points, Levels& levels,
               BenefitGrants* grants = nullptr, Rules* rules = nullptr)
      : clock_(clock), points_(points), levels_(levels), grants_(grants), rules_(rules) {}
  ~Housekeeping();
  Housekeeping(const Housekeeping&) = delete;
  Housekeeping& operator=(const Housekeeping&) = delete;

  // One round: settle due points, recycle a period that has ended, grant
  // the period's benefits.
  core::Status RunOnce();
  // Runs RunOnce every `interval` on a thread of its own (idempotent).
  void Start(std::chrono::milliseconds interval = std::chrono::minutes(1));

 private:
  core::Status RecycleEnded();

  const core::Clock& clock_;
  Points& points_;
  Levels& levels_;
  BenefitGrants* const grants_;
  Rules* const rules_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread worker_;
};

}  // namespace shopcrm::membership
