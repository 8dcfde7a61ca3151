// Drives the backup engine for abs-backup (see backup_run.h).
#include "tools/backup/backup_run.h"

#include <memory>

#include "backup/backup.h"
#include "common/clock.h"
#include "format/naming.h"
#include "tools/backup/backup_report.h"
#include "tools/backup/stdout_storage.h"
#include "tools/common/machine_lines.h"
#include "tools/common/signals.h"

namespace aero::tools {
namespace {

// --remove-artifacts: deletes what this backup would write (its .asb files, metadata and state, or
// the one -o file) and nothing else. Returns how many files were removed.
Result<uint64_t> RemoveArtifacts(const BackupToolConfig& c, Storage& storage) {
  const backup::BackupRequest& req = c.request;
  auto list = storage.List("", ListMode::kChildren);
  if (!list.ok() && list.status().code() != ErrorCode::kNotFound) return list.status();
  uint64_t removed = 0;
  if (!list.ok()) return removed;
  for (const auto& o : *list) {
    if (o.is_directory) continue;
    bool ours = req.output_file.empty()
                    ? (IsAsbFileName(o.key) || o.key == backup::MetadataKeyOf(req) || o.key == backup::StateKeyOf(req))
                    : o.key == req.output_file;
    if (!ours) continue;
    ABS_RETURN_IF_ERROR(storage.Delete(o.key));
    ++removed;
  }
  return removed;
}

// The backup itself, with the progress reporter (and its PROGRESS:/REMAINING: lines) running.
int BackupWithProgress(const BackupToolConfig& c, client::Cluster& cluster, Storage& storage, CancelToken& cancel,
                       std::ostream& out, std::ostream& err) {
  backup::BackupProgress progress;
  std::string machine = c.output.machine;
  auto reporter = StartProgress(
      c.output,
      [&progress, machine](bool terminal) {
        auto v = progress.Take(SystemClock::Instance().NowUnixMillis());
        // Best effort while running: a failing machine file must not stop the backup.
        for (const std::string& line : MachineProgressLines(v.percent, v.eta_seconds))
          (void)AppendMachineLine(machine, line);
        return BackupProgressLine(v, terminal);
      },
      err);
  auto sum = backup::RunBackup(cluster, storage, c.request, cancel, &progress);
  if (reporter) reporter->Stop();
  if (!sum.ok()) {
    ReportFailure(sum.status(), c.output.json, out, err);
    return kExitFailed;
  }
  ReportBackup(*sum, storage.Describe(), c.output, out, err);
  return kExitOk;
}

}  // namespace

int RunBackupTool(const BackupToolConfig& c, std::ostream& out, std::ostream& err) {
  bool json = c.output.json;
  std::unique_ptr<Storage> storage;
  if (c.target == BackupToolConfig::Target::kStdout) {
    storage = std::make_unique<StdoutStorage>();
  } else if (c.target == BackupToolConfig::Target::kStorage) {
    auto st = OpenStorageAt(c.storage_root, c.storage);
    if (!st.ok()) {
      ReportFailure(st.status(), json, out, err);
      return kExitBadOptions;
    }
    storage = std::move(*st);
  }
  if (c.remove_artifacts) {
    auto removed = RemoveArtifacts(c, *storage);
    if (!removed.ok()) {
      ReportFailure(removed.status(), json, out, err);
      return kExitFailed;
    }
    ReportRemoved(*removed, storage->Describe(), json, out, err);
    return kExitOk;
  }

  CancelToken cancel;
  SignalCanceller signals(cancel);  // before any other thread starts
  auto cluster = ConnectCluster(c.connection);
  if (!cluster.ok()) {
    ReportFailure(cluster.status().WithContext("connecting to the cluster"), json, out, err);
    return kExitFailed;
  }
  struct CloseOnExit {
    std::shared_ptr<client::Cluster> c;
    ~CloseOnExit() { c->Close(); }
  } close_on_exit{*cluster};

  if (c.target == BackupToolConfig::Target::kEstimate) {
    auto e = backup::EstimateBackup(**cluster, c.request, c.estimate_samples, cancel);
    if (!e.ok()) {
      ReportFailure(e.status(), json, out, err);
      return kExitFailed;
    }
    ReportEstimate(*e, c.output, out, err);
    return kExitOk;
  }
  return BackupWithProgress(c, **cluster, *storage, cancel, out, err);
}

}  // namespace aero::tools
