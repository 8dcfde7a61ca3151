// From configuration objects to engine objects: a configured cluster to a connected client, a
// configured storage to an opened Storage backend, a backup policy + routine to a BackupRequest,
// a restore policy to RestoreOptions. Pointing the service at a real cluster and S3 instead of
// the test server and a local folder is only a change of these configuration objects.
//
// Secrets: every field ABS lets hold a "secrets:<resource>:<key>" reference (cluster password and
// TLS key-file-password, S3 access/secret keys, Azure account-key/client-secret, GCP key,
// encryption key-secret) is resolved through the Aerospike Secret Agent picked by the
// model::SecretResolver passed in: the object's own secret-agent / secret-agent-name, else the run's
// agent (routine `secret-agent`, restore request agent). Callers that pass no resolver get one that
// knows no named agents: inline agents still work, a secret-agent-name is reported as unknown.
// Resolved secrets go only into the client/storage/codec settings, never into logs or errors.
#pragma once

#include <memory>
#include <string>

#include "backup/backup.h"
#include "client/cluster.h"
#include "common/status.h"
#include "format/codec.h"
#include "restore/restore.h"
#include "service/config/config.h"
#include "service/model/secret_resolver.h"
#include "service/model/types.h"
#include "storage/storage.h"

namespace aero::service::jobs {

// Seeds, credentials (password or password-path, trimmed), TLS and timeouts of `cluster`, then
// connects. Errors name the cluster (label or seeds). The TLS key-file-password may be "env:VAR",
// "file:PATH", a secrets: reference (through the credentials' agent) or the passphrase itself.
Result<std::shared_ptr<client::Cluster>> ConnectCluster(const Cluster& cluster,
                                                        const model::SecretResolver& secrets = {});
Result<client::ClientPolicy> ClientPolicyFor(const Cluster& cluster, const model::SecretResolver& secrets = {});

// Opens a configured storage as model::StorageTargetFor maps it (storage keys resolved through
// `secrets`); a local root folder is created first.
Result<std::unique_ptr<aero::Storage>> OpenConfiguredStorage(const service::Storage& storage,
                                                             const model::SecretResolver& secrets = {});

// Compression/encryption of a backup policy: the key from key-file, key-env or key-secret (a
// secrets: reference fetched through the run's agent; PEM, or base64 of PEM, as the agent holds it).
Result<CodecOptions> CodecFor(const std::optional<CompressionPolicy>& compression,
                              const std::optional<EncryptionPolicy>& encryption,
                              const model::SecretResolver& secrets = {});

// The engine request for one namespace of a routine's run (everything but output folder, window
// and identity, which the job fills in).
Result<backup::BackupRequest> BackupRequestFor(const BackupRoutine& routine, const BackupPolicy& policy,
                                               model::BackupType type, const std::string& ns,
                                               const model::SecretResolver& secrets = {});

// Restore options from an API restore policy; `codec` is what the backup was written with.
Result<restore::RestoreOptions> RestoreOptionsFor(const model::RestorePolicy& policy,
                                                  const model::SecretResolver& secrets = {});

}  // namespace aero::service::jobs
