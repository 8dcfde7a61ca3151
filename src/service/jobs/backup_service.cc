// BackupService: admission, backup runs, retention, restores, shutdown (see backup_service.h).
#include "service/jobs/backup_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "backup/backup.h"
#include "backup/backup_metadata.h"
#include "client/metadata.h"
#include "restore/restore.h"
#include "service/jobs/connections.h"
#include "service/jobs/layout.h"

namespace aero::service::jobs {

using model::BackupType;
using model::RestoreJobState;

namespace {

model::TimePoint FromMs(int64_t ms) { return model::TimePoint(std::chrono::milliseconds(ms)); }

const char* TypeName(BackupType t) { return model::BackupTypeName(t); }

void AddStats(restore::RestoreStats& d, const restore::RestoreStats& s) {
  d.records_read += s.records_read;
  d.records_inserted += s.records_inserted;
  d.records_existed += s.records_existed;
  d.records_fresher += s.records_fresher;
  d.records_expired += s.records_expired;
  d.records_skipped += s.records_skipped;
  d.records_failed += s.records_failed;
  d.records_ignored += s.records_ignored;
  d.records_abandoned += s.records_abandoned;
  d.bytes_read += s.bytes_read;
  d.sindexes_restored += s.sindexes_restored;
  d.udfs_restored += s.udfs_restored;
}

// Errors that another attempt cannot fix (bad settings, missing things, cancel).
bool Permanent(const Status& st) {
  switch (st.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kAuth:
    case ErrorCode::kUnsupported:
    case ErrorCode::kCancelled:
    case ErrorCode::kInternal:
      return true;
    default:
      return false;
  }
}

// The secret resolver of a restore request: its secret-agent-name (which must exist) or inline
// secret-agent is the run's agent. A bad name is the caller's mistake (400).
Result<model::SecretResolver> RequestSecrets(const Config& config, const std::string& agent_name,
                                             const std::optional<SecretAgent>& inline_agent) {
  if (!agent_name.empty() && inline_agent) {
    return Status(ErrorCode::kInvalidArgument, "secret-agent and secret-agent-name are mutually exclusive");
  }
  auto secrets = model::SecretResolver::ForRun(
      config, agent_name.empty() ? std::nullopt : std::optional<std::string>(agent_name), inline_agent);
  if (!secrets.ok()) return Status(ErrorCode::kInvalidArgument, secrets.status().message());
  return secrets;
}

}  // namespace

// One admitted run of a routine: every namespace, its retries and what follows a full (the backup
// engine's own per-namespace job is src/backup's BackupJob).
struct BackupService::BackupRun {
  std::string routine_name;
  BackupRoutine routine;
  BackupPolicy policy;
  Cluster cluster;
  service::Storage storage;
  BackupType type = BackupType::kFull;
  int64_t ts_ms = 0;    // run start = folder name = `created`
  int64_t from_ms = 0;  // incremental lower bound
  std::string id;       // "<routine>/<type>/<ts>" in logs
  // Resolves secrets: references of this run (the routine's secret-agent is the run's agent);
  // `secrets_status` holds why it could not be built, and the run fails with it.
  model::SecretResolver secrets;
  Status secrets_status;
  CancelToken cancel;
  std::atomic<bool> failed{false};  // a namespace failed for good (the others are cancelled then)
  std::atomic<int> backing_off{0};  // namespaces waiting to retry: nothing in flight to let finish
  std::mutex mu;
  std::vector<std::shared_ptr<backup::BackupProgress>> progress;  // one per namespace

  // "msg routine=r type=full job=r/backup/123" — every job log line names routine and job.
  template <typename... Args>
  void Log(spdlog::level::level_enum lvl, fmt::format_string<Args...> f, Args&&... args) const {
    spdlog::log(lvl, "{} routine={} type={} job={}", fmt::format(f, std::forward<Args>(args)...), routine_name,
                TypeName(type), id);
  }
};

struct BackupService::RoutineRuntime {
  bool history_loaded = false;
  int64_t last_full_ms = 0;  // start of the last successful full (0 = never)
  int64_t last_incr_ms = 0;
  int64_t last_ts_ms = 0;    // last run timestamp handed out (folder names stay unique)
  std::shared_ptr<BackupRun> full, incremental;
  // On-demand triggers that met a running backup: fired again when a backup of the routine ends
  // (coalesced: at most one of each type waits), so an on-demand trigger is never lost.
  bool pending_full = false, pending_incremental = false;
  bool catch_up_pending = false;  // the next one-shot full is the start-up catch-up (for the log)
  std::optional<cron::CronExpression> full_cron;  // while scheduled: for full_backup_due_timestamp
  cron::TimeZone zone = cron::TimeZone::Utc();
};

struct BackupService::RestoreJobEntry {
  model::RestoreJobId id = 0;
  CancelToken cancel;
  // Request, resolved at submission.
  Cluster destination;
  service::Storage source;
  std::string routine;          // restore-to-timestamp: chain from this routine's folder
  int64_t time_ms = 0;          // restore-to-timestamp: the point in time
  bool by_time = false;
  std::string path;             // restore by path: folder relative to the source root
  model::RestorePolicy policy;
  restore::RestoreOptions options;
  model::SecretResolver secrets;  // the request's secret-agent(-name) is the run's agent

  std::mutex mu;
  restore::RestoreStats done;             // finished steps
  std::set<restore::RestoreJob*> current; // steps running now (one per namespace)
  RestoreJobState state = RestoreJobState::kRunning;
  std::string error;
  int64_t start_ms = 0, finish_ms = 0;
  uint64_t total_records = 0;

  template <typename... Args>
  void Log(spdlog::level::level_enum lvl, fmt::format_string<Args...> f, Args&&... args) const {
    spdlog::log(lvl, "{} routine={} job={}", fmt::format(f, std::forward<Args>(args)...),
                routine.empty() ? "-" : routine, id);
  }
};

BackupService::BackupService(metrics::Registry& registry, metrics::AbsMetrics& metrics, ServiceOptions options)
    : metrics_(metrics),
      records_total_(registry.AddCounter("aerospike_backup_service_backup_records_total",
                                         "Records written by successful backups", {"routine", "type"})),
      bytes_total_(registry.AddCounter("aerospike_backup_service_backup_bytes_total",
                                       "Bytes stored by successful backups", {"routine", "type"})),
      restore_records_total_(registry.AddCounter("aerospike_backup_service_restore_records_total",
                                                 "Records written by restores")),
      options_(options),
      clock_(options.clock ? options.clock : &SystemClock::Instance()),
      rng_(std::random_device{}()) {
  scheduler_ = std::make_unique<scheduler::Scheduler>(
      *clock_, [this](const std::string& r, BackupType t, bool od) { OnFire(r, t, od); }, [this] { OnTick(); });
}

BackupService::~BackupService() { Shutdown(); }

// ---------------------------------------------------------------------------------------------
// configuration and scheduling

Status BackupService::Start(const Config& config) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_) return Status(ErrorCode::kInternal, "backup service already started");
    started_ = true;
    config_ = config;
  }
  // History first (and the sweep of crashed runs), so catch-up and incrementals know the last runs.
  for (const auto& [name, r] : config.routines) {
    if (r.disabled) continue;
    if (Status st = LoadHistory(name, config, /*sweep=*/true); !st.ok()) {
      spdlog::warn("cannot read the backup history, will retry at the next run: {} routine={}", st.message(), name);
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [name, r] : config_.routines) {
      if (!r.disabled) ScheduleRoutineLocked(name, r, /*startup=*/true);
    }
  }
  scheduler_->Start();
  return Status::Ok();
}

