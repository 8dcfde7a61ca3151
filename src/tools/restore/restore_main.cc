// abs-restore: restores Aerospike .asb backups (asrestore-compatible options).
// parse (restore_args) -> run (restore_run) -> report (restore_report); exit 0 ok, 1 failed (also
// when the Secret Agent cannot give a secret), 2 bad options.
#include <iostream>

#include "common/cancel.h"
#include "tools/common/signals.h"
#include "tools/restore/restore_args.h"
#include "tools/restore/restore_report.h"
#include "tools/restore/restore_run.h"

int main(int argc, char** argv) {
  auto config = aero::tools::ParseRestoreArgs(argc, argv);
  if (!config.ok()) return aero::tools::ReportArgsError(config.status(), std::cout, std::cerr);
  // SIGINT/SIGTERM cancel the restore (taken on a dedicated thread; constructed before any other).
  aero::CancelToken cancel;
  aero::tools::SignalCanceller signals(cancel);
  return aero::tools::RunRestoreTool(*config, std::cout, std::cerr, &cancel);
}
