// The ABS configuration model (newest, 3.x shape; abs-config.md) as plain structs.
//
// Every field ABS leaves unset when absent is a std::optional here, so a document round-trips
// without gaining defaults; the Effective*() helpers and k* constants give ABS's defaults.
// Key names in comments are the YAML/JSON (kebab-case) names. Durations are milliseconds.
// Enum-like strings are stored in canonical spelling (see config_io.h for accepted input).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace aero::service {

// ---- defaults (ABS 3.7) ----
inline constexpr const char* kDefaultHttpAddress = "0.0.0.0";
inline constexpr int kDefaultHttpPort = 8080;
inline constexpr int kDefaultHttpsPort = 8443;
inline constexpr const char* kDefaultContextPath = "/";
inline constexpr int64_t kDefaultHttpTimeoutMs = 5000;         // header read timeout
inline constexpr int64_t kDefaultHttpReadTimeoutMs = 30000;
inline constexpr int64_t kDefaultHttpWriteTimeoutMs = 60000;
inline constexpr int64_t kDefaultHttpIdleTimeoutMs = 120000;
inline constexpr int64_t kDefaultRateTps = 1024;
inline constexpr int64_t kDefaultRateSize = 1024;
inline constexpr const char* kDefaultLogLevel = "INFO";
inline constexpr const char* kDefaultLogFormat = "PLAIN";
inline constexpr int64_t kDefaultLogMaxSizeMb = 100;
inline constexpr const char* kDefaultScheduleTimezone = "UTC";
inline constexpr int64_t kDefaultConnTimeoutMs = 30000;
inline constexpr const char* kDefaultAuthMode = "INTERNAL";
inline constexpr const char* kDefaultTlsProtocols = "TLSv1.2";
inline constexpr int64_t kDefaultSecretAgentTimeoutMs = 1000;
inline constexpr const char* kDefaultS3LogLevel = "FATAL";
inline constexpr int64_t kDefaultCloudMinPartSize = 50LL * 1024 * 1024;  // S3/Azure/GCP, 3.6+
inline constexpr int64_t kMinS3PartSize = 5LL * 1024 * 1024;
inline constexpr int kDefaultParallel = 8;
inline constexpr int64_t kDefaultSocketTimeoutMs = 600000;
inline constexpr int64_t kDefaultTotalTimeoutMs = 0;
inline constexpr int64_t kDefaultFileLimitMib = 250;
inline constexpr int64_t kDefaultRetryBaseTimeoutMs = 60000;
inline constexpr double kDefaultRetryMultiplier = 1.5;
inline constexpr int kDefaultRetryMaxRetries = 5;
inline constexpr const char* kDefaultIncrMode = "differential";
inline constexpr int kMaxRackId = 1000000;
inline constexpr int kPartitionCount = 4096;

// Sentinel that replaces literal secrets in API output ("[secret]", ABS 3.7).
inline constexpr const char* kRedactedSecret = "[secret]";
// Prefix of a Secret Agent reference: "secrets:<resource>:<key>".
inline constexpr const char* kSecretRefPrefix = "secrets:";

// ---- service ----
struct RateLimit {                                   // service.http.rate
  std::optional<int64_t> tps;                        // tps
  std::optional<int64_t> size;                       // size
  std::optional<std::vector<std::string>> white_list;  // white-list: IPs / CIDRs
  int64_t EffectiveTps() const { return tps.value_or(kDefaultRateTps); }
  int64_t EffectiveSize() const { return size.value_or(kDefaultRateSize); }
  bool operator==(const RateLimit&) const = default;
};

