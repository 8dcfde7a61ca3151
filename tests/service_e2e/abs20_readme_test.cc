// Every example of the ABS 2.0 README (aerospike-backup-service v2.0.0, commit dc2b481), run as
// written against the built aerospike-backup-service binary, abs-test-server clusters (with the
// README's user tester/psw) and s3rver (the README's MinIO), over real sockets. The request bodies
// and configuration files are in tests/data/service/abs20-readme/ (README.md there says where each
// comes from and which host/port/path values the test replaces by its own peers).
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "client/cluster.h"
#include "client/scan.h"
#include "client/write.h"
#include "common/bytes.h"
#include "common/digest.h"
#include "e2e_util.h"
#include "storage/factory.h"

namespace aero::e2e {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Data(const std::string& name) {
  std::string text = ReadFile(std::string(ABS_README_DATA_DIR) + "/" + name);
  EXPECT_FALSE(text.empty()) << "missing test data " << name;
  return text;
}

// Replaces every occurrence of each `from` by its `to`; a `from` that does not occur is a test error
// (the data file changed and the substitution would silently do nothing).
std::string Subst(std::string text, const std::vector<std::pair<std::string, std::string>>& repl) {
  for (const auto& [from, to] : repl) {
    size_t p = text.find(from);
    EXPECT_NE(p, std::string::npos) << "\"" << from << "\" not found";
    while (p != std::string::npos) {
      text.replace(p, from.size(), to);
      p = text.find(from, p + to.size());
    }
  }
  return text;
}

// The README's user; the test clusters require it (LOGIN), as the README's cluster does.
constexpr const char* kUser = "tester";
constexpr const char* kPassword = "psw";

std::shared_ptr<client::Cluster> Connect(int port) {
  client::Host h;
  h.name = "127.0.0.1";
  h.port = static_cast<uint16_t>(port);
  client::ClientPolicy policy;
  policy.user = kUser;
  policy.password = kPassword;
  auto c = client::Cluster::Connect({h}, policy);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? *c : nullptr;
}

// Writes key -> value into ns/set (integer bin `int_bin`, string bin "s"), `times` times over (each
// write raises the server generation by one).
void WriteRecords(client::Cluster& c, const std::string& ns, const std::string& set, int count, int64_t value,
                  int times = 1, const std::string& int_bin = "v") {
  std::vector<Record> batch;
  for (int k = 0; k < count; ++k) {
    Record r;
    r.ns = ns;
    r.set = set;
    r.key = IntegerKey(k);
    r.digest = ComputeDigest(set, k);
    std::string vb;
    PutU64BE(vb, static_cast<uint64_t>(value + k));
    r.bins = {Bin{int_bin, ParticleType::kInteger, vb}, Bin{"s", ParticleType::kString, "value-" + std::to_string(value + k)}};
    batch.push_back(std::move(r));
  }
  for (int i = 0; i < times; ++i) {
    auto res = client::BatchPut(c, batch, client::WritePolicy{});
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    for (const auto& row : *res) ASSERT_TRUE(row.status.ok()) << row.status.ToString();
  }
}


// Namespaces named in the README examples and in its config/config.yml (source-ns1 .. source-ns21).
std::string AllReadmeNamespaces() {
  std::string out;
  for (int i = 1; i <= 21; ++i) out += (i > 1 ? "," : "") + std::string("source-ns") + std::to_string(i);
  return out;
}

class Abs20Readme : public ::testing::Test {
 protected:
  void SetUp() override {
    api_port_ = FreeLoopbackPort();
    api_ = Api(api_port_);
    local_storage_ = dir_.path() + "/localStorage";
    // The README's storage "minio" names the AWS profile "minio" (MinIO's credentials).
    aws_credentials_ = dir_.path() + "/aws-credentials";
    WriteFile(aws_credentials_, "[minio]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n");
  }

  void StartCluster(TestServerProcess* p, int* port, const std::string& name) {
    TestServerOptions o;
    o.namespaces = AllReadmeNamespaces();
    o.user = std::string(kUser) + ":" + kPassword;
    Status st = p->Start(dir_.File(name + ".log"), o);
    ASSERT_TRUE(st.ok()) << st.ToString();
    *port = p->port;
  }

