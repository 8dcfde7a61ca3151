// Quartz-style cron expressions as ABS accepts them for `interval-cron` / `incr-interval-cron`
// (go-quartz syntax, abs-config.md §9), and computing the next firing time in a time zone.
//
// Syntax: 6 or 7 whitespace-separated fields
//   second(0-59) minute(0-59) hour(0-23) day-of-month(1-31) month(1-12|JAN-DEC)
//   day-of-week(1-7|SUN-SAT, 1 = Sunday) [year(1970-2199)]
// Each field: `*`, a value, `a-b` (wrap-around allowed, e.g. FRI-MON, 22-2), `a/n`, `*/n`,
// `a-b/n` (1 <= n <= the field's largest value), or a comma list of those. `?` means "no specific
// value"; like go-quartz it is accepted in every field (= `*`). Day-of-month also takes `L`,
// `L-n` (n 1-30), `LW`, `nW`; day-of-week also `L` (= Saturday), `nL` (last such weekday of the month) and
// `n#k` (k-th such weekday). Day-of-month and day-of-week cannot both be specific: one of them
// must be `*` or `?`. Names are case-insensitive. Macros: @yearly @monthly @weekly @daily
// @hourly (no @every, @annually, @midnight). A classic 5-field expression is rejected.
// Differences from go-quartz (documented, deliberate): wrap-around ranges are accepted, years
// end at 2199 (go-quartz: 3940), and L-n with n > 30 (never fires) is rejected.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "service/cron/civil.h"
#include "service/cron/timezone.h"

namespace aero::service::cron {

class CronExpression {
 public:
  // Parses `text`; errors (kInvalidArgument) say which field is wrong and why, e.g.
  // `invalid cron expression "0 0 25 * * ?": hour: 25 is out of range 0-23`.
  static Result<CronExpression> Parse(std::string_view text);

  // The expression as given, whitespace runs collapsed (macros kept as written).
  const std::string& text() const { return text_; }

  // True when the wall-clock time `c` matches every field.
  bool Matches(const CivilTime& c) const;

  // Smallest wall-clock time (seconds, see civil.h) >= `local` that matches, or nullopt when
  // there is none before the end of the supported year range.
  std::optional<int64_t> NextLocalAtOrAfter(int64_t local) const;

  // First firing instant strictly after `after`, evaluating the fields in `zone`. Wall-clock
  // times that do not exist or occur twice around DST changes are mapped as TimeZone::FromLocal
  // (i.e. like Go's time.Date, as ABS does); each distinct instant fires at most once.
  // Sub-second parts of `after` are ignored (firing times are whole seconds).
  std::optional<std::chrono::system_clock::time_point> NextAfter(std::chrono::system_clock::time_point after,
                                                                 const TimeZone& zone) const;
  // Same on UTC unix seconds.
  std::optional<int64_t> NextAfterUnix(int64_t after, const TimeZone& zone) const;

  static constexpr int kMinYear = 1970;
  static constexpr int kMaxYear = 2199;

 private:
  CronExpression() = default;  // only Parse() makes one (an empty one would match nothing)

  enum class DomKind { kAny, kSet, kLast, kLastWeekday, kNearestWeekday };
  enum class DowKind { kAny, kSet, kLastOf, kNth };

  bool DayMatches(int year, int month, int day) const;

  std::string text_;
  uint64_t seconds_ = 0, minutes_ = 0, hours_ = 0, months_ = 0;  // bit i = value i allowed
  DomKind dom_kind_ = DomKind::kAny;
  uint64_t dom_ = 0;      // kSet: bit d
  int dom_arg_ = 0;       // kLast: offset n of L-n; kNearestWeekday: day n
  DowKind dow_kind_ = DowKind::kAny;
  uint64_t dow_ = 0;      // kSet: bit 0..6 (0 = Sunday)
  int dow_arg_ = 0;       // kLastOf / kNth: weekday 0..6
  int dow_nth_ = 0;       // kNth: k
  std::vector<bool> years_;  // index year - kMinYear; empty = any year
};

// Convenience for validators: OK or the parse error.
Status ValidateCronExpression(std::string_view text);

}  // namespace aero::service::cron