void BackupService::ScheduleRoutineLocked(const std::string& name, const BackupRoutine& r, bool startup) {
  scheduler::RoutineSchedule s;
  auto zone = cron::TimeZone::Load(config_.ScheduleTimezoneFor(r));
  if (!zone.ok()) {
    spdlog::error("routine not scheduled: {} routine={}", zone.status().message(), name);
    return;
  }
  s.zone = *zone;
  auto full = cron::CronExpression::Parse(r.interval_cron);
  if (!full.ok()) {
    spdlog::error("routine not scheduled: interval-cron: {} routine={}", full.status().message(), name);
    return;
  }
  s.full = *full;
  if (!r.incr_interval_cron.empty()) {
    auto incr = cron::CronExpression::Parse(r.incr_interval_cron);
    if (!incr.ok()) {
      spdlog::error("routine not scheduled: incr-interval-cron: {} routine={}", incr.status().message(), name);
      return;
    }
    s.incremental = *incr;
  }
  scheduler_->SetSchedule(name, s);
  {
    auto& rt = routines_[name];
    if (!rt) rt = std::make_shared<RoutineRuntime>();
    rt->full_cron = s.full;
    rt->zone = s.zone;
    PublishFullDueLocked(name);
    // Every outcome series exists at 0 from the start: Prometheus' increase() cannot see the first
    // event of a series that appears at 1.
    for (BackupType type : {BackupType::kFull, BackupType::kIncremental}) {
      for (const char* outcome : {"success", "failure", "canceled", "retry", "skip"}) {
        metrics_.backup_events_total.WithLabels({name, TypeName(type), outcome}).Inc(0);
      }
    }
  }
  spdlog::info("scheduled: full \"{}\"{} in {} routine={}", r.interval_cron,
               r.incr_interval_cron.empty() ? "" : ", incremental \"" + r.incr_interval_cron + "\"",
               config_.ScheduleTimezoneFor(r), name);
  if (startup && options_.catch_up) {
    auto& rt = routines_[name];
    if (!rt) rt = std::make_shared<RoutineRuntime>();
    const auto now = clock().Now();
    bool due = rt->last_full_ms == 0;
    if (!due) {
      auto next = s.full->NextAfter(std::chrono::system_clock::time_point(std::chrono::milliseconds(rt->last_full_ms)),
                                    s.zone);
      due = next && *next <= now;
    }
    if (due) {
      spdlog::info("catch-up: no full backup since the last scheduled time, starting one now routine={}", name);
      rt->catch_up_pending = true;
      scheduler_->AddOneShot(name, BackupType::kFull, now);
    }
  }
}

Status BackupService::OnConfigChanged(const Config& config) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Status(ErrorCode::kUnsupported, "the service is shutting down");
  const Config old = config_;
  config_ = config;
  if (!started_) return Status::Ok();
  for (const auto& [name, r] : old.routines) {
    auto it = config.routines.find(name);
    if (it == config.routines.end() || it->second.disabled) {
      scheduler_->RemoveSchedule(name);
      if (auto rt = routines_.find(name); rt != routines_.end()) rt->second->full_cron.reset();
      PublishFullDueLocked(name);
      spdlog::info("unscheduled routine={}", name);
      if (it != config.routines.end() && !r.disabled) {
        // ABS: disabling a routine also cancels its running backups.
        auto rt = routines_.find(name);
        if (rt != routines_.end()) {
          if (rt->second->full) rt->second->full->cancel.Cancel("routine disabled");
          if (rt->second->incremental) rt->second->incremental->cancel.Cancel("routine disabled");
        }
      }
    }
  }
  for (const auto& [name, r] : config.routines) {
    if (r.disabled) continue;
    auto it = old.routines.find(name);
    bool changed = it == old.routines.end() || it->second.disabled || it->second.interval_cron != r.interval_cron ||
                   it->second.incr_interval_cron != r.incr_interval_cron ||
                   old.ScheduleTimezoneFor(it->second) != config.ScheduleTimezoneFor(r);
    if (changed) ScheduleRoutineLocked(name, r, false);
    // Storage may have changed: read the history again before the next run.
    if (it == old.routines.end() || it->second.storage != r.storage ||
        old.storage.count(r.storage) == 0 || !(old.storage.at(r.storage) == config.storage.at(r.storage))) {
      auto rt = routines_.find(name);
      if (rt != routines_.end()) rt->second->history_loaded = false;
    }
  }
  cv_.notify_all();
  return Status::Ok();
}

Status BackupService::LoadHistory(const std::string& routine, const Config& config, bool sweep) {
  auto rit = config.routines.find(routine);
  if (rit == config.routines.end()) return Status(ErrorCode::kNotFound, "routine \"" + routine + "\" not found");
  auto sit = config.storage.find(rit->second.storage);
  if (sit == config.storage.end()) {
    return Status(ErrorCode::kNotFound, "storage \"" + rit->second.storage + "\" not found");
  }
  ABS_ASSIGN_OR_RETURN(auto secrets, model::SecretResolver::ForRun(config, rit->second.secret_agent));
  ABS_ASSIGN_OR_RETURN(auto storage, OpenConfiguredStorage(sit->second, secrets));
  if (sweep) {
    for (BackupType type : {BackupType::kFull, BackupType::kIncremental}) {
      ABS_ASSIGN_OR_RETURN(auto leftovers, IncompleteRunFolders(*storage, routine, type));
      for (const auto& dir : leftovers) {
        Status st = storage->DeleteDirectory(dir);
        if (st.ok()) {
          spdlog::warn("deleted {}: a run that did not finish (no metadata.yaml) routine={}", dir, routine);
        } else {
          spdlog::error("cannot delete the unfinished run {}: {} routine={}", dir, st.message(), routine);
        }
      }
    }
  }
  ABS_ASSIGN_OR_RETURN(auto fulls, ListStoredBackups(*storage, routine, BackupType::kFull));
  ABS_ASSIGN_OR_RETURN(auto incs, ListStoredBackups(*storage, routine, BackupType::kIncremental));
  std::lock_guard<std::mutex> lock(mu_);
  auto& rt = routines_[routine];
  if (!rt) rt = std::make_shared<RoutineRuntime>();
  for (const auto& f : fulls) rt->last_full_ms = std::max(rt->last_full_ms, f.ts_ms);
  for (const auto& i : incs) rt->last_incr_ms = std::max(rt->last_incr_ms, i.ts_ms);
  rt->last_ts_ms = std::max({rt->last_ts_ms, rt->last_full_ms, rt->last_incr_ms});
  rt->history_loaded = true;
  PublishFullDueLocked(routine);
  return Status::Ok();
}

