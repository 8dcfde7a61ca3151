// Cooperative cancellation shared by a job and its workers. Blocking points wait on the token
// (WaitFor) instead of sleeping, so a cancel wakes them at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace aero {

class CancelToken {
 public:
  void Cancel(std::string reason = "cancelled") {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cancelled_.load()) return;
      reason_ = std::move(reason);
      cancelled_.store(true);
    }
    cv_.notify_all();
  }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }
  std::string reason() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reason_;
  }
  // Waits up to d; returns true if cancelled (early or at the end).
  template <typename Rep, typename Period>
  bool WaitFor(std::chrono::duration<Rep, Period> d) const {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, d, [&] { return cancelled_.load(); });
    return cancelled_.load();
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::atomic<bool> cancelled_{false};
  std::string reason_;
};

}  // namespace aero
