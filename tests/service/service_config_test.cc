// Tests of the ABS configuration model: parsing the spec's example files, YAML and JSON
// round-trips, every validation rule, ABS 2.0 conversion warnings, secret redaction/restoration
// and atomic persistence.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "service/config/config_io.h"
#include "tests/support/temp_dir.h"

namespace aero::service {
namespace {

const std::string kData = ABS_SERVICE_TEST_DATA;

ParseOptions TestOptions() {
  ParseOptions o;
  o.zoneinfo_dir = kData + "/zoneinfo";
  return o;
}

using aero::testing::ReadFile;

Config ParseOk(const std::string& yaml) {
  auto r = ParseConfigYaml(yaml, TestOptions());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->config : Config{};
}

// The parse error message for `yaml` (empty when it parsed).
std::string ParseError(const std::string& yaml, ParseOptions o = TestOptions()) {
  auto r = ParseConfigYaml(yaml, o);
  return r.ok() ? "" : r.status().message();
}

bool HasIssue(const std::vector<ConfigIssue>& issues, const std::string& path, const std::string& fragment) {
  for (const auto& i : issues)
    if (i.path == path && i.message.find(fragment) != std::string::npos) return true;
  return false;
}

std::string Dump(const std::vector<ConfigIssue>& issues) {
  std::string s;
  for (const auto& i : issues) s += i.ToString() + "\n";
  return s;
}

// ---------------------------------------------------------------------------------------------

TEST(ConfigParse, SpecExample) {
  auto loaded = LoadConfigFile(kData + "/abs-example-3x.yml", TestOptions());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_TRUE(loaded->warnings.empty());
  const Config& c = loaded->config;
  ASSERT_TRUE(c.service.http.has_value());
  EXPECT_EQ(c.service.http->EffectivePort(), 8080);
  EXPECT_EQ(c.service.http->EffectiveAddress(), "0.0.0.0");
  ASSERT_TRUE(c.service.http->rate.has_value());
  EXPECT_EQ(c.service.http->rate->white_list, std::vector<std::string>{"10.0.0.0/8"});
  EXPECT_EQ(c.service.http->rate->EffectiveTps(), 1024);
  EXPECT_EQ(c.service.logger->EffectiveFormat(), "JSON");
  EXPECT_EQ(c.service.backup->timestamp_format, "ISO");
  EXPECT_EQ(c.secret_agents.at("vault-agent").port, 3005);
  const Cluster& prod = c.clusters.at("prod");
  ASSERT_EQ(prod.seed_nodes.size(), 1u);
  EXPECT_EQ(prod.seed_nodes[0].host_name, "10.0.1.10");
  EXPECT_EQ(prod.seed_nodes[0].port, 3000);
  EXPECT_EQ(prod.credentials->password, "secrets:aerospike:backup-password");
  EXPECT_EQ(prod.credentials->secret_agent_name, "vault-agent");
  EXPECT_EQ(prod.credentials->EffectiveAuthMode(), "INTERNAL");
  EXPECT_EQ(prod.max_parallel_scans, 16);
  EXPECT_EQ(prod.EffectiveConnTimeoutMs(), 30000);
  const auto& s3 = std::get<S3Storage>(c.storage.at("nightly-s3").backend);
  EXPECT_EQ(s3.bucket, "my-aerospike-backups");
  EXPECT_EQ(s3.path, "prod");
  EXPECT_EQ(s3.s3_region, "us-east-1");
  EXPECT_EQ(s3.EffectiveMinPartSize(), 52428800);
  EXPECT_EQ(std::get<LocalStorage>(c.storage.at("scratch").backend).path, "/var/lib/aerospike-backup-service");
  const BackupPolicy& p = c.policies.at("standard");
  EXPECT_EQ(p.parallel, 8);
  EXPECT_EQ(p.file_limit, 512);
  EXPECT_EQ(p.compression->mode, "ZSTD");
  EXPECT_EQ(p.compression->level, 3);
  EXPECT_EQ(p.retention->full, 7);
  EXPECT_EQ(p.retention->incremental, 2);
  EXPECT_EQ(p.sealed, true);
  EXPECT_EQ(p.EffectiveSocketTimeoutMs(), 600000);
  EXPECT_EQ(p.EffectiveRetryPolicy().EffectiveMaxRetries(), 5);
  EXPECT_EQ(p.EffectiveIncrMode(), "differential");
  const BackupRoutine& r = c.routines.at("prod-users");
  EXPECT_EQ(r.source_cluster, "prod");
  EXPECT_EQ(r.storage, "nightly-s3");
  EXPECT_EQ(r.backup_policy, "standard");
  EXPECT_EQ(r.interval_cron, "0 0 1 * * ?");
  EXPECT_EQ(r.incr_interval_cron, "0 0 0/4 * * ?");
  EXPECT_EQ(r.namespaces, std::vector<std::string>{"users"});
  EXPECT_FALSE(r.disabled);
  EXPECT_EQ(c.ScheduleTimezoneFor(r), "UTC");
}

TEST(ConfigParse, FullFileIsValidAndComplete) {
  auto loaded = LoadConfigFile(kData + "/abs-full-3x.yml", TestOptions());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const Config& c = loaded->config;
  EXPECT_EQ(c.service.http->rate->tps, 50000);  // 50_000 (Go yaml.v3 style)
  EXPECT_EQ(c.service.https->min_version, "1.3");
  EXPECT_EQ(c.service.https->EffectivePort(), 8443);
  EXPECT_EQ(c.clusters.at("prod").credentials->password, "123456");  // quoted: a string
  EXPECT_EQ(c.clusters.at("prod").prefer_racks, (std::vector<int>{1, 2}));
  EXPECT_EQ(c.clusters.at("dev").credentials->auth_mode, "PKI");
  EXPECT_DOUBLE_EQ(*c.policies.at("everything").retry_policy->multiplier, 1.5);
  EXPECT_EQ(c.policies.at("everything").incr_mode, "cumulative");
  EXPECT_EQ(c.policies.at("minimal"), BackupPolicy{});
  EXPECT_EQ(c.routines.at("daily").filter_exp, "kwGTUQOkbmFtZQ==");
  EXPECT_TRUE(c.routines.at("daily").disabled);
  EXPECT_EQ(c.ScheduleTimezoneFor(c.routines.at("daily")), "Europe/Berlin");
  EXPECT_EQ(c.ScheduleTimezoneFor(c.routines.at("nodes")), "America/New_York");
  EXPECT_EQ(c.PolicyFor(c.routines.at("nodes")), BackupPolicy{});
  EXPECT_TRUE(std::holds_alternative<GcpStorage>(c.storage.at("gcp").backend));
  EXPECT_EQ(std::get<AzureStorage>(c.storage.at("azure-aad").backend).client_secret, "aad-client-secret");
}

TEST(ConfigRoundTrip, YamlModelYamlModel) {
  for (const char* file : {"/abs-example-3x.yml", "/abs-full-3x.yml"}) {
    Config first = ParseOk(ReadFile(kData + file));
    std::string yaml = ConfigToYaml(first);
    Config second = ParseOk(yaml);
    EXPECT_EQ(first, second) << file << "\n" << yaml;
    EXPECT_EQ(ConfigToYaml(second), yaml) << file;
  }
}

TEST(ConfigRoundTrip, AwkwardStrings) {
  Config c = ParseOk(ReadFile(kData + "/abs-full-3x.yml"));
  // Values YAML would otherwise re-type or mangle must come back as the same strings.
  const std::vector<std::string> awkward = {"{\n  \"type\": \"service_account\",\n  \"k\": \"-----BEGIN\\nX\"\n}\n",
                                            "true", "null", "~", "0123", "1e5", "-", "- a", "#hash", "a: b", "[x]",
                                            "  padded  ", "", "secrets:a:b", "ünïcødé ✓", "'quote\"", "*alias", "&anchor",
                                            "!tag", "|", ">", "%", "@", "`", "0x1F", "1_000", ".5", "yes", "Off"};
  for (size_t i = 0; i < awkward.size(); ++i) {
    Config x = c;
    std::get<GcpStorage>(x.storage["gcp"].backend).key = awkward[i];
    x.clusters["prod"].label = awkward[i];
    x.policies["p" + std::to_string(i)] = BackupPolicy{};
    Config back = ParseOk(ConfigToYaml(x));
    EXPECT_EQ(back, x) << "value: [" << awkward[i] << "]\n" << ConfigToYaml(x);
  }
}

TEST(ConfigRoundTrip, Json) {
  Config c = ParseOk(ReadFile(kData + "/abs-full-3x.yml"));
  std::string text = ConfigToJson(c, /*redacted=*/false).dump();
  auto back = ParseConfigJson(text, TestOptions());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->config, c);
  // Per entity, as the CRUD endpoints exchange them.
  for (const auto& [name, cl] : c.clusters) {
    auto r = ClusterFromJson(ClusterToJson(cl, false).dump());
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    EXPECT_EQ(*r, cl) << name;
  }
  for (const auto& [name, st] : c.storage) {
    auto r = StorageFromJson(StorageToJson(st, false).dump());
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    EXPECT_EQ(*r, st) << name;
  }
  for (const auto& [name, p] : c.policies) {
    auto r = PolicyFromJson(PolicyToJson(p).dump());
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    EXPECT_EQ(*r, p) << name;
  }
  for (const auto& [name, rt] : c.routines) {
    auto r = RoutineFromJson(RoutineToJson(rt).dump());
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    EXPECT_EQ(*r, rt) << name;
  }
  for (const auto& [name, a] : c.secret_agents) {
    auto r = SecretAgentFromJson(SecretAgentToJson(a).dump());
    ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    EXPECT_EQ(*r, a) << name;
  }
}

TEST(ConfigJson, ShapesAndKeyNames) {
  Config c = ParseOk(ReadFile(kData + "/abs-example-3x.yml"));
  auto j = ConfigToJson(c, true);
  EXPECT_EQ(j["storage"]["nightly-s3"]["s3-storage"]["bucket"], "my-aerospike-backups");
  EXPECT_EQ(j["backup-routines"]["prod-users"]["interval-cron"], "0 0 1 * * ?");
  EXPECT_EQ(j["backup-routines"]["prod-users"]["namespaces"], nlohmann::json::array({"users"}));
  EXPECT_EQ(j["backup-policies"]["standard"]["retention"]["full"], 7);
  EXPECT_TRUE(j.contains("secret-agents"));
  EXPECT_FALSE(j.contains("secret-agent"));
  // Unset optionals stay unset: no defaults are added to the output.
  EXPECT_FALSE(j["backup-policies"]["standard"].contains("socket-timeout"));
  // An empty namespaces list is still written (the key is required).
  BackupRoutine r;
  r.source_cluster = "a";
  r.storage = "b";
  r.interval_cron = "@daily";
  EXPECT_EQ(RoutineToJson(r)["namespaces"], nlohmann::json::array());
}

TEST(ConfigJson, StrictTypes) {
  EXPECT_FALSE(PolicyFromJson(R"({"parallel": "8"})").ok());  // JSON string is not an int
  EXPECT_FALSE(PolicyFromJson(R"({"parallel": 8.5})").ok());
  EXPECT_FALSE(PolicyFromJson(R"({"sealed": "true"})").ok());
  EXPECT_FALSE(PolicyFromJson(R"({"parallel": 99999999999})").ok());
  EXPECT_FALSE(PolicyFromJson(R"([1,2])").ok());
  EXPECT_FALSE(PolicyFromJson(R"({"parallel": 8)").ok());  // malformed
  auto unknown = PolicyFromJson(R"({"parallel": 8, "paralel": 2})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("paralel: unknown key"), std::string::npos) << unknown.status().message();
  auto ok = PolicyFromJson(R"({"parallel": 8, "retry-policy": {"multiplier": 2}})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_DOUBLE_EQ(*ok->retry_policy->multiplier, 2.0);
  auto missing = RoutineFromJson(R"({"storage": "s", "interval-cron": "@daily", "namespaces": []})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("source-cluster: required key is missing"), std::string::npos);
}

TEST(ConfigYaml, TypingRules) {
  // Plain scalars are typed by the field; quoted ones are strings only.
  EXPECT_EQ(ParseError("backup-policies: {p: {parallel: '8'}}"), "invalid configuration: backup-policies.p.parallel: expected an integer, got \"8\"");
  EXPECT_EQ(ParseError("backup-policies: {p: {parallel: 0x10, file-limit: 1_000}}"), "");
  EXPECT_EQ(ParseOk("backup-policies: {p: {parallel: 0x10, file-limit: 1_000}}").policies["p"].file_limit, 1000);
  EXPECT_EQ(ParseOk("aerospike-clusters: {c: {seed-nodes: [{host-name: h, port: 3000}], credentials: {password: 1234}}}")
                .clusters["c"]
                .credentials->password,
            "1234");  // yaml.v3 puts any scalar's text into a string field
  EXPECT_EQ(ParseOk("backup-policies: {p: {sealed: yes}}").policies["p"].sealed, true);
  EXPECT_NE(ParseError("backup-policies: {p: {sealed: maybe}}").find("sealed: expected true or false"), std::string::npos);
  EXPECT_NE(ParseError("backup-policies: [1, 2]").find("backup-policies: expected a mapping"), std::string::npos);
  EXPECT_NE(ParseError("service: {http: {port: 80, port: 81}}").find("service.http.port: duplicate key"), std::string::npos);
  EXPECT_NE(ParseError("service: {http: [").find("malformed YAML"), std::string::npos);
  EXPECT_NE(ParseError("storage: {s: null}").find("storage.s: must not be empty"), std::string::npos);
  EXPECT_EQ(ParseError(""), "");  // empty document = empty configuration
  EXPECT_NE(ParseError("- a\n- b\n").find("expected a mapping"), std::string::npos);
}

TEST(ConfigParse, StructuralErrorsAreAllReported) {
  const std::string yaml = R"(
service:
  http: {port: eighty, colour: blue}
  logger: {level: LOUD}
aerospike-clusters:
  c1:
    seed-nodes: [{host-name: h}]
    credentials: {auth-mode: MAGIC}
storage:
  s1: {local-storage: {path: /x}, s3-storage: {bucket: b, s3-region: r}}
  s2: {}
  s3: {s3-storage: {bucket: b}}
backup-policies:
  p1: {encryption: {key-file: /k}, compression: {mode: LZ4}, incr-mode: sometimes}
backup-routines:
  r1: {storage: s1}
)";
  auto r = ParseConfigYaml(yaml, TestOptions());
  ASSERT_FALSE(r.ok());
  const std::string m = r.status().message();
  for (const char* want : {
           "service.http.port: expected an integer, got \"eighty\"",
           "service.http.colour: unknown key",
           "service.logger.level: invalid value \"LOUD\"",
           "aerospike-clusters.c1.seed-nodes[0].port: required key is missing",
           "aerospike-clusters.c1.credentials.auth-mode: invalid value \"MAGIC\"",
           "storage.s1: only one of local-storage, s3-storage, azure-storage, gcp-storage may be set",
           "storage.s2: exactly one of local-storage, s3-storage, azure-storage, gcp-storage is required",
           "storage.s3.s3-storage.s3-region: required key is missing",
           "backup-policies.p1.encryption.mode: required key is missing",
           "backup-policies.p1.compression.mode: invalid value \"LZ4\"",
           "backup-policies.p1.incr-mode: invalid value \"sometimes\"",
           "backup-routines.r1.source-cluster: required key is missing",
           "backup-routines.r1.interval-cron: required key is missing",
       }) {
    EXPECT_NE(m.find(want), std::string::npos) << "missing: " << want << "\nin: " << m;
  }
}

// ---------------------------------------------------------------------------------------------
// Validation: start from a valid document and break one thing at a time.

class ConfigValidate : public ::testing::Test {
 protected:
  void SetUp() override { base_ = ParseOk(ReadFile(kData + "/abs-full-3x.yml")); }
  std::vector<ConfigIssue> Check(const Config& c) { return ValidateConfig(c, TestOptions()); }
  void Expect(const Config& c, const std::string& path, const std::string& fragment) {
    auto issues = Check(c);
    EXPECT_TRUE(HasIssue(issues, path, fragment)) << "want " << path << ": " << fragment << "\ngot:\n" << Dump(issues);
  }
  Config base_;
};

TEST_F(ConfigValidate, BaseIsValid) { EXPECT_TRUE(Check(base_).empty()) << Dump(Check(base_)); }

TEST_F(ConfigValidate, References) {
  Config c = base_;
  c.routines["daily"].storage = "s4";
  c.routines["daily"].source_cluster = "nope";
  c.routines["daily"].backup_policy = "missing";
  c.routines["daily"].secret_agent = "ghost";
  c.clusters["dev"].credentials->secret_agent_name = "ghost2";
  std::get<S3Storage>(c.storage["s3"].backend).secret_agent_name = "ghost3";
  auto issues = Check(c);
  EXPECT_TRUE(HasIssue(issues, "backup-routines.daily.storage", "no storage named \"s4\"")) << Dump(issues);
  EXPECT_TRUE(HasIssue(issues, "backup-routines.daily.source-cluster", "no cluster named \"nope\""));
  EXPECT_TRUE(HasIssue(issues, "backup-routines.daily.backup-policy", "no backup policy named \"missing\""));
  EXPECT_TRUE(HasIssue(issues, "backup-routines.daily.secret-agent", "no secret agent named \"ghost\""));
  EXPECT_TRUE(HasIssue(issues, "aerospike-clusters.dev.credentials.secret-agent-name", "no secret agent named \"ghost2\""));
  EXPECT_TRUE(HasIssue(issues, "storage.s3.s3-storage.secret-agent-name", "no secret agent named \"ghost3\""));
  EXPECT_EQ(CheckConfig(c, TestOptions()).code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(CheckConfig(c, TestOptions()).message().find("backup-routines.daily.storage: no storage named \"s4\""),
            std::string::npos);
}

TEST_F(ConfigValidate, Names) {
  Config c = base_;
  c.policies["a/b"] = BackupPolicy{};
  c.policies[".."] = BackupPolicy{};
  c.storage[""] = c.storage["local"];
  auto issues = Check(c);
  EXPECT_TRUE(HasIssue(issues, "backup-policies.a/b", "invalid name")) << Dump(issues);
  EXPECT_TRUE(HasIssue(issues, "backup-policies...", "invalid name"));
  EXPECT_TRUE(HasIssue(issues, "storage.", "invalid name"));
}

TEST_F(ConfigValidate, Service) {
  Config c = base_;
  c.service.http->port = 70000;
  c.service.http->context_path = "abs";
  c.service.http->read_timeout_ms = -1;
  c.service.http->rate->tps = 0;
  c.service.http->rate->white_list->push_back("10.0.0.300");
  c.service.http->rate->white_list->push_back("10.0.0.0/33");
  c.service.https->cert_file.reset();
  c.service.https->client_ca_file.reset();
  c.service.https->secret_agent = SecretAgent{"tcp", "h", 1, {}, {}, {}};
  c.service.logger->file_writer->filename = "";
  c.service.logger->file_writer->max_size_mb = -5;
  c.service.backup->schedule_timezone = "EST";
  auto issues = Check(c);
  EXPECT_TRUE(HasIssue(issues, "service.http.port", "between 1 and 65535")) << Dump(issues);
  EXPECT_TRUE(HasIssue(issues, "service.http.context-path", "must start with \"/\""));
  EXPECT_TRUE(HasIssue(issues, "service.http.read-timeout", "zero or more"));
  EXPECT_TRUE(HasIssue(issues, "service.http.rate.tps", ">= 1"));
  EXPECT_TRUE(HasIssue(issues, "service.http.rate.white-list[4]", "not an IP address or CIDR"));
  EXPECT_TRUE(HasIssue(issues, "service.http.rate.white-list[5]", "not an IP address or CIDR"));
  EXPECT_TRUE(HasIssue(issues, "service.https.cert-file", "required when HTTPS is enabled"));
  EXPECT_TRUE(HasIssue(issues, "service.https.client-ca-file", "require-and-verify"));
  EXPECT_TRUE(HasIssue(issues, "service.https", "mutually exclusive"));
  EXPECT_TRUE(HasIssue(issues, "service.logger.file-writer.filename", "must not be empty"));
  EXPECT_TRUE(HasIssue(issues, "service.logger.file-writer.maxsize", "zero or more"));
  EXPECT_TRUE(HasIssue(issues, "service.backup.schedule-timezone", "invalid time zone \"EST\""));
  Config both = base_;
  both.service.http->disabled = true;
  both.service.https->disabled = true;
  Expect(both, "service", "both the HTTP and the HTTPS listener are disabled");
  Config none = base_;
  none.service.http->disabled = true;
  none.service.https.reset();
  Expect(none, "service.http.disabled", "no HTTPS listener is configured");
}

TEST_F(ConfigValidate, SecretAgents) {
  Config c = base_;
  c.secret_agents["bad"] = SecretAgent{};
  c.secret_agents["tcp-no-port"] = SecretAgent{"tcp", "h", {}, -1, {}, {}};
  auto issues = Check(c);
  EXPECT_TRUE(HasIssue(issues, "secret-agents.bad.connection-type", "required")) << Dump(issues);
  EXPECT_TRUE(HasIssue(issues, "secret-agents.bad.address", "required"));
  EXPECT_TRUE(HasIssue(issues, "secret-agents.tcp-no-port.port", "required for tcp"));
  EXPECT_TRUE(HasIssue(issues, "secret-agents.tcp-no-port.timeout", "zero or more"));
}

TEST_F(ConfigValidate, Clusters) {
  Config c = base_;
  Cluster& prod = c.clusters["prod"];
  prod.seed_nodes[0].host_name = "";
  prod.seed_nodes[0].port = 0;
  prod.seed_nodes[1].tls_name.reset();
  prod.max_parallel_scans = 0;
  prod.prefer_racks->push_back(1000001);
  prod.credentials->password_path = "/p";
  prod.credentials->secret_agent_name = "vault-agent";
  prod.tls->key_file.reset();
  prod.tls->protocols = "SSLv3";
  c.clusters["empty"] = Cluster{};
  auto issues = Check(c);
  const std::string p = "aerospike-clusters.prod";
  EXPECT_TRUE(HasIssue(issues, p + ".seed-nodes[0].host-name", "must not be empty")) << Dump(issues);
  EXPECT_TRUE(HasIssue(issues, p + ".seed-nodes[0].port", "between 1 and 65535"));
  EXPECT_TRUE(HasIssue(issues, p + ".seed-nodes[1].tls-name", "required when tls is set"));
  EXPECT_TRUE(HasIssue(issues, p + ".max-parallel-scans", ">= 1"));
  EXPECT_TRUE(HasIssue(issues, p + ".prefer-racks[2]", "between 0 and 1000000"));
  EXPECT_TRUE(HasIssue(issues, p + ".credentials", "password and password-path are mutually exclusive"));
  EXPECT_TRUE(HasIssue(issues, p + ".credentials", "secret-agent and secret-agent-name are mutually exclusive"));
  EXPECT_TRUE(HasIssue(issues, p + ".tls", "cert-file and key-file must be set together"));
  EXPECT_TRUE(HasIssue(issues, p + ".tls.key-file-password", "set without key-file"));
  EXPECT_TRUE(HasIssue(issues, p + ".tls.protocols", "TLSv1.2"));
  EXPECT_TRUE(HasIssue(issues, "aerospike-clusters.empty.seed-nodes", "at least one seed node"));
}

TEST_F(ConfigValidate, Storage) {
  Config c = base_;
  std::get<LocalStorage>(c.storage["local"].backend).path = "";
  auto& s3 = std::get<S3Storage>(c.storage["s3"].backend);
  s3.bucket = "s3://my-bucket";
  s3.path = "/abs/../x";
  s3.min_part_size = 1024;
  s3.max_async_connections = -1;
  s3.access_key_id.reset();
  s3.storage_class->data = "PLATINUM";
  auto& az = std::get<AzureStorage>(c.storage["azure"].backend);
  az.container_name = "";
  az.account_name.reset();
  az.client_id = "x";
  az.storage_class->metadata = "Frozen";
  auto& gcp = std::get<GcpStorage>(c.storage["gcp"].backend);
  gcp.bucket_name = "";
  gcp.key_file_path = "/k.json";
  gcp.min_part_size = 0;
  auto issues = Check(c);
  EXPECT_TRUE(HasIssue(issues, "storage.local.local-storage.path", "must not be empty")) << Dump(issues);
  EXPECT_TRUE(HasIssue(issues, "storage.s3.s3-storage.bucket", "bare bucket name"));
  EXPECT_TRUE(HasIssue(issues, "storage.s3.s3-storage.path", "clean relative prefix"));
  EXPECT_TRUE(HasIssue(issues, "storage.s3.s3-storage.min-part-size", "at least 5 MiB"));
  EXPECT_TRUE(HasIssue(issues, "storage.s3.s3-storage.max-async-connections", "zero or more"));
  EXPECT_TRUE(HasIssue(issues, "storage.s3.s3-storage", "access-key-id and secret-access-key must be set together"));
  EXPECT_TRUE(HasIssue(issues, "storage.s3.s3-storage.storage-class.data", "invalid value \"PLATINUM\""));
  EXPECT_TRUE(HasIssue(issues, "storage.azure.azure-storage.container-name", "must not be empty"));
  EXPECT_TRUE(HasIssue(issues, "storage.azure.azure-storage", "account-name and account-key must be set together"));
  EXPECT_TRUE(HasIssue(issues, "storage.azure.azure-storage", "tenant-id, client-id and client-secret"));
  EXPECT_TRUE(HasIssue(issues, "storage.azure.azure-storage.storage-class.metadata", "invalid value \"Frozen\""));
  EXPECT_TRUE(HasIssue(issues, "storage.gcp.gcp-storage.bucket-name", "must not be empty"));
  EXPECT_TRUE(HasIssue(issues, "storage.gcp.gcp-storage", "key and key-file-path are mutually exclusive"));
  EXPECT_TRUE(HasIssue(issues, "storage.gcp.gcp-storage.min-part-size", "positive"));
}

TEST_F(ConfigValidate, Policies) {
  Config c = base_;
  BackupPolicy& p = c.policies["everything"];
  p.parallel = 0;
  p.parallel_write = 0;
  p.socket_timeout_ms = -1;
  p.retry_policy->base_timeout_ms = 0;
  p.retry_policy->multiplier = 0.5;
  p.retry_policy->max_retries = -1;
  p.retention->full = 0;
  p.retention->incremental = -1;
  p.bandwidth = -1;
  p.file_limit = -1;
  p.max_concurrent_nodes = 0;
  p.encryption->key_env = "ENV";
  p.compression->level = 23;
  c.policies["ret"].retention = RetentionPolicy{2, 3};
  c.policies["enc-none"].encryption = EncryptionPolicy{"AES128", {}, {}, {}};
  auto issues = Check(c);
  const std::string b = "backup-policies.everything";
  EXPECT_TRUE(HasIssue(issues, b + ".parallel", "between 1 and 1024")) << Dump(issues);
  EXPECT_TRUE(HasIssue(issues, b + ".parallel-write", "positive"));
  EXPECT_TRUE(HasIssue(issues, b + ".socket-timeout", "zero or more"));
  EXPECT_TRUE(HasIssue(issues, b + ".retry-policy.base-timeout", "positive"));
  EXPECT_TRUE(HasIssue(issues, b + ".retry-policy.multiplier", ">= 1"));
  EXPECT_TRUE(HasIssue(issues, b + ".retry-policy.max-retries", "zero or more"));
  EXPECT_TRUE(HasIssue(issues, b + ".retention.full", "at least 1"));
  EXPECT_TRUE(HasIssue(issues, b + ".retention.incremental", "zero or more"));
  EXPECT_TRUE(HasIssue(issues, b + ".bandwidth", "zero or more"));
  EXPECT_TRUE(HasIssue(issues, b + ".file-limit", "zero or more"));
  EXPECT_TRUE(HasIssue(issues, b + ".max-concurrent-nodes", "positive"));
  EXPECT_TRUE(HasIssue(issues, b + ".encryption", "exactly one of key-file, key-env, key-secret"));
  EXPECT_TRUE(HasIssue(issues, b + ".compression.level", "between -1 and 22"));
  EXPECT_TRUE(HasIssue(issues, "backup-policies.ret.retention.incremental", "cannot exceed full (2)"));
  EXPECT_TRUE(HasIssue(issues, "backup-policies.enc-none.encryption", "exactly one of"));
}

TEST_F(ConfigValidate, Routines) {
  Config c = base_;
  BackupRoutine& r = c.routines["daily"];
  r.interval_cron = "0 0 * * *";
  r.incr_interval_cron = "0 0 25 * * ?";
  r.namespaces = {"test", "", "test"};
  r.set_list = {"a", "b"};
  r.bin_list = {"x", "x"};
  r.partition_list = "0,4095-2";
  r.node_list = {"n1"};
  r.rack_list = {-1};
  r.filter_exp = "not base64!";
  r.schedule_timezone = "Mars/Olympus";
  BackupRoutine& prod = c.routines["prod-all"];
  prod.rack_list = {1};  // cluster prod has prefer-racks
  prod.backup_policy = "everything";  // parallel 16, cluster max-parallel-scans 16: fine
  c.clusters["prod"].max_parallel_scans = 4;
  c.policies["minimal"].file_limit = 600000;  // racks routine stores on GCP with 20 MiB parts
  c.routines["empty"] = BackupRoutine{};
  c.policies["keyed"].encryption = EncryptionPolicy{"AES256", {}, {}, "backup-key"};
  c.routines["nodes"].backup_policy = "keyed";  // routine "nodes" has no secret-agent
  auto issues = Check(c);
  const std::string d = "backup-routines.daily";
  EXPECT_TRUE(HasIssue(issues, "backup-routines.nodes.secret-agent", "key-secret"));
  EXPECT_TRUE(HasIssue(issues, d + ".interval-cron", "got 5")) << Dump(issues);
  EXPECT_TRUE(HasIssue(issues, d + ".incr-interval-cron", "hour: 25 is out of range"));
  EXPECT_TRUE(HasIssue(issues, d + ".namespaces[1]", "must not be empty"));
  EXPECT_TRUE(HasIssue(issues, d + ".namespaces[2]", "duplicate \"test\""));
  EXPECT_TRUE(HasIssue(issues, d + ".bin-list[1]", "duplicate"));
  EXPECT_TRUE(HasIssue(issues, d + ".partition-list", "start+count <= 4096"));
  EXPECT_TRUE(HasIssue(issues, d, "partition-list, node-list and rack-list are mutually exclusive"));
  EXPECT_TRUE(HasIssue(issues, d + ".rack-list[0]", "between 0 and 1000000"));
  EXPECT_TRUE(HasIssue(issues, d + ".filter-exp", "base64"));
  EXPECT_TRUE(HasIssue(issues, d + ".filter-exp", "more than one entry in set-list"));
  EXPECT_TRUE(HasIssue(issues, d + ".schedule-timezone", "unknown time zone \"Mars/Olympus\""));
  EXPECT_TRUE(HasIssue(issues, "backup-routines.prod-all", "prefer-racks"));
  EXPECT_TRUE(HasIssue(issues, "backup-routines.prod-all", "exceeds max-parallel-scans 4"));
  EXPECT_TRUE(HasIssue(issues, "backup-routines.racks", "increase min-part-size or decrease file-limit"));
  EXPECT_TRUE(HasIssue(issues, "backup-routines.empty.source-cluster", "must not be empty"));
  EXPECT_TRUE(HasIssue(issues, "backup-routines.empty.storage", "must not be empty"));
  EXPECT_TRUE(HasIssue(issues, "backup-routines.empty.interval-cron", "must not be empty"));
  for (const char* bad : {"4096", "-1", "1-0", "abc", "1,,2", "100-4000"}) {
    Config x = base_;
    x.routines["daily"].partition_list = bad;
    Expect(x, d + ".partition-list", "invalid");
  }
  Config ok = base_;
  ok.routines["daily"].partition_list = " 0 , 100-50,4095";
  EXPECT_TRUE(Check(ok).empty()) << Dump(Check(ok));
}

// ---------------------------------------------------------------------------------------------

TEST(ConfigV2, ConvertsWithWarnings) {
  auto r = ParseConfigYaml(ReadFile(kData + "/abs-example-v2.yml"), TestOptions());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Config& c = r->config;
  EXPECT_EQ(std::get<LocalStorage>(c.storage.at("local").backend).path, "./localStorage");
  EXPECT_EQ(std::get<LocalStorage>(c.storage.at("legacy-zero").backend).path, "/var/backups");
  const auto& s3 = std::get<S3Storage>(c.storage.at("nightly-s3").backend);
  EXPECT_EQ(s3.bucket, "my-aerospike-backups");
  EXPECT_EQ(s3.path, "prod");
  EXPECT_EQ(s3.s3_region, "us-east-1");
  EXPECT_EQ(s3.s3_endpoint_override, "http://localhost:9000");
  EXPECT_EQ(s3.min_part_size, 5242880);
  EXPECT_EQ(s3.max_async_connections, 16);
  EXPECT_FALSE(c.policies.at("standard").retention.has_value());
  EXPECT_EQ(c.policies.at("cleanup").retention, (RetentionPolicy{1, 0}));
  EXPECT_EQ(c.policies.at("cleanup").retry_policy, (RetryPolicy{1000, 1.0, 2}));
  EXPECT_EQ(c.policies.at("incr-only").retention, (RetentionPolicy{std::nullopt, 0}));
  EXPECT_EQ(c.policies.at("incr-only").retry_policy, (RetryPolicy{500, 2.0, 4}));
  EXPECT_EQ(c.routines.at("minioRoutine").namespaces, std::vector<std::string>{"test"});
  EXPECT_TRUE(c.routines.at("localRoutine").namespaces.empty());
  EXPECT_EQ(c.clusters.at("absCluster1").prefer_racks, std::vector<int>{1});
  EXPECT_EQ(c.clusters.at("absCluster1").credentials->auth_mode, "EXTERNAL");
  EXPECT_EQ(c.secret_agents.at("agent1").port, 5000);

  std::vector<std::string> paths;
  for (const auto& w : r->warnings) paths.push_back(w.path);
  for (const char* want : {"storage.local.type", "storage.nightly-s3.type", "storage.legacy-zero.type",
                           "storage.nightly-s3.min_part_size", "storage.nightly-s3.max_async_connections",
                           "backup-policies.standard.remove-files", "backup-policies.cleanup.remove-files",
                           "backup-policies.cleanup.max-retries", "backup-policies.cleanup.retry-delay",
                           "backup-policies.incr-only.remove-files", "backup-policies.incr-only.retry-policy.baseTimeout",
                           "backup-policies.incr-only.retry-policy.maxRetries", "backup-routines.minioRoutine.namespace",
                           "backup-routines.minioRoutine.prefer-racks", "backup-routines.localRoutine.namespaces",
                           "secret-agent", "aerospike-clusters.absCluster1.credentials.auth-mode"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), want), paths.end()) << "no warning for " << want;
  }
  EXPECT_EQ(r->warnings.size(), 17u);
  // The converted document is valid 3.x and is written back in 3.x shape.
  EXPECT_TRUE(ValidateConfig(c, TestOptions()).empty()) << Dump(ValidateConfig(c, TestOptions()));
  std::string yaml = ConfigToYaml(c);
  auto again = ParseConfigYaml(yaml, TestOptions());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->warnings.empty());
  EXPECT_EQ(again->config, c);
  EXPECT_EQ(yaml.find("remove-files"), std::string::npos);
  EXPECT_EQ(yaml.find("min_part_size"), std::string::npos);
}

// The configuration files of the ABS 2.0 README (tests/data/service/abs20-readme): storage
// `type: 0` / `1` (readme-config.yml, written from the README's GET answers) and `"local"` /
// `"aws-s3"` (config/config.yml) parse and validate, with one warning per converted storage.
TEST(ConfigV2, Abs20ReadmeConfigFiles) {
  for (const char* file : {"readme-config.yml", "upstream-config.yml", "upstream-minio-config.yml",
                           "upstream-package-config.yml", "upstream-docker-compose-config.yml"}) {
    SCOPED_TRACE(file);
    auto r = ParseConfigYaml(ReadFile(kData + "/abs20-readme/" + file), TestOptions());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_TRUE(ValidateConfig(r->config, TestOptions()).empty()) << Dump(ValidateConfig(r->config, TestOptions()));
    for (const auto& [name, st] : r->config.storage) {
      EXPECT_TRUE(HasIssue(r->warnings, "storage." + name + ".type", "converted to")) << Dump(r->warnings);
      if (const auto* s3 = std::get_if<S3Storage>(&st.backend)) {
        EXPECT_EQ(s3->bucket, "as-backup-bucket");
        EXPECT_EQ(s3->s3_region, "eu-central-1");
        EXPECT_EQ(s3->s3_profile, "minio");
      } else {
        ASSERT_TRUE(std::holds_alternative<LocalStorage>(st.backend)) << name;
      }
    }
  }
  Config readme = ParseOk(ReadFile(kData + "/abs20-readme/readme-config.yml"));
  ASSERT_EQ(readme.storage.count("local"), 1u);
  EXPECT_EQ(std::get<LocalStorage>(readme.storage.at("local").backend).path, "./localStorage");
  ASSERT_EQ(readme.storage.count("minio"), 1u);
  EXPECT_EQ(std::get<S3Storage>(readme.storage.at("minio").backend).path, "storage1");
  // Other integers are still an error naming the field.
  EXPECT_NE(ParseError("storage: {s: {type: 2, path: /x}}").find("storage.s.type: invalid storage type"),
            std::string::npos);
}

TEST(ConfigV2, RejectedInStrictMode) {
  ParseOptions strict = TestOptions();
  strict.accept_v2 = false;
  std::string m = ParseError(ReadFile(kData + "/abs-example-v2.yml"), strict);
  for (const char* want : {
           "storage.local.type: unknown key (ABS 2.0 key: use a nested local-storage / s3-storage object)",
           "backup-policies.standard.remove-files: unknown key (ABS 2.0 key: use retention)",
           "backup-policies.cleanup.max-retries: unknown key (ABS 2.0 key: use retry-policy)",
           "backup-policies.incr-only.retry-policy.baseTimeout: unknown key (ABS 2.x spelling: use base-timeout)",
           "backup-routines.minioRoutine.namespace: unknown key (use namespaces (a list))",
           "backup-routines.minioRoutine.prefer-racks: unknown key (moved to the cluster",
           "backup-routines.localRoutine.namespaces: required key is missing",
           "secret-agent: unknown key (ABS 2.0 key: use secret-agents)",
           "aerospike-clusters.absCluster1.credentials.auth-mode: invalid value \"EXTERNAL_INSECURE\"",
       }) {
    EXPECT_NE(m.find(want), std::string::npos) << "missing: " << want << "\nin: " << m;
  }
}

TEST(ConfigV2, Conflicts) {
  EXPECT_NE(ParseError("secret-agent: {a: {}}\nsecret-agents: {b: {}}").find("cannot be combined"), std::string::npos);
  EXPECT_NE(ParseError("backup-policies: {p: {remove-files: RemoveAll, retention: {full: 2}}}").find("cannot be combined"),
            std::string::npos);
  EXPECT_NE(ParseError("backup-policies: {p: {remove-files: Sometimes}}").find("invalid value \"Sometimes\""),
            std::string::npos);
  EXPECT_NE(ParseError("storage: {s: {type: ftp, path: /x}}").find("storage.s.type: invalid storage type"),
            std::string::npos);
  EXPECT_NE(ParseError("storage: {s: {type: aws-s3, path: /x, s3-region: r}}").find("s3://<bucket>/<prefix>"),
            std::string::npos);
  EXPECT_NE(ParseError("storage: {s: {type: local, path: /x, s3-region: r}}").find("not allowed for local storage"),
            std::string::npos);
  // JSON bodies of ABS 2.0 clients: numeric storage type, flat shape.
  std::vector<ConfigIssue> warnings;
  auto st = StorageFromJson(R"({"type": 1, "path": "s3://b/p/q/", "s3-region": "r"})", &warnings);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  EXPECT_EQ(std::get<S3Storage>(st->backend).bucket, "b");
  EXPECT_EQ(std::get<S3Storage>(st->backend).path, "p/q");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].path, "type");
  EXPECT_FALSE(StorageFromJson(R"({"type": 2, "path": "/x"})").ok());
  EXPECT_FALSE(RoutineFromJson(
                   R"({"source-cluster": "c", "storage": "s", "interval-cron": "@daily", "prefer-racks": [1]})")
                   .ok());
}

