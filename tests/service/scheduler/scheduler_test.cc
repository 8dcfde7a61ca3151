// Unit tests of the scheduler: cron and one-shot triggers driven by a manual clock, and one run on
// the real clock.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "service/scheduler/scheduler.h"

namespace aero::service {
namespace {

using model::BackupType;

class ManualClock : public Clock {
 public:
  explicit ManualClock(std::chrono::system_clock::time_point t) : now_(t) {}
  std::chrono::system_clock::time_point Now() const override {
    std::lock_guard<std::mutex> l(mu_);
    return now_;
  }
  void Advance(std::chrono::milliseconds d) {
    std::lock_guard<std::mutex> l(mu_);
    now_ += d;
  }

 private:
  mutable std::mutex mu_;
  std::chrono::system_clock::time_point now_;
};

struct Fired {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::tuple<std::string, BackupType, bool>> events;
  void Add(const std::string& r, BackupType t, bool od) {
    {
      std::lock_guard<std::mutex> l(mu);
      events.emplace_back(r, t, od);
    }
    cv.notify_all();
  }
  // Waits until at least n events arrived (false after 5 s).
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, std::chrono::seconds(5), [&] { return events.size() >= n; });
  }
  size_t size() {
    std::lock_guard<std::mutex> l(mu);
    return events.size();
  }
};

TEST(Scheduler, CronTriggersFireOncePerInstantWithAManualClock) {
  // 2024-01-01T00:00:00.500Z
  ManualClock clock(std::chrono::system_clock::time_point(std::chrono::milliseconds(1704067200500)));
  Fired fired;
  scheduler::Scheduler s(clock, [&](const std::string& r, BackupType t, bool od) { fired.Add(r, t, od); });
  scheduler::RoutineSchedule rs;
  rs.full = *cron::CronExpression::Parse("*/2 * * * * *");
  rs.incremental = *cron::CronExpression::Parse("1/2 * * * * *");
  s.SetSchedule("r", rs);
  s.Start();
  auto next = s.NextFire("r", BackupType::kFull);
  ASSERT_TRUE(next);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>(next->time_since_epoch()).count(), 1704067202000);
  EXPECT_EQ(fired.size(), 0u);

  clock.Advance(std::chrono::milliseconds(600));  // 01.100: the incremental at :01 is due
  s.Wake();
  ASSERT_TRUE(fired.WaitFor(1));
  clock.Advance(std::chrono::milliseconds(1000));  // 02.100: the full at :02
  s.Wake();
  ASSERT_TRUE(fired.WaitFor(2));
  {
    std::lock_guard<std::mutex> l(fired.mu);
    EXPECT_EQ(fired.events[0], std::make_tuple(std::string("r"), BackupType::kIncremental, false));
    EXPECT_EQ(fired.events[1], std::make_tuple(std::string("r"), BackupType::kFull, false));
  }
  // A long pause (clock jumps 60 s): each trigger fires once, not once per missed instant.
  clock.Advance(std::chrono::seconds(60));
  s.Wake();
  ASSERT_TRUE(fired.WaitFor(4));
  s.Stop();
  EXPECT_EQ(fired.size(), 4u);
}

TEST(Scheduler, OneShotTriggersSurviveScheduleChanges) {
  ManualClock clock(std::chrono::system_clock::time_point(std::chrono::milliseconds(1704067200000)));
  Fired fired;
  scheduler::Scheduler s(clock, [&](const std::string& r, BackupType t, bool od) { fired.Add(r, t, od); });
  s.Start();
  s.AddOneShot("r", BackupType::kFull, clock.Now() + std::chrono::milliseconds(100));
  s.RemoveSchedule("r");  // e.g. the routine was rescheduled: the on-demand trigger stays
  scheduler::RoutineSchedule rs;
  rs.full = *cron::CronExpression::Parse("@yearly");
  s.SetSchedule("r", rs);
  clock.Advance(std::chrono::milliseconds(100));
  s.Wake();
  ASSERT_TRUE(fired.WaitFor(1));
  std::lock_guard<std::mutex> l(fired.mu);
  EXPECT_EQ(fired.events[0], std::make_tuple(std::string("r"), BackupType::kFull, true));
}

TEST(Scheduler, RealClockFiresEverySecond) {
  Fired fired;
  scheduler::Scheduler s(SystemClock::Instance(), [&](const std::string& r, BackupType t, bool od) { fired.Add(r, t, od); });
  scheduler::RoutineSchedule rs;
  rs.full = *cron::CronExpression::Parse("* * * * * *");
  s.SetSchedule("r", rs);
  s.Start();
  ASSERT_TRUE(fired.WaitFor(2));  // within 5 s
  s.Stop();
}

}  // namespace
}  // namespace aero::service
