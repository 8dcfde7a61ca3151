// Test peers for the storage tests: s3rver and azurite started as child processes on free loopback ports
// with temporary data directories (killed and cleaned up in the destructor), plus helpers to wait for a
// port and to make temporary directories.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "common/status.h"

namespace aero::testing {

// A fresh directory under $TMPDIR (or /tmp), removed recursively by the destructor.
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

// A loopback port nobody listens on right now.
int FreeLoopbackPort();

// A child process with stdout/stderr in `log_path`; SIGTERM (then SIGKILL) and reaped on destruction.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  // `extra_env` entries ("NAME=value") are added to this process's environment for the child.
  Status Start(const std::vector<std::string>& argv, const std::string& log_path,
               const std::vector<std::string>& extra_env = {});
  // Polls until 127.0.0.1:port accepts a connection; fails early if the process exits.
  Status WaitForPort(int port, int timeout_ms);
  void Stop();
  // Waits for the process to exit; its exit status (128 + signal if killed).
  int Wait();
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  std::string log_path_;
};

// Where tests/node lives (compile definition ABS_TEST_NODE_DIR).
std::string NodeDir();

struct S3rverPeer {
  TempDir dir;
  ChildProcess process;
  int port = 0;
  std::string bucket = "abs-test";
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port); }
  std::string data_dir() const { return dir.path() + "/data"; }
  Status Start();
};

struct AzuritePeer {
  static constexpr const char* kAccount = "devstoreaccount1";
  static constexpr const char* kKey =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  TempDir dir;
  ChildProcess process;
  int port = 0;
  std::string container = "abs-test";
  // With https, azurite serves TLS with a fresh self-signed certificate (cert_path(), for the client's
  // CA file) and accepts Azure AD bearer tokens ("--oauth basic": claims checked, signature not).
  bool https = false;
  std::string endpoint() const {
    return std::string(https ? "https" : "http") + "://127.0.0.1:" + std::to_string(port) + "/" + kAccount;
  }
  std::string data_dir() const { return dir.path() + "/data"; }
  std::string cert_path() const { return dir.path() + "/cert.pem"; }
  Status Start();  // also creates the container
  // An account SAS (blob service; read/write/delete/list/add/create) signed with the emulator key,
  // as the query string without '?'.
  std::string AccountSas() const;
};

// Writes a self-signed certificate for 127.0.0.1 (subjectAltName IP) and its key as PEM files.
Status WriteSelfSignedCert(const std::string& cert_path, const std::string& key_path);

// Runs a command to completion (stdout/stderr to `log_path`); returns its exit status.
Result<int> RunCommand(const std::vector<std::string>& argv, const std::string& log_path);

// Flips one byte of the first file under `dir` (recursively) containing `needle`. kNotFound if none.
Status CorruptFileContaining(const std::string& dir, const std::string& needle);

}  // namespace aero::testing
