// abs-restore, step 2 of 3 (parse -> run -> report): drives the restore engine for a
// RestoreToolConfig with the progress bar and machine lines running, then reports.
#pragma once

#include <ostream>

#include "common/cancel.h"
#include "tools/restore/restore_args.h"

namespace aero::tools {

// Runs the restore the config describes; writes the summary (text, or JSON with the text on `err`)
// to `out`, progress and errors to `err`. Returns the exit status: kExitOk success, kExitFailed
// anything failed or was cancelled.
int RunRestoreTool(const RestoreToolConfig& config, std::ostream& out, std::ostream& err,
                   const CancelToken* cancel = nullptr);

}  // namespace aero::tools
