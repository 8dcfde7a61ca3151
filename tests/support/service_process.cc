// The service binary as a child process (service_process.h).
#include "tests/support/service_process.h"

namespace aero::testing {

std::string ServiceProcess::Binary() { return ABS_SERVICE_BIN; }

Status ServiceProcess::Spawn(const std::vector<std::string>& args, ProcessOptions options) {
  std::vector<std::string> argv{Binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  if (options.log_path.empty()) options.truncate = true;
  Status st = process_.Start(argv, options);
  if (!st.ok()) return st.WithContext("the service binary (build it: cmake --build build)");
  return st;
}

Status ServiceProcess::Start(const std::vector<std::string>& args, const ProcessOptions& options,
                             std::chrono::milliseconds timeout) {
  ABS_RETURN_IF_ERROR(Spawn(args, options));
  Status ready = process_.WaitForOutput("REST API listening on", timeout);
  if (!ready.ok()) process_.Stop(std::chrono::seconds(2));
  return ready;
}

Status ServiceProcess::StartOnPort(const std::vector<std::string>& args, int port, const ProcessOptions& options,
                                   std::chrono::milliseconds timeout) {
  ABS_RETURN_IF_ERROR(Spawn(args, options));
  Status ready = process_.WaitForPort(port, timeout);
  if (!ready.ok()) process_.Stop(std::chrono::seconds(2));
  return ready;
}

int ServiceProcess::RunToExit(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  if (!Spawn(args, {}).ok()) return -1;
  return process_.Wait(timeout);
}

}  // namespace aero::testing
