// Test peers every layer's tests can start: s3rver (S3) and azurite (Azure Blob), the Node.js
// programs pinned in tests/node, each as a child process on a free loopback port with its data in a
// temporary folder (stopped and removed by the destructor).
//
// A missing peer is an error naming the peer and how to get it (`bash scripts/setup.sh`), so the
// test that needs it fails and says why. The Node.js folder is tests/node, or $ABS_TEST_NODE_DIR
// when that is set (how a test run shows what a missing peer looks like).
#pragma once

#include <string>

#include "common/status.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace aero::testing {

// Where the Node.js test peers are installed: $ABS_TEST_NODE_DIR, else the repository's tests/node.
std::string NodeDir();

// The path of node_modules/.bin/<name> under NodeDir(), or kNotFound naming `peer` and the fix.
Result<std::string> NodePeerBinary(const std::string& name, const std::string& peer);

struct S3rverPeer {
  TempDir dir{"abs-s3rver"};
  ChildProcess process;
  int port = 0;
  std::string bucket = "abs-test";  // created at start; set before Start() for another name
  ~S3rverPeer() { process.Stop(std::chrono::seconds(5)); }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port); }
  std::string data_dir() const { return dir.path() + "/data"; }
  Status Start();
};

struct AzuritePeer {
  static constexpr const char* kAccount = "devstoreaccount1";
  static constexpr const char* kKey =
      "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
  TempDir dir{"abs-azurite"};
  ChildProcess process;
  int port = 0;
  std::string container = "abs-test";
  // With https, azurite serves TLS with a fresh self-signed certificate (cert_path(), for the client's
  // CA file) and accepts Azure AD bearer tokens ("--oauth basic": claims checked, signature not).
  bool https = false;
  ~AzuritePeer() { process.Stop(std::chrono::seconds(5)); }
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

}  // namespace aero::testing