  // s3rver with the README's bucket; a missing s3rver fails the test, naming it.
  void StartS3rver() {
    s3_.bucket = "as-backup-bucket";
    Status st = s3_.Start();
    ASSERT_TRUE(st.ok()) << st.ToString();
    s3_port_ = s3_.port;
  }

  std::string S3Endpoint() const { return "http://127.0.0.1:" + std::to_string(s3_port_); }

  // readme-config.yml with the README's peers replaced by this test's ones, plus the service port.
  std::string ReadmeConfig() {
    std::string y = Subst(Data("readme-config.yml"),
                          {{"host-name: \"host.docker.internal\"\n        port: 3000",
                            "host-name: \"127.0.0.1\"\n        port: " + std::to_string(src_port_)},
                           {"\"./localStorage\"", "\"" + local_storage_ + "\""},
                           {"http://host.docker.internal:9000", S3Endpoint()}});
    return y + ServiceSection();
  }
  std::string ServiceSection() const {
    return "service:\n  http:\n    address: 127.0.0.1\n    port: " + std::to_string(api_port_) +
           "\n    rate:\n      white-list: [\"0.0.0.0/0\"]\n";
  }

  // `-c <location>` exactly as the README's "Run" example (plus -r when asked).
  void StartService(const std::string& location, bool remote = false) {
    std::vector<std::string> argv = {"-c", location};
    if (remote) argv.push_back("-r");
    // Credentials of S3 sources without a profile come from the environment (AWS default chain), and
    // so does the endpoint of sources without one: AWS_ENDPOINT_URL_S3 points them at s3rver, as an
    // operator points the AWS tools at MinIO.
    std::vector<std::string> env = {"AWS_SHARED_CREDENTIALS_FILE=" + aws_credentials_, "AWS_CONFIG_FILE=/nonexistent",
                                    "AWS_ACCESS_KEY_ID=S3RVER", "AWS_SECRET_ACCESS_KEY=S3RVER"};
    if (s3_port_ > 0) env.push_back("AWS_ENDPOINT_URL_S3=" + S3Endpoint());
    Status st = svc_.StartOnPort(argv, api_port_, {dir_.File("service.log"), env});
    ASSERT_TRUE(st.ok()) << "service did not start: " << st.ToString();
  }
  void StartServiceWithFile(const std::string& yaml) {
    const std::string path = dir_.path() + "/config.yml";
    WriteFile(path, yaml);
    StartService(path);
  }

  json GetJson(const std::string& path) {
    auto r = api_.Get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body << r.error;
    if (r.status != 200) return json();
    return json::parse(r.body, nullptr, false);
  }
  // Waits until GET /v1/backups/full lists a backup of `routine`; returns the first one.
  json WaitFullBackup(const std::string& routine) {
    json list;
    bool ok = WaitUntil(
        [&] {
          list = GetJson("/v1/backups/full");
          return list.is_object() && list.contains(routine) && list[routine].is_array() && !list[routine].empty();
        },
        30s);
    EXPECT_TRUE(ok) << routine << ": " << list.dump() << "\n" << svc_.output();
    return ok ? list[routine][0] : json();
  }
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

