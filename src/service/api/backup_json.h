// JSON for the backup/restore endpoints: serialising the seam's structs with ABS 3.7's shapes and
// parsing restore requests (newest form, plus ABS 2.0 request forms: flat storage `type`, quoted
// booleans/numbers such as "no-generation": "true" and "time": "1710671632452", camelCase retry keys).
// Parsing is strict: unknown keys are errors naming the key path.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

#include "common/status.h"
#include "service/model/types.h"

namespace aero::service::api {

// RFC 3339 with up to nanoseconds, trailing zeros trimmed, UTC "Z" (Go's time.RFC3339Nano).
std::string FormatRfc3339(model::TimePoint t);

nlohmann::ordered_json BackupDetailsToJson(const model::BackupDetails& d);
nlohmann::ordered_json RunningJobToJson(const model::RunningJob& j);
nlohmann::ordered_json RoutineStateToJson(const model::RoutineState& s);
nlohmann::ordered_json RestoreJobStatusToJson(const model::RestoreJobStatus& s);

// Parse errors are kInvalidArgument with every problem listed ("policy.parallel: expected an integer").
Result<model::RestoreRequest> ParseRestoreRequest(std::string_view body);
Result<model::RestoreTimestampRequest> ParseRestoreTimestampRequest(std::string_view body);

// Filter of GET /v1/restore/jobs: "status" = comma-separated states, case-insensitive, '!' prefix
// = exclusion list, "done"/"failed" (and ABS 3.0–3.5 "Running"/"Done"/"Failed") accepted.
struct RestoreJobFilter {
  std::optional<int64_t> from_ms, to_ms;  // on the job start time
  std::vector<model::RestoreJobState> states;
  bool exclude = false;
  bool Matches(const model::RestoreJobStatus& s) const;
};
Result<RestoreJobFilter> ParseRestoreJobFilter(const std::string& from, const std::string& to,
                                               const std::string& status);

// Minimal "stored" (uncompressed) ZIP archive of the given files, for /v1/retrieve/configuration.
std::string ZipStore(const std::vector<std::pair<std::string, std::string>>& files);

}  // namespace aero::service::api
