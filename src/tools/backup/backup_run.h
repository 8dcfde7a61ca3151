// abs-backup, step 2 of 3 (parse -> run -> report): drives the backup engine for a
// BackupToolConfig. Opens the storage, then either removes earlier files (--remove-artifacts),
// estimates (-e) or backs up with progress; the report step prints the outcome.
#pragma once

#include <ostream>

#include "tools/backup/backup_args.h"

namespace aero::tools {

// Runs the config; summaries on `out` (JSON) and `err` (text, progress, errors). From the cluster
// connection on, SIGINT and SIGTERM cancel the run (an interrupted backup leaves its resume state).
// Returns the exit status: kExitOk, kExitFailed, or kExitBadOptions when the storage options are
// refused by the backend.
int RunBackupTool(const BackupToolConfig& config, std::ostream& out, std::ostream& err);

}  // namespace aero::tools
