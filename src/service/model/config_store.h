// The running configuration and every way the REST API changes it.
//
// ConfigStore owns the current Config. Each change (whole document, one entity, enable/disable of a
// routine) follows ABS 3.7: build a candidate copy → validate the whole document → persist it to the
// configuration source → hand it to the ConfigListener (the scheduler) → make it current. Nothing is
// changed when any step fails (a persisted file is rolled back when the listener refuses).
// Errors carry the HTTP status ABS 3.7 uses (abs-api.md §1.1) and its message shapes
// (`routine "daily" not found`, `cluster "c" is in use by routine "r"`).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "service/config/config.h"
#include "service/config/config_io.h"

namespace aero::service::model {

// The scheduler implements this; the store calls it after persisting, with the lock held, so calls
// are serialised and see configurations in commit order. A non-OK Status aborts the change (500).
class ConfigListener {
 public:
  virtual ~ConfigListener() = default;
  virtual Status OnConfigChanged(const Config& config) = 0;
};

// Where the configuration document lives: a local file, an http(s) URL (read-only) or an object in
// backup storage (`--remote`). Read() returns the YAML text; Write() persists a whole document.
class ConfigSource {
 public:
  virtual ~ConfigSource() = default;
  virtual Result<std::string> Read() = 0;
  virtual Status Write(const Config& config) = 0;
  virtual std::string Describe() const = 0;
};

// An error with the HTTP status to answer with. http_status 0 = success.
struct ApiError {
  int http_status = 0;
  std::string message;
  bool ok() const { return http_status == 0; }
  static ApiError Ok() { return {}; }
  static ApiError BadRequest(std::string m) { return {400, std::move(m)}; }
  static ApiError NotFound(std::string m) { return {404, std::move(m)}; }
  static ApiError Conflict(std::string m) { return {409, std::move(m)}; }
  static ApiError Internal(std::string m) { return {500, std::move(m)}; }
};

// The five entity collections of the configuration.
enum class EntityKind { kCluster, kStorage, kPolicy, kRoutine, kSecretAgent };
// "cluster", "storage", "policy", "routine", "secret agent" (for messages).
const char* EntityNoun(EntityKind kind);

class ConfigStore {
 public:
  ConfigStore(Config initial, std::unique_ptr<ConfigSource> source, ParseOptions options = {});

  // Called after every committed change; may be null (then changes are only persisted).
  void SetListener(ConfigListener* listener);

  Config Snapshot() const;

  // PUT /v1/config: `incoming` is the parsed body. "[secret]" values are taken from the current
  // document; a changed `service` section is refused (needs a restart).
  ApiError ReplaceAll(Config incoming);
  // POST /v1/config/apply: re-read the source, validate, refuse a changed `service`, apply.
  ApiError Reload();

  // Entity JSON for GET; 404 when unknown. Literal secrets redacted.
  Result<nlohmann::ordered_json> GetEntity(EntityKind kind, const std::string& name) const;
  nlohmann::ordered_json GetCollection(EntityKind kind) const;

  // POST (create) / PUT (replace) / DELETE of one entity; `json_body` is the request body.
  ApiError AddEntity(EntityKind kind, const std::string& name, const std::string& json_body);
  ApiError UpdateEntity(EntityKind kind, const std::string& name, const std::string& json_body);
  ApiError DeleteEntity(EntityKind kind, const std::string& name);
  // PUT .../enable and .../disable.
  ApiError SetRoutineDisabled(const std::string& name, bool disabled);

  const ConfigSource& source() const { return *source_; }

 private:
  // Validate + persist + notify + swap. Caller holds mu_.
  ApiError CommitLocked(Config candidate);
  // Names of the routines / entities that reference `name` of `kind` ("routine \"r\"", ...).
  std::vector<std::string> UsersOfLocked(EntityKind kind, const std::string& name) const;

  mutable std::mutex mu_;
  Config config_;
  std::unique_ptr<ConfigSource> source_;
  ParseOptions options_;
  ConfigListener* listener_ = nullptr;
};

}  // namespace aero::service::model