// Fields shared by the HTTP and HTTPS listeners.
struct ListenerConfig {
  std::optional<std::string> address;       // address
  std::optional<int> port;                  // port
  std::optional<std::string> context_path;  // context-path
  std::optional<int64_t> timeout_ms;        // timeout (header read)
  std::optional<int64_t> read_timeout_ms;   // read-timeout
  std::optional<int64_t> write_timeout_ms;  // write-timeout
  std::optional<int64_t> idle_timeout_ms;   // idle-timeout
  std::optional<bool> disabled;             // disabled
  std::optional<RateLimit> rate;            // rate
  std::string EffectiveAddress() const { return address.value_or(kDefaultHttpAddress); }
  std::string EffectiveContextPath() const { return context_path.value_or(kDefaultContextPath); }
  int64_t EffectiveTimeoutMs() const { return timeout_ms.value_or(kDefaultHttpTimeoutMs); }
  int64_t EffectiveReadTimeoutMs() const { return read_timeout_ms.value_or(kDefaultHttpReadTimeoutMs); }
  int64_t EffectiveWriteTimeoutMs() const { return write_timeout_ms.value_or(kDefaultHttpWriteTimeoutMs); }
  int64_t EffectiveIdleTimeoutMs() const { return idle_timeout_ms.value_or(kDefaultHttpIdleTimeoutMs); }
  bool IsDisabled() const { return disabled.value_or(false); }
  RateLimit EffectiveRate() const { return rate.value_or(RateLimit{}); }
  bool operator==(const ListenerConfig&) const = default;
};

struct HttpServerConfig : ListenerConfig {  // service.http
  int EffectivePort() const { return port.value_or(kDefaultHttpPort); }
  bool operator==(const HttpServerConfig&) const = default;
};

struct SecretAgent {                         // secret-agents.<name>, or inline `secret-agent`
  std::optional<std::string> connection_type;  // connection-type: tcp | unix
  std::optional<std::string> address;          // address: host or socket path
  std::optional<int> port;                     // port
  std::optional<int64_t> timeout_ms;           // timeout
  std::optional<std::string> tls_ca_file;      // tls-ca-file
  std::optional<bool> is_base64;               // is-base64
  int64_t EffectiveTimeoutMs() const { return timeout_ms.value_or(kDefaultSecretAgentTimeoutMs); }
  bool operator==(const SecretAgent&) const = default;
};

struct HttpsServerConfig : ListenerConfig {  // service.https (3.7)
  std::optional<std::string> cert_file;          // cert-file
  std::optional<std::string> key_file;           // key-file
  std::optional<std::string> key_file_password;  // key-file-password (secret)
  std::optional<SecretAgent> secret_agent;       // secret-agent (inline)
  std::optional<std::string> secret_agent_name;  // secret-agent-name
  std::optional<std::string> client_auth;        // client-auth: none | request | require-and-verify
  std::optional<std::string> client_ca_file;     // client-ca-file
  std::optional<std::vector<std::string>> cipher_suites;  // cipher-suites
  std::optional<std::string> min_version;        // min-version: 1.2 | 1.3
  int EffectivePort() const { return port.value_or(kDefaultHttpsPort); }
  std::string EffectiveClientAuth() const { return client_auth.value_or("none"); }
  std::string EffectiveMinVersion() const { return min_version.value_or("1.2"); }
  bool operator==(const HttpsServerConfig&) const = default;
};

struct FileLoggerConfig {               // service.logger.file-writer
  std::string filename;                 // filename (required)
  std::optional<int64_t> max_size_mb;   // maxsize
  std::optional<int64_t> max_age_days;  // maxage
  std::optional<int64_t> max_backups;   // maxbackups
  std::optional<bool> compress;         // compress
  int64_t EffectiveMaxSizeMb() const { return max_size_mb.value_or(kDefaultLogMaxSizeMb); }
  bool operator==(const FileLoggerConfig&) const = default;
};

struct LoggerConfig {                            // service.logger
  std::optional<std::string> level;              // level: TRACE DEBUG INFO WARN WARNING ERROR
  std::optional<std::string> format;             // format: PLAIN | JSON
  std::optional<bool> stdout_writer;             // stdout-writer
  std::optional<FileLoggerConfig> file_writer;   // file-writer
  std::string EffectiveLevel() const { return level.value_or(kDefaultLogLevel); }
  std::string EffectiveFormat() const { return format.value_or(kDefaultLogFormat); }
  bool EffectiveStdoutWriter() const { return stdout_writer.value_or(true); }
  bool operator==(const LoggerConfig&) const = default;
};

