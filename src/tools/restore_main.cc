// abs-restore: restores Aerospike .asb backups (asrestore-compatible options). The option parsing,
// run, progress and summaries live in src/restore/restore_cli.{h,cc} so tests can drive the whole
// tool in-process; this file is only the process entry point.
#include "restore/restore_cli.h"

int main(int argc, char** argv) { return aero::restore::RestoreToolMain(argc, argv); }
