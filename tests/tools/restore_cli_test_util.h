// abs-restore's parse step as main() calls it, for the in-process tests of the tool
// (restore_cli_test.cc without a cluster, restore_cli_integration_test.cc with one).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "tests/tools/argv.h"
#include "tools/restore/restore_args.h"

namespace aero::tools::testing {

// `args` without the program name.
inline Result<RestoreToolConfig> ParseRestore(std::vector<std::string> args) {
  Argv argv("abs-restore", std::move(args));
  return ParseRestoreArgs(argv.argc(), argv.argv());
}

}  // namespace aero::tools::testing
