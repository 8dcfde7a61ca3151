// ConfigStore: validated, persisted, applied configuration changes (config_store.h).
#include "service/model/config_store.h"

#include <spdlog/spdlog.h>

namespace aero::service::model {

const char* EntityNoun(EntityKind kind) {
  switch (kind) {
    case EntityKind::kCluster: return "cluster";
    case EntityKind::kStorage: return "storage";
    case EntityKind::kPolicy: return "policy";
    case EntityKind::kRoutine: return "routine";
    default: return "secret agent";
  }
}

namespace {

std::string Named(EntityKind kind, const std::string& name) {
  return std::string(EntityNoun(kind)) + " \"" + name + "\"";
}

void LogWarnings(const std::vector<ConfigIssue>& warnings, const std::string& what) {
  for (const auto& w : warnings) spdlog::warn("{}: ABS 2.0 form converted: {}", what, w.ToString());
}

// The map of one collection, as a pointer-to-member, so add/update/delete are written once.
template <class C, class Fn>
auto WithCollection(C& c, EntityKind kind, Fn fn) {
  switch (kind) {
    case EntityKind::kCluster: return fn(c.clusters);
    case EntityKind::kStorage: return fn(c.storage);
    case EntityKind::kPolicy: return fn(c.policies);
    case EntityKind::kRoutine: return fn(c.routines);
    default: return fn(c.secret_agents);
  }
}

nlohmann::ordered_json ToJson(const Cluster& v) { return ClusterToJson(v, true); }
nlohmann::ordered_json ToJson(const Storage& v) { return StorageToJson(v, true); }
nlohmann::ordered_json ToJson(const BackupPolicy& v) { return PolicyToJson(v); }
nlohmann::ordered_json ToJson(const BackupRoutine& v) { return RoutineToJson(v); }
nlohmann::ordered_json ToJson(const SecretAgent& v) { return SecretAgentToJson(v); }

Result<Cluster> FromJson(const std::string& body, Cluster*, std::vector<ConfigIssue>* w, const ParseOptions& o) {
  return ClusterFromJson(body, w, o);
}
Result<Storage> FromJson(const std::string& body, Storage*, std::vector<ConfigIssue>* w, const ParseOptions& o) {
  return StorageFromJson(body, w, o);
}
Result<BackupPolicy> FromJson(const std::string& body, BackupPolicy*, std::vector<ConfigIssue>* w,
                              const ParseOptions& o) {
  return PolicyFromJson(body, w, o);
}
Result<BackupRoutine> FromJson(const std::string& body, BackupRoutine*, std::vector<ConfigIssue>* w,
                               const ParseOptions& o) {
  return RoutineFromJson(body, w, o);
}
Result<SecretAgent> FromJson(const std::string& body, SecretAgent*, std::vector<ConfigIssue>* w,
                             const ParseOptions& o) {
  return SecretAgentFromJson(body, w, o);
}

// "[secret]" sentinels in a PUT/POST body keep the stored value (3.7); only clusters and storage
// hold secrets among the CRUD entities.
Status KeepSecrets(Cluster& in, const Cluster* stored) { return RestoreRedactedSecrets(in, stored); }
Status KeepSecrets(Storage& in, const Storage* stored) { return RestoreRedactedSecrets(in, stored); }
template <class T>
Status KeepSecrets(T&, const T*) {
  return Status::Ok();
}

const std::optional<std::string>& AgentNameOf(const Storage& s) {
  static const std::optional<std::string> kNone;
  if (auto* s3 = std::get_if<S3Storage>(&s.backend)) return s3->secret_agent_name;
  if (auto* az = std::get_if<AzureStorage>(&s.backend)) return az->secret_agent_name;
  if (auto* g = std::get_if<GcpStorage>(&s.backend)) return g->secret_agent_name;
  return kNone;
}

}  // namespace

ConfigStore::ConfigStore(Config initial, std::unique_ptr<ConfigSource> source, ParseOptions options)
    : config_(std::move(initial)), source_(std::move(source)), options_(std::move(options)) {}

void ConfigStore::SetListener(ConfigListener* listener) {
  std::lock_guard<std::mutex> lock(mu_);
  listener_ = listener;
}

Config ConfigStore::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return config_;
}

ApiError ConfigStore::CommitLocked(Config candidate) {
  auto issues = ValidateConfig(candidate, options_);
  if (!issues.empty()) return ApiError::BadRequest(IssuesToStatus(issues).message());
  if (Status st = source_->Write(candidate); !st.ok()) {
    return ApiError::Internal("failed to persist configuration to " + source_->Describe() + ": " + st.message());
  }
  if (listener_) {
    if (Status st = listener_->OnConfigChanged(candidate); !st.ok()) {
      // Put the previous document back so file and runtime agree again.
      if (Status rb = source_->Write(config_); !rb.ok()) {
        spdlog::error("could not restore the previous configuration in {} after a failed apply: {}",
                      source_->Describe(), rb.message());
      }
      return ApiError::Internal("failed to apply configuration: " + st.message());
    }
  }
  config_ = std::move(candidate);
  return ApiError::Ok();
}

ApiError ConfigStore::ReplaceAll(Config incoming) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status st = RestoreRedactedSecrets(incoming, config_); !st.ok()) return ApiError::BadRequest(st.message());
  if (!(incoming.service == config_.service)) {
    return ApiError::BadRequest(
        "static configuration has changed: the service section differs from the running one (restart needed)");
  }
  return CommitLocked(std::move(incoming));
}

