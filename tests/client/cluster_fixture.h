// Reusable "test server or real host" target for integration tests of every layer.
//
// When the environment variable AEROSPIKE_TEST_HOST=host:port is set, tests talk to that real
// server (single node, namespaces `test` and `bar`); tests that need fault injection, several nodes,
// users or TLS skip themselves with ABS_SKIP_IF_REAL_SERVER(reason). Otherwise an in-process
// aero::testserver::TestCluster is started (when the test binary links abs_testserver and defines
// ABS_HAVE_TESTSERVER); without either the tests fail, saying so.
//
// Usage:
//   std::unique_ptr<aero::testing::ClusterTarget> target;
//   ABS_START_TARGET(target, options);          // in a TEST body or SetUp(); fails if impossible
//   auto cluster = target->Connect();           // aero::client::Cluster
//   std::string set = target->UniqueSet("scan"); // own set name per run; Cleanup() truncates them
//
// CMake for a test binary using it (see tests/client/CMakeLists.txt):
//   target_link_libraries(my_test PRIVATE abs_client GTest::gtest_main)
//   target_include_directories(my_test PRIVATE ${CMAKE_SOURCE_DIR})   # for "tests/client/cluster_fixture.h"
//   if(TARGET abs_testserver)
//     target_link_libraries(my_test PRIVATE abs_testserver)
//     target_compile_definitions(my_test PRIVATE ABS_HAVE_TESTSERVER=1)
//   endif()
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "client/cluster.h"
#include "client/metadata.h"
#include "client/policy.h"
#include "client/scan.h"

#ifdef ABS_HAVE_TESTSERVER
#include "testserver/test_cluster.h"
#endif

namespace aero::testing {

#ifndef ABS_HAVE_TESTSERVER
// Options placeholder so tests compile without the test server library.
struct TestClusterOptionsStub {
  int nodes = 1;
  int replication_factor = 1;
};
#endif

class ClusterTarget {
 public:
#ifdef ABS_HAVE_TESTSERVER
  using Options = aero::testserver::TestClusterOptions;
#else
  using Options = TestClusterOptionsStub;
#endif

  // "host:port" of a real server, or "" when tests use the in-process test server.
  static std::string RealHost() {
    const char* v = std::getenv("AEROSPIKE_TEST_HOST");
    return v ? std::string(v) : std::string();
  }
  static bool UsingRealServer() { return !RealHost().empty(); }

  // Starts the target; on failure returns the reason, which fails the test.
  static Result<std::unique_ptr<ClusterTarget>> Start(const Options& options = Options()) {
    std::unique_ptr<ClusterTarget> t(new ClusterTarget());
    if (UsingRealServer()) {
      ABS_ASSIGN_OR_RETURN(t->seeds_, client::ParseHosts(RealHost()));
      return t;
    }
#ifdef ABS_HAVE_TESTSERVER
    ABS_ASSIGN_OR_RETURN(t->server_, aero::testserver::TestCluster::Start(options));
    ABS_ASSIGN_OR_RETURN(t->seeds_, client::ParseHosts(t->server_->SeedHost()));
    return t;
#else
    (void)options;
    return Status(ErrorCode::kUnsupported,
                  "no test server linked into this test (link abs_testserver, define ABS_HAVE_TESTSERVER) and "
                  "AEROSPIKE_TEST_HOST is not set");
#endif
  }

  ~ClusterTarget() { Cleanup(); }

  const std::vector<client::Host>& seeds() const { return seeds_; }
#ifdef ABS_HAVE_TESTSERVER
  // The in-process server, or nullptr against a real server.
  aero::testserver::TestCluster* server() const { return server_.get(); }
#endif

  // Client policy suited to tests: short tend interval and timeouts.
  static client::ClientPolicy TestPolicy() {
    client::ClientPolicy p;
    p.tend_interval = client::Millis(100);
    p.connect_timeout = client::Millis(2000);
    p.info_timeout = client::Millis(2000);
    p.max_node_failures = 3;
    return p;
  }

  Result<std::shared_ptr<client::Cluster>> Connect(client::ClientPolicy policy = TestPolicy()) {
    ABS_ASSIGN_OR_RETURN(auto c, client::Cluster::Connect(seeds_, policy));
    if (!cleanup_cluster_) cleanup_cluster_ = c;
    return c;
  }

