// The exit statuses both tools end with (backup-tools.md §1-§2) and how a command-line parse error
// maps onto them. One place, so abs-backup and abs-restore cannot drift apart.
#pragma once

#include <CLI/CLI.hpp>

namespace aero::tools {

inline constexpr int kExitOk = 0;          // done; also --help and --version
inline constexpr int kExitFailed = 1;      // the run failed or was cancelled; the Secret Agent failed
inline constexpr int kExitBadOptions = 2;  // the command line is wrong; nothing was touched

// The exit status of a parse error from CLI::App::parse: kExitOk for --help / --version, a
// SecretOptionError's own (kExitFailed when the agent could not give a secret, kExitBadOptions for a
// bad --sa-* option or reference), kExitBadOptions for every other error (CLI11's own codes, e.g.
// 109 for an unknown option, are never an exit status of ours).
int ExitCodeOf(const CLI::ParseError& error);

}  // namespace aero::tools
