// Small helpers of the configuration model (config.h).
#include "service/config/config.h"

namespace aero::service {

const char* Storage::KindKey() const {
  switch (backend.index()) {
    case 0: return "local-storage";
    case 1: return "s3-storage";
    case 2: return "azure-storage";
    default: return "gcp-storage";
  }
}

int64_t Storage::EffectiveMinPartSize() const {
  if (const auto* s3 = std::get_if<S3Storage>(&backend)) return s3->EffectiveMinPartSize();
  if (const auto* az = std::get_if<AzureStorage>(&backend)) return az->EffectiveMinPartSize();
  if (const auto* gcp = std::get_if<GcpStorage>(&backend)) return gcp->EffectiveMinPartSize();
  return 0;
}

std::string Config::ScheduleTimezoneFor(const BackupRoutine& routine) const {
  if (routine.schedule_timezone && !routine.schedule_timezone->empty()) return *routine.schedule_timezone;
  if (service.backup && service.backup->schedule_timezone && !service.backup->schedule_timezone->empty()) {
    return *service.backup->schedule_timezone;
  }
  return kDefaultScheduleTimezone;
}

BackupPolicy Config::PolicyFor(const BackupRoutine& routine) const {
  if (routine.backup_policy.empty()) return BackupPolicy{};
  auto it = policies.find(routine.backup_policy);
  return it == policies.end() ? BackupPolicy{} : it->second;
}

}  // namespace aero::service
