// Value and cross-reference validation of a parsed configuration (ABS 3.7 rules,
// abs-config.md §2-§9). Collects every problem instead of stopping at the first.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "service/config/config_io.h"
#include "service/cron/cron.h"
#include "service/cron/timezone.h"

namespace aero::service {
namespace {

class V {
 public:
  explicit V(const ParseOptions& o) : opts(o) {}
  void Err(const std::string& path, std::string msg) { issues.push_back({path, std::move(msg)}); }
  template <class T>
  void Min(const std::string& path, const std::optional<T>& v, T min, const char* what = nullptr) {
    if (v && *v < min) Err(path, "must be " + std::string(what ? what : (min == 0 ? "zero or more" : ">= " + std::to_string(min))) +
                                     ", got " + std::to_string(*v));
  }
  template <class T>
  void Range(const std::string& path, const std::optional<T>& v, T lo, T hi) {
    if (v && (*v < lo || *v > hi))
      Err(path, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " + std::to_string(*v));
  }
  void Timezone(const std::string& path, const std::optional<std::string>& tz) {
    if (!tz) return;
    Status s = cron::TimeZone::Validate(*tz, opts.zoneinfo_dir);
    if (!s.ok()) Err(path, s.message());
  }
  void AgentRef(const std::string& path, const std::optional<SecretAgent>& agent, const std::optional<std::string>& name,
                const Config& cfg) {
    if (agent && name) Err(path, "secret-agent and secret-agent-name are mutually exclusive");
    if (name && cfg.secret_agents.find(*name) == cfg.secret_agents.end())
      Err(path + ".secret-agent-name", "no secret agent named \"" + *name + "\"");
    if (agent) Agent(path + ".secret-agent", *agent);
  }
  void Agent(const std::string& p, const SecretAgent& a) {
    if (!a.connection_type) Err(p + ".connection-type", "required key is missing (tcp or unix)");
    if (!a.address || a.address->empty()) Err(p + ".address", "required key is missing");
    if (a.connection_type && *a.connection_type == "tcp" && !a.port) Err(p + ".port", "required for tcp connections");
    Range(p + ".port", a.port, 1, 65535);
    Min<int64_t>(p + ".timeout", a.timeout_ms, 0);
  }

  const ParseOptions& opts;
  std::vector<ConfigIssue> issues;
};

bool ValidName(const std::string& n) {
  return !n.empty() && n != "." && n != ".." && n.find('/') == std::string::npos && n.find('\0') == std::string::npos;
}

bool ValidIpOrCidr(const std::string& s) {
  std::string ip = s;
  int prefix = -1;
  size_t slash = s.find('/');
  if (slash != std::string::npos) {
    ip = s.substr(0, slash);
    std::string p = s.substr(slash + 1);
    if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), ::isdigit)) return false;
    prefix = std::stoi(p);
  }
  unsigned char buf[16];
  if (inet_pton(AF_INET, ip.c_str(), buf) == 1) return prefix <= 32;
  if (inet_pton(AF_INET6, ip.c_str(), buf) == 1) return prefix <= 128;
  return false;
}

// A storage root prefix: relative and clean (no leading '/', no "." or ".." segments, no "s3://").
bool CleanRelativePath(const std::string& p) {
  if (p.empty()) return true;
  if (p.front() == '/' || p.find("://") != std::string::npos) return false;
  size_t start = 0;
  while (start <= p.size()) {
    size_t end = p.find('/', start);
    std::string seg = p.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (seg.empty() && end != std::string::npos) return false;  // "a//b"
    if (seg == "." || seg == "..") return false;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return true;
}

bool InList(const std::string& v, std::initializer_list<const char*> list, bool ignore_case) {
  for (const char* x : list) {
    std::string a = v, b = x;
    if (ignore_case) {
      std::transform(a.begin(), a.end(), a.begin(), ::toupper);
      std::transform(b.begin(), b.end(), b.begin(), ::toupper);
    }
    if (a == b) return true;
  }
  return false;
}

void StorageClassCheck(V& v, const std::string& p, const std::optional<StorageClass>& sc,
                       std::initializer_list<const char*> allowed, bool ignore_case) {
  if (!sc) return;
  std::string list;
  for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  if (sc->data && !InList(*sc->data, allowed, ignore_case))
    v.Err(p + ".storage-class.data", "invalid value \"" + *sc->data + "\" (expected one of " + list + ")");
  if (sc->metadata && !InList(*sc->metadata, allowed, ignore_case))
    v.Err(p + ".storage-class.metadata", "invalid value \"" + *sc->metadata + "\" (expected one of " + list + ")");
}

void StringList(V& v, const std::string& p, const std::vector<std::string>& list) {
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i].empty()) v.Err(p + "[" + std::to_string(i) + "]", "must not be empty");
    else if (!seen.insert(list[i]).second) v.Err(p + "[" + std::to_string(i) + "]", "duplicate \"" + list[i] + "\"");
  }
}