// full_backup_due_timestamp: the first scheduled full after the last successful one (after now when
// none succeeded), so an alert can tell a routine between runs from one whose scheduled full did not
// succeed (deploy/prometheus/alerts.yml). Not exported while the routine is not scheduled.
void BackupService::PublishFullDueLocked(const std::string& routine) {
  auto it = routines_.find(routine);
  std::optional<int64_t> due;
  if (it != routines_.end() && it->second && it->second->full_cron) {
    const RoutineRuntime& rt = *it->second;
    due = rt.full_cron->NextAfterUnix((rt.last_full_ms ? rt.last_full_ms : clock().NowUnixMillis()) / 1000, rt.zone);
  }
  if (due) {
    metrics_.full_backup_due_timestamp.WithLabels({routine}).Set(static_cast<double>(*due));
  } else {
    metrics_.full_backup_due_timestamp.Remove({routine});
  }
}

// ---------------------------------------------------------------------------------------------
// admission

void BackupService::OnFire(const std::string& routine, BackupType type, bool on_demand) {
  Config config;
  bool need_history = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !config_.routines.count(routine)) return;
    auto& rt = routines_[routine];
    if (!rt) rt = std::make_shared<RoutineRuntime>();
    need_history = !rt->history_loaded;
    if (need_history) config = config_;
  }
  if (need_history) {
    if (Status st = LoadHistory(routine, config, false); !st.ok()) {
      spdlog::warn("cannot read the backup history: {} routine={}", st.message(), routine);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return;
  auto rit = config_.routines.find(routine);
  if (rit == config_.routines.end()) return;
  const BackupRoutine& r = rit->second;
  auto& rt = routines_[routine];
  const BackupPolicy policy = config_.PolicyFor(r);
  const char* why = nullptr;
  if (type == BackupType::kFull) {
    if (rt->full) why = "a full backup of the routine is still running";
  } else {
    if (rt->last_full_ms == 0) {
      why = "no full backup has completed yet";
    } else if ((rt->full || rt->incremental) && !policy.concurrent_incremental.value_or(false)) {
      why = rt->full ? "a full backup of the routine is running" : "an incremental backup of the routine is still running";
    }
  }
  if (why && on_demand && (rt->full || rt->incremental)) {
    (type == BackupType::kFull ? rt->pending_full : rt->pending_incremental) = true;
    spdlog::info("on-demand {} backup deferred until the running backup ends: {} routine={} type={}",
                 TypeName(type), why, routine, TypeName(type));
    return;
  }
  if (why) {
    spdlog::warn("{} backup skipped: {} routine={} type={} trigger={}", TypeName(type), why, routine, TypeName(type),
                 on_demand ? "on-demand" : "schedule");
    metrics_.backup_events_total.WithLabels({routine, TypeName(type), "skip"}).Inc();
    (type == BackupType::kFull ? metrics_.skip_total : metrics_.incremental_skip_total).Get().Inc();
    return;
  }
  auto job = std::make_shared<BackupRun>();
  job->routine_name = routine;
  job->routine = r;
  job->policy = policy;
  job->cluster = config_.clusters.at(r.source_cluster);
  job->storage = config_.storage.at(r.storage);
  if (auto secrets = model::SecretResolver::ForRun(config_, r.secret_agent); secrets.ok()) {
    job->secrets = std::move(*secrets);
  } else {
    job->secrets_status = secrets.status();
  }
  job->type = type;
  job->ts_ms = std::max(clock().NowUnixMillis(), rt->last_ts_ms + 1);
  rt->last_ts_ms = job->ts_ms;
  if (type == BackupType::kIncremental) {
    job->from_ms = policy.EffectiveIncrMode() == "cumulative" ? rt->last_full_ms
                                                              : std::max(rt->last_full_ms, rt->last_incr_ms);
  }
  job->id = RunFolder(routine, type, job->ts_ms,
                      config_.service.backup ? config_.service.backup->timestamp_format.value_or("") : "");
  (type == BackupType::kFull ? rt->full : rt->incremental) = job;
  metrics_.backup_in_progress.WithLabels({routine, TypeName(type)}).Set(1);
  metrics_.backup_start_timestamp.WithLabels({routine, TypeName(type)}).Set(static_cast<double>(job->ts_ms) / 1000);
  const bool catch_up = on_demand && type == BackupType::kFull && rt->catch_up_pending;
  if (catch_up) rt->catch_up_pending = false;
  job->Log(spdlog::level::info, "backup admitted ({})", catch_up ? "catch-up" : on_demand ? "on-demand" : "schedule");
  SpawnLocked([this, job] { RunBackup(job); });
}

void BackupService::SpawnLocked(std::function<void()> fn) {
  ReapLocked();
  auto done = std::make_shared<std::atomic<bool>>(false);
  workers_.push_back(Worker{std::thread([this, fn = std::move(fn), done] {
                              fn();
                              {
                                std::lock_guard<std::mutex> lock(mu_);
                                done->store(true);
                              }
                              cv_.notify_all();
                            }),
                            done});
}

void BackupService::ReapLocked() {
  for (auto it = workers_.begin(); it != workers_.end();) {
    if (it->done->load()) {
      it->thread.join();  // the thread has finished its work; join returns at once
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
}

std::shared_ptr<std::shared_mutex> BackupService::RoutineStorageLock(const std::string& routine) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& l = storage_locks_[routine];
  if (!l) l = std::make_shared<std::shared_mutex>();
  return l;
}

// ---------------------------------------------------------------------------------------------
// a backup run

void BackupService::RecordOutcome(const BackupRun& job, const std::string& outcome, double seconds) {
  const std::string type = TypeName(job.type);
  metrics_.backup_events_total.WithLabels({job.routine_name, type, outcome}).Inc();
  const bool full = job.type == BackupType::kFull;
  if (outcome == "success") {
    metrics_.backup_duration_seconds.WithLabels({job.routine_name, type}).Observe(seconds);
    metrics_.last_backup_duration_seconds.WithLabels({job.routine_name, type}).Set(seconds);
    metrics_.last_successful_backup_timestamp.WithLabels({job.routine_name, type})
        .Set(static_cast<double>(job.ts_ms / 1000));
    (full ? metrics_.runs_total : metrics_.incremental_runs_total).Get().Inc();
    (full ? metrics_.duration_millis : metrics_.incremental_duration_millis).Get().Set(seconds * 1000);
  } else if (outcome == "failure") {
    (full ? metrics_.failure_total : metrics_.incremental_failure_total).Get().Inc();
  }
}

void BackupService::RunBackup(std::shared_ptr<BackupRun> job) {
  // Wait for a slot under the global limit (counted as running meanwhile).
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] {
      return running_backups_ < options_.max_concurrent_backups || job->cancel.cancelled() || stopping_;
    });
    if (!job->cancel.cancelled() && !stopping_) ++running_backups_;
  }
  const auto finish = [&](const std::string& outcome, double seconds, bool had_slot) {
    std::lock_guard<std::mutex> lock(mu_);
    if (had_slot) --running_backups_;
    auto rt = routines_[job->routine_name];
    if (rt) {
      auto& slot = job->type == BackupType::kFull ? rt->full : rt->incremental;
      if (slot == job) slot.reset();
      if (outcome == "success") {
        (job->type == BackupType::kFull ? rt->last_full_ms : rt->last_incr_ms) = job->ts_ms;
        if (job->type == BackupType::kFull) PublishFullDueLocked(job->routine_name);
      }
      const auto now = clock().Now();
      if (rt->pending_full && !stopping_) scheduler_->AddOneShot(job->routine_name, BackupType::kFull, now);
      if (rt->pending_incremental && !stopping_) {
        scheduler_->AddOneShot(job->routine_name, BackupType::kIncremental, now);
      }
      rt->pending_full = rt->pending_incremental = false;
    }
    metrics_.backup_in_progress.WithLabels({job->routine_name, TypeName(job->type)}).Set(0);
    metrics_.backup_progress_pct.WithLabels({job->routine_name, TypeName(job->type)}).Set(0);
    RecordOutcome(*job, outcome, seconds);
    cv_.notify_all();
  };
  if (job->cancel.cancelled() || stopping_) {
    job->Log(spdlog::level::warn, "backup cancelled before it started");
    finish("canceled", 0, false);
    return;
  }

  const auto start = std::chrono::steady_clock::now();
  const std::string run_folder = job->id;  // "<routine>/<type>/<ts>[_<time>]"
  const RetryPolicy retry = job->policy.EffectiveRetryPolicy();
  job->Log(spdlog::level::info, "backup started into {} from={}", run_folder,
           job->from_ms ? backup::FormatRfc3339Ms(job->from_ms) : "-");

  // Runs `fn` with the retry policy: transient errors are retried after base-timeout × multiplier^n.
  auto with_retries = [&](const std::string& what, const std::function<Status()>& fn) -> Status {
    auto delay = std::chrono::milliseconds(retry.EffectiveBaseTimeoutMs());
    for (int attempt = 0;; ++attempt) {
      Status st = fn();
      if (st.ok() || job->cancel.cancelled() || Permanent(st) || attempt >= retry.EffectiveMaxRetries()) return st;
      metrics_.backup_events_total.WithLabels({job->routine_name, TypeName(job->type), "retry"}).Inc();
      job->Log(spdlog::level::warn, "{} failed (attempt {}), retrying in {} ms: {}", what, attempt + 1, delay.count(),
               st.ToString());
      ++job->backing_off;
      {
        std::lock_guard<std::mutex> lock(mu_);
        cv_.notify_all();  // a shutdown waiting for busy jobs need not wait for this one
      }
      const bool cancelled = job->cancel.WaitFor(delay);
      --job->backing_off;
      if (cancelled) return Status(ErrorCode::kCancelled, job->cancel.reason());
      delay = std::chrono::milliseconds(static_cast<int64_t>(static_cast<double>(delay.count()) * retry.EffectiveMultiplier()));
    }
  };

  std::unique_ptr<aero::Storage> storage;
  std::shared_ptr<client::Cluster> cluster;
  Status st = with_retries("opening storage and connecting", [&]() -> Status {
    if (!job->secrets_status.ok()) return job->secrets_status;
    auto s = OpenConfiguredStorage(job->storage, job->secrets);
    if (!s.ok()) return s.status();
    storage = std::move(*s);
    auto c = ConnectCluster(job->cluster, job->secrets);
    if (!c.ok()) return c.status();
    cluster = std::move(*c);
    return Status::Ok();
  });
  std::vector<std::string> namespaces = job->routine.namespaces;
  if (st.ok() && namespaces.empty()) {
    auto ns = client::Namespaces(*cluster);
    if (ns.ok()) namespaces = *ns;
    else st = ns.status().WithContext("listing the cluster's namespaces");
  }

  std::vector<Result<backup::BackupSummary>> results;
  if (st.ok()) {
    const int n = static_cast<int>(namespaces.size());
    // The policy's parallelism is the routine's budget, shared by its namespaces (ABS 3.6), and the
    // cluster's max-parallel-scans caps it.
    int budget = job->policy.EffectiveParallel();
    if (job->cluster.max_parallel_scans && *job->cluster.max_parallel_scans > 0) {
      budget = std::min(budget, *job->cluster.max_parallel_scans);
    }
    const int parallel = std::max(1, budget / std::max(1, n));
    const int parallel_write = std::max(1, job->policy.EffectiveParallelWrite() / std::max(1, n));
    results.assign(namespaces.size(), Status(ErrorCode::kInternal, "not run"));
    {
      std::lock_guard<std::mutex> lock(job->mu);
      for (int i = 0; i < n; ++i) job->progress.push_back(std::make_shared<backup::BackupProgress>());
    }
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        const std::string& ns = namespaces[static_cast<size_t>(i)];
        Status s = with_retries("backup of namespace " + ns, [&]() -> Status {
          auto req = BackupRequestFor(job->routine, job->policy, job->type, ns, job->secrets);
          if (!req.ok()) return req.status();
          req->parallel = std::min(req->parallel, parallel);
          req->parallel_write = std::min(req->parallel_write, parallel_write);
          req->output_dir = NamespaceFolder(run_folder, ns);
          req->created_unix_ms = job->ts_ms;
          if (job->type == BackupType::kIncremental) req->modified_after_unix_ms = job->from_ms;
          if (job->policy.sealed.value_or(false)) req->modified_before_unix_ms = job->ts_ms;
          req->clock = clock_;
          auto progress = std::make_shared<backup::BackupProgress>();
          {
            std::lock_guard<std::mutex> lock(job->mu);
            job->progress[static_cast<size_t>(i)] = progress;
          }
          auto r = backup::RunBackup(*cluster, *storage, *req, job->cancel, progress.get());
          results[static_cast<size_t>(i)] = r;
          return r.ok() ? Status::Ok() : r.status();
        });
        if (!s.ok()) {
          results[static_cast<size_t>(i)] = s;
          if (!job->cancel.cancelled()) {
            job->failed = true;
            job->Log(spdlog::level::err, "backup of namespace {} failed: {}", ns, s.ToString());
            job->cancel.Cancel("another namespace of the run failed");
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  if (st.ok()) {
    for (size_t i = 0; i < results.size(); ++i) {
      if (!results[i].ok()) {
        st = results[i].status().WithContext("namespace " + namespaces[i]);
        if (results[i].status().code() != ErrorCode::kCancelled) break;
      }
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!st.ok() || job->cancel.cancelled()) {
    const bool cancelled = !job->failed && (job->cancel.cancelled() || st.code() == ErrorCode::kCancelled);
    if (storage) {
      // Nothing of a failed or cancelled run may stay restorable.
      if (Status d = storage->DeleteDirectory(run_folder); !d.ok()) {
        job->Log(spdlog::level::err, "cannot delete the folder of the unfinished run {}: {}", run_folder, d.message());
      }
    }
    if (cancelled) {
      job->Log(spdlog::level::warn, "backup cancelled ({}), folder deleted", job->cancel.reason());
      finish("canceled", seconds, true);
    } else {
      job->Log(spdlog::level::err, "backup failed after {:.1f} s: {}", seconds, st.ToString());
      finish("failure", seconds, true);
    }
    if (cluster) cluster->Close();
    return;
  }

  uint64_t records = 0, bytes = 0, empty = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const auto& s = *results[i];
    records += s.records;
    bytes += s.bytes;
    if (job->type == BackupType::kIncremental && s.records == 0) {
      ++empty;
      // An incremental that captured nothing is not kept (ABS).
      if (Status d = storage->DeleteDirectory(NamespaceFolder(run_folder, namespaces[i])); !d.ok()) {
        job->Log(spdlog::level::err, "cannot delete the empty incremental of {}: {}", namespaces[i], d.message());
      }
    }
  }
  if (empty > 0 && empty == results.size()) (void)storage->DeleteDirectory(run_folder);
  records_total_.WithLabels({job->routine_name, TypeName(job->type)}).Inc(static_cast<double>(records));
  bytes_total_.WithLabels({job->routine_name, TypeName(job->type)}).Inc(static_cast<double>(bytes));
  job->Log(spdlog::level::info, "backup succeeded in {:.2f} s: {} namespaces, {} records, {} bytes{}", seconds,
           results.size(), records, bytes, empty ? fmt::format(", {} empty namespaces removed", empty) : "");
  if (job->type == BackupType::kFull) {
    if (job->policy.with_cluster_configuration.value_or(false)) WriteClusterConfiguration(*job, *storage, run_folder);
  }
  cluster->Close();
  finish("success", seconds, true);
  if (job->type == BackupType::kFull && job->policy.retention) ApplyRetention(*job, *storage);
}

void BackupService::WriteClusterConfiguration(BackupRun& job, aero::Storage& storage, const std::string& run_folder) {
  // Reconnect-free: uses a fresh connection to ask every node for its configuration.
  auto cluster = ConnectCluster(job.cluster, job.secrets);
  if (!cluster.ok()) {
    job.Log(spdlog::level::warn, "cluster configuration not saved: {}", cluster.status().ToString());
    return;
  }
  auto configs = (*cluster)->InfoAll("get-config");
  (*cluster)->Close();
  if (!configs.ok()) {
    job.Log(spdlog::level::warn, "cluster configuration not saved: {}", configs.status().ToString());
    return;
  }
  for (const auto& [node, value] : *configs) {
    if (value.rfind("ERROR", 0) == 0 || value.empty()) {
      job.Log(spdlog::level::warn, "cluster configuration not saved: node {} answered \"{}\" to get-config", node,
              value);
      return;
    }
  }
  int i = 0;
  for (const auto& [node, value] : *configs) {
    std::string text = "# node " + node + "\n";
    size_t p = 0;
    while (p < value.size()) {
      size_t q = value.find(';', p);
      if (q == std::string::npos) q = value.size();
      std::string kv = value.substr(p, q - p);
      size_t eq = kv.find('=');
      text += (eq == std::string::npos ? kv : kv.substr(0, eq) + " " + kv.substr(eq + 1)) + "\n";
      p = q + 1;
    }
    std::string key = ConfigurationFolder(run_folder) + "/aerospike_" + std::to_string(i++) + ".conf";
    if (Status st = storage.WriteObject(key, text, WriteOptions{ObjectClass::kMetadata}); !st.ok()) {
      job.Log(spdlog::level::warn, "cannot write {}: {}", key, st.message());
    }
  }
}

void BackupService::ApplyRetention(BackupRun& job, aero::Storage& storage) {
  // Exclusive against restores of the routine reading its backups (ABS 3.3).
  auto lock_ptr = RoutineStorageLock(job.routine_name);
  std::unique_lock<std::shared_mutex> lock(*lock_ptr);
  auto fulls = ListStoredBackups(storage, job.routine_name, BackupType::kFull);
  auto incs = ListStoredBackups(storage, job.routine_name, BackupType::kIncremental);
  if (!fulls.ok() || !incs.ok()) {
    job.Log(spdlog::level::err, "retention skipped: {}", (!fulls.ok() ? fulls.status() : incs.status()).ToString());
    return;
  }
  for (const auto& dir : RetentionDeletions(*fulls, *incs, *job.policy.retention)) {
    Status st = storage.DeleteDirectory(dir);
    if (st.ok()) {
      job.Log(spdlog::level::info, "retention: deleted {}", dir);
    } else {
      job.Log(spdlog::level::err, "retention: cannot delete {}: {}", dir, st.message());
    }
  }
}

void BackupService::OnTick() {
  std::lock_guard<std::mutex> lock(mu_);
  ReapLocked();
  const int64_t now = clock().NowUnixMillis();
  for (const auto& [name, rt] : routines_) {
    for (const auto& job : {rt->full, rt->incremental}) {
      if (!job) continue;
      uint64_t done = 0, total = 0;
      {
        std::lock_guard<std::mutex> jl(job->mu);
        for (const auto& p : job->progress) {
          auto v = p->Take(now);
          done += v.records;
          total += v.estimated_records;
        }
      }
      double pct = total ? std::min(100.0, 100.0 * static_cast<double>(done) / static_cast<double>(total)) : 0;
      metrics_.backup_progress_pct.WithLabels({name, TypeName(job->type)}).Set(pct);
    }
  }
  int running = 0;
  for (const auto& [id, r] : restores_) {
    std::lock_guard<std::mutex> jl(r->mu);
    if (r->state == RestoreJobState::kRunning) ++running;
  }
  metrics_.restore_in_progress.Get().Set(running);
}

// ---------------------------------------------------------------------------------------------
// BackupOperations: backups

Result<std::vector<model::BackupDetails>> BackupService::ListBackups(const std::string& routine, BackupType type,
                                                                     const model::TimeBounds& bounds) {
  service::Storage storage_cfg;
  model::SecretResolver secrets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = config_.routines.find(routine);
    if (r == config_.routines.end()) return Status(ErrorCode::kNotFound, "routine \"" + routine + "\" not found");
    auto s = config_.storage.find(r->second.storage);
    if (s == config_.storage.end()) {
      return Status(ErrorCode::kNotFound, "storage \"" + r->second.storage + "\" not found");
    }
    storage_cfg = s->second;
    ABS_ASSIGN_OR_RETURN(secrets, model::SecretResolver::ForRun(config_, r->second.secret_agent));
  }
  ABS_ASSIGN_OR_RETURN(auto storage, OpenConfiguredStorage(storage_cfg, secrets));
  ABS_ASSIGN_OR_RETURN(auto list, ListStoredBackups(*storage, routine, type));
  std::vector<model::BackupDetails> out;
  for (const auto& b : list) {
    if (bounds.from_ms && b.ts_ms < *bounds.from_ms) continue;
    if (bounds.to_ms && b.finished_ms() > *bounds.to_ms) continue;
    out.push_back(ToDetails(b, &storage_cfg));
  }
  return out;
}

Status BackupService::TriggerBackup(const std::string& routine, BackupType type, std::chrono::milliseconds delay) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return Status(ErrorCode::kUnsupported, "the service is shutting down");
    if (!config_.routines.count(routine)) return Status(ErrorCode::kNotFound, "routine \"" + routine + "\" not found");
  }
  scheduler_->AddOneShot(routine, type, clock().Now() + delay);
  spdlog::info("{} backup requested in {} ms routine={}", TypeName(type), delay.count(), routine);
  return Status::Ok();
}

