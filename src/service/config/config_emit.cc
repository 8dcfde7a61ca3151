// Writing the configuration: model -> JSON (ABS key names), JSON -> YAML, secret redaction and
// restoration, and atomic persistence of the YAML file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <map>

#include "service/config/config_io.h"

namespace aero::service {
namespace {

using ojson = nlohmann::ordered_json;

template <class T>
void Put(ojson& j, const char* key, const std::optional<T>& v) {
  if (v) j[key] = *v;
}
void PutStr(ojson& j, const char* key, const std::string& v) {
  if (!v.empty()) j[key] = v;
}
template <class T>
void PutList(ojson& j, const char* key, const std::vector<T>& v) {
  if (!v.empty()) j[key] = v;
}

ojson AgentJson(const SecretAgent& a) {
  ojson j = ojson::object();
  Put(j, "connection-type", a.connection_type);
  Put(j, "address", a.address);
  Put(j, "port", a.port);
  Put(j, "timeout", a.timeout_ms);
  Put(j, "tls-ca-file", a.tls_ca_file);
  Put(j, "is-base64", a.is_base64);
  return j;
}

void PutAgent(ojson& j, const std::optional<SecretAgent>& agent, const std::optional<std::string>& name) {
  if (agent) j["secret-agent"] = AgentJson(*agent);
  Put(j, "secret-agent-name", name);
}

void PutListener(ojson& j, const ListenerConfig& l) {
  Put(j, "address", l.address);
  Put(j, "port", l.port);
  Put(j, "context-path", l.context_path);
  Put(j, "timeout", l.timeout_ms);
  Put(j, "read-timeout", l.read_timeout_ms);
  Put(j, "write-timeout", l.write_timeout_ms);
  Put(j, "idle-timeout", l.idle_timeout_ms);
  Put(j, "disabled", l.disabled);
  if (l.rate) {
    ojson r = ojson::object();
    Put(r, "tps", l.rate->tps);
    Put(r, "size", l.rate->size);
    Put(r, "white-list", l.rate->white_list);
    j["rate"] = r;
  }
}

void PutStorageClass(ojson& j, const std::optional<StorageClass>& sc) {
  if (!sc) return;
  ojson c = ojson::object();
  Put(c, "data", sc->data);
  Put(c, "metadata", sc->metadata);
  j["storage-class"] = c;
}

ojson ServiceJsonRaw(const ServiceConfig& s) {
  ojson j = ojson::object();
  if (s.http) {
    ojson h = ojson::object();
    PutListener(h, *s.http);
    j["http"] = h;
  }
  if (s.https) {
    ojson h = ojson::object();
    PutListener(h, *s.https);
    Put(h, "cert-file", s.https->cert_file);
    Put(h, "key-file", s.https->key_file);
    Put(h, "key-file-password", s.https->key_file_password);
    PutAgent(h, s.https->secret_agent, s.https->secret_agent_name);
    Put(h, "client-auth", s.https->client_auth);
    Put(h, "client-ca-file", s.https->client_ca_file);
    Put(h, "cipher-suites", s.https->cipher_suites);
    Put(h, "min-version", s.https->min_version);
    j["https"] = h;
  }
  if (s.logger) {
    ojson l = ojson::object();
    Put(l, "level", s.logger->level);
    Put(l, "format", s.logger->format);
    Put(l, "stdout-writer", s.logger->stdout_writer);
    if (s.logger->file_writer) {
      const auto& f = *s.logger->file_writer;
      ojson fw = ojson::object();
      fw["filename"] = f.filename;
      Put(fw, "maxsize", f.max_size_mb);
      Put(fw, "maxage", f.max_age_days);
      Put(fw, "maxbackups", f.max_backups);
      Put(fw, "compress", f.compress);
      l["file-writer"] = fw;
    }
    j["logger"] = l;
  }
  if (s.backup) {
    ojson b = ojson::object();
    Put(b, "timestamp-format", s.backup->timestamp_format);
    Put(b, "schedule-timezone", s.backup->schedule_timezone);
    j["backup"] = b;
  }
  return j;
}

ojson ClusterJsonRaw(const Cluster& c) {
  ojson j = ojson::object();
  Put(j, "label", c.label);
  ojson seeds = ojson::array();
  for (const auto& s : c.seed_nodes) {
    ojson n = ojson::object();
    n["host-name"] = s.host_name;
    n["port"] = s.port;
    Put(n, "tls-name", s.tls_name);
    seeds.push_back(n);
  }
  j["seed-nodes"] = seeds;
  Put(j, "conn-timeout", c.conn_timeout_ms);
  Put(j, "use-services-alternate", c.use_services_alternate);
  if (c.credentials) {
    const auto& cr = *c.credentials;
    ojson k = ojson::object();
    Put(k, "user", cr.user);
    Put(k, "password", cr.password);
    Put(k, "password-path", cr.password_path);
    Put(k, "auth-mode", cr.auth_mode);
    PutAgent(k, cr.secret_agent, cr.secret_agent_name);
    j["credentials"] = k;
  }
  if (c.tls) {
    const auto& t = *c.tls;
    ojson k = ojson::object();
    Put(k, "ca-file", t.ca_file);
    Put(k, "ca-path", t.ca_path);
    Put(k, "name", t.name);
    Put(k, "protocols", t.protocols);
    Put(k, "cipher-suite", t.cipher_suite);
    Put(k, "cert-file", t.cert_file);
    Put(k, "key-file", t.key_file);
    Put(k, "key-file-password", t.key_file_password);
    j["tls"] = k;
  }
  Put(j, "max-parallel-scans", c.max_parallel_scans);
  Put(j, "prefer-racks", c.prefer_racks);
  return j;
}

ojson StorageJsonRaw(const Storage& st) {
  ojson inner = ojson::object();
  if (const auto* l = std::get_if<LocalStorage>(&st.backend)) {
    inner["path"] = l->path;
  } else if (const auto* s = std::get_if<S3Storage>(&st.backend)) {
    inner["bucket"] = s->bucket;
    Put(inner, "path", s->path);
    inner["s3-region"] = s->s3_region;
    Put(inner, "s3-profile", s->s3_profile);
    Put(inner, "s3-endpoint-override", s->s3_endpoint_override);
    Put(inner, "s3-log-level", s->s3_log_level);
    Put(inner, "access-key-id", s->access_key_id);
    Put(inner, "secret-access-key", s->secret_access_key);
    Put(inner, "min-part-size", s->min_part_size);
    Put(inner, "max-async-connections", s->max_async_connections);
    PutStorageClass(inner, s->storage_class);
    PutAgent(inner, s->secret_agent, s->secret_agent_name);
  } else if (const auto* a = std::get_if<AzureStorage>(&st.backend)) {
    inner["endpoint"] = a->endpoint;
    inner["container-name"] = a->container_name;
    Put(inner, "path", a->path);
    Put(inner, "account-name", a->account_name);
    Put(inner, "account-key", a->account_key);
    Put(inner, "tenant-id", a->tenant_id);
    Put(inner, "client-id", a->client_id);
    Put(inner, "client-secret", a->client_secret);
    Put(inner, "min-part-size", a->min_part_size);
    PutStorageClass(inner, a->storage_class);
    PutAgent(inner, a->secret_agent, a->secret_agent_name);
  } else if (const auto* g = std::get_if<GcpStorage>(&st.backend)) {
    inner["bucket-name"] = g->bucket_name;
    Put(inner, "path", g->path);
    Put(inner, "key-file-path", g->key_file_path);
    Put(inner, "key", g->key);
    Put(inner, "endpoint", g->endpoint);
    Put(inner, "min-part-size", g->min_part_size);
    PutStorageClass(inner, g->storage_class);
    PutAgent(inner, g->secret_agent, g->secret_agent_name);
  }
  ojson j = ojson::object();
  j[st.KindKey()] = inner;
  return j;
}

// ---- secrets ----
using SecretVisitor = std::function<void(const std::string& path, std::optional<std::string>& field)>;

std::string Join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }

void VisitSecrets(Cluster& c, const std::string& path, const SecretVisitor& fn) {
  if (c.credentials) fn(Join(path, "credentials.password"), c.credentials->password);
  if (c.tls) fn(Join(path, "tls.key-file-password"), c.tls->key_file_password);
}

void VisitSecrets(Storage& st, const std::string& path, const SecretVisitor& fn) {
  const std::string p = Join(path, st.KindKey());
  if (auto* s = std::get_if<S3Storage>(&st.backend)) {
    fn(p + ".secret-access-key", s->secret_access_key);
  } else if (auto* a = std::get_if<AzureStorage>(&st.backend)) {
    fn(p + ".account-key", a->account_key);
    fn(p + ".client-secret", a->client_secret);
  } else if (auto* g = std::get_if<GcpStorage>(&st.backend)) {
    fn(p + ".key", g->key);
  }
}

void VisitSecrets(Config& cfg, const SecretVisitor& fn) {
  if (cfg.service.https) fn("service.https.key-file-password", cfg.service.https->key_file_password);
  for (auto& [name, c] : cfg.clusters) VisitSecrets(c, "aerospike-clusters." + name, fn);
  for (auto& [name, s] : cfg.storage) VisitSecrets(s, "storage." + name, fn);
}

void RedactField(const std::string&, std::optional<std::string>& field) {
  if (field && IsLiteralSecret(*field)) field = kRedactedSecret;
}

// Replaces "[secret]" in `incoming` by what `stored` has at the same path.
template <class T, class Visit>
Status Restore(T& incoming, T* stored, Visit visit) {
  std::map<std::string, std::string> known;
  if (stored != nullptr) {
    visit(*stored, [&](const std::string& p, std::optional<std::string>& f) {
      if (f && *f != kRedactedSecret) known[p] = *f;
    });
  }
  std::vector<ConfigIssue> missing;
  visit(incoming, [&](const std::string& p, std::optional<std::string>& f) {
    if (!f || *f != kRedactedSecret) return;
    auto it = known.find(p);
    if (it == known.end()) missing.push_back({p, "\"[secret]\" given but no stored value to keep"});
    else f = it->second;
  });
  return IssuesToStatus(missing, "invalid secret");
}

// ---- YAML ----
bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  static const char* kWords[] = {"~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
                                 "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF",
                                 "y", "Y", "n", "N"};
  for (const char* w : kWords)
    if (s == w) return true;
  char c = s[0];
  // Anything that could read back as a number (or a YAML 1.1 base-60 / date) stays a string.
  return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' || s.back() == ' ' || s.front() == ' ';
}

