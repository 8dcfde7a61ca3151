// Child processes for tests: the one wrapper every test uses to run a real program (the service
// binary, abs-test-server, the tools, s3rver, azurite, python3, curl) with its output in a log file,
// wait until it listens or prints a line, signal it, and collect its exit status; plus RunCommand,
// which runs a program to completion and returns what it printed.
//
// Exit statuses are decoded the same way everywhere: the exit code, 128 + the signal when a signal
// ended it, -1 when it had not ended in time (it is then killed).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace aero::testing {

class TempDir;

struct ProcessOptions {
  ProcessOptions() = default;
  // Output to `log_path`, environment changed by `env`.
  ProcessOptions(std::string log_path, std::vector<std::string> env = {})  // NOLINT: implicit on purpose
      : log_path(std::move(log_path)), env(std::move(env)) {}

  // Where stdout and stderr go, appended (the file is created when missing). Empty: a file in a
  // temporary folder the ChildProcess owns.
  std::string log_path;
  // When set, stdout goes to this file instead (appended) and only stderr to log_path.
  std::string stdout_path;
  // Start both files empty instead of appending to them.
  bool truncate = false;
  // Changes to the inherited environment: "NAME=value" sets NAME (replacing an inherited value),
  // "NAME" alone removes it.
  std::vector<std::string> env;
};

class ChildProcess {
 public:
  ChildProcess();
  // A child still running is killed (SIGKILL) and reaped.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts argv[0] (searched on PATH when it has no '/') with stdin from /dev/null. Fails naming the
  // program when it cannot be started (for example, it does not exist).
  Status Start(const std::vector<std::string>& argv, const ProcessOptions& options = {});

  // Until 127.0.0.1:port accepts a connection. Fails early when the child exits first, and on the
  // deadline; both errors carry the end of the log.
  Status WaitForPort(int port, std::chrono::milliseconds timeout);
  // Until a line of the log contains `needle`; fails like WaitForPort.
  Status WaitForOutput(const std::string& needle, std::chrono::milliseconds timeout);
  // Until a line of the log matches `re`; that line (without its newline), or an error like WaitForPort.
  Result<std::string> WaitForLine(const std::regex& re, std::chrono::milliseconds timeout);

  // Waits for the child to end by itself; its exit status, or -1 after `timeout` (then it is killed).
  int Wait(std::chrono::milliseconds timeout);
  // Sends `sig`, then Wait(timeout).
  int Signal(int sig, std::chrono::milliseconds timeout);
  // SIGTERM, then Wait(timeout).
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // True once the child has ended (reaped without blocking; exit_status() then holds its status).
  bool Exited();
  // The exit status after the child ended; -1 before, or when it never started.
  int exit_status() const { return exit_status_; }
  // Started and not yet seen to end.
  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  // The program started last (argv[0]), for messages.
  const std::string& program() const { return program_; }

  const std::string& log_path() const { return log_path_; }
  // Everything written to the log so far (stdout and stderr, or only stderr with stdout_path).
  std::string Log() const;
  // What the child wrote to stdout: the stdout_path file, or the log when stdout was not separate.
  std::string Stdout() const;

 private:
  // Why a wait failed: the program, what was awaited, whether it exited, and the end of its log.
  Status WaitError(const std::string& what, std::chrono::milliseconds timeout);
  Result<std::string> WaitForMatch(const std::function<bool(const std::string&)>& match,
                                   std::chrono::milliseconds timeout);
  void Reaped(int wait_status);

  pid_t pid_ = -1;
  int exit_status_ = -1;
  std::string program_;
  std::string log_path_;
  std::string stdout_path_;
  std::unique_ptr<TempDir> own_dir_;  // holds log_path when the options named none
};

struct CommandResult {
  int exit_code = -1;  // as ChildProcess: exit code, 128 + signal, -1 when it ran past the timeout
  std::string out;     // stdout
  std::string err;     // stderr
  std::string all() const { return out + err; }
};

struct CommandOptions {
  std::vector<std::string> env;  // as ProcessOptions::env
  std::chrono::milliseconds timeout = std::chrono::minutes(5);
};

// Runs argv to completion with stdin from /dev/null. An error only when it cannot be started.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const CommandOptions& options = {});

}  // namespace aero::testing
