// Integration tests of the aerospike-backup-service executable: each test starts the real binary on a
// free loopback port with a temporary configuration and drives it over HTTP with httplib's client
// (configuration CRUD and error codes, ABS 2.0 request forms, redaction, persistence across restarts,
// rate limiting, 413/405/404, metrics exposition, OpenAPI coverage of the route table, CLI behaviour).
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "tests/support/certs.h"
#include "tests/support/ports.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace aero::apptest {
namespace {

using json = nlohmann::json;
using testing::FreeLoopbackPort;
using testing::ReadFile;
using testing::ServiceProcess;
using testing::TempDir;

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size())) s.replace(i, from.size(), to);
  return s;
}

// A running service with its own directory, config file and client.
class Service {
 public:
  // `edit` may change the YAML text of tests/data/service_api/base.yml before it is written.
  explicit Service(const std::function<std::string(std::string)>& edit = nullptr,
                   std::vector<std::string> extra_args = {}) {
    port_ = FreeLoopbackPort();
    std::string text = ReadFile(std::string(ABS_TEST_DATA) + "/base.yml");
    text = ReplaceAll(ReplaceAll(text, "@PORT@", std::to_string(port_)), "@DIR@", dir_.path());
    if (edit) text = edit(text);
    dir_.Write("config.yml", text);
    args_ = {"-c", dir_.File("config.yml")};
    for (auto& a : extra_args) args_.push_back(a);
  }
  bool Start() { return proc_.Start(args_).ok(); }
  int Stop() { return proc_.Stop(); }
  httplib::Client Client(const std::string& prefix = "") const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(std::chrono::seconds(5));
    c.set_read_timeout(std::chrono::seconds(10));
    return c;
  }
  const TempDir& dir() const { return dir_; }
  int port() const { return port_; }
  ServiceProcess& proc() { return proc_; }
  std::string ConfigPath() const { return dir_.File("config.yml"); }

 private:
  TempDir dir_;
  int port_ = 0;
  std::vector<std::string> args_;
  ServiceProcess proc_;
};

#define ASSERT_STARTED(svc) ASSERT_TRUE((svc).Start()) << (svc).proc().output()

// Status + body of a request (status -1 when the request failed at the transport level).
struct Reply {
  int status = -1;
  std::string body;
  std::string content_type;
  httplib::Headers headers;
};
Reply Do(httplib::Client& c, const std::string& method, const std::string& path, const std::string& body = "",
         bool send_body = false) {
  auto send = [&]() -> httplib::Result {
    if (method == "GET") return c.Get(path);
    if (method == "DELETE") return c.Delete(path);
    if (method == "POST") return send_body ? c.Post(path, body, "application/json") : c.Post(path);
    if (method == "PUT") return send_body ? c.Put(path, body, "application/json") : c.Put(path);
    return c.Patch(path, body, "application/json");
  };
  httplib::Result r = send();
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  out.content_type = r->get_header_value("Content-Type");
  out.headers = r->headers;
  return out;
}
Reply Get(httplib::Client& c, const std::string& p) { return Do(c, "GET", p); }
Reply Post(httplib::Client& c, const std::string& p, const std::string& b) { return Do(c, "POST", p, b, true); }
Reply Put(httplib::Client& c, const std::string& p, const std::string& b) { return Do(c, "PUT", p, b, true); }
Reply Del(httplib::Client& c, const std::string& p) { return Do(c, "DELETE", p); }

json J(const Reply& r) { return json::parse(r.body); }

// True when the request got past the API layer's own checks (routing, body, query, request parsing)
// and reached BackupOperations: the answer is then the engine's (or 503 when the binary has none), so
// these tests hold whichever implementation is linked in.
bool ReachedSeam(const Reply& r) {
  static const char* kApiErrors[] = {"404 page not found", "Method Not Allowed", "request body is empty",
                                     "invalid restore request", "invalid query param", "invalid delay",
                                     "invalid job id", "invalid timestamp", "invalid status filter",
                                     "invalid JSON", "request body must be"};
  if (r.status < 0) return false;
  for (const char* e : kApiErrors) {
    if (r.body.rfind(e, 0) == 0) return false;
  }
  return !(r.status == 404 && r.body.find("routine \"") == 0);
}
#define EXPECT_REACHED_SEAM(reply)                                  \
  do {                                                              \
    Reply r__ = (reply);                                            \
    EXPECT_TRUE(ReachedSeam(r__)) << r__.status << " " << r__.body; \
  } while (0)

