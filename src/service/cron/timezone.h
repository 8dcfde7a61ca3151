// Time zones for the scheduler: UTC, the host's local zone, or an IANA zone read from the system
// tz database (TZif files under /usr/share/zoneinfo), including the POSIX-TZ footer rule that
// covers instants after the last listed transition.
//
// Why not <chrono>: g++ 12's libstdc++ has no std::chrono::locate_zone/zoned_time, and
// localtime_r/mktime with setenv("TZ") is process-global state (not thread-safe). A TimeZone
// here is immutable once loaded, so one object can be shared by any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aero::service::cron {

// Where Load() looks for TZif files unless told otherwise.
inline constexpr const char* kDefaultZoneInfoDir = "/usr/share/zoneinfo";

class TimeZone {
 public:
  // The UTC zone (offset always 0).
  static TimeZone Utc();

  // Loads a zone by name, with ABS's rules for `schedule-timezone` (blanks trimmed; empty = UTC):
  //   "UTC" / "Local" (case-insensitive keywords; Local = $TZ if it names a zone file, else
  //   /etc/localtime, else UTC), or an IANA name "Area/Location" (case-sensitive).
  // Abbreviations ("EST") and POSIX TZ strings ("EST5EDT") are rejected: an IANA name must
  // contain a '/'. `zoneinfo_dir` lets tests use their own copy of the database.
  static Result<TimeZone> Load(std::string_view name, const std::string& zoneinfo_dir = kDefaultZoneInfoDir);

  // Parses a TZif (v1/v2/v3/v4) image; `name` is only used for messages and name().
  static Result<TimeZone> FromTzif(std::string_view name, std::string_view bytes);

  // Checks a `schedule-timezone` value without keeping the zone.
  static Status Validate(std::string_view name, const std::string& zoneinfo_dir = kDefaultZoneInfoDir);

  const std::string& name() const;

  // UTC offset in seconds (local = utc + offset) in effect at the UTC instant `unix_seconds`.
  int32_t OffsetAt(int64_t unix_seconds) const;

  // Wall-clock seconds ("local time expressed as if it were UTC") for a UTC instant.
  int64_t ToLocal(int64_t unix_seconds) const { return unix_seconds + OffsetAt(unix_seconds); }

  // The UTC instant for a wall-clock time, normalised exactly as Go's time.Date does it (which is
  // what ABS's go-quartz scheduler uses): take the offset in effect at `local` read as a UTC
  // instant; if the resulting instant has a different offset, use that one instead. Effects:
  //   gap (spring forward)  New York 02:30 -> 01:30 EST; Berlin 02:30 -> 03:30 CEST
  //   overlap (fall back)   New York 01:30 -> 01:30 EDT (first); Berlin 02:30 -> 02:30 CET (second)
  int64_t FromLocal(int64_t local_seconds) const;

  // Smallest and largest UTC offset this zone ever uses (bounds for searches over wall time).
  int32_t MinOffset() const;
  int32_t MaxOffset() const;

  struct Impl;

 private:
  explicit TimeZone(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace aero::service::cron
