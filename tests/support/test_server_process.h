// The built abs-test-server binary as a child process on a free loopback port, for the tests that
// need the test cluster as a separate program (the service binary's end-to-end tests).
#pragma once

#include <chrono>
#include <string>
#include <utility>

#include "common/status.h"
#include "tests/support/process.h"

namespace aero::testing {

struct TestServerOptions {
  TestServerOptions() = default;
  // With test/sample records 0..sample_records-1.
  explicit TestServerOptions(int sample_records) : sample_records(sample_records) {}
  // With `namespaces`, and login required for `user` ("name:password") when given.
  TestServerOptions(std::string namespaces, std::string user) : namespaces(std::move(namespaces)), user(std::move(user)) {}

  std::string namespaces = "test,bar";  // --namespaces
  std::string user;                     // "name:password": clients must log in (--user)
  int sample_records = 0;               // --sample-records: test/sample records 0..N-1
};

struct TestServerProcess {
  ChildProcess process;
  int port = 0;
  // Starts the server with its output in `log_path`; ready when its port accepts connections.
  Status Start(const std::string& log_path, const TestServerOptions& options = {});

  // The path of the built binary.
  static std::string Binary();
};

}  // namespace aero::testing