Result<model::RoutineState> BackupService::CurrentBackups(const std::string& routine) {
  model::RoutineState out;
  std::shared_ptr<RoutineRuntime> rt;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!config_.routines.count(routine)) return Status(ErrorCode::kNotFound, "routine \"" + routine + "\" not found");
    auto it = routines_.find(routine);
    if (it != routines_.end()) rt = it->second;
    if (rt) {
      if (rt->last_full_ms) out.last_full = FromMs(rt->last_full_ms);
      if (rt->last_incr_ms) out.last_incremental = FromMs(rt->last_incr_ms);
    }
    auto running = [&](const std::shared_ptr<BackupRun>& job) -> std::optional<model::RunningJob> {
      if (!job) return std::nullopt;
      model::RunningJob j;
      j.start_time = FromMs(job->ts_ms);
      const int64_t now = clock().NowUnixMillis();
      double rps = 0, bps = 0;
      uint64_t read = 0, written = 0;
      std::lock_guard<std::mutex> jl(job->mu);
      for (const auto& p : job->progress) {
        auto v = p->Take(now);
        j.done_records += v.records;
        j.total_records += v.estimated_records;
        rps += v.records_per_second;
        bps += v.bytes_per_second;
        read += p->records_read.load();
        written += p->records_written.load();
      }
      j.total_records = std::max(j.total_records, j.done_records);
      j.records_per_second = rps;
      j.kilobytes_per_second = bps / 1024;
      j.pipeline = read > written ? read - written : 0;
      return j;
    };
    if (rt) {
      out.full = running(rt->full);
      out.incremental = running(rt->incremental);
    }
  }
  auto to_tp = [](std::optional<scheduler::SysTime> t) -> std::optional<model::TimePoint> {
    if (!t) return std::nullopt;
    return std::chrono::time_point_cast<std::chrono::nanoseconds>(*t);
  };
  out.next_full = to_tp(scheduler_->NextFire(routine, BackupType::kFull));
  out.next_incremental = to_tp(scheduler_->NextFire(routine, BackupType::kIncremental));
  return out;
}

