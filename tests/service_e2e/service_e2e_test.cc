// End-to-end tests of the backup service: the built aerospike-backup-service binary, driven over
// HTTP, backing up abs-test-server processes into a local folder or s3rver, and restoring into
// another abs-test-server. Records are written and compared with our client over real sockets.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <regex>
#include <thread>

#include "client/cluster.h"
#include "client/scan.h"
#include "client/write.h"
#include "common/bytes.h"
#include "common/digest.h"
#include "e2e_util.h"
#include "tests/support/zip_reader.h"

namespace aero::e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<client::Cluster> Connect(int port) {
  client::Host h;
  h.name = "127.0.0.1";
  h.port = static_cast<uint16_t>(port);
  auto c = client::Cluster::Connect({h}, client::ClientPolicy{});
  if (!c.ok()) return nullptr;
  return *c;
}

// Writes records key -> value into ns/set, bin "v" (integer) and "s" (string).
void WriteRecords(client::Cluster& c, const std::string& ns, const std::map<int64_t, int64_t>& kv) {
  std::vector<Record> batch;
  for (const auto& [k, v] : kv) {
    Record r;
    r.ns = ns;
    r.set = "e2e";
    r.key = IntegerKey(k);
    r.digest = ComputeDigest("e2e", k);
    std::string vb;
    PutU64BE(vb, static_cast<uint64_t>(v));
    r.bins = {Bin{"v", ParticleType::kInteger, vb}, Bin{"s", ParticleType::kString, "value-" + std::to_string(v)}};
    batch.push_back(std::move(r));
  }
  auto res = client::BatchPut(c, batch, client::WritePolicy{});
  ASSERT_TRUE(res.ok()) << res.status().ToString();
  for (const auto& row : *res) ASSERT_TRUE(row.status.ok()) << row.status.ToString();
}

// Every record of ns/e2e as key -> (v, s).
std::map<int64_t, std::pair<int64_t, std::string>> ScanRecords(client::Cluster& c, const std::string& ns) {
  return e2e::ScanRecords(c, ns, "e2e");
}

struct RoutineSpec {
  std::string name = "r";
  std::string full_cron = "0 0 0 1 1 ?";  // yearly: only the start-up catch-up and on-demand runs
  std::string incr_cron = "0 0 0 1 1 ?";
  std::string policy_extra;                // extra YAML lines of the policy (4-space indented)
  std::string storage = "local";
  std::string namespaces = "[test]";  // "[]" = every namespace of the cluster
};