void EmitYaml(YAML::Emitter& e, const ojson& j) {
  switch (j.type()) {
    case ojson::value_t::object:
      if (j.empty()) {
        e << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        break;
      }
      e << YAML::BeginMap;
      for (auto it = j.begin(); it != j.end(); ++it) {
        e << YAML::Key;
        if (NeedsQuotes(it.key())) e << YAML::DoubleQuoted;
        e << it.key() << YAML::Value;
        EmitYaml(e, it.value());
      }
      e << YAML::EndMap;
      break;
    case ojson::value_t::array: {
      bool scalars = true;
      for (const auto& v : j) scalars = scalars && !v.is_structured();
      if (scalars) e << YAML::Flow;
      e << YAML::BeginSeq;
      for (const auto& v : j) EmitYaml(e, v);
      e << YAML::EndSeq;
      break;
    }
    case ojson::value_t::string: {
      const std::string& s = j.get_ref<const std::string&>();
      if (NeedsQuotes(s)) e << YAML::DoubleQuoted;
      e << s;
      break;
    }
    case ojson::value_t::boolean:
      e << (j.get<bool>() ? "true" : "false");
      break;
    case ojson::value_t::number_integer:
      e << j.get<int64_t>();
      break;
    case ojson::value_t::number_unsigned:
      e << j.get<uint64_t>();
      break;
    case ojson::value_t::number_float: {
      char buf[64];
      auto [p, ec] = std::to_chars(buf, buf + sizeof buf, j.get<double>());
      e << std::string(buf, ec == std::errc() ? p : buf);
      break;
    }
    default:
      e << YAML::Null;
  }
}

}  // namespace

