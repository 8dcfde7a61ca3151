// abs-restore, step 3 of 3 (parse -> run -> report): what the tool prints. The text summary (stdout,
// or stderr with --json), the JSON summary document, the progress line, and asrestore's
// machine-readable SUMMARY: line.
#pragma once

#include <ostream>
#include <string>

#include "common/status.h"
#include "restore/restore.h"

namespace aero::tools {

// Prints why ParseRestoreArgs gave no config (the help or version text, a Secret Agent failure, or a bad
// option with advice to see --help); returns the exit status (0, 1 or 2).
int ReportArgsError(const Status& error, std::ostream& out, std::ostream& err);

// The JSON summary document (names as the ABS restore job status uses them).
std::string SummaryJson(const restore::RestoreSummary& summary);

// The text summary: what was read, what became of the records (not in --validate mode), corrupt
// entities, failures by reason, notes, errors, and "Restore finished|FAILED in N s".
void PrintRestoreText(const restore::RestoreSummary& summary, bool validate_only, std::ostream& out);

// One progress line: bar (bytes read of the total), records and rate, bytes, files.
std::string RestoreProgressLine(const restore::RestoreStats& stats, double elapsed_seconds);

// asrestore's SUMMARY:<udfs>:<sindexes>:<records>:<expired>:<skipped>:<ignored>:<inserted>:<existed>:<fresher>.
std::string MachineSummary(const restore::RestoreStats& stats);

}  // namespace aero::tools
