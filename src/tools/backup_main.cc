// abs-backup: backs up an Aerospike namespace into .asb files (asbackup-compatible options). The
// tool logic is in backup_tool.cc; this file is only the process entry point.
#include "tools/backup_tool.h"

int main(int argc, char** argv) { return aero::tools::BackupToolMain(argc, argv); }