// ---------------------------------------------------------------------------------------------
TEST(ServiceApp, SystemRoutes) {
  Service svc;
  ASSERT_STARTED(svc);
  auto c = svc.Client();
  auto root = Get(c, "/");
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body, "");
  EXPECT_EQ(Get(c, "/health").body, "Ok");
  EXPECT_EQ(Get(c, "/ready").body, "Ok");
  auto v = Get(c, "/version");
  EXPECT_EQ(v.status, 200);
  EXPECT_EQ(v.body, std::string("v") + ABS_VERSION);
  auto html = Get(c, "/api-docs/");
  EXPECT_EQ(html.status, 200);
  EXPECT_NE(html.content_type.find("text/html"), std::string::npos);
  EXPECT_NE(html.body.find("openapi.yaml"), std::string::npos);
  auto yaml = Get(c, "/api-docs/openapi.yaml");
  EXPECT_EQ(yaml.status, 200);
  EXPECT_EQ(yaml.body, ReadFile(ABS_OPENAPI_PATH));  // the embedded copy is the file in the tree
  auto js = Get(c, "/api-docs/openapi.json");
  ASSERT_EQ(js.status, 200);
  json doc = J(js);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  EXPECT_TRUE(doc["paths"].contains("/v1/config/routines/{name}/disable"));
  // Anchored response sets are resolved in the JSON form.
  EXPECT_TRUE(doc["paths"]["/v1/config/clusters/{name}"]["post"]["responses"].contains("409"));
  EXPECT_EQ(Get(c, "/api-docs/doc.json").body, js.body);
  // The CLI prints the same version.
  ServiceProcess p;
  EXPECT_EQ(p.RunToExit({"-v"}), 0);
  EXPECT_EQ(p.output(), std::string("v") + ABS_VERSION + "\n");
}

TEST(ServiceApp, NotFoundMethodNotAllowedAndContextPath) {
  Service svc;
  ASSERT_STARTED(svc);
  auto c = svc.Client();
  auto nf = Get(c, "/v1/nothing");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body, "404 page not found\n");
  auto m = Do(c, "PATCH", "/v1/config", "{}");
  EXPECT_EQ(m.status, 405);
  auto allow = m.headers.find("Allow");
  ASSERT_NE(allow, m.headers.end());
  EXPECT_NE(allow->second.find("PUT"), std::string::npos);
  EXPECT_EQ(Del(c, "/health").status, 405);
  EXPECT_EQ(Do(c, "POST", "/v1/config/clusters").status, 405);
  // A body-less POST without Content-Length answers at once (no wait for the read timeout).
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(Do(c, "POST", "/v1/config/apply").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));

  Service cp([](std::string t) { return ReplaceAll(t, "  http:\n    address: 127.0.0.1\n", "  http:\n    address: 127.0.0.1\n    context-path: /abs/\n"); });
  ASSERT_STARTED(cp);
  auto c2 = cp.Client();
  EXPECT_EQ(Get(c2, "/abs/health").body, "Ok");
  EXPECT_EQ(Get(c2, "/abs/v1/config/routines/daily").status, 200);
  EXPECT_EQ(Get(c2, "/health").status, 404);
  EXPECT_EQ(Get(c2, "/abshealth").status, 404);
}

TEST(ServiceApp, ConfigReadAndRedaction) {
  Service svc;
  ASSERT_STARTED(svc);
  auto c = svc.Client();
  auto all = Get(c, "/v1/config");
  ASSERT_EQ(all.status, 200);
  EXPECT_EQ(all.content_type, "application/json");
  json cfg = J(all);
  EXPECT_EQ(cfg["aerospike-clusters"]["abs-cluster"]["credentials"]["password"], "[secret]");
  EXPECT_EQ(cfg["backup-routines"]["daily"]["source-cluster"], "abs-cluster");
  EXPECT_TRUE(cfg.contains("secret-agents"));
  EXPECT_EQ(all.body.find("hunter2"), std::string::npos);

  json clusters = J(Get(c, "/v1/config/clusters"));
  EXPECT_EQ(clusters["abs-cluster"]["credentials"]["password"], "[secret]");
  EXPECT_EQ(J(Get(c, "/v1/config/clusters/abs-cluster"))["seed-nodes"][0]["port"], 3000);
  EXPECT_EQ(J(Get(c, "/v1/config/storage/local"))["local-storage"]["path"], svc.dir().path() + "/backups");
  EXPECT_EQ(J(Get(c, "/v1/config/policies/keepFilesPolicy"))["retention"]["full"], 3);
  EXPECT_EQ(J(Get(c, "/v1/config/routines"))["daily"]["namespaces"][0], "test");
  EXPECT_EQ(J(Get(c, "/v1/config/secret-agents/agent1"))["port"], 3005);

  auto nf = Get(c, "/v1/config/routines/nope");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body, "routine \"nope\" not found\n");
  EXPECT_EQ(nf.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(Get(c, "/v1/config/clusters/nope").body, "cluster \"nope\" not found\n");
}