  TempDir dir_;
  TestServerProcess src_, dst_;
  S3rverPeer s3_;
  ServiceProcess svc_;
  int src_port_ = 0, dst_port_ = 0, s3_port_ = 0, api_port_ = 0;
  Api api_{0};
  std::string local_storage_, aws_credentials_;
};

// Every key the README shows for an entity has the README's value in our answer.
void ExpectReadmeKeys(const json& readme, const json& ours, const std::string& what) {
  ASSERT_TRUE(ours.is_object()) << what << ": " << ours.dump();
  for (auto it = readme.begin(); it != readme.end(); ++it) {
    EXPECT_EQ(ours.value(it.key(), json()), it.value()) << what << "." << it.key() << " in " << ours.dump();
  }
}

// "Read configurations" and "Full backup list": GET /v1/config/clusters, /v1/config/routines,
// /v1/config/storage and /v1/backups/full against the configuration those answers describe
// (storage written with the README's `type: 0` / `type: 1`).
TEST_F(Abs20Readme, ReadConfigurationsAndFullBackupList) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(&src_, &src_port_, "src"));
  ASSERT_NO_FATAL_FAILURE(StartS3rver());
  auto c = Connect(src_port_);
  ASSERT_TRUE(c);
  WriteRecords(*c, "source-ns7", "e2e", 20, 700);
  WriteRecords(*c, "source-ns8", "backupSet", 5, 800, 1, "backupBin");  // routine2's set-list / bin-list
  WriteRecords(*c, "source-ns8", "otherSet", 4, 800, 1, "backupBin");   // not in routine2's set-list
  WriteRecords(*c, "source-ns4", "e2e", 10, 400);
  ASSERT_NO_FATAL_FAILURE(StartServiceWithFile(ReadmeConfig()));

  // GET {{baseUrl}}/v1/config/clusters
  json clusters = GetJson("/v1/config/clusters");
  json readme_clusters = json::parse(Data("clusters-response.json"));
  ASSERT_TRUE(clusters.contains("absDefaultCluster")) << clusters.dump();
  json seed = readme_clusters["absDefaultCluster"]["seed-nodes"];
  seed[0]["host-name"] = "127.0.0.1";  // the test's cluster instead of host.docker.internal:3000
  seed[0]["port"] = src_port_;
  EXPECT_EQ(clusters["absDefaultCluster"]["seed-nodes"], seed);
  EXPECT_EQ(clusters["absDefaultCluster"]["credentials"]["user"], "tester");
  // ABS 3.7 hides literal passwords in API answers; ABS 2.0 showed "psw".
  EXPECT_EQ(clusters["absDefaultCluster"]["credentials"]["password"], "[secret]") << clusters.dump();

  // GET {{baseUrl}}/v1/config/routines
  json routines = GetJson("/v1/config/routines");
  json readme_routines = json::parse(Data("routines-response.json"));
  for (auto it = readme_routines.begin(); it != readme_routines.end(); ++it) {
    ASSERT_TRUE(routines.contains(it.key())) << routines.dump();
    ExpectReadmeKeys(it.value(), routines[it.key()], "routines." + it.key());
  }

  // GET {{baseUrl}}/v1/config/storage: same storage, answered in the ABS 3.x shape.
  json storage = GetJson("/v1/config/storage");
  EXPECT_EQ(storage["local"]["local-storage"]["path"], local_storage_) << storage.dump();
  json minio = storage["minio"]["s3-storage"];
  EXPECT_EQ(minio["bucket"], "as-backup-bucket") << storage.dump();
  EXPECT_EQ(minio["path"], "storage1");
  EXPECT_EQ(minio["s3-region"], "eu-central-1");
  EXPECT_EQ(minio["s3-profile"], "minio");
  EXPECT_EQ(minio["s3-endpoint-override"], S3Endpoint());

  // GET {{baseUrl}}/v1/backups/full: the start-up runs of the three routines are listed.
  json r1 = WaitFullBackup("routine1");
  json r2 = WaitFullBackup("routine2");
  json m = WaitFullBackup("minio");
  for (const auto& [b, ns] : {std::pair{r1, "source-ns7"}, {r2, "source-ns8"}, {m, "source-ns4"}}) {
    EXPECT_EQ(b["namespace"], ns) << b.dump();
    for (const char* k : {"created", "from", "byte-count", "file-count", "key"}) {
      // Fulls of ABS 3.x leave out a zero "from"; the others are always there.
      if (std::string(k) == "from") continue;
      EXPECT_TRUE(b.contains(k)) << k << " missing in " << b.dump();
    }
    EXPECT_GT(b.value("byte-count", 0), 0) << b.dump();
  }
  EXPECT_EQ(r1["record-count"], 20);
  EXPECT_EQ(r2["record-count"], 5);  // set-list backupSet only
  EXPECT_EQ(m["record-count"], 10);

  // "Monitoring": /health, /ready, and /metrics with every application metric the README lists.
  EXPECT_EQ(api_.Get("/health").status, 200);
  EXPECT_EQ(api_.Get("/ready").status, 200);
  auto metrics = api_.Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  std::istringstream names(Data("metrics.txt"));
  int listed = 0;
  for (std::string name; std::getline(names, name);) {
    if (name.empty()) continue;
    ++listed;
    EXPECT_NE(metrics.body.find("\n" + name), std::string::npos) << name << " missing in /metrics";
  }
  EXPECT_EQ(listed, 8);

  // examples/*.json of the same commit (not in the README) use ABS 0.x keys that ABS 2.0 did not
  // accept either: a 400 naming each unknown key, nothing started.
  for (const char* file : {"upstream-examples-restore.json", "upstream-examples-s3_restore.json"}) {
    auto bad = api_.Post("/v1/restore/full", Data(file));
    EXPECT_EQ(bad.status, 400) << file << ": " << bad.body;
    for (const char* issue : {"destination.host: unknown key", "destination.port: unknown key",
                              "destination.seed-nodes: required key is missing", "policy.set_list: unknown key"}) {
      EXPECT_NE(bad.body.find(issue), std::string::npos) << issue << " not in: " << bad.body;
    }
  }
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