bool ValidBase64(const std::string& s) {
  if (s.empty() || s.size() % 4 != 0) return false;
  size_t pad = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '=') {
      if (i < s.size() - 2) return false;
      ++pad;
    } else if (pad > 0 || !(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/')) {
      return false;
    }
  }
  return true;
}

std::string PartitionListError(const std::string& list) {
  size_t start = 0;
  while (true) {
    size_t comma = list.find(',', start);
    std::string e = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    e.erase(0, e.find_first_not_of(' '));
    if (size_t last = e.find_last_not_of(' '); last != std::string::npos) e.erase(last + 1);
    if (e.empty()) return "empty entry";
    auto number = [](const std::string& s, int* out) {
      if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), ::isdigit)) return false;
      *out = std::stoi(s);
      return true;
    };
    int a, b;
    if (size_t dash = e.find('-'); dash != std::string::npos) {
      if (!number(e.substr(0, dash), &a) || a > 4095)
        return "invalid start in range \"" + e + "\": must be an integer between 0 and 4095";
      if (!number(e.substr(dash + 1), &b) || b < 1 || a + b > kPartitionCount)
        return "invalid count in range \"" + e + "\": must be >= 1 and start+count <= 4096";
    } else if (!number(e, &a) || a > 4095) {
      return "invalid partition \"" + e + "\": must be an integer between 0 and 4095";
    }
    if (comma == std::string::npos) return "";
    start = comma + 1;
  }
}

void CheckListener(V& v, const std::string& p, const ListenerConfig& l) {
  v.Range(p + ".port", l.port, 1, 65535);
  if (l.context_path && (l.context_path->empty() || l.context_path->front() != '/'))
    v.Err(p + ".context-path", "must start with \"/\", got \"" + *l.context_path + "\"");
  v.Min<int64_t>(p + ".timeout", l.timeout_ms, 0);
  v.Min<int64_t>(p + ".read-timeout", l.read_timeout_ms, 0);
  v.Min<int64_t>(p + ".write-timeout", l.write_timeout_ms, 0);
  v.Min<int64_t>(p + ".idle-timeout", l.idle_timeout_ms, 0);
  if (l.rate) {
    v.Min<int64_t>(p + ".rate.tps", l.rate->tps, 1);
    v.Min<int64_t>(p + ".rate.size", l.rate->size, 1);
    if (l.rate->white_list) {
      const auto& wl = *l.rate->white_list;
      for (size_t i = 0; i < wl.size(); ++i)
        if (!ValidIpOrCidr(wl[i]))
          v.Err(p + ".rate.white-list[" + std::to_string(i) + "]", "not an IP address or CIDR: \"" + wl[i] + "\"");
    }
  }
}

