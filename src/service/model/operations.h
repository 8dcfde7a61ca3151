// The seam between the REST API and the jobs (abs-api.md §3.4–§3.7): what an HTTP handler may ask
// of the backup and restore machinery.
//
// The HTTP handlers parse and validate requests, check that named routines exist in the running
// configuration, call BackupOperations, and serialise the plain structs of types.h with ABS 3.7's
// JSON shapes (api/backup_json.h). jobs::BackupService implements BackupOperations.
// Error codes returned by an implementation map to HTTP as: kInvalidArgument → 400, kNotFound → 404,
// kUnsupported → 503 ("not available"), anything else → 500. The message becomes the body.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "service/model/types.h"

namespace aero::service::model {

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

// Answers kUnsupported ("... not available: no backup engine in this build") to everything: what
// `--print-routes` and tests that need no engine serve.
std::unique_ptr<BackupOperations> NewUnavailableBackupOperations();

}  // namespace aero::service::model
