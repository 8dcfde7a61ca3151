// Option values both tools parse the same way: comma-separated lists (-s, -B, -n SRC,DST,
// --directory-list, ...) and asbackup's local-time format (-a/-b).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aero::tools {

// `text` without leading and trailing white space.
std::string Trim(std::string_view text);

// Comma-separated list ("a,b , c" -> {a,b,c}); surrounding quotes of an item are removed, empty
// items dropped.
std::vector<std::string> SplitList(std::string_view text);

// asbackup -a/-b: "YYYY-MM-DD_HH:MM:SS", "YYYY-MM-DD" (midnight) or "HH:MM:SS" (today), all in the
// local time zone; returns ms since the Unix epoch.
Result<int64_t> ParseLocalTime(std::string_view text, int64_t now_unix_ms);

}  // namespace aero::tools
