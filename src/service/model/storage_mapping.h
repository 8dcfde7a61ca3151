// From a configured storage (ABS local-storage / s3-storage / azure-storage / gcp-storage) to the
// StorageUri and StorageOptions the storage layer opens: the one place where ABS's storage keys
// meet the backends' settings. The jobs use it for every backup and restore
// (jobs/connections.h), the --remote descriptor for the object holding the configuration
// (config_sources.h), so both see every key (min-part-size, storage-class, s3-log-level, ...).
//
// The keys that may hold a "secrets:<resource>:<key>" reference (S3 access-key-id /
// secret-access-key, Azure account-key / client-secret, GCP key) are handed to a StorageSecretFn
// with the storage's own agent settings, so each caller keeps its own policy: the jobs resolve
// through their SecretResolver (ResolveThrough), the descriptor through its inline agent only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "service/config/config.h"
#include "service/model/secret_resolver.h"
#include "storage/factory.h"
#include "storage/options.h"

namespace aero::service::model {

// One secret-capable key of a configured storage, as StorageTargetFor asks for it.
struct StorageSecretField {
  std::string_view backend;                             // "s3-storage", "azure-storage", "gcp-storage"
  std::string_view key;                                 // "access-key-id", "account-key", "key", ...
  const std::optional<std::string>& value;              // literal, reference or unset
  const std::optional<SecretAgent>& secret_agent;       // the storage's inline secret-agent
  const std::optional<std::string>& secret_agent_name;  // the storage's secret-agent-name
};
// The value to use for a field (unset → ""), or an error naming the field.
using StorageSecretFn = std::function<Result<std::string>(const StorageSecretField&)>;

// The jobs' policy: the field named "<backend> <key>" (e.g. "s3-storage access-key-id"), resolved by
// `secrets` (the storage's own agent, else its named agent, else the run's). Valid while `secrets` is.
StorageSecretFn ResolveThrough(const SecretResolver& secrets);

struct StorageTarget {
  StorageUri uri;          // local root, or bucket/container and the `path` prefix (no '/' at the ends)
  StorageOptions options;  // the backend's part filled in from the storage's keys
};

// Maps `storage`; no storage access (a local root is not created here). Errors come from `secret`.
Result<StorageTarget> StorageTargetFor(const Storage& storage, const StorageSecretFn& secret);

}  // namespace aero::service::model