bool IsLiteralSecret(const std::string& value) {
  return !value.empty() && value.rfind(kSecretRefPrefix, 0) != 0;
}

Config RedactSecrets(Config config) {
  VisitSecrets(config, RedactField);
  return config;
}
Cluster RedactSecrets(Cluster cluster) {
  VisitSecrets(cluster, "", RedactField);
  return cluster;
}
Storage RedactSecrets(Storage storage) {
  VisitSecrets(storage, "", RedactField);
  return storage;
}

Status RestoreRedactedSecrets(Config& incoming, const Config& stored) {
  Config copy = stored;
  return Restore(incoming, &copy, [](Config& c, const SecretVisitor& fn) { VisitSecrets(c, fn); });
}
Status RestoreRedactedSecrets(Cluster& incoming, const Cluster* stored) {
  std::optional<Cluster> copy;
  if (stored) copy = *stored;
  return Restore(incoming, copy ? &*copy : nullptr, [](Cluster& c, const SecretVisitor& fn) { VisitSecrets(c, "", fn); });
}
Status RestoreRedactedSecrets(Storage& incoming, const Storage* stored) {
  std::optional<Storage> copy;
  if (stored) copy = *stored;
  return Restore(incoming, copy ? &*copy : nullptr, [](Storage& s, const SecretVisitor& fn) { VisitSecrets(s, "", fn); });
}