  // A set name unique to this process and call; remembered for Cleanup().
  std::string UniqueSet(const std::string& base, const std::string& ns = "test") {
    static std::atomic<int> counter{0};
    std::string s = base + "_" + std::to_string(::getpid() % 100000) + "_" + std::to_string(counter++);
    used_.push_back({ns, s});
    return s;
  }

  // Truncates every set handed out by UniqueSet (runs from the destructor too).
  void Cleanup() {
    if (!used_.empty() && UsingRealServer()) {
      // Records left on a shared real server leak into later runs: a failure. Cleanup has its own
      // connection, since the test may already have closed the cluster it got from Connect().
      auto c = client::Cluster::Connect(seeds_, TestPolicy());
      if (!c.ok()) {
        ADD_FAILURE() << "cleanup: cannot connect to " << RealHost() << ": " << c.status().ToString();
      } else {
        for (const auto& [ns, set] : used_) {
          Status st = TruncateUntilEmpty(**c, ns, set);
          if (!st.ok()) ADD_FAILURE() << "cleanup of " << ns << "/" << set << ": " << st.ToString();
        }
        (*c)->Close();
      }
    } else if (cleanup_cluster_) {
      // The in-process server vanishes with the test (and fault tests may have stopped it):
      // best effort only.
      for (const auto& [ns, set] : used_) (void)client::Truncate(*cleanup_cluster_, ns, set);
    }
    used_.clear();
    if (cleanup_cluster_) {
      cleanup_cluster_->Close();
      cleanup_cluster_.reset();
    }
  }

  // Truncates ns/set until a scan of it finds no record. A real server (8.1 truncate.c) truncates
  // "to now" with a strict last-update-time < now-in-ms test, so a record written in the same
  // millisecond as the truncate survives it; each further attempt is a later round trip, hence a
  // later millisecond. Returns an error if records remain after a bounded number of attempts.
  static Status TruncateUntilEmpty(client::Cluster& cluster, const std::string& ns, const std::string& set) {
    constexpr int kAttempts = 20;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
      ABS_RETURN_IF_ERROR(client::Truncate(cluster, ns, set));
      client::ScanPolicy sp;
      sp.ns = ns;
      if (!set.empty()) sp.sets = {set};
      sp.no_bins = true;
      client::ScanState st = client::ScanState::AllPartitions();
      uint64_t found = 0;
      auto r = client::Scan(cluster, sp, st, [&](Record&) {
        ++found;
        return Status::Ok();
      });
      if (!r.ok()) return r.status().WithContext("scan after truncating " + ns + "/" + set);
      if (found == 0) return Status::Ok();
    }
    return Status(ErrorCode::kTimeout, "records remain in " + ns + "/" + set + " after " +
                                            std::to_string(kAttempts) + " truncates");
  }

 private:
  ClusterTarget() = default;
  std::vector<client::Host> seeds_;
  std::shared_ptr<client::Cluster> cleanup_cluster_;
  std::vector<std::pair<std::string, std::string>> used_;
#ifdef ABS_HAVE_TESTSERVER
  std::unique_ptr<aero::testserver::TestCluster> server_;
#endif
};

}  // namespace aero::testing

// Starts `target` (a std::unique_ptr<ClusterTarget>) or fails the test with the reason.
#define ABS_START_TARGET(target, options)                                                   \
  do {                                                                                      \
    auto abs_target__ = ::aero::testing::ClusterTarget::Start(options);                     \
    if (!abs_target__.ok()) {                                                               \
      FAIL() << "cannot start the test target: " << abs_target__.status().ToString();       \
    }                                                                                       \
    target = std::move(*abs_target__);                                                      \
  } while (0)

// Skips a test that needs the in-process test server (faults, several nodes, users, TLS).
#define ABS_SKIP_IF_REAL_SERVER(reason)                                                          \
  do {                                                                                           \
    if (::aero::testing::ClusterTarget::UsingRealServer())                                       \
      GTEST_SKIP() << "needs the in-process test server (" << reason << "); AEROSPIKE_TEST_HOST is set"; \
  } while (0)