struct BackupServiceConfig {                        // service.backup
  std::optional<std::string> timestamp_format;      // timestamp-format: ISO | EU | US
  std::optional<std::string> schedule_timezone;     // schedule-timezone: UTC | Local | IANA name
  std::string EffectiveScheduleTimezone() const { return schedule_timezone.value_or(kDefaultScheduleTimezone); }
  bool operator==(const BackupServiceConfig&) const = default;
};

struct ServiceConfig {                    // service
  std::optional<HttpServerConfig> http;   // http
  std::optional<HttpsServerConfig> https;  // https
  std::optional<LoggerConfig> logger;     // logger
  std::optional<BackupServiceConfig> backup;  // backup
  bool operator==(const ServiceConfig&) const = default;
};

// ---- aerospike-clusters ----
struct SeedNode {
  std::string host_name;                // host-name
  int port = 0;                         // port
  std::optional<std::string> tls_name;  // tls-name
  bool operator==(const SeedNode&) const = default;
};

struct Credentials {                             // credentials
  std::optional<std::string> user;               // user
  std::optional<std::string> password;           // password (secret; literal or secrets: ref)
  std::optional<std::string> password_path;      // password-path
  std::optional<std::string> auth_mode;          // auth-mode: INTERNAL | EXTERNAL | PKI
  std::optional<SecretAgent> secret_agent;       // secret-agent (inline)
  std::optional<std::string> secret_agent_name;  // secret-agent-name
  std::string EffectiveAuthMode() const { return auth_mode.value_or(kDefaultAuthMode); }
  bool operator==(const Credentials&) const = default;
};

struct ClusterTls {                              // tls
  std::optional<std::string> ca_file;            // ca-file
  std::optional<std::string> ca_path;            // ca-path
  std::optional<std::string> name;               // name
  std::optional<std::string> protocols;          // protocols
  std::optional<std::string> cipher_suite;       // cipher-suite
  std::optional<std::string> cert_file;          // cert-file
  std::optional<std::string> key_file;           // key-file
  std::optional<std::string> key_file_password;  // key-file-password (secret)
  std::string EffectiveProtocols() const { return protocols.value_or(kDefaultTlsProtocols); }
  bool operator==(const ClusterTls&) const = default;
};

struct Cluster {                                   // aerospike-clusters.<name>
  std::optional<std::string> label;                // label
  std::vector<SeedNode> seed_nodes;                // seed-nodes
  std::optional<int64_t> conn_timeout_ms;          // conn-timeout
  std::optional<bool> use_services_alternate;      // use-services-alternate
  std::optional<Credentials> credentials;          // credentials
  std::optional<ClusterTls> tls;                   // tls
  std::optional<int> max_parallel_scans;           // max-parallel-scans
  std::optional<std::vector<int>> prefer_racks;    // prefer-racks
  int64_t EffectiveConnTimeoutMs() const { return conn_timeout_ms.value_or(kDefaultConnTimeoutMs); }
  bool operator==(const Cluster&) const = default;
};

// ---- storage ----
struct StorageClass {                  // storage-class
  std::optional<std::string> data;     // data
  std::optional<std::string> metadata;  // metadata
  bool operator==(const StorageClass&) const = default;
};

struct LocalStorage {  // local-storage
  std::string path;    // path
  bool operator==(const LocalStorage&) const = default;
};

struct S3Storage {                                   // s3-storage
  std::string bucket;                                // bucket
  std::optional<std::string> path;                   // path (root prefix)
  std::string s3_region;                             // s3-region
  std::optional<std::string> s3_profile;             // s3-profile
  std::optional<std::string> s3_endpoint_override;   // s3-endpoint-override
  std::optional<std::string> s3_log_level;           // s3-log-level
  std::optional<std::string> access_key_id;          // access-key-id
  std::optional<std::string> secret_access_key;      // secret-access-key (secret)
  std::optional<int64_t> min_part_size;              // min-part-size (bytes)
  std::optional<int> max_async_connections;          // max-async-connections
  std::optional<StorageClass> storage_class;         // storage-class
  std::optional<SecretAgent> secret_agent;           // secret-agent
  std::optional<std::string> secret_agent_name;      // secret-agent-name
  int64_t EffectiveMinPartSize() const { return min_part_size.value_or(kDefaultCloudMinPartSize); }
  std::string EffectiveLogLevel() const { return s3_log_level.value_or(kDefaultS3LogLevel); }
  bool operator==(const S3Storage&) const = default;
};

