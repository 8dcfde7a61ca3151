// End-to-end test helpers: temporary folders, child processes (the service binary,
// abs-test-server, s3rver) with their output in a log file, waiting for a port, and an HTTP client
// for the service's REST API. Child processes are killed and reaped by the destructors.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace aero::client {
class Cluster;
}  // namespace aero::client

namespace aero::e2e {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

int FreePort();

class Process {
 public:
  Process() = default;
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  // fork + exec; stdout/stderr appended to log_path; `env` entries ("NAME=value") are added. False with `error` set when exec fails.
  bool Start(const std::vector<std::string>& argv, const std::string& log_path, std::string* error,
             const std::vector<std::string>& env = {});
  // Polls a TCP connect to 127.0.0.1:port until it succeeds (true) or the process exits / timeout.
  bool WaitForPort(int port, std::chrono::milliseconds timeout);
  // Sends `sig` and waits for the exit; returns the wait status decoded: exit code, or 128 + signal,
  // or -1 if it did not exit within `timeout` (then it is SIGKILLed).
  int Signal(int sig, std::chrono::milliseconds timeout);
  bool running() const { return pid_ > 0; }
  std::string Log() const;

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// A started abs-test-server process.
struct TestServer {
  Process process;
  int port = 0;
  std::string log;
  // --sample-records N writes test/sample records 0..N-1.
  bool Start(const std::string& dir, const std::string& name, int sample_records, std::string* error);
};

struct HttpResult {
  int status = -1;  // -1 = transport error
  std::string body;
  std::string error;
};

class Api {
 public:
  explicit Api(int port) : port_(port) {}
  HttpResult Get(const std::string& path) const;
  HttpResult Post(const std::string& path, const std::string& body = "") const;
  HttpResult Put(const std::string& path, const std::string& body) const;

 private:
  int port_;
};

// Calls `pred` every 100 ms until it returns true or `timeout` passes.
bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);
// Files under `dir` (recursive) whose name is `name`.
std::vector<std::string> FindFiles(const std::string& dir, const std::string& name);

// Every record of ns/set as integer key -> (bin "v", bin "s"), scanned over all partitions; a record
// without an integer key fails the scan (and the test).
std::map<int64_t, std::pair<int64_t, std::string>> ScanRecords(client::Cluster& c, const std::string& ns,
                                                              const std::string& set);

}  // namespace aero::e2e