void CheckService(V& v, const Config& cfg) {
  const ServiceConfig& s = cfg.service;
  if (s.http) CheckListener(v, "service.http", *s.http);
  if (s.https) {
    const auto& h = *s.https;
    CheckListener(v, "service.https", h);
    if (!h.IsDisabled()) {
      if (!h.cert_file || h.cert_file->empty()) v.Err("service.https.cert-file", "required when HTTPS is enabled");
      if (!h.key_file || h.key_file->empty()) v.Err("service.https.key-file", "required when HTTPS is enabled");
    }
    if (h.client_auth && *h.client_auth == "require-and-verify" && !h.client_ca_file)
      v.Err("service.https.client-ca-file", "required when client-auth is require-and-verify");
    v.AgentRef("service.https", h.secret_agent, h.secret_agent_name, cfg);
    if (s.http && s.http->IsDisabled() && h.IsDisabled())
      v.Err("service", "both the HTTP and the HTTPS listener are disabled");
  } else if (s.http && s.http->IsDisabled()) {
    v.Err("service.http.disabled", "the HTTP listener is disabled and no HTTPS listener is configured");
  }
  if (s.logger && s.logger->file_writer) {
    const auto& f = *s.logger->file_writer;
    if (f.filename.empty()) v.Err("service.logger.file-writer.filename", "must not be empty");
    v.Min<int64_t>("service.logger.file-writer.maxsize", f.max_size_mb, 0);
    v.Min<int64_t>("service.logger.file-writer.maxage", f.max_age_days, 0);
    v.Min<int64_t>("service.logger.file-writer.maxbackups", f.max_backups, 0);
  }
  if (s.backup) v.Timezone("service.backup.schedule-timezone", s.backup->schedule_timezone);
}

void CheckCluster(V& v, const std::string& p, const Cluster& c, const Config& cfg) {
  if (c.seed_nodes.empty()) v.Err(p + ".seed-nodes", "at least one seed node is required");
  for (size_t i = 0; i < c.seed_nodes.size(); ++i) {
    const std::string sp = p + ".seed-nodes[" + std::to_string(i) + "]";
    const auto& n = c.seed_nodes[i];
    if (n.host_name.empty()) v.Err(sp + ".host-name", "must not be empty");
    if (n.port < 1 || n.port > 65535) v.Err(sp + ".port", "must be between 1 and 65535, got " + std::to_string(n.port));
    if (c.tls && (!n.tls_name || n.tls_name->empty())) v.Err(sp + ".tls-name", "required when tls is set");
  }
  v.Min<int64_t>(p + ".conn-timeout", c.conn_timeout_ms, 0);
  v.Min<int>(p + ".max-parallel-scans", c.max_parallel_scans, 1);
  if (c.prefer_racks) {
    for (size_t i = 0; i < c.prefer_racks->size(); ++i)
      v.Range<int>(p + ".prefer-racks[" + std::to_string(i) + "]", (*c.prefer_racks)[i], 0, kMaxRackId);
  }
  if (c.credentials) {
    const auto& cr = *c.credentials;
    if (cr.password && cr.password_path) v.Err(p + ".credentials", "password and password-path are mutually exclusive");
    if (cr.password_path && cr.password_path->empty()) v.Err(p + ".credentials.password-path", "must not be empty");
    v.AgentRef(p + ".credentials", cr.secret_agent, cr.secret_agent_name, cfg);
  }
  if (c.tls) {
    const auto& t = *c.tls;
    if (t.cert_file.has_value() != t.key_file.has_value())
      v.Err(p + ".tls", "cert-file and key-file must be set together");
    if (t.key_file_password && !t.key_file) v.Err(p + ".tls.key-file-password", "set without key-file");
    if (t.protocols) {
      // Apache-style list, e.g. "TLSv1.2 +TLSv1.3"; at least TLS 1.2 is enforced.
      std::string s = *t.protocols;
      if (s.find("TLSv1.2") == std::string::npos && s.find("TLSv1.3") == std::string::npos && s != "all" && s != "+all")
        v.Err(p + ".tls.protocols", "must enable TLSv1.2 or TLSv1.3, got \"" + s + "\"");
    }
  }
}

