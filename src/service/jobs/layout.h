// The backup storage layout of ABS (abs-behaviour.md §1) and the decisions made from a listing of
// it: which backups exist, which folders retention deletes (§5.2), which backups a
// restore-to-timestamp applies (§6.2), and which run folders a crash left behind.
//
//   <routine>/backup/<ts>/data/<ns>/{*.asb, metadata.yaml}     full backups
//   <routine>/backup/<ts>/configuration/aerospike_<i>.conf     cluster configuration (optional)
//   <routine>/incremental/<ts>/data/<ns>/{*.asb, metadata.yaml}
//
// <ts> is the run start in epoch milliseconds (13 digits), optionally followed by "_<anything>".
// A namespace backup exists only once its metadata.yaml is there. The selection functions are pure
// (no storage access) so they are unit tested on their own.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/backup_metadata.h"
#include "common/status.h"
#include "service/config/config.h"
#include "service/model/types.h"
#include "storage/storage.h"

namespace aero::service::jobs {

using model::BackupType;

// "backup" or "incremental": the folder of a backup type.
const char* TypeFolder(BackupType type);
// "<routine>/<backup|incremental>/<ts>", or "<ts>_<UTC time>" with service.backup.timestamp-format
// ISO (2006-01-02T15-04-05), EU (02-Jan-2006-15-04-05) or US (Jan-02-2006-15-04-05).
std::string RunFolder(const std::string& routine, BackupType type, int64_t ts_ms,
                      const std::string& timestamp_format = "");
// The folder-name suffix of a timestamp format ("" for none or an unknown format).
std::string FormatRunTime(int64_t ts_ms, const std::string& timestamp_format);
// "<run>/data/<ns>".
std::string NamespaceFolder(const std::string& run_folder, const std::string& ns);
// "<run>/configuration".
std::string ConfigurationFolder(const std::string& run_folder);
// The timestamp of a run folder name ("1700000000000" or "1700000000000_2023-11-14T22-13-20"),
// nullopt when the name is not one.
std::optional<int64_t> ParseRunTimestamp(std::string_view folder_name);

// One completed namespace backup found in storage.
struct StoredBackup {
  BackupType type = BackupType::kFull;
  int64_t ts_ms = 0;           // from the run folder name
  std::string run_folder;      // "<routine>/<type>/<ts>"
  std::string key;             // "<run>/data/<ns>" (the API's `key`, restore's backup-data-path)
  backup::BackupMetadata meta;
  int64_t finished_ms() const { return meta.finished_unix_ms ? meta.finished_unix_ms : meta.created_unix_ms + 1; }
};

// Completed backups of one routine and type, sorted by (timestamp, namespace). A metadata.yaml
// that cannot be read or parsed is an error naming it (a damaged catalogue is not hidden).
Result<std::vector<StoredBackup>> ListStoredBackups(aero::Storage& storage, const std::string& routine, BackupType type);

// Run folders of a routine and type in which some namespace folder has no metadata.yaml, or that hold
// no completed namespace at all: what a killed or crashed run leaves behind.
Result<std::vector<std::string>> IncompleteRunFolders(aero::Storage& storage, const std::string& routine, BackupType type);

// Converts a stored backup to the API's BackupDetails.
model::BackupDetails ToDetails(const StoredBackup& b, const service::Storage* storage_config);

// Retention (abs-behaviour.md §5.2) over the completed backups of a routine: the run folders to
// delete. `fulls` and `incrementals` as listed (any order).
std::vector<std::string> RetentionDeletions(const std::vector<StoredBackup>& fulls,
                                            const std::vector<StoredBackup>& incrementals,
                                            const RetentionPolicy& policy);

// What a restore to `time_ms` applies to one namespace: the newest full finished by then, then the
// incrementals created after it and finished by then, oldest first, without those a newer
// (cumulative) incremental already covers.
struct RestoreChain {
  std::string ns;
  StoredBackup full;
  std::vector<StoredBackup> incrementals;
};
// One chain per namespace that has a full backup by `time_ms`; kNotFound when none has.
Result<std::vector<RestoreChain>> SelectRestoreChains(const std::vector<StoredBackup>& fulls,
                                                      const std::vector<StoredBackup>& incrementals,
                                                      int64_t time_ms);

}  // namespace aero::service::jobs
