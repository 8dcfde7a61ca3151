// abs-backup: backs up an Aerospike namespace into .asb files (asbackup-compatible options).
// parse (backup_args) -> run (backup_run) -> report (backup_report); exit 0 ok, 1 failed, 2 bad options.
#include <iostream>

#include "tools/backup/backup_args.h"
#include "tools/backup/backup_report.h"
#include "tools/backup/backup_run.h"

int main(int argc, char** argv) {
  aero::tools::BackupArgs args = aero::tools::ParseBackupArgs(argc, argv);
  if (!args.config) return aero::tools::ReportArgsEnd(args, std::cout, std::cerr);
  return aero::tools::RunBackupTool(*args.config, std::cout, std::cerr);
}