void CheckStorage(V& v, const std::string& p, const Storage& st, const Config& cfg) {
  const std::string k = p + "." + st.KindKey();
  if (const auto* l = std::get_if<LocalStorage>(&st.backend)) {
    if (l->path.empty()) v.Err(k + ".path", "must not be empty");
  } else if (const auto* s = std::get_if<S3Storage>(&st.backend)) {
    if (s->bucket.empty()) v.Err(k + ".bucket", "must not be empty");
    else if (s->bucket.find('/') != std::string::npos || s->bucket.find(':') != std::string::npos)
      v.Err(k + ".bucket", "must be a bare bucket name (no s3:// or /), got \"" + s->bucket + "\"");
    if (s->path && !CleanRelativePath(*s->path))
      v.Err(k + ".path", "must be a clean relative prefix inside the bucket, got \"" + *s->path + "\"");
    if (s->s3_region.empty()) v.Err(k + ".s3-region", "must not be empty");
    if (s->min_part_size && *s->min_part_size < kMinS3PartSize)
      v.Err(k + ".min-part-size", "must be at least 5 MiB (5242880), got " + std::to_string(*s->min_part_size));
    v.Min<int>(k + ".max-async-connections", s->max_async_connections, 0);
    if (s->access_key_id.has_value() != s->secret_access_key.has_value())
      v.Err(k, "access-key-id and secret-access-key must be set together");
    StorageClassCheck(v, k, s->storage_class,
                      {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER",
                       "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "SNOW", "EXPRESS_ONEZONE"},
                      false);
    v.AgentRef(k, s->secret_agent, s->secret_agent_name, cfg);
  } else if (const auto* a = std::get_if<AzureStorage>(&st.backend)) {
    if (a->endpoint.empty()) v.Err(k + ".endpoint", "must not be empty");
    if (a->container_name.empty()) v.Err(k + ".container-name", "must not be empty");
    if (a->path && !CleanRelativePath(*a->path)) v.Err(k + ".path", "must be a clean relative prefix, got \"" + *a->path + "\"");
    bool shared = a->account_name || a->account_key;
    bool aad = a->tenant_id || a->client_id || a->client_secret;
    if (shared && !(a->account_name && a->account_key)) v.Err(k, "account-name and account-key must be set together");
    if (aad && !(a->tenant_id && a->client_id && a->client_secret))
      v.Err(k, "tenant-id, client-id and client-secret must be set together");
    if (a->account_key && aad) v.Err(k, "account-key and client-secret authentication are mutually exclusive");
    v.Min<int64_t>(k + ".min-part-size", a->min_part_size, 1, "positive");
    StorageClassCheck(v, k, a->storage_class, {"Hot", "Cool", "Cold", "Archive"}, true);
    v.AgentRef(k, a->secret_agent, a->secret_agent_name, cfg);
  } else if (const auto* g = std::get_if<GcpStorage>(&st.backend)) {
    if (g->bucket_name.empty()) v.Err(k + ".bucket-name", "must not be empty");
    if (g->path && !CleanRelativePath(*g->path)) v.Err(k + ".path", "must be a clean relative prefix, got \"" + *g->path + "\"");
    if (g->key && g->key_file_path) v.Err(k, "key and key-file-path are mutually exclusive");
    v.Min<int64_t>(k + ".min-part-size", g->min_part_size, 1, "positive");
    StorageClassCheck(v, k, g->storage_class, {"STANDARD", "NEARLINE", "COLDLINE", "ARCHIVE"}, true);
    v.AgentRef(k, g->secret_agent, g->secret_agent_name, cfg);
  }
}

void CheckPolicy(V& v, const std::string& p, const BackupPolicy& b) {
  v.Range<int>(p + ".parallel", b.parallel, 1, 1024);
  v.Min<int>(p + ".parallel-write", b.parallel_write, 1, "positive");
  v.Min<int64_t>(p + ".socket-timeout", b.socket_timeout_ms, 0);
  v.Min<int64_t>(p + ".total-timeout", b.total_timeout_ms, 0);
  if (b.retry_policy) {
    v.Min<int64_t>(p + ".retry-policy.base-timeout", b.retry_policy->base_timeout_ms, 1, "positive");
    if (b.retry_policy->multiplier && *b.retry_policy->multiplier < 1)
      v.Err(p + ".retry-policy.multiplier", "must be >= 1, got " + std::to_string(*b.retry_policy->multiplier));
    v.Min<int>(p + ".retry-policy.max-retries", b.retry_policy->max_retries, 0);
  }
  if (b.retention) {
    v.Min<int>(p + ".retention.full", b.retention->full, 1, "at least 1");
    v.Min<int>(p + ".retention.incremental", b.retention->incremental, 0);
    if (b.retention->full && b.retention->incremental && *b.retention->incremental > *b.retention->full)
      v.Err(p + ".retention.incremental", "cannot exceed full (" + std::to_string(*b.retention->full) + "), got " +
                                              std::to_string(*b.retention->incremental));
  }
  v.Min<int64_t>(p + ".bandwidth", b.bandwidth, 0);
  v.Min<int64_t>(p + ".records-per-second", b.records_per_second, 0);
  v.Min<int64_t>(p + ".file-limit", b.file_limit, 0);
  v.Min<int>(p + ".max-concurrent-nodes", b.max_concurrent_nodes, 1, "positive");
  if (b.encryption) {
    const auto& e = *b.encryption;
    int sources = (e.key_file ? 1 : 0) + (e.key_env ? 1 : 0) + (e.key_secret ? 1 : 0);
    if (!e.mode.empty() && e.mode != "NONE" && sources != 1)
      v.Err(p + ".encryption", "exactly one of key-file, key-env, key-secret is required when mode is " + e.mode);
    if (sources > 1 && (e.mode.empty() || e.mode == "NONE"))
      v.Err(p + ".encryption", "key-file, key-env and key-secret are mutually exclusive");
  }
  if (b.compression) v.Range<int>(p + ".compression.level", b.compression->level, -1, 22);
}

void CheckRoutine(V& v, const std::string& p, const BackupRoutine& r, const Config& cfg) {
  const Cluster* cluster = nullptr;
  if (r.source_cluster.empty()) v.Err(p + ".source-cluster", "must not be empty");
  else if (auto it = cfg.clusters.find(r.source_cluster); it == cfg.clusters.end())
    v.Err(p + ".source-cluster", "no cluster named \"" + r.source_cluster + "\"");
  else cluster = &it->second;
  const Storage* storage = nullptr;
  if (r.storage.empty()) v.Err(p + ".storage", "must not be empty");
  else if (auto it = cfg.storage.find(r.storage); it == cfg.storage.end())
    v.Err(p + ".storage", "no storage named \"" + r.storage + "\"");
  else storage = &it->second;
  if (!r.backup_policy.empty() && cfg.policies.find(r.backup_policy) == cfg.policies.end())
    v.Err(p + ".backup-policy", "no backup policy named \"" + r.backup_policy + "\"");
  if (r.secret_agent) {
    if (r.secret_agent->empty()) v.Err(p + ".secret-agent", "must not be empty");
    else if (cfg.secret_agents.find(*r.secret_agent) == cfg.secret_agents.end())
      v.Err(p + ".secret-agent", "no secret agent named \"" + *r.secret_agent + "\"");
  }
  if (r.interval_cron.empty()) {
    v.Err(p + ".interval-cron", "must not be empty");
  } else if (Status s = cron::ValidateCronExpression(r.interval_cron); !s.ok()) {
    v.Err(p + ".interval-cron", s.message());
  }
  if (!r.incr_interval_cron.empty()) {
    if (Status s = cron::ValidateCronExpression(r.incr_interval_cron); !s.ok()) v.Err(p + ".incr-interval-cron", s.message());
  }
  StringList(v, p + ".namespaces", r.namespaces);
  StringList(v, p + ".set-list", r.set_list);
  StringList(v, p + ".bin-list", r.bin_list);
  StringList(v, p + ".node-list", r.node_list);
  for (size_t i = 0; i < r.rack_list.size(); ++i)
    v.Range<int>(p + ".rack-list[" + std::to_string(i) + "]", r.rack_list[i], 0, kMaxRackId);
  if (!r.partition_list.empty()) {
    if (std::string e = PartitionListError(r.partition_list); !e.empty())
      v.Err(p + ".partition-list", "invalid partition list \"" + r.partition_list + "\": " + e);
  }
  int selectors = (!r.partition_list.empty()) + (!r.node_list.empty()) + (!r.rack_list.empty());
  if (selectors > 1) v.Err(p, "partition-list, node-list and rack-list are mutually exclusive");
  if (selectors > 0 && cluster && cluster->prefer_racks && !cluster->prefer_racks->empty())
    v.Err(p, "partition-list, node-list and rack-list cannot be used with the cluster's prefer-racks (cluster \"" +
                 r.source_cluster + "\")");
  if (!r.filter_exp.empty()) {
    if (!ValidBase64(r.filter_exp)) v.Err(p + ".filter-exp", "must be a base64-encoded filter expression");
    if (r.set_list.size() > 1) v.Err(p + ".filter-exp", "not allowed with more than one entry in set-list");
  }
  v.Timezone(p + ".schedule-timezone", r.schedule_timezone);
  const BackupPolicy policy = cfg.PolicyFor(r);
  if (policy.encryption && policy.encryption->key_secret && !r.secret_agent)
    v.Err(p + ".secret-agent", "required: policy \"" + r.backup_policy +
                                   "\" reads its encryption key from a secret agent (key-secret)");
  if (cluster && cluster->max_parallel_scans && policy.parallel && *policy.parallel > *cluster->max_parallel_scans)
    v.Err(p, "policy \"" + r.backup_policy + "\" parallel " + std::to_string(*policy.parallel) +
                 " exceeds max-parallel-scans " + std::to_string(*cluster->max_parallel_scans) + " of cluster \"" +
                 r.source_cluster + "\"");
  if (storage && storage->IsCloud()) {
    int64_t part = storage->EffectiveMinPartSize();
    int64_t limit = policy.EffectiveFileLimitMib() * 1024 * 1024;
    if (part > 0 && limit / part >= 10000)
      v.Err(p, "file-limit " + std::to_string(policy.EffectiveFileLimitMib()) + " MiB needs " +
                   std::to_string(limit / part) + " parts of " + std::to_string(part) +
                   " bytes (limit 10000): increase min-part-size or decrease file-limit");
  }
}

template <class T>
void CheckNames(V& v, const char* section, const std::map<std::string, T>& m) {
  for (const auto& [name, _] : m)
    if (!ValidName(name))
      v.Err(std::string(section) + "." + name, "invalid name \"" + name + "\": must be one non-empty path segment");
}

}  // namespace

