// Mapping configuration objects onto the client, storage and engine settings (see connections.h).
#include "service/jobs/connections.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "backup/partition_filter.h"
#include "common/base64.h"
#include "secrets/secret_ref.h"
#include "service/model/storage_mapping.h"
#include "storage/factory.h"

namespace aero::service::jobs {

namespace {

std::string Trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  return s.substr(i);
}

Result<std::string> ReadTextFile(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kIo, "cannot read " + what + " " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// TLS key-file-password: "env:VAR", "file:PATH", a secrets: reference or the passphrase itself.
Result<std::string> KeyPassword(const std::optional<std::string>& value, const model::SecretResolver& secrets,
                                const std::string& field, const Credentials* credentials) {
  if (!value) return std::string();
  if (value->rfind("env:", 0) == 0) {
    const char* v = std::getenv(value->substr(4).c_str());
    if (!v) return Status(ErrorCode::kInvalidArgument, field + ": environment variable " +
                                                           value->substr(4) + " is not set");
    return std::string(v);
  }
  if (value->rfind("file:", 0) == 0) {
    ABS_ASSIGN_OR_RETURN(auto text, ReadTextFile(value->substr(5), field + " file"));
    return Trim(text);
  }
  // The cluster's tls block has no agent of its own: the credentials' agent serves the cluster.
  return secrets.Resolve(value, field, credentials ? credentials->secret_agent : std::nullopt,
                         credentials ? credentials->secret_agent_name : std::nullopt);
}

// The encryption key an agent holds: PEM text, or base64 of PEM (agents in is-base64 mode decode
// the transport encoding already; some stores keep PEM base64-encoded once more).
Result<std::string> KeyMaterialFromSecret(const std::string& secret, const std::string& source) {
  if (secret.find("-----BEGIN") != std::string::npos) return KeyMaterialFromPem(secret, source);
  std::string compact;
  for (char ch : secret) {
    if (!std::isspace(static_cast<unsigned char>(ch))) compact.push_back(ch);
  }
  auto decoded = Base64Decode(compact);
  if (decoded && decoded->find("-----BEGIN") != std::string::npos) return KeyMaterialFromPem(*decoded, source);
  return Status(ErrorCode::kInvalidArgument, source + ": the secret is neither a PEM private key nor base64 of one");
}

std::string ClusterName(const Cluster& c) {
  if (c.label) return *c.label;
  std::string s;
  for (const auto& n : c.seed_nodes) s += (s.empty() ? "" : ",") + n.host_name + ":" + std::to_string(n.port);
  return s;
}

}  // namespace

Result<client::ClientPolicy> ClientPolicyFor(const Cluster& cluster, const model::SecretResolver& secrets) {
  const std::string who = "cluster " + ClusterName(cluster);
  client::ClientPolicy p;
  if (cluster.credentials) {
    const Credentials& cr = *cluster.credentials;
    if (cr.EffectiveAuthMode() != "INTERNAL") {
      return Status(ErrorCode::kUnsupported, "auth-mode " + cr.EffectiveAuthMode() + " is not supported (INTERNAL only)");
    }
    p.user = cr.user.value_or("");
    if (cr.password) {
      ABS_ASSIGN_OR_RETURN(p.password, secrets.Resolve(cr.password, who + " credentials password", cr.secret_agent,
                                                       cr.secret_agent_name));
    } else if (cr.password_path) {
      ABS_ASSIGN_OR_RETURN(auto text, ReadTextFile(*cr.password_path, "password-path"));
      p.password = Trim(text);  // ABS 3.6+ trims the file content
    }
  }
  if (cluster.tls) {
    const ClusterTls& t = *cluster.tls;
    p.tls.enabled = true;
    p.tls.ca_file = t.ca_file.value_or("");
    p.tls.ca_path = t.ca_path.value_or("");
    p.tls.cert_file = t.cert_file.value_or("");
    p.tls.key_file = t.key_file.value_or("");
    ABS_ASSIGN_OR_RETURN(p.tls.key_password,
                         KeyPassword(t.key_file_password, secrets, who + " tls key-file-password",
                                     cluster.credentials ? &*cluster.credentials : nullptr));
  }
  p.connect_timeout = client::Millis(std::min<int64_t>(cluster.EffectiveConnTimeoutMs(), 30000));
  p.use_alternate_access = cluster.use_services_alternate.value_or(false);
  p.app_id = "aerospike-backup-service";
  return p;
}

Result<std::shared_ptr<client::Cluster>> ConnectCluster(const Cluster& cluster, const model::SecretResolver& secrets) {
  ABS_ASSIGN_OR_RETURN(auto policy, ClientPolicyFor(cluster, secrets));
  std::vector<client::Host> seeds;
  for (const auto& n : cluster.seed_nodes) {
    client::Host h;
    h.name = n.host_name;
    h.port = static_cast<uint16_t>(n.port);
    h.tls_name = n.tls_name.value_or(cluster.tls && cluster.tls->name ? *cluster.tls->name : "");
    seeds.push_back(h);
  }
  auto c = client::Cluster::Connect(seeds, policy);
  if (!c.ok()) {
    Status st = c.status().WithContext("connecting to cluster " + ClusterName(cluster));
    // A refused login with a fetched password: say where it came from (the reference, not the value).
    const auto& cr = cluster.credentials;
    if (st.code() == ErrorCode::kAuth && cr && cr->password && aero::secrets::IsSecretRef(*cr->password)) {
      st = Status(st.code(), st.message() + " (the password was fetched from the Secret Agent as " + *cr->password + ")",
                  st.server_code());
    }
    return st;
  }
  return c;
}

Result<std::unique_ptr<aero::Storage>> OpenConfiguredStorage(const service::Storage& storage,
                                                             const model::SecretResolver& secrets) {
  ABS_ASSIGN_OR_RETURN(auto target, model::StorageTargetFor(storage, model::ResolveThrough(secrets)));
  if (target.uri.kind == StorageUri::Kind::kLocal) {
    std::error_code ec;
    std::filesystem::create_directories(target.uri.path, ec);
    if (ec) {
      return Status(ErrorCode::kIo, "cannot create the local storage folder " + target.uri.path + ": " + ec.message());
    }
  }
  return OpenStorage(target.uri, target.options);
}

Result<CodecOptions> CodecFor(const std::optional<CompressionPolicy>& compression,
                              const std::optional<EncryptionPolicy>& encryption,
                              const model::SecretResolver& secrets) {
  CodecOptions c;
  if (compression) {
    auto m = ParseCompressionMode(compression->mode);
    if (!m) return Status(ErrorCode::kInvalidArgument, "unknown compression mode " + compression->mode);
    c.compression = *m;
    c.compression_level = compression->level.value_or(0);
  }
  if (encryption) {
    auto m = ParseEncryptionMode(encryption->mode);
    if (!m) return Status(ErrorCode::kInvalidArgument, "unknown encryption mode " + encryption->mode);
    c.encryption = *m;
    if (c.encryption != EncryptionMode::kNone) {
      if (encryption->key_file) {
        ABS_ASSIGN_OR_RETURN(c.key_material, LoadKeyFile(*encryption->key_file));
      } else if (encryption->key_env) {
        const char* v = std::getenv(encryption->key_env->c_str());
        if (!v) {
          return Status(ErrorCode::kInvalidArgument,
                        "encryption key-env: environment variable " + *encryption->key_env + " is not set");
        }
        ABS_ASSIGN_OR_RETURN(c.key_material, KeyMaterialFromPem(v, "environment variable " + *encryption->key_env));
      } else if (encryption->key_secret) {
        ABS_ASSIGN_OR_RETURN(auto secret, secrets.ResolveRunSecret(*encryption->key_secret, "encryption key-secret"));
        ABS_ASSIGN_OR_RETURN(c.key_material,
                             KeyMaterialFromSecret(secret, "encryption key-secret " + *encryption->key_secret));
      } else {
        return Status(ErrorCode::kInvalidArgument, "encryption mode " + encryption->mode + " needs a key");
      }
    }
  }
  return c;
}

Result<backup::BackupRequest> BackupRequestFor(const BackupRoutine& routine, const BackupPolicy& policy,
                                               model::BackupType type, const std::string& ns,
                                               const model::SecretResolver& secrets) {
  backup::BackupRequest r;
  r.ns = ns;
  r.sets = routine.set_list;
  r.bins = routine.bin_list;
  r.no_records = policy.no_records.value_or(false);
  // Incrementals never carry indexes or UDFs (ABS).
  r.no_indexes = type == model::BackupType::kIncremental || policy.no_indexes.value_or(false);
  r.no_udfs = type == model::BackupType::kIncremental || policy.no_udfs.value_or(false);
  if (!routine.partition_list.empty()) {
    ABS_ASSIGN_OR_RETURN(r.partitions, backup::ParsePartitionList(routine.partition_list));
  }
  r.node_list = routine.node_list;
  if (!routine.filter_exp.empty()) {
    auto raw = Base64Decode(routine.filter_exp);
    if (!raw) return Status(ErrorCode::kInvalidArgument, "routine filter-exp is not valid base64");
    r.filter_exp = *raw;
  }
  r.parallel = std::clamp(policy.EffectiveParallel(), 1, 1024);
  r.parallel_write = std::clamp(policy.EffectiveParallelWrite(), 1, 1024);
  if (policy.records_per_second && *policy.records_per_second > 0) {
    r.records_per_second = static_cast<uint32_t>(*policy.records_per_second);
  }
  if (policy.bandwidth && *policy.bandwidth > 0) {
    r.bandwidth_bytes_per_second = static_cast<uint64_t>(*policy.bandwidth) << 20;  // MiB/s
  }
  r.file_limit_bytes = static_cast<uint64_t>(policy.EffectiveFileLimitMib()) << 20;
  r.compact = policy.compact.value_or(false);
  ABS_ASSIGN_OR_RETURN(r.codec, CodecFor(policy.compression, policy.encryption, secrets));
  r.socket_timeout = client::Millis(policy.EffectiveSocketTimeoutMs());
  r.total_timeout = client::Millis(policy.EffectiveTotalTimeoutMs());
  r.keep_state_on_failure = false;  // a failed attempt leaves nothing behind; the service retries from scratch
  r.remove_existing = true;         // a retry reuses the attempt's folder
  return r;
}

Result<restore::RestoreOptions> RestoreOptionsFor(const model::RestorePolicy& p, const model::SecretResolver& secrets) {
  restore::RestoreOptions o;
  if (p.parallel) o.parallel = std::clamp(*p.parallel, 1, 1024);
  o.no_records = p.no_records.value_or(false);
  o.no_indexes = p.no_indexes.value_or(false);
  o.no_udfs = p.no_udfs.value_or(false);
  if (p.timeout_ms) o.total_timeout = client::Millis(*p.timeout_ms);
  if (p.socket_timeout_ms) o.socket_timeout = client::Millis(*p.socket_timeout_ms);
  if (p.total_timeout_ms) o.total_timeout = client::Millis(*p.total_timeout_ms);
  if (p.disable_batch_writes.value_or(false)) o.batch_mode = restore::RestoreOptions::BatchMode::kOff;
  if (p.batch_size && *p.batch_size > 0) o.batch_size = static_cast<size_t>(*p.batch_size);
  if (p.ns) {
    o.source_namespace = p.ns->source;
    o.dest_namespace = p.ns->destination;
  }
  o.set_list = p.set_list;
  o.bin_list = p.bin_list;
  o.replace = p.replace.value_or(false);
  o.unique = p.unique.value_or(false);
  o.no_generation = p.no_generation.value_or(false);
  if (p.bandwidth && *p.bandwidth > 0) o.bytes_per_second = static_cast<uint64_t>(*p.bandwidth) << 20;
  if (p.tps && *p.tps > 0) o.records_per_second = static_cast<uint64_t>(*p.tps);
  ABS_ASSIGN_OR_RETURN(o.codec, CodecFor(p.compression, p.encryption, secrets));
  if (p.retry_policy) {
    o.max_retries = p.retry_policy->max_retries.value_or(o.max_retries);
    if (p.retry_policy->base_timeout_ms) o.retry_delay = client::Millis(*p.retry_policy->base_timeout_ms);
  }
  if (p.extra_ttl_s && *p.extra_ttl_s > 0) o.extra_ttl = static_cast<uint32_t>(*p.extra_ttl_s);
  ABS_RETURN_IF_ERROR(restore::ValidateOptions(o));
  return o;
}

}  // namespace aero::service::jobs