class ServiceE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    Status st = src_.Start(dir_.File("src.log"), TestServerOptions(sample_records_));
    ASSERT_TRUE(st.ok()) << st.ToString();
    storage_path_ = dir_.path() + "/storage";
    api_port_ = FreeLoopbackPort();
  }

  std::string ConfigYaml(const std::vector<RoutineSpec>& routines, const std::string& extra_storage = "") {
    std::string y = "service:\n  http:\n    address: 127.0.0.1\n    port: " + std::to_string(api_port_) +
                    "\n    rate:\n      white-list: [\"0.0.0.0/0\"]\n  logger:\n    level: INFO\n" + service_extra_;
    y += "aerospike-clusters:\n  src:\n    seed-nodes:\n      - host-name: 127.0.0.1\n        port: " +
         std::to_string(src_.port) + "\n";
    if (dst_.port) {
      y += "  dst:\n    seed-nodes:\n      - host-name: 127.0.0.1\n        port: " + std::to_string(dst_.port) + "\n";
    }
    y += "storage:\n  local:\n    local-storage:\n      path: " + storage_path_ + "\n" + extra_storage;
    y += "backup-policies:\n";
    for (const auto& r : routines) {
      y += "  p-" + r.name + ":\n    parallel: 2\n    file-limit: 1\n" +
           "    retry-policy:\n      base-timeout: 200\n      multiplier: 1\n      max-retries: 1\n" + r.policy_extra;
    }
    y += "backup-routines:\n";
    for (const auto& r : routines) {
      y += "  " + r.name + ":\n    source-cluster: src\n    storage: " + r.storage + "\n    backup-policy: p-" + r.name +
           "\n    interval-cron: \"" + r.full_cron + "\"\n    incr-interval-cron: \"" + r.incr_cron +
           "\"\n    namespaces: " + r.namespaces + "\n";
    }
    return y;
  }

  void StartService(const std::string& yaml) {
    config_path_ = dir_.path() + "/config.yml";
    WriteFile(config_path_, yaml);
    Status st = svc_.StartOnPort({"-c", config_path_}, api_port_, {dir_.File("service.log")});
    ASSERT_TRUE(st.ok()) << "service did not start: " << st.ToString();
  }

  json GetJson(const std::string& path) {
    auto r = api_.Get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body << r.error;
    if (r.status != 200) return json();
    return json::parse(r.body, nullptr, false);
  }
  size_t Count(const std::string& path) {
    json j = GetJson(path);
    return j.is_array() ? j.size() : 0;
  }
  // Value of an unlabelled or labelled sample in /metrics (sum over matching lines), -1 if absent.
  double Metric(const std::string& prefix) {
    auto r = api_.Get("/metrics");
    double sum = -1;
    size_t p = 0;
    while ((p = r.body.find(prefix, p)) != std::string::npos) {
      if (p > 0 && r.body[p - 1] != '\n') {
        ++p;
        continue;
      }
      size_t eol = r.body.find('\n', p);
      std::string line = r.body.substr(p, eol - p);
      sum = (sum < 0 ? 0 : sum) + std::stod(line.substr(line.rfind(' ') + 1));
      p = eol;
    }
    return sum;
  }
  // Waits for a restore job to end; returns its final status document.
  json WaitRestore(const std::string& id) {
    json st;
    bool done = WaitUntil(
        [&] {
          st = GetJson("/v1/restore/status/" + id);
          return st.is_object() && st.value("status", "") != "running";
        },
        30s);
    EXPECT_TRUE(done) << st.dump();
    return st;
  }
  bool FullRunning(const std::string& routine) {
    json j = GetJson("/v1/backups/currentBackup/" + routine);
    return j.is_object() && j.contains("full") && j["full"].value("done-records", 0) > 0;
  }

  int sample_records_ = 0;
  std::string service_extra_;  // more lines of the `service` section
  TempDir dir_;
  TestServerProcess src_, dst_;
  std::string storage_path_, config_path_;
  int api_port_ = 0;
  Api api_{0};
  ServiceProcess svc_;

  void InitApi() { api_ = Api(api_port_); }
};