// ---------------------------------------------------------------------------------------------

TEST(ConfigSecrets, RedactionInApiOutput) {
  Config c = ParseOk(ReadFile(kData + "/abs-full-3x.yml"));
  auto j = ConfigToJson(c, /*redacted=*/true);
  EXPECT_EQ(j["aerospike-clusters"]["prod"]["credentials"]["password"], kRedactedSecret);
  EXPECT_EQ(j["aerospike-clusters"]["prod"]["tls"]["key-file-password"], kRedactedSecret);
  EXPECT_EQ(j["service"]["https"]["key-file-password"], kRedactedSecret);
  EXPECT_EQ(j["storage"]["s3"]["s3-storage"]["secret-access-key"], kRedactedSecret);
  EXPECT_EQ(j["storage"]["s3"]["s3-storage"]["access-key-id"], "AKIAEXAMPLE");
  EXPECT_EQ(j["storage"]["azure"]["azure-storage"]["account-key"], "secrets:azure:account-key");  // reference kept
  EXPECT_EQ(j["storage"]["azure-aad"]["azure-storage"]["client-secret"], kRedactedSecret);
  EXPECT_EQ(j["storage"]["gcp"]["gcp-storage"]["key"], kRedactedSecret);
  EXPECT_EQ(j["aerospike-clusters"]["dev"]["credentials"].count("password"), 0u);
  const std::string dumped = j.dump();
  for (const char* secret : {"123456", "s3cr3t-key-pass", "wJalrXUtnFEMI", "aad-client-secret", "service_account"})
    EXPECT_EQ(dumped.find(secret), std::string::npos) << secret;
  // Unredacted JSON and YAML keep everything.
  EXPECT_EQ(ConfigToJson(c, false)["aerospike-clusters"]["prod"]["credentials"]["password"], "123456");
  EXPECT_NE(ConfigToYaml(c).find("s3cr3t-key-pass"), std::string::npos);
  EXPECT_EQ(ClusterToJson(c.clusters.at("prod"), true)["credentials"]["password"], kRedactedSecret);
  EXPECT_EQ(StorageToJson(c.storage.at("gcp"), true)["gcp-storage"]["key"], kRedactedSecret);
  EXPECT_TRUE(IsLiteralSecret("pw"));
  EXPECT_FALSE(IsLiteralSecret("secrets:a:b"));
  EXPECT_FALSE(IsLiteralSecret(""));
}