// "Direct restore using a specific backup": the README body (flat S3 source with `"type": 1`,
// `"no-generation": "true"`) restores the S3 backup of routine "minio" into a cluster whose records
// have higher generations, so they are only replaced because no-generation took effect.
TEST_F(Abs20Readme, DirectRestoreFromS3WithReadmeBody) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(&src_, &src_port_, "src"));
  ASSERT_NO_FATAL_FAILURE(StartCluster(&dst_, &dst_port_, "dst"));
  ASSERT_NO_FATAL_FAILURE(StartS3rver());
  auto c = Connect(src_port_);
  auto d = Connect(dst_port_);
  ASSERT_TRUE(c && d);
  WriteRecords(*c, "source-ns4", "e2e", 30, 4000);
  WriteRecords(*d, "source-ns4", "e2e", 30, 9000, /*times=*/3);  // generation 3 > the backup's 1
  ASSERT_NO_FATAL_FAILURE(StartServiceWithFile(ReadmeConfig()));
  json backup = WaitFullBackup("minio");
  ASSERT_TRUE(backup.contains("key")) << backup.dump();
  // ABS 2.0 listed the absolute location; ABS 3.x lists it relative to the storage path.
  std::string key = backup["key"];
  std::string path = key.rfind("s3://", 0) == 0 ? key : "s3://as-backup-bucket/storage1/" + key;

  std::string text = Subst(Data("restore-full.json"),
                                {{"\"port\": 3000", "\"port\": " + std::to_string(dst_port_)},
                                 {"s3://as-backup-bucket/storage1/minio/backup/1710422008983/source-ns4", path}});
  // The README's source has no endpoint: the service's AWS_ENDPOINT_URL_S3 sends it to s3rver.
  json body = json::parse(text);
  ASSERT_FALSE(body["source"].contains("s3-endpoint-override"));
  ASSERT_EQ(body["policy"]["no-generation"], "true");  // sent as the README sends it

  // Control: with "false" the generation check keeps every newer record of the destination.
  json control = body;
  control["policy"]["no-generation"] = "false";
  auto r = api_.Post("/v1/restore/full", control.dump());
  ASSERT_EQ(r.status, 202) << r.body;
  json st = WaitRestore(r.body);
  EXPECT_EQ(st["status"], "success") << st.dump() << svc_.output();
  EXPECT_EQ(st["fresher-records"], 30) << st.dump();
  EXPECT_EQ(ScanRecords(*d, "source-ns4", "e2e").at(0).first, 9000);

  r = api_.Post("/v1/restore/full", body.dump());
  ASSERT_EQ(r.status, 202) << r.body;
  json id = json::parse(r.body, nullptr, false);
  ASSERT_TRUE(id.is_number_integer()) << r.body;  // a bare job id, as the README's 123456789
  st = WaitRestore(r.body);
  EXPECT_EQ(st["status"], "success") << st.dump() << svc_.output();
  EXPECT_EQ(st["inserted-records"], 30) << st.dump();
  EXPECT_EQ(st.value("fresher-records", 0), 0) << st.dump();
  EXPECT_EQ(ScanRecords(*d, "source-ns4", "e2e"), ScanRecords(*c, "source-ns4", "e2e"));

  // The same body with the README's storage object in full (profile "minio" + endpoint) works too.
  WriteRecords(*d, "source-ns4", "e2e", 30, 9000, /*times=*/3);
  body["source"]["s3-profile"] = "minio";
  r = api_.Post("/v1/restore/full", body.dump());
  ASSERT_EQ(r.status, 202) << r.body;
  st = WaitRestore(r.body);
  EXPECT_EQ(st["status"], "success") << st.dump();
  EXPECT_EQ(ScanRecords(*d, "source-ns4", "e2e"), ScanRecords(*c, "source-ns4", "e2e"));
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

