// End-to-end: the service binary takes its cluster password from a Secret Agent. The agent is the
// test peer of tests/secrets (a real tcp server in this process speaking the agent's protocol; the
// real agent is a Go binary not available here), the cluster an abs-test-server with login enabled.
// A backup succeeds with the agent's password; an unknown key or a wrong password gives a failed
// job whose error names the field and key; GET /v1/config shows the reference, never the secret;
// the secret never reaches the service's log. With a named agent (`secret-agents`), the cluster's
// `secret-agent-name` and the routine's `secret-agent` (the run's agent) give the password and the
// encryption key-secret; restores use the request's agent or the routine's.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "client/cluster.h"
#include "client/write.h"
#include "common/bytes.h"
#include "common/digest.h"
#include "e2e_util.h"
#include "tests/secrets/fake_secret_agent.h"

namespace aero::e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
using secrets::testing::FakeSecretAgent;

const std::string kUser = "backup-user";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
const std::string kPassword = "Agent-Held-P4ss";

class SecretAgentE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = FakeSecretAgent::Start({});
    ASSERT_TRUE(a.ok()) << a.status().message();
    agent_ = std::move(a).value();
    agent_->SetSecret("aerospike", "backup-password", kPassword);
    agent_->SetSecret("aerospike", "stale-password", "not-the-password");

    Status st = server_.Start(dir_.File("server.log"), TestServerOptions("test", kUser + ":" + kPassword));
    ASSERT_TRUE(st.ok()) << st.ToString();
    server_port_ = server_.port;
    api_port_ = FreeLoopbackPort();
  }

  void WriteSomeRecords() {
    client::Host h;
    h.name = "127.0.0.1";
    h.port = static_cast<uint16_t>(server_port_);
    client::ClientPolicy p;
    p.user = kUser;
    p.password = kPassword;
    auto c = client::Cluster::Connect({h}, p);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    std::vector<Record> batch;
    for (int64_t k = 1; k <= 5; ++k) {
      Record r;
      r.ns = "test";
      r.set = "sa";
      r.key = IntegerKey(k);
      r.digest = ComputeDigest("sa", k);
      std::string vb;
      PutU64BE(vb, static_cast<uint64_t>(k));
      r.bins = {Bin{"v", ParticleType::kInteger, vb}};
      batch.push_back(std::move(r));
    }
    auto res = client::BatchPut(**c, batch, client::WritePolicy{});
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }

  // A routine backing up `test` at start-up (catch-up), the cluster password given as `password_ref`
  // and fetched through an inline secret-agent.
  void StartService(const std::string& password_ref, int agent_port = 0) {
    if (agent_port == 0) agent_port = agent_->port();
    std::string y = "service:\n  http:\n    address: 127.0.0.1\n    port: " + std::to_string(api_port_) +
                    "\n    rate:\n      white-list: [\"0.0.0.0/0\"]\n";
    y += "aerospike-clusters:\n  src:\n    seed-nodes:\n      - host-name: 127.0.0.1\n        port: " +
         std::to_string(server_port_) + "\n    credentials:\n      user: " + kUser + "\n      password: " + password_ref +
         "\n      secret-agent:\n        connection-type: tcp\n        address: 127.0.0.1\n        port: " +
         std::to_string(agent_port) + "\n        timeout: 2000\n";
    y += "storage:\n  local:\n    local-storage:\n      path: " + dir_.path() + "/storage\n";
    y += "backup-policies:\n  p:\n    parallel: 2\n    retry-policy:\n      base-timeout: 100\n      multiplier: 1\n"
         "      max-retries: 1\n";
    y += "backup-routines:\n  r:\n    source-cluster: src\n    storage: local\n    backup-policy: p\n"
         "    interval-cron: \"0 0 0 1 1 ?\"\n    namespaces: [test]\n";
    const std::string path = dir_.path() + "/config.yml";
    WriteFile(path, y);
    Status st = svc_.StartOnPort({"-c", path}, api_port_, {dir_.File("service.log")});
    ASSERT_TRUE(st.ok()) << st.ToString();
  }

  double Metric(const std::string& name) {
    auto r = api_.Get("/metrics");
    size_t p = r.body.find("\n" + name + " ");
    if (p == std::string::npos) return -1;
    size_t eol = r.body.find('\n', p + 1);
    std::string line = r.body.substr(p + 1, eol - p - 1);
    return std::stod(line.substr(line.rfind(' ') + 1));
  }

  size_t FullBackups() {
    auto r = api_.Get("/v1/backups/full/r");
    json j = json::parse(r.body, nullptr, false);
    return r.status == 200 && j.is_array() ? j.size() : 0;
  }

  // The job failed; its error in the log names what the brief says it must.
  void ExpectFailedJob(const std::vector<std::string>& expected) {
    ASSERT_TRUE(WaitUntil([&] { return Metric("aerospike_backup_service_failure_total") >= 1; }, 20s)) << svc_.output();
    EXPECT_EQ(FullBackups(), 0u);
    std::string log = svc_.output();
    EXPECT_NE(log.find("backup failed"), std::string::npos) << log;
    for (const auto& e : expected) EXPECT_NE(log.find(e), std::string::npos) << e << "\n" << log;
    EXPECT_EQ(log.find(kPassword), std::string::npos) << log;
  }

  TempDir dir_;
  std::unique_ptr<FakeSecretAgent> agent_;
  TestServerProcess server_;
  int server_port_ = 0;
  int api_port_ = 0;
  ServiceProcess svc_;
  Api api_{0};
};

