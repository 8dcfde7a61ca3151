// abs-backup, step 1 of 3 (parse -> run -> report): asbackup's command line (backup-tools.md §1)
// turned into a BackupToolConfig, with asbackup's validation rules. Nothing is opened or contacted
// here; every error found is a bad option (exit 2) or, for a Secret Agent that cannot give a
// secret, a failure (exit 1).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "backup/backup.h"
#include "common/status.h"
#include "tools/common/connection_options.h"
#include "tools/common/exit_codes.h"
#include "tools/common/output_options.h"
#include "tools/common/storage_options.h"

namespace aero::tools {

// Everything one abs-backup run needs, as plain values.
struct BackupToolConfig {
  ConnectionFlags connection;  // converted (and -P prompted) only when the run connects
  StorageFlags storage;
  backup::BackupRequest request;  // what and how; request.output_file is the -o file's key
  enum class Target {
    kStorage,   // -d DIR or -o FILE: files under storage_root
    kStdout,    // -o -: one stream on standard output, nothing else stored
    kEstimate,  // -e: sample the namespace, store nothing
  };
  Target target = Target::kStorage;
  std::string storage_root;        // kStorage: the directory, or the -o file's directory
  bool remove_artifacts = false;   // --remove-artifacts: remove what -d/-o would write, then exit
  uint64_t estimate_samples = 10000;
  OutputFlags output;
  bool verbose = false;
};

// What the command line asked for: a run (config), or an exit with what to print first.
struct BackupArgs {
  std::optional<BackupToolConfig> config;  // set: run it; else exit with exit_code
  int exit_code = kExitOk;
  std::string cli11_out, cli11_err;  // CLI11's own text: help / version (stdout), its error and advice (stderr)
  std::string secret_error;          // a --sa-* problem or a secret the agent could not give (never a secret)
  Status error;                      // a bad option found after CLI11 parsed
  bool json = false;                 // --json: `error` is also a JSON document on stdout
};

// argv[0] is the program name (shown in the help's usage line).
BackupArgs ParseBackupArgs(int argc, const char* const* argv);

}  // namespace aero::tools
