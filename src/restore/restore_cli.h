// The abs-restore command line: asrestore's options under the same names (backup-tools.md §2) mapped
// onto RestoreOptions, client and storage settings; the run with a progress bar on a terminal, a
// text summary, and a JSON summary on request. src/tools/restore_main.cc only calls RestoreToolMain;
// keeping the logic here lets the tests drive the whole tool in-process.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "client/policy.h"
#include "common/cancel.h"
#include "common/status.h"
#include "restore/restore.h"
#include "storage/options.h"

namespace aero::restore {

struct RestoreToolConfig {
  std::vector<client::Host> hosts;
  client::ClientPolicy client;
  // Every input lives in one storage: the root (a URI or "/") and the keys under it, in order.
  std::string storage_root;
  std::vector<std::string> inputs;
  StorageOptions storage;
  RestoreOptions restore;
  bool json = false;      // --json: print the summary as JSON on stdout
  bool progress = false;  // progress bar on stderr (default: when stderr is a terminal)
  bool verbose = false;
  // -m/--machine: append asrestore's machine-readable lines (PROGRESS:, REMAINING:, SUMMARY:) here.
  std::string machine_path;
};

// Parses the command line (argv[0] is the program name). kInvalidArgument names the bad option;
// `--help` gives kNotFound with the help text as message (printed by the caller, exit 0).
Result<RestoreToolConfig> ParseRestoreArgs(int argc, const char* const* argv);

// Runs the restore the config describes; writes the summary (text or JSON) to `out`, progress and
// errors to `err`. Returns the exit status: 0 success, 1 anything failed.
int RunRestoreTool(const RestoreToolConfig& config, std::ostream& out, std::ostream& err,
                   const CancelToken* cancel = nullptr);

// The JSON summary document (names as the ABS restore job status uses them).
std::string SummaryJson(const RestoreSummary& summary);

// main(): parse, install SIGINT/SIGTERM handling (cancel), run. Exit 2 on usage errors.
int RestoreToolMain(int argc, char** argv);

}  // namespace aero::restore
