// The seam between the REST API and the backup/restore engines + scheduler (abs-api.md §3.4–§3.7).
//
// The HTTP handlers parse and validate requests, check that named routines exist in the running
// configuration, call BackupOperations, and serialise the plain structs below with ABS 3.7's JSON
// shapes (backup_json.h). The jobs/scheduler code implements BackupOperations.
// Error codes returned by an implementation map to HTTP as: kInvalidArgument → 400, kNotFound → 404,
// kUnsupported → 503 ("not available"), anything else → 500. The message becomes the body.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "service/config/config.h"

namespace aero::service::api {

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

class BackupOperations {
 public:
  virtual ~BackupOperations() = default;

  // Completed backups of one routine (GET /v1/backups/{full|incremental}[/{name}]).
  virtual Result<std::vector<BackupDetails>> ListBackups(const std::string& routine, BackupType type,
                                                         const TimeBounds& bounds) = 0;
  // One-shot trigger after `delay` (POST /v1/backups/{full|incremental|schedule}/{name}); admission
  // rules apply when it fires.
  virtual Status TriggerBackup(const std::string& routine, BackupType type, std::chrono::milliseconds delay) = 0;
  // GET /v1/backups/currentBackup/{name}
  virtual Result<RoutineState> CurrentBackups(const std::string& routine) = 0;
  // POST /v1/backups/cancel/{name}: cancels running full and incremental of the routine.
  virtual Status CancelBackups(const std::string& routine) = 0;

  // Starts a restore job (validated request), returning its id (POST /v1/restore/full|incremental).
  virtual Result<RestoreJobId> Restore(const RestoreRequest& request) = 0;
  // POST /v1/restore/timestamp
  virtual Result<RestoreJobId> RestoreByTime(const RestoreTimestampRequest& request) = 0;
  // GET /v1/restore/status/{jobId}
  virtual Result<RestoreJobStatus> RestoreStatus(RestoreJobId id) = 0;
  // GET /v1/restore/jobs: every job known (the handler filters by time and status).
  virtual Result<std::map<RestoreJobId, RestoreJobStatus>> RestoreJobs() = 0;
  // POST /v1/restore/cancel/{jobId}
  virtual Status CancelRestore(RestoreJobId id) = 0;

  // GET /v1/retrieve/configuration/{name}/{timestamp}: the server configuration files of the latest
  // full backup at or before `timestamp_ms`, as (file name, content) pairs; the handler zips them.
  virtual Result<std::vector<std::pair<std::string, std::string>>> RetrieveConfiguration(
      const std::string& routine, int64_t timestamp_ms) = 0;
};

// Answers kUnsupported ("... not available: no backup engine in this build") to everything, until
// the jobs engine implements BackupOperations.
std::unique_ptr<BackupOperations> NewUnavailableBackupOperations();

}  // namespace aero::service::api
