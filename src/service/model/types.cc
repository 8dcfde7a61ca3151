// Names of the enumerations of types.h, as the REST API and the metrics spell them.
#include "service/model/types.h"

namespace aero::service::model {

const char* BackupTypeName(BackupType t) { return t == BackupType::kFull ? "full" : "incremental"; }

const char* RestoreJobStateName(RestoreJobState s) {
  switch (s) {
    case RestoreJobState::kRunning: return "running";
    case RestoreJobState::kSuccess: return "success";
    case RestoreJobState::kFailure: return "failure";
    default: return "canceled";
  }
}

}  // namespace aero::service::model