Status BackupService::CancelBackups(const std::string& routine) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!config_.routines.count(routine)) return Status(ErrorCode::kNotFound, "routine \"" + routine + "\" not found");
  auto it = routines_.find(routine);
  int n = 0;
  if (it != routines_.end()) {
    for (const auto& job : {it->second->full, it->second->incremental}) {
      if (job) {
        job->cancel.Cancel("cancelled through the API");
        ++n;
      }
    }
  }
  spdlog::info("cancel requested for {} running backups routine={}", n, routine);
  cv_.notify_all();  // a job waiting for a slot sees its cancel
  return Status::Ok();
}

Result<std::vector<std::pair<std::string, std::string>>> BackupService::RetrieveConfiguration(
    const std::string& routine, int64_t timestamp_ms) {
  service::Storage storage_cfg;
  model::SecretResolver secrets;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = config_.routines.find(routine);
    if (r == config_.routines.end()) return Status(ErrorCode::kNotFound, "routine \"" + routine + "\" not found");
    storage_cfg = config_.storage.at(r->second.storage);
    ABS_ASSIGN_OR_RETURN(secrets, model::SecretResolver::ForRun(config_, r->second.secret_agent));
  }
  ABS_ASSIGN_OR_RETURN(auto storage, OpenConfiguredStorage(storage_cfg, secrets));
  ABS_ASSIGN_OR_RETURN(auto fulls, ListStoredBackups(*storage, routine, BackupType::kFull));
  const StoredBackup* best = nullptr;
  for (const auto& f : fulls)
    if (f.ts_ms <= timestamp_ms && (!best || f.ts_ms > best->ts_ms)) best = &f;
  if (!best) {
    return Status(ErrorCode::kNotFound, "no full backup of routine \"" + routine + "\" at or before " +
                                            std::to_string(timestamp_ms));
  }
  const std::string dir = ConfigurationFolder(best->run_folder);
  ABS_ASSIGN_OR_RETURN(auto objects, storage->List(dir, ListMode::kRecursive));
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& o : objects) {
    ABS_ASSIGN_OR_RETURN(auto bytes, storage->ReadObject(o.key));
    out.emplace_back(o.key.substr(o.key.rfind('/') + 1), std::move(bytes));
  }
  if (out.empty()) {
    return Status(ErrorCode::kNotFound, "the full backup " + best->run_folder +
                                            " has no cluster configuration (policy with-cluster-configuration)");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// BackupOperations: restores

Result<model::RestoreJobId> BackupService::Restore(const model::RestoreRequest& request) {
  auto job = std::make_shared<RestoreJobEntry>();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (request.destination) {
      job->destination = *request.destination;
    } else if (auto it = config_.clusters.find(request.destination_name); it != config_.clusters.end()) {
      job->destination = it->second;
    } else {
      return Status(ErrorCode::kInvalidArgument, "destination or destination-name is required");
    }
    if (request.source) {
      job->source = *request.source;
    } else if (auto it = config_.storage.find(request.source_name); it != config_.storage.end()) {
      job->source = it->second;
    } else {
      return Status(ErrorCode::kInvalidArgument, "source or source-name is required");
    }
    auto secrets = RequestSecrets(config_, request.secret_agent_name, request.secret_agent);
    if (!secrets.ok()) return secrets.status();
    job->secrets = std::move(*secrets);
  }
  job->path = request.backup_data_path;
  job->policy = request.policy;
  auto options = RestoreOptionsFor(request.policy, job->secrets);
  if (!options.ok()) return Status(ErrorCode::kInvalidArgument, options.status().message());
  job->options = *options;
  // Validated synchronously (ABS 2.0 answers 400 for a folder without backup files).
  auto storage = OpenConfiguredStorage(job->source, job->secrets);
  if (!storage.ok()) return Status(ErrorCode::kInvalidArgument, storage.status().message());
  auto inputs = restore::ResolveInput(**storage, job->path);
  if (!inputs.ok()) {
    return Status(ErrorCode::kInvalidArgument, "no backup files in \"" + job->path + "\" of " +
                                                   (*storage)->Describe() + ": " + inputs.status().message());
  }
  // ABS 3.5: no restore into a namespace a running backup is reading.
  std::string dest_ns = job->options.dest_namespace;
  if (dest_ns.empty()) {
    std::string meta_key = job->path.empty() ? std::string(backup::kMetadataFileName)
                                             : job->path + "/" + std::string(backup::kMetadataFileName);
    if (auto text = (*storage)->ReadObject(meta_key, 1 << 20); text.ok()) {
      if (auto m = backup::ParseMetadataYaml(*text); m.ok()) dest_ns = m->ns;
    }
  }
  if (!dest_ns.empty()) ABS_RETURN_IF_ERROR(CheckNoRunningBackup(job->destination, {dest_ns}));
  return StartRestore(job);
}