TEST(ServiceApp, ClusterCrudStatusCodesAndPersistence) {
  Service svc;
  ASSERT_STARTED(svc);
  auto c = svc.Client();
  const std::string cluster = R"({"seed-nodes":[{"host-name":"10.0.0.1","port":3000}],
                                  "credentials":{"user":"u","password":"s3cret"}})";
  EXPECT_EQ(Post(c, "/v1/config/clusters/second", cluster).status, 201);
  auto dup = Post(c, "/v1/config/clusters/second", cluster);
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(dup.body, "cluster \"second\" already exists\n");
  EXPECT_EQ(J(Get(c, "/v1/config/clusters/second"))["credentials"]["password"], "[secret]");
  // The file holds the real secret, was rewritten with mode 0600, and no temp file is left behind.
  EXPECT_NE(ReadFile(svc.ConfigPath()).find("s3cret"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(stat(svc.ConfigPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(svc.dir().path())) entries += e.is_regular_file();
  EXPECT_EQ(entries, 1u) << "only config.yml expected in " << svc.dir().path();

  // PUT with "[secret]" keeps the stored password; a new value replaces it.
  const std::string updated = R"({"seed-nodes":[{"host-name":"10.0.0.2","port":3001}],
                                  "credentials":{"user":"u","password":"[secret]"}})";
  EXPECT_EQ(Put(c, "/v1/config/clusters/second", updated).status, 200);
  std::string file = ReadFile(svc.ConfigPath());
  EXPECT_NE(file.find("s3cret"), std::string::npos);
  EXPECT_NE(file.find("10.0.0.2"), std::string::npos);
  // "[secret]" where nothing is stored is refused.
  auto no_secret = Post(c, "/v1/config/clusters/third", updated);
  EXPECT_EQ(no_secret.status, 400);
  EXPECT_NE(no_secret.body.find("[secret]"), std::string::npos);

  auto put_unknown = Put(c, "/v1/config/clusters/nope", cluster);
  EXPECT_EQ(put_unknown.status, 404);
  EXPECT_EQ(put_unknown.body, "cluster \"nope\" not found\n");
  auto in_use = Del(c, "/v1/config/clusters/abs-cluster");
  EXPECT_EQ(in_use.status, 409);
  EXPECT_NE(in_use.body.find("cluster \"abs-cluster\" is in use"), std::string::npos);
  EXPECT_NE(in_use.body.find("routine \"daily\""), std::string::npos);
  EXPECT_EQ(Del(c, "/v1/config/clusters/second").status, 204);
  EXPECT_EQ(Del(c, "/v1/config/clusters/second").status, 404);
  EXPECT_EQ(Post(c, "/v1/config/clusters/kept", cluster).status, 201);

  // Restart on the same file: the change survived.
  EXPECT_EQ(svc.Stop(), 0);
  ASSERT_STARTED(svc);
  auto c2 = svc.Client();
  auto kept = Get(c2, "/v1/config/clusters/kept");
  EXPECT_EQ(kept.status, 200);
  EXPECT_EQ(Get(c2, "/v1/config/clusters/second").status, 404);
}

TEST(ServiceApp, StrictDecodingAndBodyRules) {
  Service svc;
  ASSERT_STARTED(svc);
  auto c = svc.Client();
  auto unknown = Post(c, "/v1/config/clusters/x", R"({"seed-nodes":[{"host-name":"h","port":1}],"bogus":1})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.body.find("bogus"), std::string::npos);
  EXPECT_EQ(Post(c, "/v1/config/clusters/x", "{not json").status, 400);
  auto empty = Post(c, "/v1/config/clusters/x", "  \n ");
  EXPECT_EQ(empty.status, 400);
  EXPECT_EQ(empty.body, "request body is empty\n");
  EXPECT_EQ(Put(c, "/v1/config", "").body, "request body is empty\n");
  auto wrong_type = Post(c, "/v1/config/policies/p", R"({"parallel":"many"})");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_NE(wrong_type.body.find("parallel"), std::string::npos);
  // Invalid names (not one path segment) are refused by validation.
  EXPECT_EQ(Post(c, "/v1/config/policies/..", R"({"parallel":2})").status, 400);
  // Nothing of the above reached the file.
  std::string file = ReadFile(svc.ConfigPath());
  EXPECT_EQ(file.find("bogus"), std::string::npos);
  EXPECT_EQ(file.find("many"), std::string::npos);

  // Bodies are JSON whatever the Content-Type (curl -d sends x-www-form-urlencoded): no 8 KiB form limit.
  std::string padded = R"({"seed-nodes":[{"host-name":")" + std::string(20000, 'h') + R"(","port":3000}]})";
  auto form = c.Post("/v1/config/clusters/formtype", padded, "application/x-www-form-urlencoded");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 201) << form->body;

  // 413 above 8 MiB.
  std::string huge = "{\"pad\":\"" + std::string(9 << 20, 'x') + "\"}";
  auto big = Put(c, "/v1/config", huge);
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(big.body, "request body too large\n");
}

