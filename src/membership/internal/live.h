// A value that operators may change while the server runs (the points rules):
// read as a copy, replaced whole.
#pragma once

#include <mutex>

namespace shopcrm::membership::internal {

template <typename T>
class Live final {
 public:
  explicit Live(T value) : value_(std::move(value)) {}

  T Get() const {
    std::lock_guard lock(mu_);
    return value_;
  }
  void Set(T value) {
    std::lock_guard lock(mu_);
    value_ = std::move(value);
  }

 private:
  mutable std::mutex mu_;
  T value_;
};

}  // namespace shopcrm::membership::internal