Status BackupService::CheckNoRunningBackup(const Cluster& destination, const std::vector<std::string>& namespaces) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, rt] : routines_) {
    for (const auto& job : {rt->full, rt->incremental}) {
      if (!job || !(job->cluster.seed_nodes == destination.seed_nodes)) continue;
      for (const auto& ns : namespaces) {
        const auto& backed_up = job->routine.namespaces;
        if (backed_up.empty() || std::find(backed_up.begin(), backed_up.end(), ns) != backed_up.end()) {
          return Status(ErrorCode::kInvalidArgument, "cannot restore into namespace " + ns +
                                                         ": the running backup " + job->id + " of routine \"" +
                                                         name + "\" reads it");
        }
      }
    }
  }
  return Status::Ok();
}

Result<model::RestoreJobId> BackupService::RestoreByTime(const model::RestoreTimestampRequest& request) {
  auto job = std::make_shared<RestoreJobEntry>();
  job->by_time = true;
  job->routine = request.routine;
  job->time_ms = request.time_ms;
  job->policy = request.policy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto r = config_.routines.find(request.routine);
    // The request's agent, else the routine's (its backups' key-secret was fetched through it).
    std::optional<std::string> agent_name;
    if (!request.secret_agent_name.empty()) agent_name = request.secret_agent_name;
    else if (!request.secret_agent && r != config_.routines.end()) agent_name = r->second.secret_agent;
    auto secrets = RequestSecrets(config_, agent_name.value_or(""), request.secret_agent);
    if (!secrets.ok()) return secrets.status();
    job->secrets = std::move(*secrets);
    if (request.destination) {
      job->destination = *request.destination;
    } else if (!request.destination_name.empty() && config_.clusters.count(request.destination_name)) {
      job->destination = config_.clusters.at(request.destination_name);
    } else if (r != config_.routines.end()) {
      job->destination = config_.clusters.at(r->second.source_cluster);
    } else {
      return Status(ErrorCode::kInvalidArgument, "destination or destination-name is required");
    }
    if (request.source) {
      job->source = *request.source;
    } else if (!request.source_name.empty() && config_.storage.count(request.source_name)) {
      job->source = config_.storage.at(request.source_name);
    } else if (r != config_.routines.end()) {
      job->source = config_.storage.at(r->second.storage);
    } else {
      return Status(ErrorCode::kInvalidArgument, "source or source-name is required");
    }
  }
  // Compression comes from each backup's metadata; only encryption keys from the request.
  model::RestorePolicy p = request.policy;
  p.compression.reset();
  auto options = RestoreOptionsFor(p, job->secrets);
  if (!options.ok()) return Status(ErrorCode::kInvalidArgument, options.status().message());
  job->options = *options;
  return StartRestore(job);
}