ApiError ConfigStore::Reload() {
  std::lock_guard<std::mutex> lock(mu_);
  auto text = source_->Read();
  if (!text.ok()) {
    return ApiError::Internal("failed to read configuration from " + source_->Describe() + ": " +
                              text.status().message());
  }
  auto parsed = ParseConfigYaml(*text, options_);
  if (!parsed.ok()) return ApiError::BadRequest(parsed.status().message());
  LogWarnings(parsed->warnings, source_->Describe());
  auto issues = ValidateConfig(parsed->config, options_);
  if (!issues.empty()) return ApiError::BadRequest(IssuesToStatus(issues).message());
  if (!(parsed->config.service == config_.service)) {
    return ApiError::BadRequest(
        "static configuration has changed: the service section differs from the running one (restart needed)");
  }
  if (listener_) {
    if (Status st = listener_->OnConfigChanged(parsed->config); !st.ok()) {
      return ApiError::Internal("failed to apply configuration: " + st.message());
    }
  }
  config_ = std::move(parsed->config);
  return ApiError::Ok();
}

Result<nlohmann::ordered_json> ConfigStore::GetEntity(EntityKind kind, const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  return WithCollection(config_, kind, [&](auto& map) -> Result<nlohmann::ordered_json> {
    auto it = map.find(name);
    if (it == map.end()) return Status(ErrorCode::kNotFound, Named(kind, name) + " not found");
    return ToJson(it->second);
  });
}

nlohmann::ordered_json ConfigStore::GetCollection(EntityKind kind) const {
  std::lock_guard<std::mutex> lock(mu_);
  return WithCollection(config_, kind, [&](auto& map) {
    nlohmann::ordered_json out = nlohmann::ordered_json::object();
    for (const auto& [name, v] : map) out[name] = ToJson(v);
    return out;
  });
}

ApiError ConfigStore::AddEntity(EntityKind kind, const std::string& name, const std::string& body) {
  std::lock_guard<std::mutex> lock(mu_);
  Config candidate = config_;
  return WithCollection(candidate, kind, [&](auto& map) -> ApiError {
    using T = typename std::decay_t<decltype(map)>::mapped_type;
    if (map.count(name)) return ApiError::Conflict(Named(kind, name) + " already exists");
    std::vector<ConfigIssue> warnings;
    auto parsed = FromJson(body, static_cast<T*>(nullptr), &warnings, options_);
    if (!parsed.ok()) return ApiError::BadRequest(parsed.status().message());
    LogWarnings(warnings, Named(kind, name));
    T value = std::move(parsed).value();
    if (Status st = KeepSecrets(value, static_cast<const T*>(nullptr)); !st.ok()) {
      return ApiError::BadRequest(st.message());
    }
    map.emplace(name, std::move(value));
    return CommitLocked(std::move(candidate));
  });
}

ApiError ConfigStore::UpdateEntity(EntityKind kind, const std::string& name, const std::string& body) {
  std::lock_guard<std::mutex> lock(mu_);
  Config candidate = config_;
  return WithCollection(candidate, kind, [&](auto& map) -> ApiError {
    using T = typename std::decay_t<decltype(map)>::mapped_type;
    auto it = map.find(name);
    if (it == map.end()) return ApiError::NotFound(Named(kind, name) + " not found");
    std::vector<ConfigIssue> warnings;
    auto parsed = FromJson(body, static_cast<T*>(nullptr), &warnings, options_);
    if (!parsed.ok()) return ApiError::BadRequest(parsed.status().message());
    LogWarnings(warnings, Named(kind, name));
    T value = std::move(parsed).value();
    if (Status st = KeepSecrets(value, static_cast<const T*>(&it->second)); !st.ok()) {
      return ApiError::BadRequest(st.message());
    }
    it->second = std::move(value);
    return CommitLocked(std::move(candidate));
  });
}

std::vector<std::string> ConfigStore::UsersOfLocked(EntityKind kind, const std::string& name) const {
  std::vector<std::string> users;
  for (const auto& [rn, r] : config_.routines) {
    bool uses = (kind == EntityKind::kCluster && r.source_cluster == name) ||
                (kind == EntityKind::kStorage && r.storage == name) ||
                (kind == EntityKind::kPolicy && r.backup_policy == name) ||
                (kind == EntityKind::kSecretAgent && r.secret_agent && *r.secret_agent == name);
    if (uses) users.push_back("routine \"" + rn + "\"");
  }
  if (kind == EntityKind::kSecretAgent) {
    for (const auto& [cn, c] : config_.clusters) {
      if (c.credentials && c.credentials->secret_agent_name == name) users.push_back("cluster \"" + cn + "\"");
    }
    for (const auto& [sn, s] : config_.storage) {
      if (AgentNameOf(s) == name) users.push_back("storage \"" + sn + "\"");
    }
    if (config_.service.https && config_.service.https->secret_agent_name == name) users.push_back("service.https");
  }
  return users;
}

ApiError ConfigStore::DeleteEntity(EntityKind kind, const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Config candidate = config_;
  return WithCollection(candidate, kind, [&](auto& map) -> ApiError {
    if (!map.count(name)) return ApiError::NotFound(Named(kind, name) + " not found");
    auto users = UsersOfLocked(kind, name);
    if (!users.empty()) {
      std::string list;
      for (const auto& u : users) list += (list.empty() ? "" : ", ") + u;
      return ApiError::Conflict(Named(kind, name) + " is in use: used by " + list);
    }
    map.erase(name);
    return CommitLocked(std::move(candidate));
  });
}

ApiError ConfigStore::SetRoutineDisabled(const std::string& name, bool disabled) {
  std::lock_guard<std::mutex> lock(mu_);
  Config candidate = config_;
  auto it = candidate.routines.find(name);
  if (it == candidate.routines.end()) return ApiError::NotFound("routine \"" + name + "\" not found");
  it->second.disabled = disabled;
  return CommitLocked(std::move(candidate));
}

}  // namespace aero::service::model
