// NewUnavailableBackupOperations: the BackupOperations that has no engine behind it (operations.h).
#include "service/model/operations.h"

namespace aero::service::model {

namespace {
class UnavailableBackupOperations : public BackupOperations {
 public:
  static Status Na(const char* what) {
    return Status(ErrorCode::kUnsupported, std::string(what) + " not available: no backup engine in this build");
  }
  Result<std::vector<BackupDetails>> ListBackups(const std::string&, BackupType, const TimeBounds&) override {
    return Na("backup listing");
  }
  Status TriggerBackup(const std::string&, BackupType, std::chrono::milliseconds) override {
    return Na("backup trigger");
  }
  Result<RoutineState> CurrentBackups(const std::string&) override { return Na("backup progress"); }
  Status CancelBackups(const std::string&) override { return Na("backup cancel"); }
  Result<RestoreJobId> Restore(const RestoreRequest&) override { return Na("restore"); }
  Result<RestoreJobId> RestoreByTime(const RestoreTimestampRequest&) override { return Na("restore"); }
  Result<RestoreJobStatus> RestoreStatus(RestoreJobId) override { return Na("restore status"); }
  Result<std::map<RestoreJobId, RestoreJobStatus>> RestoreJobs() override { return Na("restore jobs"); }
  Status CancelRestore(RestoreJobId) override { return Na("restore cancel"); }
  Result<std::vector<std::pair<std::string, std::string>>> RetrieveConfiguration(const std::string&,
                                                                                 int64_t) override {
    return Na("configuration retrieval");
  }
};
}  // namespace

std::unique_ptr<BackupOperations> NewUnavailableBackupOperations() {
  return std::make_unique<UnavailableBackupOperations>();
}

}  // namespace aero::service::model