Result<model::RestoreJobId> BackupService::StartRestore(std::shared_ptr<RestoreJobEntry> job) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return Status(ErrorCode::kUnsupported, "the service is shutting down");
  do {
    job->id = static_cast<model::RestoreJobId>(rng_() >> 1);
  } while (job->id == 0 || restores_.count(job->id));
  job->start_ms = clock().NowUnixMillis();
  restores_[job->id] = job;
  job->Log(spdlog::level::info, "restore accepted{}",
           job->by_time ? " to " + backup::FormatRfc3339Ms(job->time_ms) : " from \"" + job->path + "\"");
  SpawnLocked([this, job] { RunRestoreJob(job); });
  return job->id;
}

void BackupService::RunRestoreJob(std::shared_ptr<RestoreJobEntry> job) {
  struct Step {
    std::string key;
    CodecOptions codec;
    std::string ns;
  };
  std::vector<Step> steps;
  std::vector<std::string> errors;
  std::shared_ptr<std::shared_mutex> routine_lock;
  std::shared_lock<std::shared_mutex> shared;
  auto fail = [&](const std::string& msg, RestoreJobState state = RestoreJobState::kFailure) {
    std::lock_guard<std::mutex> lock(job->mu);
    job->state = state;
    job->error = msg;
    job->finish_ms = clock().NowUnixMillis();
  };

  auto storage = OpenConfiguredStorage(job->source, job->secrets);
  if (!storage.ok()) {
    fail(storage.status().ToString());
    job->Log(spdlog::level::err, "restore failed: {}", storage.status().ToString());
    metrics_.restore_events_total.WithLabels({"failure"}).Inc();
    return;
  }
  uint64_t total_records = 0;
  if (job->by_time) {
    routine_lock = RoutineStorageLock(job->routine);
    shared = std::shared_lock<std::shared_mutex>(*routine_lock);  // retention waits for us
    auto fulls = ListStoredBackups(**storage, job->routine, BackupType::kFull);
    auto incs = ListStoredBackups(**storage, job->routine, BackupType::kIncremental);
    Result<std::vector<RestoreChain>> chains =
        !fulls.ok() ? Result<std::vector<RestoreChain>>(fulls.status())
        : !incs.ok() ? Result<std::vector<RestoreChain>>(incs.status())
                     : SelectRestoreChains(*fulls, *incs, job->time_ms);
    if (chains.ok() && job->options.source_namespace.size() &&
        (chains->size() != 1 || (*chains)[0].ns != job->options.source_namespace)) {
      chains = Status(ErrorCode::kInvalidArgument,
                      "namespace mapping needs a restore of exactly one namespace, " + job->options.source_namespace);
    }
    if (!chains.ok()) {
      fail(chains.status().message());
      job->Log(spdlog::level::err, "restore failed: {}", chains.status().ToString());
      metrics_.restore_events_total.WithLabels({"failure"}).Inc();
      return;
    }
    auto codec_of = [&](const StoredBackup& b) {
      CodecOptions c = job->options.codec;  // key material from the request
      c.compression = b.meta.compression;
      c.encryption = b.meta.encryption;
      return c;
    };
    if (chains.ok()) {
      std::vector<std::string> dest;
      for (const auto& chain : *chains)
        dest.push_back(job->options.dest_namespace.empty() ? chain.ns : job->options.dest_namespace);
      if (Status st = CheckNoRunningBackup(job->destination, dest); !st.ok()) chains = st;
    }
    if (!chains.ok()) {
      fail(chains.status().message());
      job->Log(spdlog::level::err, "restore failed: {}", chains.status().ToString());
      metrics_.restore_events_total.WithLabels({"failure"}).Inc();
      return;
    }
    for (const auto& chain : *chains) {
      steps.push_back({chain.full.key, codec_of(chain.full), chain.ns});
      total_records += chain.full.meta.record_count;
      for (const auto& i : chain.incrementals) {
        if (i.meta.file_count == 0 && i.meta.record_count == 0) continue;
        steps.push_back({i.key, codec_of(i), chain.ns});
        total_records += i.meta.record_count;
      }
      job->Log(spdlog::level::info, "restore chain of namespace {}: full {} + {} incrementals", chain.ns,
               chain.full.key, chain.incrementals.size());
    }
  } else {
    steps.push_back({job->path, job->options.codec, ""});
    std::string meta_key = job->path.empty() ? std::string(backup::kMetadataFileName)
                                             : job->path + "/" + std::string(backup::kMetadataFileName);
    if (auto text = (*storage)->ReadObject(meta_key, 1 << 20); text.ok()) {
      if (auto m = backup::ParseMetadataYaml(*text); m.ok()) total_records = m->record_count;
    }
  }
  {
    std::lock_guard<std::mutex> lock(job->mu);
    job->total_records = total_records;
  }

  auto cluster = ConnectCluster(job->destination, job->secrets);
  if (!cluster.ok()) {
    fail(cluster.status().ToString());
    job->Log(spdlog::level::err, "restore failed: {}", cluster.status().ToString());
    metrics_.restore_events_total.WithLabels({"failure"}).Inc();
    return;
  }
  // Namespaces in parallel (ABS); within a namespace the chain in order, each step finished before
  // the next, so a later backup's version of a record is the one that stays. A failed step ends its
  // namespace's chain (the rest would apply changes on top of missing data); the others go on.
  std::map<std::string, std::vector<const Step*>> chains;
  for (const auto& step : steps) chains[step.ns].push_back(&step);
  std::atomic<bool> cancelled{false};
  std::mutex errors_mu;
  auto run_chain = [&](const std::vector<const Step*>& chain) {
    for (const Step* step : chain) {
      if (job->cancel.cancelled()) {
        cancelled = true;
        return;
      }
      restore::RestoreOptions o = job->options;
      o.codec = step->codec;
      o.clock = clock_;
      restore::RestoreJob rj(o, *cluster, storage->get(), {step->key});
      {
        std::lock_guard<std::mutex> lock(job->mu);
        job->current.insert(&rj);
      }
      job->Log(spdlog::level::info, "restoring {}", step->key);
      restore::RestoreSummary sum = rj.Run(&job->cancel);
      {
        std::lock_guard<std::mutex> lock(job->mu);
        job->current.erase(&rj);
        AddStats(job->done, sum.stats);
      }
      restore_records_total_.Get().Inc(static_cast<double>(sum.stats.records_inserted));
      if (sum.cancelled) {
        cancelled = true;
        return;
      }
      if (!sum.status.ok()) {
        job->Log(spdlog::level::err, "restore of {} failed: {}", step->key, sum.status.ToString());
        std::lock_guard<std::mutex> lock(errors_mu);
        errors.push_back(step->key + ": " + sum.status.ToString());
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  for (const auto& [ns, chain] : chains) threads.emplace_back(run_chain, std::cref(chain));
  for (auto& t : threads) t.join();
  (*cluster)->Close();
  const char* outcome;
  {
    std::lock_guard<std::mutex> lock(job->mu);
    job->finish_ms = clock().NowUnixMillis();
    if (cancelled.load()) {
      job->state = RestoreJobState::kCanceled;
      job->error = job->cancel.reason();
      outcome = "canceled";
    } else if (!errors.empty()) {
      job->state = RestoreJobState::kFailure;
      std::string e;
      for (const auto& x : errors) e += (e.empty() ? "" : "; ") + x;
      job->error = e;
      outcome = "failure";
    } else {
      job->state = RestoreJobState::kSuccess;
      outcome = "success";
    }
  }
  metrics_.restore_events_total.WithLabels({outcome}).Inc();
  job->Log(spdlog::level::info, "restore finished: {} ({} records read, {} inserted)", outcome,
           job->done.records_read, job->done.records_inserted);
}

Result<model::RestoreJobStatus> BackupService::RestoreStatus(model::RestoreJobId id) {
  std::shared_ptr<RestoreJobEntry> job;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = restores_.find(id);
    if (it == restores_.end()) return Status(ErrorCode::kNotFound, "job " + std::to_string(id) + " not found");
    job = it->second;
  }
  std::lock_guard<std::mutex> lock(job->mu);
  restore::RestoreStats s = job->done;
  for (restore::RestoreJob* c : job->current) AddStats(s, c->Snapshot());
  model::RestoreJobStatus out;
  out.read_records = s.records_read;
  out.total_bytes = s.bytes_read;
  out.expired_records = s.records_expired;
  out.skipped_records = s.records_skipped;
  out.ignored_records = s.records_ignored;
  out.inserted_records = s.records_inserted;
  out.existed_records = s.records_existed;
  out.fresher_records = s.records_fresher;
  out.index_count = s.sindexes_restored;
  out.udf_count = s.udfs_restored;
  out.status = job->state;
  out.error = job->error;
  model::RunningJob rj;
  rj.start_time = FromMs(job->start_ms);
  rj.total_records = std::max(job->total_records, s.records_read);
  rj.done_records = s.records_read;
  const int64_t end = job->finish_ms ? job->finish_ms : clock().NowUnixMillis();
  if (job->finish_ms) rj.finish_time = FromMs(job->finish_ms);
  const double secs = static_cast<double>(std::max<int64_t>(1, end - job->start_ms)) / 1000.0;
  rj.records_per_second = static_cast<double>(s.records_read) / secs;
  rj.kilobytes_per_second = static_cast<double>(s.bytes_read) / 1024.0 / secs;
  out.current_job = rj;
  return out;
}

Result<std::map<model::RestoreJobId, model::RestoreJobStatus>> BackupService::RestoreJobs() {
  std::vector<model::RestoreJobId> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, _] : restores_) ids.push_back(id);
  }
  std::map<model::RestoreJobId, model::RestoreJobStatus> out;
  for (auto id : ids) {
    auto s = RestoreStatus(id);
    if (s.ok()) out.emplace(id, std::move(*s));
  }
  return out;
}