// A routine scheduled with second-level crons runs full and incremental backups by itself.
TEST_F(ServiceE2E, ScheduleFiresEveryFewSeconds) {
  auto c = Connect(src_.port);
  ASSERT_TRUE(c);
  WriteRecords(*c, "test", {{1, 1}, {2, 2}});
  RoutineSpec r;
  r.full_cron = "*/3 * * * * *";
  r.incr_cron = "1/3 * * * * *";
  service_extra_ = "  backup:\n    timestamp-format: ISO\n";
  InitApi();
  StartService(ConfigYaml({r}));
  ASSERT_TRUE(WaitUntil([&] { return Metric("aerospike_backup_service_runs_total ") >= 3; }, 15s)) << svc_.output();
  ASSERT_TRUE(WaitUntil([&] { return Metric("aerospike_backup_service_incremental_runs_total ") >= 1; }, 10s));
  EXPECT_GE(Count("/v1/backups/full/r"), 3u);
  // timestamp-format ISO: folders are <epoch ms>_<UTC time>.
  std::string key = GetJson("/v1/backups/full/r")[0]["key"];
  EXPECT_TRUE(std::regex_match(key, std::regex(R"(r/backup/\d{13}_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d/data/test)"))) << key;
  // Incrementals with nothing new captured are removed, so none is listed.
  EXPECT_EQ(Count("/v1/backups/incremental/r"), 0u);
  json state = GetJson("/v1/backups/currentBackup/r");
  EXPECT_TRUE(state.contains("next-full")) << state.dump();
  EXPECT_TRUE(state.contains("next-incremental"));
  EXPECT_TRUE(state.contains("last-full"));
  EXPECT_GE(Metric("aerospike_backup_service_backup_events_total{routine=\"r\",type=\"full\",outcome=\"success\"}"), 3);
  EXPECT_GE(Metric("aerospike_backup_service_backup_records_total{routine=\"r\",type=\"full\"}"), 6);
  // Every line of a job names the routine and the job.
  std::string log = svc_.output();
  EXPECT_NE(log.find("backup succeeded"), std::string::npos);
  EXPECT_NE(log.find("routine=r type=full job=r/backup/"), std::string::npos);
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

// Full + incrementals, restored to a point in time between them, compared record by record.
TEST_F(ServiceE2E, ChainRestoredToTimestampRecordByRecord) {
  Status started = dst_.Start(dir_.File("dst.log"));
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto c = Connect(src_.port);
  ASSERT_TRUE(c);
  std::map<int64_t, int64_t> v0;
  for (int i = 0; i < 100; ++i) v0[i] = 0;
  WriteRecords(*c, "test", v0);
  InitApi();
  StartService(ConfigYaml({RoutineSpec{}}));
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/full/r") == 1; }, 15s)) << svc_.output();
  json full = GetJson("/v1/backups/full/r")[0];
  EXPECT_EQ(full["record-count"], 100);
  EXPECT_EQ(full["namespace"], "test");
  EXPECT_EQ(full["key"].get<std::string>().rfind("r/backup/", 0), 0u) << full.dump();

  // Incremental 1: 20 updates, 10 new records.
  std::map<int64_t, int64_t> v1;
  for (int i = 0; i < 20; ++i) v1[i] = 1;
  for (int i = 100; i < 110; ++i) v1[i] = 1;
  WriteRecords(*c, "test", v1);
  ASSERT_EQ(api_.Post("/v1/backups/incremental/r").status, 202);
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/incremental/r") == 1; }, 15s)) << svc_.output();
  json inc1 = GetJson("/v1/backups/incremental/r")[0];
  EXPECT_EQ(inc1["record-count"], 30) << inc1.dump();
  const int64_t t1 = NowMs();
  auto snapshot1 = ScanRecords(*c, "test");
  ASSERT_EQ(snapshot1.size(), 110u);

  // Incremental 2: more updates after t1.
  std::map<int64_t, int64_t> v2;
  for (int i = 0; i < 10; ++i) v2[i] = 2;
  WriteRecords(*c, "test", v2);
  ASSERT_EQ(api_.Post("/v1/backups/incremental/r").status, 202);
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/incremental/r") == 2; }, 15s)) << svc_.output();
  auto snapshot2 = ScanRecords(*c, "test");

  // Restore to t1: the full, then incremental 1 only.
  auto r = api_.Post("/v1/restore/timestamp", json{{"routine", "r"}, {"time", t1}, {"destination-name", "dst"},
                                                   {"policy", json::object()}}
                                                  .dump());
  ASSERT_EQ(r.status, 202) << r.body;
  json st = WaitRestore(r.body);
  EXPECT_EQ(st["status"], "success") << st.dump();
  EXPECT_EQ(st["read-records"], 130);
  EXPECT_EQ(st["inserted-records"].get<int>() + st["fresher-records"].get<int>() + st["existed-records"].get<int>(),
            130);
  auto d = Connect(dst_.port);
  ASSERT_TRUE(d);
  EXPECT_EQ(ScanRecords(*d, "test"), snapshot1);

  // Restore to now into another namespace: both incrementals.
  r = api_.Post("/v1/restore/timestamp",
                json{{"routine", "r"}, {"time", NowMs()}, {"destination-name", "dst"},
                     {"policy", {{"namespace", {{"source", "test"}, {"destination", "bar"}}}}}}
                    .dump());
  ASSERT_EQ(r.status, 202) << r.body;
  st = WaitRestore(r.body);
  EXPECT_EQ(st["status"], "success") << st.dump();
  EXPECT_EQ(ScanRecords(*d, "bar"), snapshot2);

  // Restore one folder by path, and the jobs list.
  r = api_.Post("/v1/restore/full", json{{"destination-name", "dst"}, {"source-name", "local"},
                                         {"backup-data-path", full["key"]}, {"policy", {{"no-generation", true}}}}
                                        .dump());
  ASSERT_EQ(r.status, 202) << r.body;
  st = WaitRestore(r.body);
  EXPECT_EQ(st["status"], "success") << st.dump();
  EXPECT_EQ(st["read-records"], 100);
  EXPECT_EQ(st["current-job"]["total-records"], 100);
  // The same handler under /v1/restore/incremental, for one incremental folder.
  r = api_.Post("/v1/restore/incremental", json{{"destination-name", "dst"}, {"source-name", "local"},
                                                {"backup-data-path", inc1["key"]}, {"policy", json::object()}}
                                               .dump());
  ASSERT_EQ(r.status, 202) << r.body;
  st = WaitRestore(r.body);
  EXPECT_EQ(st["status"], "success") << st.dump();
  EXPECT_EQ(st["read-records"], 30);
  json jobs = GetJson("/v1/restore/jobs?status=success");
  EXPECT_EQ(jobs.size(), 4u) << jobs.dump();
  EXPECT_EQ(Metric("aerospike_backup_service_restore_events_total{outcome=\"success\"}"), 4);

  // A throttled restore cancelled while it runs ends `canceled`, with its partial counters.
  r = api_.Post("/v1/restore/timestamp", json{{"routine", "r"}, {"time", NowMs()}, {"destination-name", "dst"},
                                              {"policy", {{"tps", 20}, {"no-generation", true}}}}
                                             .dump());
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(WaitUntil([&] { return GetJson("/v1/restore/status/" + r.body).value("read-records", 0) > 0; }, 10s));
  ASSERT_EQ(api_.Post("/v1/restore/cancel/" + r.body).status, 202);
  st = WaitRestore(r.body);
  EXPECT_EQ(st["status"], "canceled") << st.dump();
  EXPECT_LT(st["inserted-records"].get<int>(), 140);
  EXPECT_EQ(GetJson("/v1/restore/jobs?status=canceled").size(), 1u);
  // Deprecated alias of the on-demand full trigger.
  EXPECT_EQ(api_.Post("/v1/backups/schedule/r").status, 202);
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0);
}