// "Restore using routine name and timestamp": the README body (`"time"` as a quoted string) restores
// routine1's backup; then the direct-restore body with a local (`"type": 0`) source.
TEST_F(Abs20Readme, RestoreToTimestampWithReadmeBody) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(&src_, &src_port_, "src"));
  ASSERT_NO_FATAL_FAILURE(StartCluster(&dst_, &dst_port_, "dst"));
  ASSERT_NO_FATAL_FAILURE(StartS3rver());
  auto c = Connect(src_port_);
  auto d = Connect(dst_port_);
  ASSERT_TRUE(c && d);
  WriteRecords(*c, "source-ns7", "e2e", 25, 7000);
  WriteRecords(*d, "source-ns7", "e2e", 25, 9000, /*times=*/2);
  ASSERT_NO_FATAL_FAILURE(StartServiceWithFile(ReadmeConfig()));
  json backup = WaitFullBackup("routine1");
  // The README's time (2024-03-17) predates every backup here: the test uses "now", still quoted.
  std::string body = Subst(Data("restore-timestamp.json"),
                           {{"\"port\": 3000", "\"port\": " + std::to_string(dst_port_)},
                            {"\"time\": \"1710671632452\"", "\"time\": \"" + std::to_string(NowMs()) + "\""}});
  auto r = api_.Post("/v1/restore/timestamp", body);
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(json::parse(r.body, nullptr, false).is_number_integer()) << r.body;
  json st = WaitRestore(r.body);
  EXPECT_EQ(st["status"], "success") << st.dump() << svc_.output();
  EXPECT_EQ(st["inserted-records"], 25) << st.dump();
  EXPECT_EQ(ScanRecords(*d, "source-ns7", "e2e"), ScanRecords(*c, "source-ns7", "e2e"));

  // "The `type` parameter under `source` denotes ... local storage if set to `0`": the direct-restore
  // body with a local source, path = the storage path + the listed key.
  json local = json::parse(Subst(Data("restore-full.json"), {{"\"port\": 3000", "\"port\": " + std::to_string(dst_port_)}}));
  local["source"] = {{"path", local_storage_ + "/" + backup["key"].get<std::string>()}, {"type", 0}};
  WriteRecords(*d, "source-ns7", "e2e", 25, 9000, /*times=*/3);
  r = api_.Post("/v1/restore/full", local.dump());
  ASSERT_EQ(r.status, 202) << r.body;
  st = WaitRestore(r.body);
  EXPECT_EQ(st["status"], "success") << st.dump();
  EXPECT_EQ(st["inserted-records"], 25) << st.dump();
  EXPECT_EQ(ScanRecords(*d, "source-ns7", "e2e"), ScanRecords(*c, "source-ns7", "e2e"));

  // The README's own time: no full backup of routine1 at or before it. As in ABS 3.x the request
  // is accepted and the job fails saying so (ABS 2.0 answered 400).
  auto old = api_.Post("/v1/restore/timestamp",
                       Subst(Data("restore-timestamp.json"), {{"\"port\": 3000", "\"port\": " + std::to_string(dst_port_)}}));
  ASSERT_EQ(old.status, 202) << old.body;
  json failed = WaitRestore(old.body);
  EXPECT_EQ(failed["status"], "failure") << failed.dump();
  // The quoted "1710671632452" was read as epoch ms: 2024-03-17T10:33:52.452Z.
  EXPECT_NE(failed.value("error", "").find("no full backup"), std::string::npos) << failed.dump();
  EXPECT_NE(failed.value("error", "").find("2024-03-17T10:33:52.452Z"), std::string::npos) << failed.dump();
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