Status BackupService::CancelRestore(model::RestoreJobId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = restores_.find(id);
  if (it == restores_.end()) return Status(ErrorCode::kNotFound, "job " + std::to_string(id) + " not found");
  it->second->cancel.Cancel("cancelled through the API");
  it->second->Log(spdlog::level::info, "restore cancel requested");
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// shutdown

void BackupService::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  scheduler_->Stop();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.notify_all();  // jobs waiting for a slot give up
  // Jobs still moving data get the grace period; a job only waiting to retry is cancelled at once.
  auto all_done = [&] {
    for (const auto& [name, rt] : routines_) {
      for (const auto& job : {rt->full, rt->incremental})
        if (job && job->backing_off.load() == 0) return false;
    }
    for (const auto& [id, r] : restores_) {
      std::lock_guard<std::mutex> jl(r->mu);
      if (r->state == RestoreJobState::kRunning) return false;
    }
    return true;
  };
  if (!all_done()) {
    spdlog::info("shutdown: waiting up to {} ms for {} running jobs", options_.shutdown_grace.count(),
                 workers_.size());
    if (!cv_.wait_for(lock, options_.shutdown_grace, all_done)) {
      spdlog::warn("shutdown: grace period over, cancelling the running jobs");
    }
  }
  for (const auto& [name, rt] : routines_) {
    for (const auto& job : {rt->full, rt->incremental})
      if (job) job->cancel.Cancel("service shutting down");
  }
  for (const auto& [id, r] : restores_) r->cancel.Cancel("service shutting down");
  std::list<Worker> workers = std::move(workers_);
  workers_.clear();
  lock.unlock();
  for (auto& w : workers) w.thread.join();
}

}  // namespace aero::service::jobs
