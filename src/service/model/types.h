// The service's plain value types: what a backup, a running job, a routine's state and a restore
// job are, and what a restore request asks for (abs-api.md §3.4–§3.7). The REST API serialises them
// with ABS 3.7's JSON shapes (api/backup_json.h), the jobs produce and consume them through
// BackupOperations (operations.h), the scheduler uses BackupType.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "service/config/config.h"

namespace aero::service::model {

using TimePoint = std::chrono::time_point<std::chrono::system_clock, std::chrono::nanoseconds>;
using RestoreJobId = int64_t;  // random non-negative 63-bit ids (ABS)

enum class BackupType { kFull, kIncremental };
const char* BackupTypeName(BackupType t);  // "full" / "incremental"

// Query bounds in epoch milliseconds (inclusive). Newest ABS: created >= from, finished <= to.
struct TimeBounds {
  std::optional<int64_t> from_ms;
  std::optional<int64_t> to_ms;
};

// One namespace of one backup run (BackupDetails).
struct BackupDetails {
  TimePoint created{};                 // run start
  std::optional<TimePoint> finished;   // namespace end
  std::optional<TimePoint> from;       // incremental lower bound; unset for fulls
  std::string ns;                      // namespace
  uint64_t record_count = 0;
  uint64_t byte_count = 0;
  uint64_t file_count = 0;
  uint64_t secondary_index_count = 0;
  uint64_t udf_count = 0;
  std::string key;                     // "<routine>/backup/<ts>/data/<ns>", relative to the storage root
  std::optional<Storage> storage;      // storage holding it (redacted on output)
  std::string compression = "NONE";    // NONE | ZSTD
  std::string encryption = "NONE";     // NONE | AES128 | AES256
};

// Progress of a running (or, for restores, finished) job.
struct RunningJob {
  uint64_t total_records = 0;
  uint64_t done_records = 0;
  TimePoint start_time{};
  std::optional<TimePoint> finish_time;
  // percentage-done and estimated-end-time are derived by the serialiser (abs-behaviour §4).
  std::optional<double> records_per_second;
  std::optional<double> kilobytes_per_second;
  std::optional<uint64_t> pipeline;
};

// GET /v1/backups/currentBackup/{name}
struct RoutineState {
  std::optional<RunningJob> full;
  std::optional<RunningJob> incremental;
  std::optional<TimePoint> last_full;
  std::optional<TimePoint> last_incremental;
  std::optional<TimePoint> next_full;
  std::optional<TimePoint> next_incremental;
};

enum class RestoreJobState { kRunning, kSuccess, kFailure, kCanceled };
const char* RestoreJobStateName(RestoreJobState s);  // running / success / failure / canceled

struct RestoreJobStatus {
  uint64_t read_records = 0;
  uint64_t total_bytes = 0;
  uint64_t expired_records = 0;
  uint64_t skipped_records = 0;
  uint64_t ignored_records = 0;
  uint64_t inserted_records = 0;
  uint64_t existed_records = 0;
  uint64_t fresher_records = 0;
  uint64_t index_count = 0;
  uint64_t udf_count = 0;
  uint64_t errors_in_doubt = 0;
  std::optional<RunningJob> current_job;
  RestoreJobState status = RestoreJobState::kRunning;
  std::string error;  // empty when none
};

// RestorePolicy (abs-api.md §3.6). Unset = engine default.
struct RestoreNamespaceMap {
  std::string source;
  std::string destination;
};
struct RestorePolicy {
  std::optional<int> parallel;
  std::optional<bool> no_records, no_indexes, no_udfs;
  std::optional<int64_t> timeout_ms;         // v2.0 `timeout` (total timeout)
  std::optional<int64_t> socket_timeout_ms;  // socket-timeout
  std::optional<int64_t> total_timeout_ms;   // total-timeout
  std::optional<bool> disable_batch_writes;
  std::optional<int> max_async_batches;
  std::optional<int> batch_size;
  std::optional<RestoreNamespaceMap> ns;     // namespace {source, destination}
  std::vector<std::string> set_list;
  std::vector<std::string> bin_list;
  std::optional<bool> replace, unique, no_generation;
  std::optional<int64_t> bandwidth;          // MiB/s
  std::optional<int64_t> tps;
  std::optional<EncryptionPolicy> encryption;
  std::optional<CompressionPolicy> compression;
  std::optional<RetryPolicy> retry_policy;   // base-timeout/multiplier/max-retries (v2.0 camelCase accepted)
  std::optional<int64_t> extra_ttl_s;        // extra-ttl
};

// POST /v1/restore/full and /v1/restore/incremental.
struct RestoreRequest {
  std::optional<Cluster> destination;        // inline, or
  std::string destination_name;              // a configured cluster
  std::optional<Storage> source;             // inline storage root, or
  std::string source_name;                   // a configured storage
  // Backup folder relative to the storage root (`key` of the listing). Empty only for the ABS 2.0 form,
  // where `source.path` is the backup folder itself.
  std::string backup_data_path;
  std::optional<SecretAgent> secret_agent;
  std::string secret_agent_name;
  RestorePolicy policy;
};

// POST /v1/restore/timestamp.
struct RestoreTimestampRequest {
  std::string routine;
  int64_t time_ms = 0;
  std::optional<Cluster> destination;
  std::string destination_name;
  std::optional<Storage> source;
  std::string source_name;
  std::optional<SecretAgent> secret_agent;
  std::string secret_agent_name;
  RestorePolicy policy;
  bool disable_reordering = false;
};

}  // namespace aero::service::model