// Retention keeps the newest fulls and the incrementals of the newest full only.
TEST_F(ServiceE2E, Retention) {
  auto c = Connect(src_.port);
  ASSERT_TRUE(c);
  WriteRecords(*c, "test", {{1, 1}});
  RoutineSpec r;
  r.policy_extra = "    retention:\n      full: 2\n      incremental: 1\n    with-cluster-configuration: true\n";
  InitApi();
  StartService(ConfigYaml({r}));
  ASSERT_TRUE(WaitUntil([&] { return Metric("aerospike_backup_service_runs_total ") >= 1; }, 15s)) << svc_.output();
  WriteRecords(*c, "test", {{2, 2}});
  ASSERT_EQ(api_.Post("/v1/backups/incremental/r").status, 202);
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/incremental/r") == 1; }, 15s)) << svc_.output();
  for (int n = 2; n <= 3; ++n) {
    ASSERT_EQ(api_.Post("/v1/backups/full/r").status, 202);
    ASSERT_TRUE(WaitUntil([&] { return Metric("aerospike_backup_service_runs_total ") >= n; }, 15s));
  }
  // Three fulls were made, two are kept; the incremental belonged to the first full.
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/full/r") == 2; }, 5s)) << svc_.output();
  EXPECT_EQ(Count("/v1/backups/incremental/r"), 0u);
  EXPECT_EQ(FindFiles(storage_path_ + "/r", "metadata.yaml").size(), 2u);
  // The listing drops a backup once its metadata.yaml is gone; the retention pass may still be
  // deleting the rest of its folder then.
  auto run_folders = [&] {
    size_t n = 0;
    for (const auto& e : fs::directory_iterator(storage_path_ + "/r/backup")) n += e.is_directory() ? 1 : 0;
    return n;
  };
  EXPECT_TRUE(WaitUntil([&] { return run_folders() == 2; }, 5s)) << run_folders() << " run folders";
  // abs-test-server answers get-config (service context), so each full backup saved the cluster
  // configuration and it can be retrieved as a zip.
  EXPECT_EQ(svc_.output().find("cluster configuration not saved"), std::string::npos) << svc_.output();
  auto conf = api_.Get("/v1/retrieve/configuration/r/" + std::to_string(NowMs()));
  EXPECT_EQ(conf.status, 200) << conf.body;
  EXPECT_EQ(conf.body.substr(0, 2), "PK") << "not a zip archive";
  // Read back by an independent reader (Python's zipfile, every CRC checked): the files saved with the
  // newest full backup, by name and byte for byte.
  std::string newest;  // run folders start with their 13-digit timestamp
  for (const auto& e : fs::directory_iterator(storage_path_ + "/r/backup"))
    if (e.is_directory()) newest = std::max(newest, e.path().string());
  std::map<std::string, std::string> saved;
  for (const auto& f : fs::directory_iterator(newest + "/configuration"))
    saved[f.path().filename().string()] = ReadFile(f.path().string());
  EXPECT_FALSE(saved.empty());
  auto entries = testing::ReadZipWithPython(conf.body);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  std::map<std::string, std::string> zipped;
  for (const auto& e : *entries) zipped[e.name] = e.data;
  EXPECT_EQ(zipped, saved);
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0);
}