std::vector<ConfigIssue> ValidateConfig(const Config& cfg, const ParseOptions& options) {
  V v(options);
  CheckNames(v, "aerospike-clusters", cfg.clusters);
  CheckNames(v, "storage", cfg.storage);
  CheckNames(v, "backup-policies", cfg.policies);
  CheckNames(v, "backup-routines", cfg.routines);
  CheckNames(v, "secret-agents", cfg.secret_agents);
  CheckService(v, cfg);
  for (const auto& [n, a] : cfg.secret_agents) v.Agent("secret-agents." + n, a);
  for (const auto& [n, c] : cfg.clusters) CheckCluster(v, "aerospike-clusters." + n, c, cfg);
  for (const auto& [n, s] : cfg.storage) CheckStorage(v, "storage." + n, s, cfg);
  for (const auto& [n, p] : cfg.policies) CheckPolicy(v, "backup-policies." + n, p);
  for (const auto& [n, r] : cfg.routines) CheckRoutine(v, "backup-routines." + n, r, cfg);
  return v.issues;
}

Status CheckConfig(const Config& config, const ParseOptions& options) {
  return IssuesToStatus(ValidateConfig(config, options));
}

Result<ParsedConfig> LoadConfigFile(const std::string& path, const ParseOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kIo, "cannot read configuration file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status(ErrorCode::kIo, "error reading configuration file " + path);
  auto parsed = ParseConfigYaml(ss.str(), options);
  if (!parsed.ok()) return parsed.status().WithContext(path);
  if (Status s = CheckConfig(parsed->config, options); !s.ok()) return s.WithContext(path);
  return parsed;
}

}  // namespace aero::service
