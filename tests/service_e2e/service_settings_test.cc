// End-to-end tests of the routes added for issue 6, against the built aerospike-backup-service
// binary and abs-test-server processes over real sockets:
//  - POST /v1/config/clusters/check-connectivity: a cluster body the service connects to (200), one
//    it cannot reach (500 naming the failure), bad bodies (400); nothing is stored.
//  - POST /v1/backups/schedule/incremental/{name}: the deprecated alias runs an incremental backup.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <map>

#include "client/cluster.h"
#include "client/write.h"
#include "common/bytes.h"
#include "common/digest.h"
#include "e2e_util.h"

namespace aero::e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

class ServiceSettingsE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    Status st = src_.Start(dir_.File("src.log"));
    ASSERT_TRUE(st.ok()) << st.ToString();
    api_port_ = FreeLoopbackPort();
    api_ = std::make_unique<Api>(api_port_);
    const std::string yaml =
        "service:\n  http:\n    address: 127.0.0.1\n    port: " + std::to_string(api_port_) +
        "\n    rate:\n      white-list: [\"0.0.0.0/0\"]\n  logger:\n    level: INFO\n"
        "aerospike-clusters:\n  src:\n    seed-nodes:\n      - host-name: 127.0.0.1\n        port: " +
        std::to_string(src_.port) +
        "\nstorage:\n  local:\n    local-storage:\n      path: " + dir_.path() +
        "/storage\nbackup-policies:\n  p:\n    parallel: 2\n"
        "backup-routines:\n  r:\n    source-cluster: src\n    storage: local\n    backup-policy: p\n"
        "    interval-cron: \"0 0 0 1 1 ?\"\n    incr-interval-cron: \"0 0 0 1 1 ?\"\n    namespaces: [test]\n";
    const std::string config = dir_.path() + "/config.yml";
    WriteFile(config, yaml);
    st = svc_.StartOnPort({"-c", config}, api_port_, {dir_.File("service.log")});
    ASSERT_TRUE(st.ok()) << "service did not start: " << st.ToString();
  }

  size_t Count(const std::string& path) {
    auto r = api_->Get(path);
    if (r.status != 200) return 0;
    json j = json::parse(r.body, nullptr, false);
    return j.is_array() ? j.size() : 0;
  }

  static std::string ClusterBody(int port, int64_t conn_timeout_ms = 2000) {
    return json{{"seed-nodes", json::array({json{{"host-name", "127.0.0.1"}, {"port", port}}})},
                {"conn-timeout", conn_timeout_ms}}
        .dump();
  }

  TempDir dir_;
  TestServerProcess src_;
  int api_port_ = 0;
  ServiceProcess svc_;
  std::unique_ptr<Api> api_;
};

TEST_F(ServiceSettingsE2E, CheckConnectivityReachableCluster) {
  auto r = api_->Post("/v1/config/clusters/check-connectivity", ClusterBody(src_.port));
  EXPECT_EQ(r.status, 200) << r.body << r.error << "\n" << svc_.output();
  // The probe stores nothing: the collection still holds only the configured cluster.
  auto all = api_->Get("/v1/config/clusters");
  ASSERT_EQ(all.status, 200);
  json clusters = json::parse(all.body);
  EXPECT_EQ(clusters.size(), 1u) << all.body;
  EXPECT_TRUE(clusters.contains("src"));
}

TEST_F(ServiceSettingsE2E, CheckConnectivityUnreachableCluster) {
  const int closed_port = FreeLoopbackPort();  // nothing listens there
  auto start = std::chrono::steady_clock::now();
  auto r = api_->Post("/v1/config/clusters/check-connectivity", ClusterBody(closed_port, 2000));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, 500) << r.body << r.error;
  EXPECT_EQ(r.body.rfind("cluster connectivity check failed: ", 0), 0u) << r.body;
  EXPECT_NE(r.body.find(std::to_string(closed_port)), std::string::npos) << r.body;
  EXPECT_LT(took, 15s);  // bounded by the body's conn-timeout, not hanging
  // The service still answers.
  EXPECT_EQ(api_->Get("/health").status, 200);
}

TEST_F(ServiceSettingsE2E, CheckConnectivityBadBodies) {
  struct Case {
    std::string body;
    std::string expect_in_message;
  };
  const Case cases[] = {
      {"", "request body is empty"},
      {"{not json", ""},
      {R"({"seed-nodes":[{"host-name":"127.0.0.1","port":3000}],"no-such-key":1})", "no-such-key"},
      {R"({"seed-nodes":[{"host-name":"127.0.0.1","port":3000}],"conn-timeout":-5})", "conn-timeout"},
      // A redacted password sent back from GET has no stored value to stand for.
      {R"({"seed-nodes":[{"host-name":"127.0.0.1","port":3000}],"credentials":{"user":"u","password":"[secret]"}})",
       "[secret]"},
  };
  for (const auto& c : cases) {
    auto r = api_->Post("/v1/config/clusters/check-connectivity", c.body);
    EXPECT_EQ(r.status, 400) << c.body << " -> " << r.body;
    EXPECT_NE(r.body.find(c.expect_in_message), std::string::npos) << c.body << " -> " << r.body;
  }
  // GET of the literal path is the ordinary "cluster not found".
  EXPECT_EQ(api_->Get("/v1/config/clusters/check-connectivity").status, 404);
}

// The deprecated alias triggers an incremental backup of the routine (after the start-up full).
TEST_F(ServiceSettingsE2E, ScheduleIncrementalAlias) {
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/full/r") == 1; }, 15s)) << svc_.output();
  EXPECT_EQ(api_->Post("/v1/backups/schedule/incremental/nope").status, 404);
  EXPECT_EQ(api_->Post("/v1/backups/schedule/incremental/r?delay=abc").status, 400);

  // Something new to capture, so the incremental is kept.
  client::Host h;
  h.name = "127.0.0.1";
  h.port = static_cast<uint16_t>(src_.port);
  auto c = client::Cluster::Connect({h}, client::ClientPolicy{});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::vector<Record> batch;
  for (int64_t k = 0; k < 5; ++k) {
    Record rec;
    rec.ns = "test";
    rec.set = "e2e";
    rec.key = IntegerKey(k);
    rec.digest = ComputeDigest("e2e", k);
    std::string v;
    PutU64BE(v, static_cast<uint64_t>(k));
    rec.bins = {Bin{"v", ParticleType::kInteger, v}};
    batch.push_back(std::move(rec));
  }
  auto put = client::BatchPut(**c, batch, client::WritePolicy{});
  ASSERT_TRUE(put.ok()) << put.status().ToString();

  auto r = api_->Post("/v1/backups/schedule/incremental/r");
  EXPECT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/incremental/r") == 1; }, 15s)) << svc_.output();
  EXPECT_EQ(Count("/v1/backups/full/r"), 1u);  // it was not a full
  auto list = json::parse(api_->Get("/v1/backups/incremental/r").body);
  EXPECT_EQ(list[0]["record-count"], 5) << list.dump();
}

}  // namespace
}  // namespace aero::e2e