// Bad requests are refused with the right status and a message; nothing crashes.
TEST_F(ServiceE2E, InvalidRequests) {
  InitApi();
  StartService(ConfigYaml({RoutineSpec{}}));
  struct Case {
    std::string method, path, body;
    int status;
  };
  std::vector<Case> cases = {
      {"POST", "/v1/restore/full", "{", 400},
      {"POST", "/v1/restore/full", "", 400},
      {"POST", "/v1/restore/full", R"({"policy":{}})", 400},
      {"POST", "/v1/restore/full",
       R"({"destination-name":"src","source-name":"local","backup-data-path":"r/backup/1/data/none","policy":{}})", 400},
      {"POST", "/v1/restore/full", R"({"destination-name":"nope","source-name":"local","backup-data-path":"x"})", 400},
      {"POST", "/v1/restore/timestamp", R"({"routine":"r","time":5})", 400},
      {"POST", "/v1/restore/timestamp", R"({"routine":"nope","time":1700000000000})", 404},
      {"POST", "/v1/restore/timestamp", R"({"routine":"r","time":"soon"})", 400},
      {"POST", "/v1/restore/timestamp",
       R"({"routine":"r","time":1700000000000,"policy":{"unique":true,"replace":true}})", 400},
      {"GET", "/v1/restore/status/12345", "", 404},
      {"GET", "/v1/restore/status/abc", "", 400},
      {"POST", "/v1/restore/cancel/12345", "", 404},
      {"POST", "/v1/backups/full/nope", "", 404},
      {"POST", "/v1/backups/full/r?delay=-5", "", 400},
      {"POST", "/v1/backups/incremental/r?delay=abc", "", 400},
      {"GET", "/v1/backups/full/nope", "", 404},
      {"GET", "/v1/backups/full/r?from=10&to=5", "", 400},
      {"GET", "/v1/backups/currentBackup/nope", "", 404},
      {"POST", "/v1/backups/cancel/nope", "", 404},
      {"GET", "/v1/retrieve/configuration/r/abc", "", 400},
      {"GET", "/v1/retrieve/configuration/r/1000", "", 404},
  };
  for (const auto& k : cases) {
    HttpResult r = k.method == "GET" ? api_.Get(k.path) : api_.Post(k.path, k.body);
    EXPECT_EQ(r.status, k.status) << k.method << " " << k.path << " " << k.body << " -> " << r.body;
    if (r.status >= 400) {
      EXPECT_FALSE(r.body.empty()) << k.path;
    }
  }
  // A restore job whose backup is missing (time before any backup) fails as a job, with an error.
  auto r = api_.Post("/v1/restore/timestamp", R"({"routine":"r","time":1000000000000})");
  ASSERT_EQ(r.status, 202) << r.body;
  json st = WaitRestore(r.body);
  EXPECT_EQ(st["status"], "failure");
  EXPECT_NE(st.value("error", "").find("no full backups found"), std::string::npos) << st.dump();
  EXPECT_EQ(api_.Get("/health").status, 200);
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0);
}