TEST_F(SecretAgentE2E, BackupWithThePasswordFromTheAgent) {
  WriteSomeRecords();
  api_ = Api(api_port_);
  StartService("secrets:aerospike:backup-password");
  ASSERT_TRUE(WaitUntil([&] { return FullBackups() == 1; }, 20s)) << svc_.output();
  auto list = json::parse(api_.Get("/v1/backups/full/r").body);
  EXPECT_EQ(list[0]["record-count"], 5) << list.dump();
  // The service asked the agent for exactly the referenced secret.
  auto requests = agent_->requests();
  ASSERT_FALSE(requests.empty());
  for (const auto& [resource, key] : requests) {
    EXPECT_EQ(resource, "aerospike");
    EXPECT_EQ(key, "backup-password");
  }
  // The configuration keeps the reference; the secret appears neither there nor in the log.
  auto cfg = api_.Get("/v1/config");
  ASSERT_EQ(cfg.status, 200) << cfg.body;
  json j = json::parse(cfg.body, nullptr, false);
  EXPECT_EQ(j["aerospike-clusters"]["src"]["credentials"]["password"], "secrets:aerospike:backup-password") << cfg.body;
  EXPECT_EQ(cfg.body.find(kPassword), std::string::npos);
  EXPECT_EQ(svc_.output().find(kPassword), std::string::npos) << svc_.output();
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

TEST_F(SecretAgentE2E, UnknownSecretFailsTheJobWithAClearError) {
  api_ = Api(api_port_);
  StartService("secrets:aerospike:no-such-key");
  // (The log escapes quotes, so the names are matched without them.)
  ExpectFailedJob({"credentials password (inline secret-agent): secret agent tcp 127.0.0.1:" +
                       std::to_string(agent_->port()),
                   "aerospike", "no-such-key", "the agent answered with an error"});
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

TEST_F(SecretAgentE2E, WrongSecretFailsTheLogin) {
  api_ = Api(api_port_);
  StartService("secrets:aerospike:stale-password");
  ExpectFailedJob({"connecting to cluster", "INVALID_CREDENTIAL",
                   "the password was fetched from the Secret Agent as secrets:aerospike:stale-password"});
  EXPECT_EQ(svc_.output().find("not-the-password"), std::string::npos);
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

TEST_F(SecretAgentE2E, AgentDownFailsTheJob) {
  api_ = Api(api_port_);
  const int port = agent_->port();
  agent_.reset();  // closes the listener: connections to the agent are refused
  StartService("secrets:aerospike:backup-password", port);
  ExpectFailedJob({"credentials password", "secret agent tcp 127.0.0.1:" + std::to_string(port), "connect"});
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

// A named agent serves the cluster password (cluster secret-agent-name) and the encryption key
// (routine secret-agent, policy key-secret). The backup is encrypted with the agent's key; restores
// to a timestamp (routine's agent) and by path (request secret-agent-name) decrypt it with the same
// key and write the records back; an unknown agent name is a 400.
TEST_F(SecretAgentE2E, NamedAgentGivesPasswordAndEncryptionKey) {
  ASSERT_TRUE(secrets::testing::WriteSelfSignedCert(dir_.path(), "enc").ok());
  const std::string pem = ReadFile(dir_.File("enc.key"));
  ASSERT_NE(pem.find("PRIVATE KEY"), std::string::npos);
  agent_->SetSecret("keys", "aes", pem);
  WriteSomeRecords();
  api_ = Api(api_port_);
  std::string y = "service:\n  http:\n    address: 127.0.0.1\n    port: " + std::to_string(api_port_) +
                  "\n    rate:\n      white-list: [\"0.0.0.0/0\"]\n";
  y += "secret-agents:\n  vault:\n    connection-type: tcp\n    address: 127.0.0.1\n    port: " +
       std::to_string(agent_->port()) + "\n    timeout: 2000\n";
  y += "aerospike-clusters:\n  src:\n    seed-nodes:\n      - host-name: 127.0.0.1\n        port: " +
       std::to_string(server_port_) + "\n    credentials:\n      user: " + kUser +
       "\n      password: secrets:aerospike:backup-password\n      secret-agent-name: vault\n";
  y += "storage:\n  local:\n    local-storage:\n      path: " + dir_.path() + "/storage\n";
  y += "backup-policies:\n  p:\n    parallel: 2\n    encryption:\n      mode: AES256\n"
       "      key-secret: secrets:keys:aes\n    retry-policy:\n      base-timeout: 100\n      multiplier: 1\n"
       "      max-retries: 1\n";
  y += "backup-routines:\n  r:\n    source-cluster: src\n    storage: local\n    backup-policy: p\n"
       "    secret-agent: vault\n    interval-cron: \"0 0 0 1 1 ?\"\n    namespaces: [test]\n";
  const std::string path = dir_.path() + "/config.yml";
  WriteFile(path, y);
  Status st = svc_.StartOnPort({"-c", path}, api_port_, {dir_.File("service.log")});
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(WaitUntil([&] { return FullBackups() == 1; }, 20s)) << svc_.output();
  auto list = json::parse(api_.Get("/v1/backups/full/r").body);
  EXPECT_EQ(list[0]["record-count"], 5) << list.dump();
  const std::string key = list[0]["key"];
  // The stored files are encrypted: no plain .asb header, no bin name in clear.
  int asb_files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir_.path() + "/storage")) {
    if (!e.is_regular_file() || e.path().extension() != ".asb") continue;
    ++asb_files;
    const std::string bytes = ReadFile(e.path().string());
    EXPECT_NE(bytes.rfind("Version", 0), 0u) << e.path();
    EXPECT_EQ(bytes.find("\n- I "), std::string::npos) << e.path();
  }
  EXPECT_GE(asb_files, 1);

  auto wait_restore = [&](const std::string& id) {
    json st;
    EXPECT_TRUE(WaitUntil(
        [&] {
          auto r = api_.Get("/v1/restore/status/" + id);
          st = json::parse(r.body, nullptr, false);
          return st.is_object() && st.value("status", "") != "running";
        },
        20s))
        << st.dump();
    return st;
  };
  // To a timestamp: the key is fetched through the routine's agent.
  const std::string enc = R"("encryption":{"mode":"AES256","key-secret":"secrets:keys:aes"})";
  auto r1 = api_.Post("/v1/restore/timestamp",
                      R"({"routine":"r","time":)" + std::to_string(NowMs() + 1000) + R"(,"policy":{"no-generation":true,)" + enc + "}}");
  ASSERT_EQ(r1.status, 202) << r1.body;
  json s1 = wait_restore(r1.body);
  EXPECT_EQ(s1.value("status", ""), "success") << s1.dump() << svc_.output();
  EXPECT_EQ(s1.value("read-records", 0), 5) << s1.dump();
  EXPECT_EQ(s1.value("inserted-records", 0), 5) << s1.dump();  // decrypted records written again
  // By path: the request names the agent.
  auto r2 = api_.Post("/v1/restore/full", R"({"destination-name":"src","source-name":"local","secret-agent-name":"vault",)"
                                          R"("backup-data-path":")" + key + R"(","policy":{)" + enc + "}}");
  ASSERT_EQ(r2.status, 202) << r2.body;
  json s2 = wait_restore(r2.body);
  EXPECT_EQ(s2.value("status", ""), "success") << s2.dump() << svc_.output();
  EXPECT_EQ(s2.value("read-records", 0), 5) << s2.dump();
  // An agent name that is not configured is the caller's mistake.
  auto r3 = api_.Post("/v1/restore/full", R"({"destination-name":"src","source-name":"local","secret-agent-name":"nope",)"
                                          R"("backup-data-path":")" + key + R"(","policy":{)" + enc + "}}");
  EXPECT_EQ(r3.status, 400) << r3.body;
  EXPECT_NE(r3.body.find("nope"), std::string::npos) << r3.body;
  // Neither the password nor the key reached the log or the configuration document.
  const std::string log = svc_.output();
  EXPECT_EQ(log.find(kPassword), std::string::npos);
  EXPECT_EQ(log.find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ(api_.Get("/v1/config").body.find(kPassword), std::string::npos);
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

}  // namespace
}  // namespace aero::e2e