TEST(ConfigSecrets, RestoreOnPut) {
  Config stored = ParseOk(ReadFile(kData + "/abs-full-3x.yml"));
  // A client GETs the redacted config and PUTs it back unchanged.
  auto incoming = ParseConfigJson(ConfigToJson(stored, true).dump(), TestOptions());
  ASSERT_TRUE(incoming.ok());
  Config in = incoming->config;
  EXPECT_NE(in, stored);
  ASSERT_TRUE(RestoreRedactedSecrets(in, stored).ok());
  EXPECT_EQ(in, stored);
  // "[secret]" where nothing is stored is an error naming the field.
  Config fresh = stored;
  fresh.clusters["new"] = stored.clusters.at("prod");
  fresh.clusters["new"].credentials->password = kRedactedSecret;
  Status s = RestoreRedactedSecrets(fresh, stored);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("aerospike-clusters.new.credentials.password"), std::string::npos) << s.message();
  // Entity level.
  Cluster cl = RedactSecrets(stored.clusters.at("prod"));
  EXPECT_TRUE(RestoreRedactedSecrets(cl, &stored.clusters.at("prod")).ok());
  EXPECT_EQ(cl, stored.clusters.at("prod"));
  Cluster orphan = RedactSecrets(stored.clusters.at("prod"));
  EXPECT_FALSE(RestoreRedactedSecrets(orphan, nullptr).ok());
  Storage st = RedactSecrets(stored.storage.at("s3"));
  EXPECT_FALSE(RestoreRedactedSecrets(st, &stored.storage.at("gcp")).ok());  // other backend: nothing to keep
  EXPECT_TRUE(RestoreRedactedSecrets(st, &stored.storage.at("s3")).ok());
  EXPECT_EQ(st, stored.storage.at("s3"));
}