// A routine over every namespace of the cluster: one run backs up each namespace into its own
// folder; a restore to a timestamp restores them all (in parallel) in one job.
TEST_F(ServiceE2E, AllNamespacesBackedUpAndRestoredInOneJob) {
  Status started = dst_.Start(dir_.File("dst.log"));
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto c = Connect(src_.port);
  ASSERT_TRUE(c);
  std::map<int64_t, int64_t> a, b;
  for (int i = 0; i < 40; ++i) a[i] = i;
  for (int i = 0; i < 25; ++i) b[i] = 1000 + i;
  WriteRecords(*c, "test", a);
  WriteRecords(*c, "bar", b);
  RoutineSpec r;
  r.namespaces = "[]";
  InitApi();
  StartService(ConfigYaml({r}));
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/full/r") == 2; }, 15s)) << svc_.output();
  json list = GetJson("/v1/backups/full/r");
  EXPECT_EQ(list[0]["created"], list[1]["created"]);  // one run, one timestamp for every namespace
  WriteRecords(*c, "bar", {{3, 3333}});
  ASSERT_EQ(api_.Post("/v1/backups/incremental/r").status, 202);
  // Only bar changed: the empty incremental of test is removed, bar's is kept.
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/incremental/r") == 1; }, 15s)) << svc_.output();
  EXPECT_EQ(GetJson("/v1/backups/incremental/r")[0]["namespace"], "bar");
  auto r2 = api_.Post("/v1/restore/timestamp",
                      json{{"routine", "r"}, {"time", NowMs()}, {"destination-name", "dst"}}.dump());
  ASSERT_EQ(r2.status, 202) << r2.body;
  json st = WaitRestore(r2.body);
  EXPECT_EQ(st["status"], "success") << st.dump();
  EXPECT_EQ(st["read-records"], 40 + 25 + 1);
  auto d = Connect(dst_.port);
  ASSERT_TRUE(d);
  EXPECT_EQ(ScanRecords(*d, "test"), ScanRecords(*c, "test"));
  EXPECT_EQ(ScanRecords(*d, "bar"), ScanRecords(*c, "bar"));
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0);
}

// A failed incremental leaves nothing behind and does not move the chain forward: the next one
// captures the changes the failed one missed.
TEST_F(ServiceE2E, FailedIncrementalDoesNotAdvanceTheChain) {
  auto c = Connect(src_.port);
  ASSERT_TRUE(c);
  WriteRecords(*c, "test", {{1, 1}, {2, 2}, {3, 3}});
  InitApi();
  StartService(ConfigYaml({RoutineSpec{}}));
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/full/r") == 1; }, 15s)) << svc_.output();
  WriteRecords(*c, "test", {{1, 10}, {4, 40}});
  // Every scan now ends with an error (server result 1): the incremental fails after its retry.
  auto fault = c->InfoAny({"x-fault:scan-last-result=1"});
  ASSERT_TRUE(fault.ok()) << fault.status().ToString();
  ASSERT_EQ(api_.Post("/v1/backups/incremental/r").status, 202);
  ASSERT_TRUE(WaitUntil([&] { return Metric("aerospike_backup_service_incremental_failure_total ") >= 1; }, 15s))
      << svc_.output();
  EXPECT_EQ(Count("/v1/backups/incremental/r"), 0u);
  EXPECT_TRUE(!fs::exists(storage_path_ + "/r/incremental") || fs::is_empty(storage_path_ + "/r/incremental"));
  EXPECT_GE(Metric("aerospike_backup_service_backup_events_total{routine=\"r\",type=\"incremental\",outcome=\"retry\"}"),
            1);
  ASSERT_TRUE(c->InfoAny({"x-fault:clear=true"}).ok());
  ASSERT_EQ(api_.Post("/v1/backups/incremental/r").status, 202);
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/incremental/r") == 1; }, 15s)) << svc_.output();
  EXPECT_EQ(GetJson("/v1/backups/incremental/r")[0]["record-count"], 2);
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0);
}

