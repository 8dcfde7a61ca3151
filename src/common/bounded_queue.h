// A bounded multi-producer/multi-consumer queue: the back-pressure link between pipeline stages
// (scan -> encode -> write). Push blocks while full, Pop while empty; Close() ends the stream and
// wakes everyone, so no stage can hang after another one stopped.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace aero {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity ? capacity : 1) {}

  // Returns false if the queue was closed (the item is dropped: the consumer is gone).
  bool Push(T item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return true;
  }

  enum class PushResult { kPushed, kClosed, kTimedOut };
  // Push that waits at most `d` for room, so a producer can look at a cancel token between tries.
  // `item` is moved from only when the result is kPushed.
  template <typename Rep, typename Period>
  PushResult PushFor(T& item, std::chrono::duration<Rep, Period> d) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!not_full_.wait_for(lock, d, [&] { return closed_ || items_.size() < capacity_; }))
      return PushResult::kTimedOut;
    if (closed_) return PushResult::kClosed;
    items_.push_back(std::move(item));
    not_empty_.notify_one();
    return PushResult::kPushed;
  }

  // Returns nullopt once the queue is closed and drained.
  std::optional<T> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    not_empty_.wait(lock, [&] { return closed_ || !items_.empty(); });
    if (items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return item;
  }

  // No more pushes; consumers drain what is left, then Pop returns nullopt.
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    not_full_.notify_all();
    not_empty_.notify_all();
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace aero