// ---------------------------------------------------------------------------------------------

class ConfigFile : public ::testing::Test {
 protected:
  aero::testing::TempDir tmp_{"abs-config-test"};
  std::filesystem::path dir_ = tmp_.path();
};

TEST_F(ConfigFile, SaveAndLoad) {
  Config c = ParseOk(ReadFile(kData + "/abs-full-3x.yml"));
  const std::string path = (dir_ / "abs.yml").string();
  ASSERT_TRUE(SaveConfigFile(c, path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto back = LoadConfigFile(path, TestOptions());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->config, c);
  // Overwrite with a changed config; no temp files left behind.
  c.routines["daily"].disabled = false;
  ASSERT_TRUE(SaveConfigFile(c, path).ok());
  EXPECT_EQ(LoadConfigFile(path, TestOptions())->config, c);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1);
}

TEST_F(ConfigFile, SaveFailureLeavesTargetUntouched) {
  Config c = ParseOk(ReadFile(kData + "/abs-example-3x.yml"));
  EXPECT_EQ(SaveConfigFile(c, (dir_ / "missing-dir" / "abs.yml").string()).code(), ErrorCode::kIo);
  // Target is a directory: rename fails, the temp file is removed.
  std::filesystem::create_directories(dir_ / "target");
  std::filesystem::create_directories(dir_ / "target" / "x");
  Status s = SaveConfigFile(c, (dir_ / "target").string());
  EXPECT_EQ(s.code(), ErrorCode::kIo);
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir_)) files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 0);
  EXPECT_TRUE(std::filesystem::is_directory(dir_ / "target" / "x"));
}

