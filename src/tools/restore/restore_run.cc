// Drives the restore engine for abs-restore (see restore_run.h).
#include "tools/restore/restore_run.h"

#include <chrono>
#include <memory>

#include "client/cluster.h"
#include "storage/factory.h"
#include "tools/common/exit_codes.h"
#include "tools/common/machine_lines.h"
#include "tools/common/progress.h"
#include "tools/restore/restore_report.h"

namespace aero::tools {
namespace {

// The machine-readable lines of one run: PROGRESS:/REMAINING: when the percentage changes, the
// SUMMARY: at the end. The first write that fails ends the output; it is reported once, after the run.
class RestoreMachineLines {
 public:
  explicit RestoreMachineLines(std::string path) : path_(std::move(path)) {}
  bool enabled() const { return !path_.empty(); }
  bool failed() const { return failed_; }
  const std::string& path() const { return path_; }

  void Sample(const restore::RestoreStats& s, double elapsed_seconds) {
    if (!enabled() || s.bytes_total == 0) return;
    int pct = static_cast<int>(100.0 * static_cast<double>(s.bytes_read) / static_cast<double>(s.bytes_total));
    if (pct == last_pct_) return;
    last_pct_ = pct;
    double eta = pct > 0 ? elapsed_seconds * (100 - pct) / pct : -1;
    for (const std::string& line : MachineProgressLines(pct, eta)) Write(line);
  }
  void Write(const std::string& line) {
    if (enabled() && !failed_ && !AppendMachineLine(path_, line).ok()) failed_ = true;
  }

 private:
  std::string path_;
  int last_pct_ = -1;
  bool failed_ = false;
};

}  // namespace

int RunRestoreTool(const RestoreToolConfig& config, std::ostream& out, std::ostream& err, const CancelToken* cancel) {
  auto storage = OpenStorage(config.storage_root, config.storage);
  if (!storage.ok()) {
    err << "abs-restore: cannot open storage " << config.storage_root << ": " << storage.status().ToString() << "\n";
    return kExitFailed;
  }
  std::shared_ptr<client::Cluster> cluster;
  if (!config.restore.validate_only) {
    auto c = client::Cluster::Connect(config.hosts, config.client);
    if (!c.ok()) {
      err << "abs-restore: cannot connect to the cluster: " << c.status().ToString() << "\n";
      return kExitFailed;
    }
    cluster = *c;
  }
  restore::RestoreJob job(config.restore, cluster, storage->get(), config.inputs);
  auto start = std::chrono::steady_clock::now();
  RestoreMachineLines machine(config.machine_path);
  std::unique_ptr<ProgressReporter> reporter;
  if (config.progress || machine.enabled()) {
    reporter = std::make_unique<ProgressReporter>(
        [&] {
          restore::RestoreStats s = job.Snapshot();
          double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          machine.Sample(s, secs);
          return RestoreProgressLine(s, secs);
        },
        ProgressStyle::kPadded, std::chrono::milliseconds(250), config.progress ? &err : nullptr);
  }
  restore::RestoreSummary sum = job.Run(cancel);
  if (reporter) reporter->Stop();
  if (cluster) cluster->Close();
  if (machine.enabled()) {
    machine.Write(MachineSummary(sum.stats));
    if (machine.failed()) err << "abs-restore: cannot write machine-readable lines to " << machine.path() << "\n";
  }
  if (config.json) {
    out << SummaryJson(sum) << "\n";
    PrintRestoreText(sum, config.restore.validate_only, err);
  } else {
    PrintRestoreText(sum, config.restore.validate_only, out);
  }
  return sum.status.ok() ? kExitOk : kExitFailed;
}

}  // namespace aero::tools
