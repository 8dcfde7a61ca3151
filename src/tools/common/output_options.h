// The run-output options --json, --no-progress, -m/--machine and --progress-interval under
// abs-backup's spelling, and the progress reporter they ask for. abs-restore keeps asrestore's
// spelling and help texts (--progress, no --progress-interval: restore/restore_args.cc) and starts
// its ProgressReporter itself; both write machine lines through machine_lines.h.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "tools/common/progress.h"

namespace aero::tools {

struct OutputFlags {
  bool json = false;             // --json: one JSON summary object on stdout
  bool no_progress = false;      // --no-progress
  std::string machine;           // -m/--machine PATH: append PROGRESS:/REMAINING:/SUMMARY: lines
  int progress_interval_ms = 0;  // --progress-interval; 0 = 1 s on a terminal, 10 s otherwise
};
void AddOutputOptions(CLI::App& app, OutputFlags& flags);

// Starts a reporter for `line` on `err` per the flags (a bar redrawn in place when stderr is a
// terminal, periodic lines otherwise, or silent with --no-progress; `line` is still called then so
// it can write machine lines). nullptr when nothing is wanted at all.
std::unique_ptr<ProgressReporter> StartProgress(const OutputFlags& flags, std::function<std::string(bool terminal)> line,
                                                std::ostream& err);

}  // namespace aero::tools