struct AzureStorage {                            // azure-storage
  std::string endpoint;                          // endpoint
  std::string container_name;                    // container-name
  std::optional<std::string> path;               // path
  std::optional<std::string> account_name;       // account-name
  std::optional<std::string> account_key;        // account-key (secret)
  std::optional<std::string> tenant_id;          // tenant-id
  std::optional<std::string> client_id;          // client-id
  std::optional<std::string> client_secret;      // client-secret (secret)
  std::optional<int64_t> min_part_size;          // min-part-size (block size, bytes)
  std::optional<StorageClass> storage_class;     // storage-class (access tiers)
  std::optional<SecretAgent> secret_agent;       // secret-agent
  std::optional<std::string> secret_agent_name;  // secret-agent-name
  int64_t EffectiveMinPartSize() const { return min_part_size.value_or(kDefaultCloudMinPartSize); }
  bool operator==(const AzureStorage&) const = default;
};

struct GcpStorage {                              // gcp-storage
  std::string bucket_name;                       // bucket-name
  std::optional<std::string> path;               // path
  std::optional<std::string> key_file_path;      // key-file-path
  std::optional<std::string> key;                // key (secret: service-account JSON)
  std::optional<std::string> endpoint;           // endpoint
  std::optional<int64_t> min_part_size;          // min-part-size (bytes)
  std::optional<StorageClass> storage_class;     // storage-class
  std::optional<SecretAgent> secret_agent;       // secret-agent
  std::optional<std::string> secret_agent_name;  // secret-agent-name
  int64_t EffectiveMinPartSize() const { return min_part_size.value_or(kDefaultCloudMinPartSize); }
  bool operator==(const GcpStorage&) const = default;
};

// storage.<name>: exactly one backend.
struct Storage {
  std::variant<LocalStorage, S3Storage, AzureStorage, GcpStorage> backend;
  // "local-storage", "s3-storage", "azure-storage" or "gcp-storage".
  const char* KindKey() const;
  bool IsCloud() const { return backend.index() != 0; }
  // min-part-size in effect for cloud storage, 0 for local.
  int64_t EffectiveMinPartSize() const;
  bool operator==(const Storage&) const = default;
};

// ---- backup-policies ----
struct RetryPolicy {                         // retry-policy
  std::optional<int64_t> base_timeout_ms;    // base-timeout
  std::optional<double> multiplier;          // multiplier
  std::optional<int> max_retries;            // max-retries
  int64_t EffectiveBaseTimeoutMs() const { return base_timeout_ms.value_or(kDefaultRetryBaseTimeoutMs); }
  double EffectiveMultiplier() const { return multiplier.value_or(kDefaultRetryMultiplier); }
  int EffectiveMaxRetries() const { return max_retries.value_or(kDefaultRetryMaxRetries); }
  bool operator==(const RetryPolicy&) const = default;
};

struct RetentionPolicy {              // retention
  std::optional<int> full;            // full: number of full backups kept (absent = all)
  std::optional<int> incremental;     // incremental: fulls whose incrementals are kept
  bool operator==(const RetentionPolicy&) const = default;
};

struct EncryptionPolicy {                  // encryption
  std::string mode;                        // mode: NONE | AES128 | AES256
  std::optional<std::string> key_file;     // key-file
  std::optional<std::string> key_env;      // key-env
  std::optional<std::string> key_secret;   // key-secret
  bool operator==(const EncryptionPolicy&) const = default;
};

struct CompressionPolicy {       // compression
  std::string mode;              // mode: NONE | ZSTD
  std::optional<int> level;      // level
  bool operator==(const CompressionPolicy&) const = default;
};

