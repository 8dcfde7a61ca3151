// From configuration objects to engine objects: a configured cluster to a connected client, a
// configured storage to an opened Storage backend, a backup policy + routine to a BackupRequest,
// a restore policy to RestoreOptions. Pointing the service at a real cluster and S3 instead of
// the test server and a local folder is only a change of these configuration objects.
//
// Secret Agent references ("secrets:...") are refused with kUnsupported naming the field: this
// build has no Secret Agent client, and silently using the literal text would be wrong.
#pragma once

#include <memory>
#include <string>

#include "backup/backup.h"
#include "client/cluster.h"
#include "common/status.h"
#include "format/codec.h"
#include "restore/restore.h"
#include "service/api/backup_service.h"
#include "service/config/config.h"
#include "storage/storage.h"

namespace aero::service::jobs {

// Seeds, credentials (password or password-path, trimmed), TLS and timeouts of `cluster`, then
// connects. Errors name the cluster (label or seeds).
Result<std::shared_ptr<client::Cluster>> ConnectCluster(const Cluster& cluster);
Result<client::ClientPolicy> ClientPolicyFor(const Cluster& cluster);

// The storage URI ("/path", "s3://bucket/prefix", ...) and options of a configured storage.
Result<std::unique_ptr<aero::Storage>> OpenConfiguredStorage(const service::Storage& storage);

// Compression/encryption of a backup policy (key from key-file or key-env).
Result<CodecOptions> CodecFor(const std::optional<CompressionPolicy>& compression,
                              const std::optional<EncryptionPolicy>& encryption);

// The engine request for one namespace of a routine's run (everything but output folder, window
// and identity, which the job fills in).
Result<backup::BackupRequest> BackupRequestFor(const BackupRoutine& routine, const BackupPolicy& policy,
                                               api::BackupType type, const std::string& ns);

// Restore options from an API restore policy; `codec` is what the backup was written with.
Result<restore::RestoreOptions> RestoreOptionsFor(const api::RestorePolicy& policy);

}  // namespace aero::service::jobs