TEST_F(ConfigFile, LoadErrors) {
  auto missing = LoadConfigFile((dir_ / "nope.yml").string(), TestOptions());
  EXPECT_EQ(missing.status().code(), ErrorCode::kIo);
  const std::string bad = (dir_ / "bad.yml").string();
  std::ofstream(bad) << "backup-routines:\n  daily:\n    source-cluster: c\n    storage: s4\n"
                        "    interval-cron: \"0 0 1 * * ?\"\n    namespaces: []\n";
  auto r = LoadConfigFile(bad, TestOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("backup-routines.daily.storage: no storage named \"s4\""), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("backup-routines.daily.source-cluster: no cluster named \"c\""),
            std::string::npos);
  EXPECT_NE(r.status().message().find(bad), std::string::npos);
}

}  // namespace
}  // namespace aero::service

namespace aero::service {
namespace {

// Damaged input must give an error or a document, never a crash, hang or escaped exception.
TEST(ConfigRobustness, MutatedDocumentsNeverCrash) {
  const std::string yaml = ReadFile(kData + "/abs-full-3x.yml");
  const std::string json = ConfigToJson(ParseOk(yaml), false).dump();
  uint64_t seed = 0x9E3779B97F4A7C15ull;  // fixed: the test is deterministic
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  const char kBytes[] = "{}[]:,-'\"#&*!|>%@` \n\t0123456789abcxyzL?/";
  int parsed = 0, rejected = 0;
  for (int i = 0; i < 600; ++i) {
    for (const std::string* base : {&yaml, &json}) {
      std::string doc = *base;
      int edits = 1 + static_cast<int>(next() % 4);
      for (int e = 0; e < edits; ++e) {
        size_t pos = next() % doc.size();
        switch (next() % 3) {
          case 0: doc[pos] = kBytes[next() % (sizeof kBytes - 1)]; break;
          case 1: doc.erase(pos, 1 + next() % 8); break;
          default: doc.insert(pos, 1, kBytes[next() % (sizeof kBytes - 1)]);
        }
        if (doc.empty()) doc = "x";
      }
      auto r = base == &yaml ? ParseConfigYaml(doc, TestOptions()) : ParseConfigJson(doc, TestOptions());
      if (r.ok()) {
        ++parsed;
        (void)ValidateConfig(r->config, TestOptions());
        (void)ConfigToYaml(r->config);
      } else {
        ++rejected;
        EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
      }
    }
  }
  EXPECT_GT(rejected, 0);
  EXPECT_GT(parsed, 0);
}

TEST(ConfigRobustness, DeepNesting) {
  std::string deep_yaml = "service: ";
  std::string deep_json = "{\"service\": ";
  for (int i = 0; i < 20000; ++i) deep_yaml += "[", deep_json += "[";
  EXPECT_FALSE(ParseConfigYaml(deep_yaml, TestOptions()).ok());
  EXPECT_FALSE(ParseConfigJson(deep_json, TestOptions()).ok());
  std::string nested = "{\"service\": {\"http\": {\"rate\": {\"white-list\": ";
  for (int i = 0; i < 20000; ++i) nested += "[";
  for (int i = 0; i < 20000; ++i) nested += "]";
  nested += "}}}}";
  auto r = ParseConfigJson(nested, TestOptions());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("white-list[0]: expected a string"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace aero::service

namespace aero::service {
namespace {

TEST(ConfigRemote, StorageDescriptor) {
  auto v3 = StorageFromYaml("s3-storage:\n  bucket: as-backup-bucket\n  path: config.yml\n  s3-region: eu-central-1\n");
  ASSERT_TRUE(v3.ok()) << v3.status().ToString();
  EXPECT_EQ(std::get<S3Storage>(v3->backend).path, "config.yml");
  std::vector<ConfigIssue> warnings;
  auto v2 = StorageFromYaml("type: local\npath: /etc/abs/config.yml\n", &warnings);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(std::get<LocalStorage>(v2->backend).path, "/etc/abs/config.yml");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0].path, "type");
  EXPECT_FALSE(StorageFromYaml("local-storage: {}\n").ok());
  EXPECT_FALSE(StorageFromYaml("[1]").ok());
  EXPECT_FALSE(StorageFromYaml("{").ok());
}

}  // namespace
}  // namespace aero::service