struct BackupPolicy {                                   // backup-policies.<name>
  std::optional<int> parallel;                          // parallel
  std::optional<int> parallel_write;                    // parallel-write
  std::optional<int64_t> socket_timeout_ms;             // socket-timeout
  std::optional<int64_t> total_timeout_ms;              // total-timeout
  std::optional<RetryPolicy> retry_policy;              // retry-policy
  std::optional<RetentionPolicy> retention;             // retention
  std::optional<bool> no_records;                       // no-records
  std::optional<bool> no_indexes;                       // no-indexes
  std::optional<bool> no_udfs;                          // no-udfs
  std::optional<bool> with_cluster_configuration;       // with-cluster-configuration
  std::optional<int64_t> bandwidth;                     // bandwidth (MiB/s)
  std::optional<int64_t> records_per_second;            // records-per-second
  std::optional<int64_t> file_limit;                    // file-limit (MiB)
  std::optional<EncryptionPolicy> encryption;           // encryption
  std::optional<CompressionPolicy> compression;         // compression
  std::optional<bool> sealed;                           // sealed
  std::optional<bool> concurrent_incremental;           // concurrent-incremental
  std::optional<int> max_concurrent_nodes;              // max-concurrent-nodes
  std::optional<bool> use_scan_compression;             // use-scan-compression
  std::optional<bool> compact;                          // compact
  std::optional<std::string> incr_mode;                 // incr-mode: differential | cumulative

  int EffectiveParallel() const { return parallel.value_or(kDefaultParallel); }
  int EffectiveParallelWrite() const { return parallel_write.value_or(EffectiveParallel()); }
  int64_t EffectiveSocketTimeoutMs() const { return socket_timeout_ms.value_or(kDefaultSocketTimeoutMs); }
  int64_t EffectiveTotalTimeoutMs() const { return total_timeout_ms.value_or(kDefaultTotalTimeoutMs); }
  RetryPolicy EffectiveRetryPolicy() const { return retry_policy.value_or(RetryPolicy{}); }
  int64_t EffectiveFileLimitMib() const { return file_limit.value_or(kDefaultFileLimitMib); }
  std::string EffectiveIncrMode() const { return incr_mode.value_or(kDefaultIncrMode); }
  bool operator==(const BackupPolicy&) const = default;
};

// ---- backup-routines ----
struct BackupRoutine {                               // backup-routines.<name>
  std::string backup_policy;                         // backup-policy (empty = all-defaults policy)
  std::string source_cluster;                        // source-cluster
  std::string storage;                               // storage
  std::optional<std::string> secret_agent;           // secret-agent (name in secret-agents)
  std::string interval_cron;                         // interval-cron
  std::string incr_interval_cron;                    // incr-interval-cron (empty = no incrementals)
  std::vector<std::string> namespaces;               // namespaces ([] = all)
  std::vector<std::string> set_list;                 // set-list
  std::vector<std::string> bin_list;                 // bin-list
  std::string partition_list;                        // partition-list, e.g. "0,100-50"
  std::vector<std::string> node_list;                // node-list
  std::vector<int> rack_list;                        // rack-list
  std::string filter_exp;                            // filter-exp (base64 expression)
  bool disabled = false;                             // disabled
  std::optional<std::string> schedule_timezone;      // schedule-timezone (overrides service.backup)
  bool operator==(const BackupRoutine&) const = default;
};

// The whole document.
struct Config {
  ServiceConfig service;                                    // service
  std::map<std::string, Cluster> clusters;                  // aerospike-clusters
  std::map<std::string, Storage> storage;                   // storage
  std::map<std::string, BackupPolicy> policies;             // backup-policies
  std::map<std::string, BackupRoutine> routines;            // backup-routines
  std::map<std::string, SecretAgent> secret_agents;         // secret-agents
  bool operator==(const Config&) const = default;

  // The zone a routine's crons run in: routine override, else service.backup, else UTC.
  std::string ScheduleTimezoneFor(const BackupRoutine& routine) const;
  // The policy a routine runs with (all defaults when it names none). Precondition: validated.
  BackupPolicy PolicyFor(const BackupRoutine& routine) const;
};

}  // namespace aero::service
