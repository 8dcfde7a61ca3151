// Test helper: runs the built aerospike-backup-service binary as a real child process on a free
// loopback port, collects its output (stdout+stderr) on a reader thread, waits for the
// "REST API listening on" log line (no polling), and stops it with SIGTERM (SIGKILL after a timeout).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace aero::apptest {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
int FreeLoopbackPort();

// Directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;  // a copy would delete the directory twice
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  void Write(const std::string& name, const std::string& content) const;
  std::string Read(const std::string& name) const;

 private:
  std::string path_;
};

class ServiceProcess {
 public:
  ServiceProcess() = default;
  ~ServiceProcess();
  ServiceProcess(const ServiceProcess&) = delete;
  ServiceProcess& operator=(const ServiceProcess&) = delete;

  // Spawns the binary with `args`. Returns false (with output() explaining) if it exits or does not
  // log that it listens within `timeout`.
  bool Start(const std::vector<std::string>& args, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Spawns and waits for the exit; returns the exit code (-1 on timeout / signal).
  int RunToExit(const std::vector<std::string>& args, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGTERM, wait up to `timeout` for exit; returns the exit status (-1 if it had to be killed).
  int Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  std::string output() const;
  bool running() const { return pid_ > 0; }

 private:
  bool Spawn(const std::vector<std::string>& args);
  int WaitExit(std::chrono::milliseconds timeout);
  void JoinReader();

  int pid_ = -1;
  int out_fd_ = -1;
  std::thread reader_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::string output_;
  bool eof_ = false;
};

}  // namespace aero::apptest