TEST(ServiceApp, StorageAcceptsAbs2Forms) {
  Service svc;
  ASSERT_STARTED(svc);
  auto c = svc.Client();
  EXPECT_EQ(Post(c, "/v1/config/storage/v2int", R"({"type":0,"path":"/tmp/abs-v2"})").status, 201);
  EXPECT_EQ(J(Get(c, "/v1/config/storage/v2int"))["local-storage"]["path"], "/tmp/abs-v2");
  EXPECT_EQ(Post(c, "/v1/config/storage/v2str", R"({"type":"local","path":"/tmp/abs-v2b"})").status, 201);
  EXPECT_EQ(J(Get(c, "/v1/config/storage/v2str"))["local-storage"]["path"], "/tmp/abs-v2b");
  auto s3 = Post(c, "/v1/config/storage/v2s3",
                 R"({"type":1,"path":"s3://bucket/prefix/x","s3-region":"eu-central-1","min_part_size":5242880})");
  ASSERT_EQ(s3.status, 201) << s3.body;
  json s = J(Get(c, "/v1/config/storage/v2s3"));
  EXPECT_EQ(s["s3-storage"]["bucket"], "bucket");
  EXPECT_EQ(s["s3-storage"]["path"], "prefix/x");
  EXPECT_EQ(s["s3-storage"]["min-part-size"], 5242880);
  // The newest form with a secret: redacted on output, kept on disk.
  auto s3new = Post(c, "/v1/config/storage/s3new",
                    R"({"s3-storage":{"bucket":"b","s3-region":"us-east-1","access-key-id":"AK","secret-access-key":"SK-123"}})");
  ASSERT_EQ(s3new.status, 201) << s3new.body;
  EXPECT_EQ(J(Get(c, "/v1/config/storage/s3new"))["s3-storage"]["secret-access-key"], "[secret]");
  EXPECT_NE(ReadFile(svc.ConfigPath()).find("SK-123"), std::string::npos);
  EXPECT_EQ(Post(c, "/v1/config/storage/bad", R"({"type":7,"path":"/x"})").status, 400);
  auto in_use = Del(c, "/v1/config/storage/local");
  EXPECT_EQ(in_use.status, 409);
  EXPECT_EQ(Del(c, "/v1/config/storage/v2int").status, 204);
}

TEST(ServiceApp, PoliciesRoutinesAgentsAndEnableDisable) {
  Service svc;
  ASSERT_STARTED(svc);
  auto c = svc.Client();
  EXPECT_EQ(Post(c, "/v1/config/policies/fast", R"({"parallel":16,"compression":{"mode":"ZSTD","level":3}})").status,
            201);
  auto bad_ref = Post(c, "/v1/config/routines/r2", R"({"source-cluster":"abs-cluster","storage":"nowhere",
        "interval-cron":"@daily","namespaces":[]})");
  EXPECT_EQ(bad_ref.status, 400);
  EXPECT_NE(bad_ref.body.find("nowhere"), std::string::npos);
  auto bad_cron = Post(c, "/v1/config/routines/r2", R"({"source-cluster":"abs-cluster","storage":"local",
        "interval-cron":"0 2 * * *","namespaces":[]})");
  EXPECT_EQ(bad_cron.status, 400);
  EXPECT_EQ(Post(c, "/v1/config/routines/r2", R"({"source-cluster":"abs-cluster","storage":"local",
        "backup-policy":"fast","interval-cron":"@daily","namespaces":[],"secret-agent":"agent1"})").status,
            201);
  EXPECT_EQ(Del(c, "/v1/config/policies/fast").status, 409);
  EXPECT_EQ(Del(c, "/v1/config/secret-agents/agent1").status, 409);

  EXPECT_EQ(Do(c, "PUT", "/v1/config/routines/r2/disable").status, 204);
  EXPECT_EQ(J(Get(c, "/v1/config/routines/r2"))["disabled"], true);
  EXPECT_NE(ReadFile(svc.ConfigPath()).find("disabled: true"), std::string::npos);
  EXPECT_EQ(Do(c, "PUT", "/v1/config/routines/r2/enable").status, 204);
  EXPECT_FALSE(J(Get(c, "/v1/config/routines/r2")).value("disabled", false));
  auto nf = Do(c, "PUT", "/v1/config/routines/ghost/enable");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body, "routine \"ghost\" not found\n");

  EXPECT_EQ(Del(c, "/v1/config/routines/r2").status, 204);
  EXPECT_EQ(Del(c, "/v1/config/policies/fast").status, 204);
  EXPECT_EQ(Post(c, "/v1/config/secret-agents/agent2", R"({"connection-type":"tcp","address":"a","port":1})").status,
            201);
  EXPECT_EQ(Post(c, "/v1/config/secret-agents/agent2", R"({"connection-type":"tcp","address":"a","port":1})").status,
            409);
  EXPECT_EQ(Put(c, "/v1/config/secret-agents/agent2", R"({"connection-type":"unix","address":"/s"})").status, 200);
  EXPECT_EQ(J(Get(c, "/v1/config/secret-agents/agent2"))["connection-type"], "unix");
  EXPECT_EQ(Del(c, "/v1/config/secret-agents/agent2").status, 204);
}

