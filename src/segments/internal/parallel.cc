#include "segments/internal/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace shopcrm::segments::internal {
namespace {

struct Job {
  const std::function<void(size_t)>* fn = nullptr;
  size_t parts = 0;
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable finished;
  size_t done = 0;  // guarded by mu
  std::exception_ptr error;

  // Takes parts until none are left.
  void Work() {
    for (size_t k = next.fetch_add(1); k < parts; k = next.fetch_add(1)) {
      std::exception_ptr e;
      try {
        (*fn)(k);
      } catch (...) {
        e = std::current_exception();
      }
      std::lock_guard lock(mu);
      if (e && !error) error = e;
      if (++done == parts) finished.notify_all();
    }
  }
};

class Workers {
 public:
  explicit Workers(size_t threads) {
    for (size_t i = 0; i < threads; ++i) std::thread([this] { Loop(); }).detach();
  }

  void Offer(const std::shared_ptr<Job>& job) {
    {
      std::lock_guard lock(mu_);
      jobs_.push_back(job);
    }
    ready_.notify_all();
  }

 private:
  void Loop() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [&] { return !jobs_.empty(); });
        job = jobs_.front();
        // A job whose parts are all taken leaves the queue.
        if (job->next.load() + 1 >= job->parts) jobs_.pop_front();
      }
      job->Work();
    }
  }

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::shared_ptr<Job>> jobs_;
};

Workers& Pool() {
  // Never destroyed: its threads wait for work until the process ends.
  static Workers* pool = new Workers(ScanThreads() - 1);
  return *pool;
}

}  // namespace

size_t ScanThreads() {
  static const size_t n = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 8);
  return n;
}

void RunParts(size_t parts, const std::function<void(size_t)>& fn) {
  if (parts <= 1 || ScanThreads() == 1) {
    for (size_t k = 0; k < parts; ++k) fn(k);
    return;
  }
  auto job = std::make_shared<Job>();
  job->fn = &fn;
  job->parts = parts;
  Pool().Offer(job);
  job->Work();
  std::unique_lock lock(job->mu);
  job->finished.wait(lock, [&] { return job->done == job->parts; });
  if (job->error) std::rethrow_exception(job->error);
}

}  // namespace shopcrm::segments::internal
