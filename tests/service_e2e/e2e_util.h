// End-to-end test helpers: an HTTP client for the service's REST API and a scan of test records.
// Folders, ports, child processes (the service binary, abs-test-server, s3rver) and waiting come
// from tests/support; the names the tests use are brought into aero::e2e here.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "tests/support/peers.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_server_process.h"
#include "tests/support/wait.h"

namespace aero::client {
class Cluster;
}  // namespace aero::client

namespace aero::e2e {

using testing::ChildProcess;
using testing::FindFiles;
using testing::FreeLoopbackPort;
using testing::ReadFile;
using testing::RunCommand;
using testing::S3rverPeer;
using testing::ServiceProcess;
using testing::TempDir;
using testing::TestServerOptions;
using testing::TestServerProcess;
using testing::WaitUntil;
using testing::WriteFile;

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

// Every record of ns/set as integer key -> (bin "v", bin "s"), scanned over all partitions; a record
// without an integer key fails the scan (and the test).
std::map<int64_t, std::pair<int64_t, std::string>> ScanRecords(client::Cluster& c, const std::string& ns,
                                                              const std::string& set);

}  // namespace aero::e2e
