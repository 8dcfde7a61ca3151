// abs-restore, step 1 of 3 (parse -> run -> report): asrestore's command line (backup-tools.md §2)
// turned into a RestoreToolConfig: the engine's RestoreOptions, the client policy and the inputs as
// keys under one storage root. Nothing is opened or contacted here (in --validate mode not even a
// password prompt).
#pragma once

#include <string>
#include <vector>

#include "client/policy.h"
#include "common/status.h"
#include "restore/restore.h"
#include "storage/options.h"

namespace aero::tools {

struct RestoreToolConfig {
  std::vector<client::Host> hosts;
  client::ClientPolicy client;
  // Every input lives in one storage: the root (a URI or "/") and the keys under it, in order.
  std::string storage_root;
  std::vector<std::string> inputs;
  StorageOptions storage;
  restore::RestoreOptions restore;
  bool json = false;      // --json: print the summary as JSON on stdout
  bool progress = false;  // progress bar on stderr (default: when stderr is a terminal)
  bool verbose = false;
  // -m/--machine: append asrestore's machine-readable lines (PROGRESS:, REMAINING:, SUMMARY:) here.
  std::string machine_path;
};

// Parses the command line (argv[0] is the program name). kInvalidArgument (or kUnsupported) names
// the bad option (exit 2); kNetwork: the Secret Agent could not give a secret (exit 1); `--help`
// and `--version` give kNotFound with the text to print as message (printed by the caller, exit 0).
Result<RestoreToolConfig> ParseRestoreArgs(int argc, const char* const* argv);

}  // namespace aero::tools
