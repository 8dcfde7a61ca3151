// Scheduler thread: waits on a condition variable until the earliest trigger (or the next tick),
// fires what is due outside the lock, and recomputes cron times from "now" so a long pause (host
// suspend) fires each trigger once rather than replaying every missed instant.
#include "service/scheduler/scheduler.h"

#include <algorithm>

namespace aero::service::scheduler {

Scheduler::Scheduler(const Clock& clock, FireFn fire, TickFn tick, std::chrono::milliseconds tick_interval)
    : clock_(clock), fire_(std::move(fire)), tick_(std::move(tick)), tick_interval_(tick_interval) {}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Scheduler::SetSchedule(const std::string& routine, RoutineSchedule schedule) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!schedule.full && !schedule.incremental) {
      routines_.erase(routine);
    } else {
      const SysTime now = clock_.Now();
      Entry e;
      e.zone = schedule.zone;
      if (schedule.full) e.full = CronTrigger{*schedule.full, schedule.full->NextAfter(now, schedule.zone)};
      if (schedule.incremental) {
        e.incremental = CronTrigger{*schedule.incremental, schedule.incremental->NextAfter(now, schedule.zone)};
      }
      routines_[routine] = std::move(e);
    }
    wake_ = true;
  }
  cv_.notify_all();
}

void Scheduler::RemoveSchedule(const std::string& routine) {
  std::lock_guard<std::mutex> lock(mu_);
  routines_.erase(routine);
}

std::vector<std::string> Scheduler::ScheduledRoutines() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, _] : routines_) out.push_back(name);
  return out;
}

void Scheduler::AddOneShot(const std::string& routine, BackupType type, SysTime at) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    one_shots_.emplace(at, OneShot{routine, type});
    wake_ = true;
  }
  cv_.notify_all();
}

std::optional<SysTime> Scheduler::NextFire(const std::string& routine, BackupType type) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = routines_.find(routine);
  if (it == routines_.end()) return std::nullopt;
  const auto& trig = type == BackupType::kFull ? it->second.full : it->second.incremental;
  if (!trig) return std::nullopt;
  return trig->next;
}

void Scheduler::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

std::optional<SysTime> Scheduler::CollectDueLocked(SysTime now, std::vector<Due>* due) {
  std::optional<SysTime> earliest;
  auto consider = [&](SysTime t) {
    if (!earliest || t < *earliest) earliest = t;
  };
  for (auto& [name, e] : routines_) {
    for (BackupType type : {BackupType::kFull, BackupType::kIncremental}) {
      auto& trig = type == BackupType::kFull ? e.full : e.incremental;
      if (!trig || !trig->next) continue;
      if (*trig->next <= now) {
        due->push_back({name, type, false});
        trig->next = trig->expr.NextAfter(std::max(*trig->next, now), e.zone);
      }
      if (trig->next) consider(*trig->next);
    }
  }
  while (!one_shots_.empty() && one_shots_.begin()->first <= now) {
    due->push_back({one_shots_.begin()->second.routine, one_shots_.begin()->second.type, true});
    one_shots_.erase(one_shots_.begin());
  }
  if (!one_shots_.empty()) consider(one_shots_.begin()->first);
  return earliest;
}

void Scheduler::Loop() {
  auto last_tick = std::chrono::steady_clock::now();
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    std::vector<Due> due;
    std::optional<SysTime> next = CollectDueLocked(clock_.Now(), &due);
    if (!due.empty()) {
      lock.unlock();
      for (const auto& d : due) fire_(d.routine, d.type, d.on_demand);
      lock.lock();
      continue;  // firing took time: re-evaluate before sleeping
    }
    auto steady_now = std::chrono::steady_clock::now();
    if (tick_ && steady_now - last_tick >= tick_interval_) {
      last_tick = steady_now;
      lock.unlock();
      tick_();
      lock.lock();
      continue;
    }
    // Sleep until the next trigger or tick, whichever is first; a schedule change wakes us.
    auto wait = tick_ ? tick_interval_ - std::chrono::duration_cast<std::chrono::milliseconds>(steady_now - last_tick)
                      : std::chrono::milliseconds(60000);
    if (next) {
      auto until = std::chrono::duration_cast<std::chrono::milliseconds>(*next - clock_.Now()) +
                   std::chrono::milliseconds(1);
      wait = std::min(wait, std::max(until, std::chrono::milliseconds(1)));
    }
    cv_.wait_for(lock, wait, [this] { return stop_ || wake_; });
    wake_ = false;
  }
}

}  // namespace aero::service::scheduler
