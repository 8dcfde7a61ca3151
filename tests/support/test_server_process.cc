// abs-test-server as a child process (test_server_process.h).
#include "tests/support/test_server_process.h"

#include "tests/support/ports.h"

namespace aero::testing {

std::string TestServerProcess::Binary() { return ABS_TEST_SERVER_BIN; }

Status TestServerProcess::Start(const std::string& log_path, const TestServerOptions& options) {
  port = FreeLoopbackPort();
  std::vector<std::string> argv{Binary(), "--port", std::to_string(port), "--namespaces", options.namespaces};
  if (!options.user.empty()) argv.insert(argv.end(), {"--user", options.user});
  if (options.sample_records > 0) argv.insert(argv.end(), {"--sample-records", std::to_string(options.sample_records)});
  ProcessOptions o;
  o.log_path = log_path;
  Status st = process.Start(argv, o);
  if (!st.ok()) return st.WithContext("abs-test-server (build it: cmake --build build)");
  return process.WaitForPort(port, std::chrono::seconds(20));
}

}  // namespace aero::testing