// Configuration changes through the API reach the running schedules at once.
TEST_F(ServiceE2E, ConfigChangesReschedule) {
  InitApi();
  StartService(ConfigYaml({RoutineSpec{}}));
  json before = GetJson("/v1/backups/currentBackup/r");
  ASSERT_TRUE(before.contains("next-full")) << before.dump();
  json routine = GetJson("/v1/config/routines/r");
  routine["interval-cron"] = "*/2 * * * * *";
  routine.erase("incr-interval-cron");
  ASSERT_EQ(api_.Put("/v1/config/routines/r", routine.dump()).status, 200);
  json after = GetJson("/v1/backups/currentBackup/r");
  EXPECT_NE(after["next-full"], before["next-full"]) << after.dump();
  EXPECT_FALSE(after.contains("next-incremental"));
  ASSERT_TRUE(WaitUntil([&] { return Metric("aerospike_backup_service_runs_total ") >= 2; }, 10s)) << svc_.output();
  // Disabled: no more schedule.
  ASSERT_EQ(api_.Put("/v1/config/routines/r/disable", "").status, 204);
  EXPECT_FALSE(GetJson("/v1/backups/currentBackup/r").contains("next-full"));
  // A new routine is scheduled as soon as it is added.
  json added = routine;
  added["interval-cron"] = "0 0 3 * * ?";
  ASSERT_EQ(api_.Post("/v1/config/routines/r2", added.dump()).status, 201);
  EXPECT_TRUE(GetJson("/v1/backups/currentBackup/r2").contains("next-full"));
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0);
}

class ThrottledE2E : public ServiceE2E {
 protected:
  ThrottledE2E() { sample_records_ = 12000; }
  // A backup of test/sample at 3000 records/s takes about 4 s: long enough to act while it runs.
  static RoutineSpec Slow(const std::string& name) {
    RoutineSpec r;
    r.name = name;
    r.policy_extra = "    records-per-second: 3000\n";
    return r;
  }
};

// API calls keep being answered while two backups run; progress is visible meanwhile.
TEST_F(ThrottledE2E, ConcurrentApiCallsWhileBackupsRun) {
  InitApi();
  RoutineSpec b = Slow("b");
  b.full_cron = "* * * * * *";  // fires every second: overlapping fulls are skipped and counted
  StartService(ConfigYaml({Slow("a"), b}));
  ASSERT_TRUE(WaitUntil([&] { return FullRunning("a") && FullRunning("b"); }, 10s)) << svc_.output();
  json cur = GetJson("/v1/backups/currentBackup/a");
  EXPECT_GT(cur["full"]["total-records"].get<int64_t>(), 0) << cur.dump();
  EXPECT_TRUE(cur["full"].contains("start-time"));
  std::atomic<int> ok{0}, bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Api api(api_port_);
      const char* paths[] = {"/v1/backups/full", "/v1/backups/currentBackup/a", "/metrics", "/v1/restore/jobs",
                             "/v1/config/routines"};
      for (int i = 0; i < 25; ++i) {
        auto r = api.Get(paths[(i + t) % 5]);
        (r.status == 200 ? ok : bad)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(ok.load(), 100);
  // Scheduled fulls of b that would overlap its running full are skipped, never queued.
  ASSERT_TRUE(WaitUntil([&] { return Metric("aerospike_backup_service_skip_total ") >= 1; }, 5s));
  EXPECT_GT(Metric("aerospike_backup_service_backup_in_progress{routine=\"a\",type=\"full\"}"), 0);
  // An on-demand full of a while its full runs is not lost: it runs once the first one ends.
  ASSERT_EQ(api_.Post("/v1/backups/full/a").status, 202);
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/full/a") == 2; }, 25s)) << svc_.output();
  EXPECT_GE(Count("/v1/backups/full/b"), 1u);
  EXPECT_EQ(GetJson("/v1/backups/full/a")[0]["record-count"], 12000);
  EXPECT_EQ(GetJson("/v1/backups/full/a")[1]["record-count"], 12000);
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0);
}

// kill -9 in the middle of a backup: nothing is published; after a restart the leftover folder is
// removed and the next run succeeds.
TEST_F(ThrottledE2E, Kill9DuringBackupLeavesNoPublishedPartialBackup) {
  InitApi();
  StartService(ConfigYaml({Slow("r")}));
  ASSERT_TRUE(WaitUntil([&] { return FullRunning("r"); }, 10s)) << svc_.output();
  EXPECT_EQ(svc_.Signal(SIGKILL, 5s), 128 + SIGKILL);
  EXPECT_TRUE(FindFiles(storage_path_, "metadata.yaml").empty());
  ASSERT_TRUE(fs::exists(storage_path_ + "/r/backup"));  // the killed run's folder is there
  std::string killed_run = fs::directory_iterator(storage_path_ + "/r/backup")->path().filename();

  StartService(ConfigYaml({Slow("r")}));  // catch-up: no full yet, so one starts at once
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/full/r") == 1; }, 20s)) << svc_.output();
  EXPECT_FALSE(fs::exists(storage_path_ + "/r/backup/" + killed_run));
  EXPECT_EQ(FindFiles(storage_path_, "metadata.yaml").size(), 1u);
  EXPECT_EQ(GetJson("/v1/backups/full/r")[0]["record-count"], 12000);
  EXPECT_NE(svc_.output().find("did not finish"), std::string::npos);
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0);
}

