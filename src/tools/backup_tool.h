// abs-backup's whole command line (options, run, progress, summaries) as one function, so the
// executable's main() is a one-liner and the tool logic lives in a library.
#pragma once

namespace aero::tools {

// Exit status: 0 success, 1 the backup failed, 2 bad options.
int BackupToolMain(int argc, char** argv);

}  // namespace aero::tools
