// Expiry conversions of the `+ t` line (asb-format.md §5.1): files store the void time in seconds
// since 2010-01-01 (0 = never expires), not a TTL.
#pragma once

#include <cstdint>

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

// The restore side (void time -> TTL, expiry, extra TTL) lives with the writes that send it:
// client::TtlFromVoidTime.

}  // namespace aero