// The storage entities the README shows (`"type": 0` / `"type": 1`) sent back as POST bodies, and
// the string forms "local" / "aws-s3" of config/config.yml as JSON: accepted, listed, and usable by
// a routine that then backs up into them.
TEST_F(Abs20Readme, StorageEntitiesWithIntegerAndStringTypes) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(&src_, &src_port_, "src"));
  ASSERT_NO_FATAL_FAILURE(StartS3rver());
  auto c = Connect(src_port_);
  ASSERT_TRUE(c);
  WriteRecords(*c, "source-ns7", "e2e", 12, 70);
  ASSERT_NO_FATAL_FAILURE(StartServiceWithFile(ReadmeConfig()));
  json readme = json::parse(Data("storage-response.json"));
  json local = readme["local"];
  local["path"] = dir_.path() + "/local2";
  json minio = readme["minio"];
  minio["s3-endpoint-override"] = S3Endpoint();
  minio["path"] = "s3://as-backup-bucket/storage2";
  ASSERT_EQ(local["type"], 0);
  ASSERT_EQ(minio["type"], 1);
  auto r = api_.Post("/v1/config/storage/local2", local.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  r = api_.Post("/v1/config/storage/minio2", minio.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  r = api_.Post("/v1/config/storage/local3", json{{"type", "local"}, {"path", dir_.path() + "/local3"}}.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  r = api_.Post("/v1/config/storage/minio3", json{{"type", "aws-s3"},
                                                  {"path", "s3://as-backup-bucket/storage3"},
                                                  {"s3-region", "eu-central-1"},
                                                  {"s3-profile", "minio"},
                                                  {"s3-endpoint-override", S3Endpoint()}}
                                                 .dump());
  EXPECT_EQ(r.status, 201) << r.body;
  json storage = GetJson("/v1/config/storage");
  EXPECT_EQ(storage["local2"]["local-storage"]["path"], dir_.path() + "/local2") << storage.dump();
  EXPECT_EQ(storage["minio2"]["s3-storage"]["bucket"], "as-backup-bucket") << storage.dump();
  EXPECT_EQ(storage["minio2"]["s3-storage"]["path"], "storage2") << storage.dump();
  EXPECT_EQ(storage["local3"]["local-storage"]["path"], dir_.path() + "/local3") << storage.dump();
  EXPECT_EQ(storage["minio3"]["s3-storage"]["path"], "storage3") << storage.dump();
  // Not a README quirk: other integers stay errors that name the field.
  r = api_.Post("/v1/config/storage/bad", json{{"type", 2}, {"path", "/x"}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("type"), std::string::npos) << r.body;

  // Routines (the README's routine1 shape) backing up into each new storage.
  json routine = json::parse(Data("routines-response.json"))["routine1"];
  for (const char* st : {"local2", "minio2", "local3", "minio3"}) {
    routine["storage"] = st;
    r = api_.Post(std::string("/v1/config/routines/r-") + st, routine.dump());
    ASSERT_EQ(r.status, 201) << st << ": " << r.body;
    ASSERT_EQ(api_.Post(std::string("/v1/backups/full/r-") + st).status, 202);
    json b = WaitFullBackup(std::string("r-") + st);
    EXPECT_EQ(b["record-count"], 12) << st << ": " << b.dump();
  }
  EXPECT_FALSE(FindFiles(dir_.path() + "/local2", "metadata.yaml").empty());
  EXPECT_FALSE(FindFiles(dir_.path() + "/local3", "metadata.yaml").empty());
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

// "Run": `aerospike-backup-service -c config/config.yml` with the repository's sample configuration
// (storage `type: "local"` / `"aws-s3"`, 2.0 policy keys such as retry-delay: 10_000).
TEST_F(Abs20Readme, RunWithSampleConfigYml) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(&src_, &src_port_, "src"));
  ASSERT_NO_FATAL_FAILURE(StartS3rver());
  auto c = Connect(src_port_);
  ASSERT_TRUE(c);
  WriteRecords(*c, "source-ns2", "e2e", 15, 200);
  std::string yaml = Subst(Data("upstream-config.yml"),
                           {{"port: 3000", "port: " + std::to_string(src_port_)},
                            {"path: ./localStorage", "path: " + local_storage_},
                            {"http://localhost:9000", S3Endpoint()},
                            {"key-file: encryptionKey", "key-file: " + dir_.path() + "/encryptionKey"},
                            {"filename: \"/log/backup-service.log\"", "filename: \"" + dir_.path() + "/abs.log\""},
                            {"service:\n", ServiceSection()}});
  ASSERT_NO_FATAL_FAILURE(StartServiceWithFile(yaml));
  YAML::Node upstream = YAML::Load(Data("upstream-config.yml"));
  json routines = GetJson("/v1/config/routines");
  EXPECT_EQ(routines.size(), upstream["backup-routines"].size()) << routines.dump();
  for (const auto& kv : upstream["backup-routines"]) {
    const std::string name = kv.first.as<std::string>();
    ASSERT_TRUE(routines.contains(name)) << name;
    EXPECT_EQ(routines[name]["backup-policy"], kv.second["backup-policy"].as<std::string>()) << name;
    EXPECT_EQ(routines[name]["storage"], kv.second["storage"].as<std::string>()) << name;
  }
  json policies = GetJson("/v1/config/policies");
  EXPECT_EQ(policies.size(), upstream["backup-policies"].size()) << policies.dump();
  json storage = GetJson("/v1/config/storage");
  EXPECT_EQ(storage["local"]["local-storage"]["path"], local_storage_) << storage.dump();
  EXPECT_EQ(storage["minio"]["s3-storage"]["bucket"], "as-backup-bucket") << storage.dump();
  // Routine "localStorage" (namespace source-ns2) backs up what was written.
  json b = WaitFullBackup("localStorage");
  EXPECT_EQ(b["record-count"], 15) << b.dump();
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

// "Service help": the flags the README prints for `-h` (-c/--config, -h/--help, -r/--remote,
// -v/--version) exist.
TEST_F(Abs20Readme, ServiceHelpFlags) {
  ChildProcess help;
  Status st = help.Start({ServiceProcess::Binary(), "-h"}, {dir_.File("help.log")});
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_TRUE(WaitUntil([&] { return help.Log().find("--version") != std::string::npos; }, 10s)) << help.Log();
  const std::string text = help.Log();
  for (const char* flag : {"-c,--config", "-h,--help", "-r,--remote", "-v,--version"}) {
    EXPECT_NE(text.find(flag), std::string::npos) << flag << " missing in:\n" << text;
  }
  EXPECT_NE(text.find("URL"), std::string::npos) << text;  // "configuration file path/URL"
  EXPECT_EQ(help.Signal(SIGTERM, 10s), 0);
}

// A small HTTP server thread answering GET /config.yml (joined in the destructor).
class ConfigHttpServer {
 public:
  explicit ConfigHttpServer(std::string body) : body_(std::move(body)) {
    server_.Get("/config.yml", [this](const httplib::Request&, httplib::Response& res) {
      std::lock_guard<std::mutex> l(mu_);
      ++gets_;
      res.set_content(body_, "application/yaml");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    // bind_to_any_port already listens: connections queue until the thread accepts them.
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~ConfigHttpServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int gets() {
    std::lock_guard<std::mutex> l(mu_);
    return gets_;
  }

 private:
  httplib::Server server_;
  std::string body_;
  std::mutex mu_;
  int gets_ = 0;
  int port_ = 0;
  std::thread thread_;
};

// Service help: "-c, --config string   configuration file path/URL": the configuration read from
// an http:// URL; it is read-only, so a change through the API is refused.
TEST_F(Abs20Readme, ConfigGivenAsUrl) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(&src_, &src_port_, "src"));
  ASSERT_NO_FATAL_FAILURE(StartS3rver());
  auto c = Connect(src_port_);
  ASSERT_TRUE(c);
  WriteRecords(*c, "source-ns7", "e2e", 8, 70);
  ConfigHttpServer http(ReadmeConfig());
  ASSERT_GT(http.port(), 0);
  ASSERT_NO_FATAL_FAILURE(StartService("http://127.0.0.1:" + std::to_string(http.port()) + "/config.yml"));
  EXPECT_GE(http.gets(), 1);
  json routines = GetJson("/v1/config/routines");
  EXPECT_TRUE(routines.contains("routine1")) << routines.dump();
  EXPECT_TRUE(routines.contains("minio")) << routines.dump();
  json b = WaitFullBackup("routine1");
  EXPECT_EQ(b["record-count"], 8) << b.dump();
  auto r = api_.Post("/v1/config/storage/extra", json{{"type", 0}, {"path", dir_.path() + "/extra"}}.dump());
  EXPECT_NE(r.status / 100, 2) << r.body;
  EXPECT_NE(r.body.find("read-only"), std::string::npos) << r.body;
  EXPECT_FALSE(GetJson("/v1/config/storage").contains("extra"));
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

// Service help: "-r, --remote   use remote config file": the -c file is a descriptor naming where
// the configuration is, in the ABS 2.0 flat storage form (`type: 0` = local file here).
TEST_F(Abs20Readme, RemoteDescriptorInFlatForm) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(&src_, &src_port_, "src"));
  ASSERT_NO_FATAL_FAILURE(StartS3rver());
  const std::string real = dir_.path() + "/real-config.yml";
  WriteFile(real, ReadmeConfig());
  const std::string descriptor = dir_.path() + "/remote_config.yaml";
  WriteFile(descriptor, "type: 0\npath: " + real + "\n");
  ASSERT_NO_FATAL_FAILURE(StartService(descriptor, /*remote=*/true));
  json routines = GetJson("/v1/config/routines");
  EXPECT_TRUE(routines.contains("routine2")) << routines.dump();
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

// Service help, "-r": "you could have a remote_config.yaml file containing S3 details, and you would
// run the server with `-c remote_config.yaml -r`": the descriptor is the README's S3 storage object
// (`type: 1`, s3-region, s3-profile, s3-endpoint-override) naming the configuration object in the
// bucket; API changes are written back to that object.
TEST_F(Abs20Readme, RemoteDescriptorOnS3) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(&src_, &src_port_, "src"));
  ASSERT_NO_FATAL_FAILURE(StartS3rver());
  StorageOptions opts;
  opts.s3.region = "eu-central-1";
  opts.s3.endpoint_override = S3Endpoint();
  opts.s3.access_key_id = "S3RVER";
  opts.s3.secret_access_key = "S3RVER";
  auto bucket = OpenStorage("s3://as-backup-bucket", opts);
  ASSERT_TRUE(bucket.ok()) << bucket.status().ToString();
  ASSERT_TRUE((*bucket)->WriteObject("config/abs.yml", ReadmeConfig()).ok());
  const std::string descriptor = dir_.path() + "/remote_config.yaml";
  WriteFile(descriptor, "type: 1\npath: s3://as-backup-bucket/config/abs.yml\ns3-region: eu-central-1\n"
                        "s3-profile: minio\ns3-endpoint-override: " + S3Endpoint() + "\n");
  ASSERT_NO_FATAL_FAILURE(StartService(descriptor, /*remote=*/true));
  json routines = GetJson("/v1/config/routines");
  EXPECT_TRUE(routines.contains("routine1")) << routines.dump();
  EXPECT_TRUE(routines.contains("minio")) << routines.dump();
  auto r = api_.Post("/v1/config/storage/extra", json{{"type", 0}, {"path", dir_.path() + "/extra"}}.dump());
  EXPECT_EQ(r.status, 201) << r.body;
  auto stored = (*bucket)->ReadObject("config/abs.yml");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_NE(stored->find(dir_.path() + "/extra"), std::string::npos) << *stored;
  EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
}

}  // namespace
}  // namespace aero::e2e