nlohmann::ordered_json ServiceToJson(const ServiceConfig& service, bool redacted) {
  ServiceConfig s = service;
  if (redacted && s.https) RedactField("", s.https->key_file_password);
  return ServiceJsonRaw(s);
}
nlohmann::ordered_json ClusterToJson(const Cluster& cluster, bool redacted) {
  return ClusterJsonRaw(redacted ? RedactSecrets(cluster) : cluster);
}
nlohmann::ordered_json StorageToJson(const Storage& storage, bool redacted) {
  return StorageJsonRaw(redacted ? RedactSecrets(storage) : storage);
}
nlohmann::ordered_json SecretAgentToJson(const SecretAgent& agent) { return AgentJson(agent); }

nlohmann::ordered_json PolicyToJson(const BackupPolicy& p) {
  ojson j = ojson::object();
  Put(j, "parallel", p.parallel);
  Put(j, "parallel-write", p.parallel_write);
  Put(j, "socket-timeout", p.socket_timeout_ms);
  Put(j, "total-timeout", p.total_timeout_ms);
  if (p.retry_policy) {
    ojson r = ojson::object();
    Put(r, "base-timeout", p.retry_policy->base_timeout_ms);
    Put(r, "multiplier", p.retry_policy->multiplier);
    Put(r, "max-retries", p.retry_policy->max_retries);
    j["retry-policy"] = r;
  }
  if (p.retention) {
    ojson r = ojson::object();
    Put(r, "full", p.retention->full);
    Put(r, "incremental", p.retention->incremental);
    j["retention"] = r;
  }
  Put(j, "no-records", p.no_records);
  Put(j, "no-indexes", p.no_indexes);
  Put(j, "no-udfs", p.no_udfs);
  Put(j, "with-cluster-configuration", p.with_cluster_configuration);
  Put(j, "bandwidth", p.bandwidth);
  Put(j, "records-per-second", p.records_per_second);
  Put(j, "file-limit", p.file_limit);
  if (p.encryption) {
    ojson e = ojson::object();
    e["mode"] = p.encryption->mode;
    Put(e, "key-file", p.encryption->key_file);
    Put(e, "key-env", p.encryption->key_env);
    Put(e, "key-secret", p.encryption->key_secret);
    j["encryption"] = e;
  }
  if (p.compression) {
    ojson c = ojson::object();
    c["mode"] = p.compression->mode;
    Put(c, "level", p.compression->level);
    j["compression"] = c;
  }
  Put(j, "sealed", p.sealed);
  Put(j, "concurrent-incremental", p.concurrent_incremental);
  Put(j, "max-concurrent-nodes", p.max_concurrent_nodes);
  Put(j, "use-scan-compression", p.use_scan_compression);
  Put(j, "compact", p.compact);
  Put(j, "incr-mode", p.incr_mode);
  return j;
}