TEST(ServiceApp, WholeConfigPutAndApply) {
  Service svc;
  ASSERT_STARTED(svc);
  auto c = svc.Client();
  json cfg = J(Get(c, "/v1/config"));
  // Round trip with the redacted document: secrets are kept.
  cfg["backup-policies"]["added"] = {{"parallel", 2}};
  auto put = Put(c, "/v1/config", cfg.dump());
  ASSERT_EQ(put.status, 200) << put.body;
  std::string file = ReadFile(svc.ConfigPath());
  EXPECT_NE(file.find("hunter2"), std::string::npos);
  EXPECT_NE(file.find("added"), std::string::npos);
  EXPECT_EQ(J(Get(c, "/v1/config/policies/added"))["parallel"], 2);

  json changed = cfg;
  changed["service"]["http"]["port"] = svc.port() + 1;
  auto st = Put(c, "/v1/config", changed.dump());
  EXPECT_EQ(st.status, 400);
  EXPECT_NE(st.body.find("static configuration has changed"), std::string::npos);
  json invalid = cfg;
  invalid["backup-routines"]["daily"]["storage"] = "missing";
  auto inv = Put(c, "/v1/config", invalid.dump());
  EXPECT_EQ(inv.status, 400);
  EXPECT_NE(inv.body.find("invalid configuration"), std::string::npos);
  EXPECT_EQ(ReadFile(svc.ConfigPath()), file);  // rejected documents are not written

  // Edit the file outside the API, then apply.
  std::string edited = ReplaceAll(file, "keepFilesPolicy:", "fromFile:\n    parallel: 3\n  keepFilesPolicy:");
  ASSERT_NE(edited, file);
  svc.dir().Write("config.yml", edited);
  EXPECT_EQ(Do(c, "POST", "/v1/config/apply").status, 200);
  EXPECT_EQ(J(Get(c, "/v1/config/policies/fromFile"))["parallel"], 3);
  // A broken file is refused and the running configuration stays.
  svc.dir().Write("config.yml", edited + "\nbackup-routines: [unclosed\n");
  EXPECT_EQ(Do(c, "POST", "/v1/config/apply").status, 400);
  EXPECT_EQ(Get(c, "/v1/config/policies/fromFile").status, 200);
}

TEST(ServiceApp, BackupAndRestoreRoutesThroughTheSeam) {
  Service svc;
  ASSERT_STARTED(svc);
  auto c = svc.Client();
  // Request validation happens before the seam.
  auto nf = Get(c, "/v1/backups/full/nope");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.body, "routine \"nope\" not found\n");
  EXPECT_EQ(Get(c, "/v1/backups/full?from=abc").status, 400);
  EXPECT_EQ(Get(c, "/v1/backups/incremental/daily?from=5&to=4").status, 400);
  EXPECT_REACHED_SEAM(Get(c, "/v1/backups/full/daily?from=1&to=2"));
  EXPECT_EQ(Do(c, "POST", "/v1/backups/full/daily?delay=-1").status, 400);
  EXPECT_EQ(Do(c, "POST", "/v1/backups/incremental/nope").status, 404);
  EXPECT_REACHED_SEAM(Do(c, "POST", "/v1/backups/schedule/daily?delay=10"));
  EXPECT_EQ(Get(c, "/v1/backups/currentBackup/nope").status, 404);
  EXPECT_REACHED_SEAM(Do(c, "POST", "/v1/backups/cancel/daily"));
  EXPECT_EQ(Get(c, "/v1/restore/status/abc").status, 400);
  EXPECT_REACHED_SEAM(Get(c, "/v1/restore/status/12"));
  EXPECT_EQ(Get(c, "/v1/restore/jobs?status=bogus").status, 400);
  EXPECT_REACHED_SEAM(Get(c, "/v1/restore/jobs?status=!failure,canceled"));
  EXPECT_EQ(Do(c, "POST", "/v1/restore/cancel/x").status, 400);
  EXPECT_EQ(Get(c, "/v1/retrieve/configuration/daily/notatime").status, 400);

  // Newest restore form.
  auto ok = Post(c, "/v1/restore/full", R"({"destination-name":"abs-cluster","source-name":"local",
        "backup-data-path":"daily/backup/1710422008983/data/test","policy":{"parallel":4}})");
  EXPECT_REACHED_SEAM(ok);
  auto dotdot = Post(c, "/v1/restore/full", R"({"destination-name":"abs-cluster","source-name":"local",
        "backup-data-path":"../etc"})");
  EXPECT_EQ(dotdot.status, 400);
  auto unknown_ref = Post(c, "/v1/restore/full", R"({"destination-name":"ghost","source-name":"local",
        "backup-data-path":"a/b"})");
  EXPECT_EQ(unknown_ref.status, 400);
  EXPECT_NE(unknown_ref.body.find("cluster \"ghost\" not found"), std::string::npos);
  auto strict = Post(c, "/v1/restore/full", R"({"destination-name":"abs-cluster","source-name":"local",
        "backup-data-path":"a/b","policy":{"paralel":4}})");
  EXPECT_EQ(strict.status, 400);
  EXPECT_NE(strict.body.find("policy.paralel"), std::string::npos);
  // ABS 2.0 form: inline destination, flat storage with "type": 1, quoted booleans.
  auto v2 = Post(c, "/v1/restore/incremental", R"({"destination":{"seed-nodes":[{"host-name":"h","port":3000}]},
        "source":{"type":1,"path":"s3://b/p/daily/backup/1/data/test","s3-region":"eu-west-1"},
        "policy":{"no-generation":"true","replace":"false","retry-policy":{"baseTimeout":100,"maxRetries":2}}})");
  EXPECT_REACHED_SEAM(v2);
  auto both = Post(c, "/v1/restore/full", R"({"destination-name":"abs-cluster","source-name":"local",
        "backup-data-path":"a","policy":{"replace":true,"unique":true}})");
  EXPECT_EQ(both.status, 400);

  // Restore by time: "time" as a string (ABS 2.0 README form) is accepted, seconds are refused.
  EXPECT_REACHED_SEAM(Post(c, "/v1/restore/timestamp", R"({"routine":"daily","time":"1710671632452"})"));
  auto secs = Post(c, "/v1/restore/timestamp", R"({"routine":"daily","time":1710671632})");
  EXPECT_EQ(secs.status, 400);
  EXPECT_NE(secs.body.find("13 digits"), std::string::npos);
  EXPECT_EQ(Post(c, "/v1/restore/timestamp", R"({"routine":"ghost","time":1710671632452})").status, 404);
  // Unknown routine is fine when source and destination are both given (cross-region DR).
  EXPECT_REACHED_SEAM(Post(c, "/v1/restore/timestamp", R"({"routine":"ghost","time":1710671632452,
        "source-name":"local","destination-name":"abs-cluster"})"));
  EXPECT_EQ(Post(c, "/v1/restore/timestamp", "").status, 400);
}

