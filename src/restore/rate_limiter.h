// A shared rate limiter for the restore pipeline (records per second, bytes per second): each caller
// reserves its units on a common timeline and waits for its slot on the job's CancelToken, so a
// cancel wakes it at once and the long-run rate is exact whatever the number of threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "common/cancel.h"

namespace aero::restore {

class RateLimiter {
 public:
  using SteadyClock = std::chrono::steady_clock;

  // per_second 0 = unlimited. burst: how far the timeline may lag behind "now" (unused capacity a
  // caller may catch up on), so short pauses of the producer do not lower the average rate.
  explicit RateLimiter(uint64_t per_second, std::chrono::milliseconds burst = std::chrono::milliseconds(0))
      : per_second_(per_second), burst_(burst), next_(SteadyClock::now()) {}

  bool unlimited() const { return per_second_ == 0; }

  // Blocks until `units` may pass. Returns false if `cancel` fired while waiting.
  bool Acquire(uint64_t units, const CancelToken& cancel) {
    if (per_second_ == 0 || units == 0) return !cancel.cancelled();
    SteadyClock::time_point slot;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto now = SteadyClock::now();
      if (next_ < now - burst_) next_ = now - burst_;
      slot = next_;
      next_ += std::chrono::duration_cast<SteadyClock::duration>(
          std::chrono::duration<double>(static_cast<double>(units) / static_cast<double>(per_second_)));
    }
    auto wait = slot - SteadyClock::now();
    if (wait <= SteadyClock::duration::zero()) return !cancel.cancelled();
    return !cancel.WaitFor(wait);
  }

 private:
  const uint64_t per_second_;
  const std::chrono::milliseconds burst_;
  std::mutex mu_;
  SteadyClock::time_point next_;  // start of the next free slot (no burst credit at the start)
};

}  // namespace aero::restore