nlohmann::ordered_json RoutineToJson(const BackupRoutine& r) {
  ojson j = ojson::object();
  PutStr(j, "backup-policy", r.backup_policy);
  j["source-cluster"] = r.source_cluster;
  j["storage"] = r.storage;
  Put(j, "secret-agent", r.secret_agent);
  j["interval-cron"] = r.interval_cron;
  PutStr(j, "incr-interval-cron", r.incr_interval_cron);
  j["namespaces"] = r.namespaces;  // required key; [] = all namespaces
  PutList(j, "set-list", r.set_list);
  PutList(j, "bin-list", r.bin_list);
  PutStr(j, "partition-list", r.partition_list);
  PutList(j, "node-list", r.node_list);
  PutList(j, "rack-list", r.rack_list);
  PutStr(j, "filter-exp", r.filter_exp);
  if (r.disabled) j["disabled"] = true;
  Put(j, "schedule-timezone", r.schedule_timezone);
  return j;
}

nlohmann::ordered_json ConfigToJson(const Config& config, bool redacted) {
  const Config& c = config;
  ojson j = ojson::object();
  j["service"] = ServiceToJson(c.service, redacted);
  ojson clusters = ojson::object(), storage = ojson::object(), policies = ojson::object(),
        routines = ojson::object(), agents = ojson::object();
  for (const auto& [n, v] : c.clusters) clusters[n] = ClusterToJson(v, redacted);
  for (const auto& [n, v] : c.storage) storage[n] = StorageToJson(v, redacted);
  for (const auto& [n, v] : c.policies) policies[n] = PolicyToJson(v);
  for (const auto& [n, v] : c.routines) routines[n] = RoutineToJson(v);
  for (const auto& [n, v] : c.secret_agents) agents[n] = SecretAgentToJson(v);
  j["aerospike-clusters"] = clusters;
  j["storage"] = storage;
  j["backup-policies"] = policies;
  j["backup-routines"] = routines;
  j["secret-agents"] = agents;
  return j;
}

std::string ConfigToYaml(const Config& config) {
  YAML::Emitter e;
  e.SetIndent(2);
  EmitYaml(e, ConfigToJson(config, /*redacted=*/false));
  return std::string(e.c_str()) + "\n";
}

Status SaveConfigFile(const Config& config, const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  const std::string text = ConfigToYaml(config);
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  auto fail = [&](const std::string& what) {
    Status s(ErrorCode::kIo, what + " " + tmp + ": " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return s;
  };
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status(ErrorCode::kIo, "cannot create " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return fail("cannot write");
    }
    off += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    ::close(fd);
    return fail("cannot fsync");
  }
  if (::close(fd) != 0) return fail("cannot close");
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s(ErrorCode::kIo, "cannot rename " + tmp + " to " + path + ": " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return s;
  }
  // Make the rename itself durable.
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    int rc = ::fsync(dfd);
    ::close(dfd);
    if (rc != 0) return Status(ErrorCode::kIo, "cannot fsync directory " + dir + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace aero::service
