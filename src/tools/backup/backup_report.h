// abs-backup, step 3 of 3 (parse -> run -> report): what the tool prints. asbackup's text summary
// and progress lines on stderr, the JSON summary (--json) on stdout, the machine lines (-m), and
// errors as "abs-backup: <error>" (plus {"status":"error"} on stdout with --json).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "backup/backup.h"
#include "common/status.h"
#include "tools/backup/backup_args.h"
#include "tools/common/output_options.h"

namespace aero::tools {

// Prints what ParseBackupArgs found when it gave no config; returns its exit status.
int ReportArgsEnd(const BackupArgs& args, std::ostream& out, std::ostream& err);

// A failed run or bad option: the error on stderr, and as a JSON document on stdout with --json.
void ReportFailure(const Status& error, bool json, std::ostream& out, std::ostream& err);

// --remove-artifacts: how many files were removed from where.
void ReportRemoved(uint64_t removed, const std::string& storage, bool json, std::ostream& out, std::ostream& err);

// -e: the sample and the extrapolation (text, ESTIMATE: machine line, JSON).
void ReportEstimate(const backup::BackupEstimate& estimate, const OutputFlags& output, std::ostream& out,
                    std::ostream& err);

// One progress line: a bar on a terminal, "<pct>% complete" (or "progress") otherwise, then
// records done/estimated, bytes, rates and the ETA.
std::string BackupProgressLine(const backup::BackupProgress::View& view, bool terminal);

// A finished backup: asbackup's summary line on stderr, the SUMMARY: machine line (a failure to
// write it is a warning: the backup itself succeeded), and the JSON summary with --json.
void ReportBackup(const backup::BackupSummary& summary, const std::string& storage, const OutputFlags& output,
                  std::ostream& out, std::ostream& err);

// The JSON summary document of a finished backup.
std::string BackupSummaryJson(const backup::BackupSummary& summary, const std::string& storage);

}  // namespace aero::tools