TEST(ServiceApp, RateLimitingAndWhiteList) {
  Service limited([](std::string t) {
    return ReplaceAll(t, "      white-list: [\"0.0.0.0/0\"]", "      tps: 1\n      size: 3\n      white-list: []");
  });
  ASSERT_STARTED(limited);
  auto c = limited.Client();
  std::map<int, int> codes;
  for (int i = 0; i < 10; ++i) ++codes[Get(c, "/health").status];
  EXPECT_GE(codes[429], 5) << "10 requests with burst 3 at 1/s";
  EXPECT_GE(codes[200], 3);
  auto r = Get(c, "/v1/config");
  if (r.status == 429) {
    EXPECT_EQ(r.body, "Too Many Requests\n");
  }

  Service exempt([](std::string t) {
    return ReplaceAll(t, "      white-list: [\"0.0.0.0/0\"]", "      tps: 1\n      size: 1\n      white-list: [\"127.0.0.0/8\"]");
  });
  ASSERT_STARTED(exempt);
  auto c2 = exempt.Client();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Get(c2, "/health").status, 200);
}

// Prometheus text format: comment lines, then `name{labels} value`.
TEST(ServiceApp, MetricsExposition) {
  Service svc;
  ASSERT_STARTED(svc);
  auto c = svc.Client();
  for (int i = 0; i < 3; ++i) Get(c, "/health");
  Get(c, "/v1/config/routines/nope");
  auto m = Get(c, "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.content_type.find("text/plain"), std::string::npos);
  static const std::regex kSample(R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? (\S+)$)");
  static const std::regex kType(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$)");
  std::map<std::string, std::string> types;
  std::map<std::string, double> samples;
  std::istringstream in(m.body);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::smatch sm;
    if (line.rfind("# HELP ", 0) == 0) continue;
    if (line.rfind("# TYPE", 0) == 0) {
      ASSERT_TRUE(std::regex_match(line, sm, kType)) << line;
      EXPECT_EQ(types.count(sm[1]), 0u) << "duplicate TYPE " << sm[1];
      types[sm[1]] = sm[2];
      continue;
    }
    ASSERT_TRUE(std::regex_match(line, sm, kSample)) << "bad sample line: " << line;
    std::string value = sm[5];
    EXPECT_NO_THROW((void)std::stod(value == "+Inf" ? "inf" : value)) << line;
    samples[line.substr(0, line.rfind(' '))] = std::stod(value == "+Inf" ? "inf" : value);
  }
  for (const char* name : {"aerospike_backup_service_runs_total", "aerospike_backup_service_incremental_runs_total",
                           "aerospike_backup_service_skip_total", "aerospike_backup_service_failure_total",
                           "aerospike_backup_service_duration_millis", "aerospike_backup_service_backup_events_total",
                           "aerospike_backup_service_backup_duration_seconds",
                           "aerospike_backup_service_last_successful_backup_timestamp",
                           "aerospike_backup_service_backup_progress_pct",
                           "aerospike_backup_service_backup_in_progress",
                           "aerospike_backup_service_restore_in_progress",
                           "aerospike_backup_service_restore_events_total"}) {
    EXPECT_TRUE(types.count(name)) << name;
  }
  EXPECT_EQ(types["aerospike_backup_service_backup_duration_seconds"], "histogram");
  EXPECT_EQ(types["aerospike_backup_service_runs_total"], "counter");
  EXPECT_EQ(samples["aerospike_backup_service_runs_total"], 0);
  EXPECT_GE((samples[R"(aerospike_backup_service_http_requests_total{method="GET",route="/health",code="200"})"]), 3);
  EXPECT_EQ(
      (samples[R"(aerospike_backup_service_http_requests_total{method="GET",route="/v1/config/routines/{name}",code="404"})"]),
      1);
  EXPECT_GE((samples[R"(aerospike_backup_service_http_request_duration_seconds_count{method="GET",route="/health"})"]),
            3);
}

