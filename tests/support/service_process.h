// The built aerospike-backup-service binary as a child process, for the tests that drive the
// service over HTTP: started with a command line, ready once it logs that the REST API listens (or
// once its port accepts, for configurations whose log level hides that line), stopped with SIGTERM.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"
#include "tests/support/process.h"

namespace aero::testing {

// Each start takes ProcessOptions (log file, environment); without a log_path the output goes to a
// file of the ServiceProcess's own that starts empty at every start.
class ServiceProcess {
 public:
  // Starts the binary with `args`; ready when it logs "REST API listening on". Fails (after stopping
  // it) when it exits first or is not ready within `timeout`, with the end of its output.
  Status Start(const std::vector<std::string>& args, const ProcessOptions& options = {},
               std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Starts the binary with `args`; ready when 127.0.0.1:port accepts a connection.
  Status StartOnPort(const std::vector<std::string>& args, int port, const ProcessOptions& options = {},
                     std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Starts and waits for the exit; its exit status (-1 when it ran past `timeout`).
  int RunToExit(const std::vector<std::string>& args, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGTERM, then the exit status (-1 when it had to be killed after `timeout`).
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10)) { return process_.Stop(timeout); }
  int Signal(int sig, std::chrono::milliseconds timeout) { return process_.Signal(sig, timeout); }

  // Everything the binary printed (stdout and stderr) since it was started.
  std::string output() const { return process_.Log(); }
  bool running() const { return process_.running(); }
  ChildProcess& process() { return process_; }

  // The path of the built binary.
  static std::string Binary();

 private:
  Status Spawn(const std::vector<std::string>& args, ProcessOptions options);

  ChildProcess process_;
};

}  // namespace aero::testing
