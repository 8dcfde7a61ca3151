// The machine-readable output of both tools (-m/--machine PATH, backup-tools.md §7): lines
// "TAG:field:field..." appended to a file, which may be a FIFO that a reader reopens, so it is
// opened for each line. asbackup writes PROGRESS:, REMAINING:, SUMMARY: and ESTIMATE:, asrestore
// PROGRESS:, REMAINING: and SUMMARY: (each tool's SUMMARY has its own fields).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aero::tools {

// "<tag>:<f1>:<f2>..." (e.g. MachineLine("SUMMARY", {1, 2}) == "SUMMARY:1:2").
std::string MachineLine(std::string_view tag, std::initializer_list<uint64_t> fields);

// The lines of one progress sample: "PROGRESS:<percent as an integer>" when percent >= 0, then
// "REMAINING:<FormatDuration(eta)>" when eta_seconds >= 0 (each left out while unknown).
std::vector<std::string> MachineProgressLines(double percent, double eta_seconds);

// Appends `line` and a newline to the file at `path` (no-op for an empty path). kIo names the file
// when it cannot be opened or written, so callers can report it.
Status AppendMachineLine(const std::string& path, const std::string& line);

}  // namespace aero::tools
