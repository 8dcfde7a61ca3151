// Expiry conversions of the `+ t` line (asb-format.md §5.1): files store the void time in seconds
// since 2010-01-01 (0 = never expires), not a TTL.
#pragma once

#include <cstdint>
#include <optional>

#include "common/record.h"

namespace aero {

// Backup side, asbackup's rule: TTL as a scan returns it (0xFFFFFFFF = never expires) -> void time
// now_since_2010 + ttl. (A client that has the server's void time can write that directly.)
inline uint32_t VoidTimeFromTtl(uint32_t ttl, int64_t now_unix_seconds) {
  if (ttl == 0xFFFFFFFFu) return 0;
  int64_t v = now_unix_seconds - kCitrusleafEpoch + static_cast<int64_t>(ttl);
  if (v <= 0) return 1;  // clock before 2010: keep it expirable
  return v > 0xFFFFFFFFll ? 0xFFFFFFFFu : static_cast<uint32_t>(v);
}

// Restore side (asrestore semantics): void time 0 -> TTL -1 (never expire, returned as
// 0xFFFFFFFF); otherwise ttl = void_time + extra_ttl - now, and nullopt when that is <= 0 (the record
// has expired: skip and count it). A TTL that does not fit in 32 bits is clamped.
inline std::optional<uint32_t> TtlFromVoidTime(uint32_t void_time, int64_t now_unix_seconds, int64_t extra_ttl = 0) {
  if (void_time == 0) return 0xFFFFFFFFu;
  int64_t ttl = static_cast<int64_t>(void_time) + kCitrusleafEpoch + extra_ttl - now_unix_seconds;
  if (ttl <= 0) return std::nullopt;
  return ttl >= 0xFFFFFFFFll ? 0xFFFFFFFEu : static_cast<uint32_t>(ttl);
}

}  // namespace aero