// Cancel through the API deletes the run's folder; SIGTERM during a backup exits cleanly and
// leaves only complete backups.
TEST_F(ThrottledE2E, CancelAndSigterm) {
  InitApi();
  StartService(ConfigYaml({Slow("r")}));
  ASSERT_TRUE(WaitUntil([&] { return FullRunning("r"); }, 10s)) << svc_.output();
  ASSERT_EQ(api_.Post("/v1/backups/cancel/r").status, 202);
  ASSERT_TRUE(WaitUntil([&] { return !GetJson("/v1/backups/currentBackup/r").contains("full"); }, 10s));
  EXPECT_EQ(Count("/v1/backups/full/r"), 0u);
  EXPECT_TRUE(!fs::exists(storage_path_ + "/r/backup") || fs::is_empty(storage_path_ + "/r/backup"));
  EXPECT_EQ(Metric("aerospike_backup_service_backup_events_total{routine=\"r\",type=\"full\",outcome=\"canceled\"}"),
            1);

  ASSERT_EQ(api_.Post("/v1/backups/full/r").status, 202);
  ASSERT_TRUE(WaitUntil([&] { return FullRunning("r"); }, 10s));
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(svc_.Signal(SIGTERM, 20s), 0) << svc_.output();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 12s);
  // Whatever happened within the grace period, every run folder left is complete.
  if (fs::exists(storage_path_ + "/r/backup")) {
    for (const auto& run : fs::directory_iterator(storage_path_ + "/r/backup")) {
      EXPECT_TRUE(fs::exists(run.path() / "data/test/metadata.yaml")) << run.path();
    }
  }
}

// The same routine against S3 (s3rver): configuration is the only difference.
TEST_F(ServiceE2E, S3StorageWithS3rver) {
  S3rverPeer s3;
  s3.bucket = "abs";
  Status started = s3.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  started = dst_.Start(dir_.File("dst.log"));
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto c = Connect(src_.port);
  ASSERT_TRUE(c);
  std::map<int64_t, int64_t> kv;
  for (int i = 0; i < 50; ++i) kv[i] = i * 10;
  WriteRecords(*c, "test", kv);
  RoutineSpec r;
  r.storage = "s3";
  InitApi();
  StartService(ConfigYaml({r}, "  s3:\n    s3-storage:\n      bucket: abs\n      path: backups\n"
                               "      s3-region: us-east-1\n      s3-endpoint-override: " + s3.endpoint() +
                                   "\n      access-key-id: S3RVER\n      secret-access-key: S3RVER\n"));
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/full/r") == 1; }, 20s)) << svc_.output();
  WriteRecords(*c, "test", {{1, 111}, {60, 600}});
  ASSERT_EQ(api_.Post("/v1/backups/incremental/r").status, 202);
  ASSERT_TRUE(WaitUntil([&] { return Count("/v1/backups/incremental/r") == 1; }, 20s)) << svc_.output();
  auto r2 = api_.Post("/v1/restore/timestamp",
                      json{{"routine", "r"}, {"time", NowMs()}, {"destination-name", "dst"}}.dump());
  ASSERT_EQ(r2.status, 202) << r2.body;
  json st = WaitRestore(r2.body);
  EXPECT_EQ(st["status"], "success") << st.dump();
  auto d = Connect(dst_.port);
  ASSERT_TRUE(d);
  EXPECT_EQ(ScanRecords(*d, "test"), ScanRecords(*c, "test"));
  EXPECT_FALSE(FindFiles(s3.data_dir(), "metadata.yaml").empty() &&
               FindFiles(s3.data_dir(), "metadata.yaml._S3rver_object").empty());
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0);
}

}  // namespace
}  // namespace aero::e2e