// Every registered route is documented, and every documented route is served (not the router's 404).
TEST(ServiceApp, RouteTableMatchesOpenApi) {
  ServiceProcess lister;
  ASSERT_EQ(lister.RunToExit({"--print-routes"}), 0) << lister.output();
  std::set<std::pair<std::string, std::string>> registered;
  std::istringstream in(lister.output());
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto sp = line.find(' ');
    ASSERT_NE(sp, std::string::npos) << line;
    registered.insert({line.substr(0, sp), line.substr(sp + 1)});
  }
  ASSERT_GT(registered.size(), 50u);

  YAML::Node doc = YAML::LoadFile(ABS_OPENAPI_PATH);
  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& p : doc["paths"]) {
    for (const auto& op : p.second) {
      std::string m = op.first.as<std::string>();
      if (m == "parameters") continue;
      std::transform(m.begin(), m.end(), m.begin(), ::toupper);
      documented.insert({m, p.first.as<std::string>()});
    }
  }
  for (const auto& r : registered) EXPECT_TRUE(documented.count(r)) << "undocumented: " << r.first << " " << r.second;
  for (const auto& d : documented) EXPECT_TRUE(registered.count(d)) << "documented, not served: " << d.first << " " << d.second;

  Service svc;
  ASSERT_STARTED(svc);
  auto c = svc.Client();
  // Real names so that a configuration "not found" is never the answer; DELETEs last (they may remove things).
  std::vector<std::pair<std::string, std::string>> order(documented.begin(), documented.end());
  std::stable_partition(order.begin(), order.end(), [](const auto& d) { return d.first != "DELETE"; });
  for (const auto& [method, pattern] : order) {
    std::string path = pattern;
    std::string name = "daily";
    if (path.find("/clusters/") != std::string::npos) name = "abs-cluster";
    if (path.find("/storage/") != std::string::npos) name = "local";
    if (path.find("/policies/") != std::string::npos) name = "keepFilesPolicy";
    if (path.find("/secret-agents/") != std::string::npos) name = "agent1";
    path = ReplaceAll(path, "{name}", name);
    path = ReplaceAll(path, "{jobId}", "1");
    path = ReplaceAll(path, "{timestamp}", "1710671632452");
    Reply r = Do(c, method, path, "{}", method == "POST" || method == "PUT");
    // Not the router's 404 (a seam may well answer "job 1 not found").
    EXPECT_NE(r.body, "404 page not found\n") << method << " " << path;
    if (path.find("/v1/restore/") == std::string::npos && path.find("/v1/retrieve/") == std::string::npos) {
      EXPECT_NE(r.status, 404) << method << " " << path << " -> " << r.body;
    }
    EXPECT_NE(r.status, 405) << method << " " << path;
    EXPECT_NE(r.status, -1) << method << " " << path;
  }
}

TEST(ServiceApp, CleanShutdownAndStartupErrors) {
  Service svc;
  ASSERT_STARTED(svc);
  EXPECT_EQ(svc.Stop(), 0);
  EXPECT_NE(svc.proc().output().find("shutting down"), std::string::npos);
  EXPECT_NE(svc.proc().output().find("stopped"), std::string::npos);

  // Two problems in the file: both are named, exit code 1, nothing listens.
  Service bad([](std::string t) {
    t = ReplaceAll(t, "    storage: local\n", "    storage: nowhere\n");
    return ReplaceAll(t, "interval-cron: \"0 0 2 * * ?\"", "interval-cron: \"every day\"");
  });
  ServiceProcess p;
  EXPECT_EQ(p.RunToExit({"-c", bad.ConfigPath()}), 1);
  std::string out = p.output();
  EXPECT_NE(out.find("nowhere"), std::string::npos) << out;
  EXPECT_NE(out.find("interval-cron"), std::string::npos) << out;
  EXPECT_NE(out.find("\n  - "), std::string::npos) << out;

  ServiceProcess missing;
  EXPECT_EQ(missing.RunToExit({"-c", svc.dir().File("absent.yml")}), 1);
  EXPECT_NE(missing.output().find("absent.yml"), std::string::npos);
  ServiceProcess no_args;
  EXPECT_EQ(no_args.RunToExit({}), 2);
  EXPECT_NE(no_args.output().find("--config is required"), std::string::npos);

  // Port already in use → exit code 3 with the address in the message.
  ASSERT_STARTED(svc);
  ServiceProcess second;
  EXPECT_EQ(second.RunToExit({"-c", svc.ConfigPath()}), 3);
  EXPECT_NE(second.output().find("cannot bind"), std::string::npos) << second.output();
}

