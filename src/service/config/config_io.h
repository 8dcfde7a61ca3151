// Reading, checking, writing and persisting the ABS configuration (config.h).
//
// Input: YAML (the config file, Go yaml.v3 conventions: `50_000_000` numbers, plain scalars
// typed by the target field, quoted scalars are strings) or JSON (REST API bodies; strict JSON
// types). Unknown keys, wrong types and bad enum values are errors that name the key path.
// ABS 2.0 shapes (flat storage `type: local|aws-s3|0|1`, top-level `secret-agent`,
// `remove-files`, `max-retries`/`retry-delay`, camelCase retry keys, routine `prefer-racks`,
// routine without `namespaces`, `min_part_size`, ...) are converted to the 3.x model with one
// warning per old key, unless ParseOptions::accept_v2 is false (then they are errors with a hint,
// as in ABS 3.x).
//
// Parsing (Parse*) checks structure only; ValidateConfig checks values and cross references.
// LoadConfigFile does both. Every function reports ALL problems it finds, each as
// "<path>: <problem>", e.g. `backup-routines.daily.storage: no storage named "s4"`.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "service/config/config.h"

namespace aero::service {

struct ConfigIssue {
  std::string path;     // "backup-routines.daily.storage"; empty for the document itself
  std::string message;  // "no storage named \"s4\""
  std::string ToString() const { return path.empty() ? message : path + ": " + message; }
  bool operator==(const ConfigIssue&) const = default;
};

struct ParseOptions {
  bool accept_v2 = true;  // convert ABS 2.0 shapes (with warnings) instead of rejecting them
  // Where schedule-timezone names are looked up by ValidateConfig.
  std::string zoneinfo_dir = "/usr/share/zoneinfo";
};

struct ParsedConfig {
  Config config;
  std::vector<ConfigIssue> warnings;  // one per ABS 2.0 key converted
};

// Joins issues as "invalid configuration: a: x; b: y" into a kInvalidArgument Status.
Status IssuesToStatus(const std::vector<ConfigIssue>& issues, const std::string& prefix = "invalid configuration");

// ---- whole document ----
// Structure only (no cross-reference checks). Errors: kInvalidArgument listing every problem.
Result<ParsedConfig> ParseConfigYaml(std::string_view yaml_text, const ParseOptions& options = {});
Result<ParsedConfig> ParseConfigJson(std::string_view json_text, const ParseOptions& options = {});
Result<ParsedConfig> ParseConfigJsonValue(const nlohmann::json& json, const ParseOptions& options = {});

// Value and reference checks over a parsed document; empty = valid.
std::vector<ConfigIssue> ValidateConfig(const Config& config, const ParseOptions& options = {});
// Same, as a Status (OK or kInvalidArgument listing every problem).
Status CheckConfig(const Config& config, const ParseOptions& options = {});

// Reads a YAML file, parses and validates it. kIo when unreadable, kInvalidArgument otherwise.
Result<ParsedConfig> LoadConfigFile(const std::string& path, const ParseOptions& options = {});

// Full YAML (secrets in clear) for persistence; parses back to an equal Config.
std::string ConfigToYaml(const Config& config);
// JSON with ABS's key names; `redacted` replaces literal secrets by "[secret]" (API output).
nlohmann::ordered_json ConfigToJson(const Config& config, bool redacted);

// Writes ConfigToYaml(config) atomically: temp file in the same directory (mode 0600), fsync,
// rename over `path`, fsync of the directory. `path` is untouched on any failure.
Status SaveConfigFile(const Config& config, const std::string& path);

// ---- single entities (REST CRUD bodies) ----
// `warnings` (optional) receives ABS 2.0 conversions. Errors name paths relative to the entity.
Result<Cluster> ClusterFromJson(std::string_view json_text, std::vector<ConfigIssue>* warnings = nullptr,
                                const ParseOptions& options = {});
Result<Storage> StorageFromJson(std::string_view json_text, std::vector<ConfigIssue>* warnings = nullptr,
                                const ParseOptions& options = {});
Result<BackupPolicy> PolicyFromJson(std::string_view json_text, std::vector<ConfigIssue>* warnings = nullptr,
                                    const ParseOptions& options = {});
Result<BackupRoutine> RoutineFromJson(std::string_view json_text, std::vector<ConfigIssue>* warnings = nullptr,
                                      const ParseOptions& options = {});
Result<SecretAgent> SecretAgentFromJson(std::string_view json_text, std::vector<ConfigIssue>* warnings = nullptr,
                                        const ParseOptions& options = {});

// A storage object in YAML: the `--remote` descriptor file naming where the config lives
// (v3 `s3-storage: {...}` shape, or the ABS 2.0 flat shape with a warning).
Result<Storage> StorageFromYaml(std::string_view yaml_text, std::vector<ConfigIssue>* warnings = nullptr,
                                const ParseOptions& options = {});

nlohmann::ordered_json ClusterToJson(const Cluster& cluster, bool redacted);
nlohmann::ordered_json StorageToJson(const Storage& storage, bool redacted);
nlohmann::ordered_json PolicyToJson(const BackupPolicy& policy);
nlohmann::ordered_json RoutineToJson(const BackupRoutine& routine);
nlohmann::ordered_json SecretAgentToJson(const SecretAgent& agent);
nlohmann::ordered_json ServiceToJson(const ServiceConfig& service, bool redacted);

// ---- secrets ----
// True for a literal secret value that API output must hide (non-empty, not "secrets:...").
bool IsLiteralSecret(const std::string& value);
// Copies with every literal secret replaced by "[secret]" (secrets: references kept).
Config RedactSecrets(Config config);
Cluster RedactSecrets(Cluster cluster);
Storage RedactSecrets(Storage storage);
// For PUT bodies: every "[secret]" in `incoming` is replaced by the value at the same place in
// `stored` (nullptr = nothing stored). A "[secret]" with no stored value is an error naming it.
Status RestoreRedactedSecrets(Config& incoming, const Config& stored);
Status RestoreRedactedSecrets(Cluster& incoming, const Cluster* stored);
Status RestoreRedactedSecrets(Storage& incoming, const Storage* stored);

}  // namespace aero::service
