// The core of the service: BackupOperations (what the REST API calls) and ConfigListener (how
// configuration changes reach the schedules), on top of the scheduler and the backup and restore
// engines.
//
// Backups. Each routine has cron triggers for full and incremental backups (Scheduler). When a
// trigger fires, admission follows ABS 3.x (abs-behaviour.md §2.1): a full is skipped while a full of
// the routine runs; an incremental is skipped when no full ever completed, or while any backup of
// the routine runs (unless `concurrent-incremental`). Scheduled runs that would overlap are skipped
// and counted, never queued; an on-demand trigger that meets a running backup is kept (one per type)
// and fired again when that backup ends, so it is never lost. An admitted
// run gets its own thread; at most `max_concurrent_backups` runs execute at once (the others wait
// for a slot, counted as running). A run backs up every namespace (concurrently, the policy's
// `parallel` shared between them) into <routine>/<type>/<ts>/data/<ns>, retrying a failed
// namespace per `retry-policy`. A run that finally fails or is cancelled has its whole folder
// deleted, and the routine's last-run times are not advanced, so the next incremental covers the
// window again. Incrementals that captured nothing are deleted. After a successful full: the
// cluster configuration (with-cluster-configuration) and retention.
//
// Last-run times come from the backups found in storage (read when a routine is first scheduled);
// run folders left by a killed process are deleted then (ABS 3.7 startup sweep).
//
// Restores run on their own threads as jobs with random ids; restore-to-timestamp applies the chain
// of each namespace (full, then incrementals in order) as one job.
//
// Shutdown(): stops the scheduler, waits up to a grace period for running jobs, then cancels the
// rest and waits for them to end (a cancelled backup deletes its folder: nothing half-written is ever
// published, as a backup is published by its metadata.yaml, written last).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "service/config/config.h"
#include "service/metrics/metrics.h"
#include "service/model/config_store.h"
#include "service/model/operations.h"
#include "service/scheduler/scheduler.h"
#include "storage/storage.h"

namespace aero::service::jobs {

struct ServiceOptions {
  int max_concurrent_backups = 4;  // runs executing at once, all routines together
  std::chrono::milliseconds shutdown_grace{5000};
  // Catch-up at start (ABS): a routine whose last full backup is older than its previous cron
  // firing (or that never had one) gets a full backup right away.
  bool catch_up = true;
  const Clock* clock = nullptr;  // nullptr = system clock
};

class BackupService : public model::BackupOperations, public model::ConfigListener {
 public:
  // Adds the records/bytes families to `registry`; feeds `metrics`. Both must outlive the service.
  BackupService(metrics::Registry& registry, metrics::AbsMetrics& metrics, ServiceOptions options = {});
  ~BackupService() override;
  BackupService(const BackupService&) = delete;
  BackupService& operator=(const BackupService&) = delete;

  // Schedules the routines of `config` and starts the scheduler.
  Status Start(const Config& config);
  // See the header comment. Idempotent.
  void Shutdown();

  // ConfigListener: reschedules changed routines, unschedules removed/disabled ones (their running
  // jobs keep the settings they started with).
  Status OnConfigChanged(const Config& config) override;

  // BackupOperations.
  Result<std::vector<model::BackupDetails>> ListBackups(const std::string& routine, model::BackupType type,
                                                        const model::TimeBounds& bounds) override;
  Status TriggerBackup(const std::string& routine, model::BackupType type, std::chrono::milliseconds delay) override;
  Result<model::RoutineState> CurrentBackups(const std::string& routine) override;
  Status CancelBackups(const std::string& routine) override;
  Result<model::RestoreJobId> Restore(const model::RestoreRequest& request) override;
  Result<model::RestoreJobId> RestoreByTime(const model::RestoreTimestampRequest& request) override;
  Result<model::RestoreJobStatus> RestoreStatus(model::RestoreJobId id) override;
  Result<std::map<model::RestoreJobId, model::RestoreJobStatus>> RestoreJobs() override;
  Status CancelRestore(model::RestoreJobId id) override;
  Result<std::vector<std::pair<std::string, std::string>>> RetrieveConfiguration(const std::string& routine,
                                                                                  int64_t timestamp_ms) override;

  // Runs the scheduler's admission for routine/type now, as a firing trigger would (tests).
  void FireNow(const std::string& routine, model::BackupType type) { OnFire(routine, type, true); }

 private:
  struct BackupRun;
  struct RestoreJobEntry;
  struct RoutineRuntime;

  void OnFire(const std::string& routine, model::BackupType type, bool on_demand);
  void OnTick();
  void ScheduleRoutineLocked(const std::string& name, const BackupRoutine& routine, bool startup);
  void PublishFullDueLocked(const std::string& routine);
  void RunBackup(std::shared_ptr<BackupRun> job);
  void RunRestoreJob(std::shared_ptr<RestoreJobEntry> job);
  Status LoadHistory(const std::string& routine, const Config& config, bool sweep);
  void ApplyRetention(BackupRun& job, aero::Storage& storage);
  void WriteClusterConfiguration(BackupRun& job, aero::Storage& storage, const std::string& run_folder);
  void SpawnLocked(std::function<void()> fn);
  void ReapLocked();
  Result<model::RestoreJobId> StartRestore(std::shared_ptr<RestoreJobEntry> job);
  std::shared_ptr<std::shared_mutex> RoutineStorageLock(const std::string& routine);
  // kInvalidArgument when a running backup reads one of `namespaces` of `destination` (ABS 3.5).
  Status CheckNoRunningBackup(const Cluster& destination, const std::vector<std::string>& namespaces);
  void RecordOutcome(const BackupRun& job, const std::string& outcome, double seconds);
  const Clock& clock() const { return *clock_; }

  metrics::AbsMetrics& metrics_;
  metrics::Family& records_total_;        // routine, type
  metrics::Family& bytes_total_;          // routine, type
  metrics::Family& restore_records_total_;  // -
  ServiceOptions options_;
  const Clock* clock_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // slot freed / job finished
  Config config_;
  bool started_ = false, stopping_ = false;
  std::map<std::string, std::shared_ptr<RoutineRuntime>> routines_;
  std::map<model::RestoreJobId, std::shared_ptr<RestoreJobEntry>> restores_;
  std::map<std::string, std::shared_ptr<std::shared_mutex>> storage_locks_;
  int running_backups_ = 0;  // holding a slot
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::list<Worker> workers_;
  std::mt19937_64 rng_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
};

}  // namespace aero::service::jobs