TEST(ServiceApp, HttpsListener) {
  TempDir certs;
  ASSERT_TRUE(testing::WriteSelfSignedCert(certs.File("cert.pem"), certs.File("key.pem")).ok());
  int https_port = FreeLoopbackPort();
  const std::string key = certs.File("key.pem");
  auto with_https = [https_port, key](const std::string& cert) {
    return [=](std::string t) {
      return ReplaceAll(t, "  logger:\n", "  https:\n    address: 127.0.0.1\n    port: " + std::to_string(https_port) +
                                              "\n    cert-file: " + cert + "\n    key-file: " + key +
                                              "\n  logger:\n");
    };
  };
  Service svc(with_https(certs.File("cert.pem")));
  ASSERT_STARTED(svc);
  httplib::SSLClient tls("127.0.0.1", https_port);
  tls.enable_server_certificate_verification(false);
  tls.set_connection_timeout(std::chrono::seconds(5));
  auto h = tls.Get("/health");
  ASSERT_TRUE(h) << httplib::to_string(h.error());
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->body, "Ok");
  auto cfg = tls.Get("/v1/config/clusters/abs-cluster");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(json::parse(cfg->body)["credentials"]["password"], "[secret]");
  auto plain = svc.Client();
  EXPECT_EQ(Get(plain, "/health").body, "Ok");  // the HTTP listener runs beside it
  EXPECT_NE(svc.proc().output().find("https://127.0.0.1:" + std::to_string(https_port)), std::string::npos);
  EXPECT_EQ(svc.Stop(), 0);

  // A certificate file that is not PEM: the service refuses to start (exit 3) and says why.
  certs.Write("garbage.pem", "not a certificate\n");
  Service broken(with_https(certs.File("garbage.pem")));
  ServiceProcess p;
  EXPECT_EQ(p.RunToExit({"-c", broken.ConfigPath()}), 3);
  EXPECT_NE(p.output().find("https listener"), std::string::npos) << p.output();
}

TEST(ServiceApp, JsonLogFormat) {
  Service svc([](std::string t) { return ReplaceAll(t, "    level: DEBUG\n", "    level: INFO\n    format: JSON\n"); });
  ASSERT_STARTED(svc);
  svc.Stop();
  std::istringstream in(svc.proc().output());
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json j = json::parse(line);  // throws (fails the test) on a non-JSON line
    EXPECT_TRUE(j.contains("time") && j.contains("level") && j.contains("msg")) << line;
    EXPECT_NE(j["level"], "DEBUG");
    ++n;
  }
  EXPECT_GE(n, 3);
}

TEST(ServiceApp, ConfigFromUrlIsReadOnly) {
  Service svc;  // only used for its config text and port
  std::string text = ReadFile(svc.ConfigPath());
  httplib::Server peer;
  peer.Get("/abs.yml", [&](const httplib::Request&, httplib::Response& res) { res.set_content(text, "text/yaml"); });
  int peer_port = peer.bind_to_any_port("127.0.0.1");
  std::thread t([&] { peer.listen_after_bind(); });
  ServiceProcess p;
  bool started = p.Start({"-c", "http://127.0.0.1:" + std::to_string(peer_port) + "/abs.yml"}).ok();
  if (started) {
    auto c = svc.Client();
    EXPECT_EQ(Get(c, "/v1/config/routines/daily").status, 200);
    auto w = Post(c, "/v1/config/policies/p", R"({"parallel":1})");
    EXPECT_EQ(w.status, 500);
    EXPECT_NE(w.body.find("read-only"), std::string::npos);
    EXPECT_EQ(Get(c, "/v1/config/policies/p").status, 404);
    EXPECT_EQ(Do(c, "POST", "/v1/config/apply").status, 200);  // re-reads the URL
    EXPECT_EQ(p.Stop(), 0);
  }
  ServiceProcess bad_url;
  EXPECT_EQ(bad_url.RunToExit({"-c", "http://127.0.0.1:" + std::to_string(peer_port) + "/missing.yml"}), 1);
  EXPECT_NE(bad_url.output().find("404"), std::string::npos) << bad_url.output();
  peer.stop();
  t.join();
  ASSERT_TRUE(started) << p.output();
}

TEST(ServiceApp, RemoteDescriptorLocalStorage) {
  Service svc;
  TempDir d;
  // v3 descriptor.
  d.Write("remote.yml", "local-storage:\n  path: " + svc.ConfigPath() + "\n");
  ServiceProcess p;
  ASSERT_TRUE(p.Start({"-c", d.File("remote.yml"), "-r"}).ok()) << p.output();
  auto c = svc.Client();
  EXPECT_EQ(Post(c, "/v1/config/policies/viaRemote", R"({"parallel":5})").status, 201);
  EXPECT_NE(ReadFile(svc.ConfigPath()).find("viaRemote"), std::string::npos);
  EXPECT_EQ(p.Stop(), 0);
  // ABS 2.0 flat descriptor.
  d.Write("remote2.yml", "type: local\npath: " + svc.ConfigPath() + "\n");
  ServiceProcess p2;
  ASSERT_TRUE(p2.Start({"-c", d.File("remote2.yml"), "--remote"}).ok()) << p2.output();
  EXPECT_EQ(Get(c, "/v1/config/policies/viaRemote").status, 200);
  EXPECT_EQ(p2.Stop(), 0);
  d.Write("remote3.yml", "s3-storage:\n  bucket: b\n");
  ServiceProcess p3;
  EXPECT_EQ(p3.RunToExit({"-c", d.File("remote3.yml"), "-r"}), 1);
}

}  // namespace
}  // namespace aero::apptest
