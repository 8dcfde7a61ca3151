// The backup scheduler: per routine, a cron trigger for full backups and one for incrementals
// (ABS's go-quartz syntax, evaluated in the routine's time zone), plus one-shot triggers for
// on-demand backups. One thread sleeps until the earliest firing time and hands each due trigger to
// the `fire` callback; it never runs a backup itself, so a slow backup cannot delay other triggers.
//
// Admission (skip/overlap rules) is the callback's business: the scheduler only says "routine R,
// type T is due now". One-shot triggers are kept until they fire (never dropped by a schedule
// change), so an on-demand trigger is never lost while the process lives.
//
// Time comes from a Clock so tests can drive it; with a clock that jumps, call Wake() after moving
// it. The thread also calls `tick` about every `tick_interval` (the service refreshes progress
// gauges there).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "service/cron/cron.h"
#include "service/cron/timezone.h"
#include "service/model/types.h"

namespace aero::service::scheduler {

using model::BackupType;
using SysTime = std::chrono::system_clock::time_point;

// A routine's schedule: cron expressions (unset = not scheduled) and the zone they run in.
struct RoutineSchedule {
  std::optional<cron::CronExpression> full;
  std::optional<cron::CronExpression> incremental;
  cron::TimeZone zone = cron::TimeZone::Utc();
};

class Scheduler {
 public:
  // `fire(routine, type, on_demand)` runs on the scheduler thread and must not block for long.
  using FireFn = std::function<void(const std::string& routine, BackupType type, bool on_demand)>;
  using TickFn = std::function<void()>;

  Scheduler(const Clock& clock, FireFn fire, TickFn tick = nullptr,
            std::chrono::milliseconds tick_interval = std::chrono::seconds(1));
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  void Start();
  // Stops and joins the thread; pending triggers are dropped. Idempotent.
  void Stop();

  // Installs (or replaces) the cron triggers of a routine; the next firing times are computed from
  // now. A routine with neither expression is removed.
  void SetSchedule(const std::string& routine, RoutineSchedule schedule);
  // Removes a routine's cron triggers (its pending one-shot triggers stay and fire).
  void RemoveSchedule(const std::string& routine);
  // Routines that currently have cron triggers.
  std::vector<std::string> ScheduledRoutines() const;
  // One-shot trigger at `at` (on-demand backups).
  void AddOneShot(const std::string& routine, BackupType type, SysTime at);
  // Next firing time of a routine's cron trigger of that type (nullopt when not scheduled).
  std::optional<SysTime> NextFire(const std::string& routine, BackupType type) const;
  // Re-evaluates due triggers now (after a test clock moved).
  void Wake();

 private:
  struct CronTrigger {
    cron::CronExpression expr;
    std::optional<SysTime> next;
  };
  struct Entry {
    std::optional<CronTrigger> full, incremental;
    cron::TimeZone zone = cron::TimeZone::Utc();
  };
  struct OneShot {
    std::string routine;
    BackupType type;
  };
  struct Due {
    std::string routine;
    BackupType type;
    bool on_demand;
  };

  void Loop();
  // Collects due triggers and advances their next times; returns the earliest future time.
  std::optional<SysTime> CollectDueLocked(SysTime now, std::vector<Due>* due);

  const Clock& clock_;
  FireFn fire_;
  TickFn tick_;
  std::chrono::milliseconds tick_interval_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = false;
  std::map<std::string, Entry> routines_;
  std::multimap<SysTime, OneShot> one_shots_;
  std::thread thread_;
};

}  // namespace aero::service::scheduler
