// A command line as a tool's main() receives it (argv[0] the program name, then the arguments),
// for the tests that call a parse step (ParseBackupArgs, ParseRestoreArgs) in-process.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace aero::tools::testing {

class Argv {
 public:
  Argv(std::string program, std::vector<std::string> args) : args_(std::move(args)) {
    args_.insert(args_.begin(), std::move(program));
    for (const auto& a : args_) pointers_.push_back(a.c_str());
  }
  Argv(const Argv&) = delete;
  Argv& operator=(const Argv&) = delete;
  int argc() const { return static_cast<int>(pointers_.size()); }
  const char* const* argv() const { return pointers_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<const char*> pointers_;
};

}  // namespace aero::tools::testing
