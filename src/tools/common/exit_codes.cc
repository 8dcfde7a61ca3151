// Parse errors -> exit statuses (see exit_codes.h).
#include "tools/common/exit_codes.h"

#include "tools/common/secret_options.h"

namespace aero::tools {

int ExitCodeOf(const CLI::ParseError& error) {
  if (dynamic_cast<const SecretOptionError*>(&error) != nullptr) return error.get_exit_code();
  return error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success) ? kExitOk : kExitBadOptions;
}

}  // namespace aero::tools
