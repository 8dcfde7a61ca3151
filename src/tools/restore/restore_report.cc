// What abs-restore prints (see restore_report.h).
#include "tools/restore/restore_report.h"

#include <algorithm>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tools/common/exit_codes.h"
#include "tools/common/machine_lines.h"
#include "tools/common/progress.h"

namespace aero::tools {

using restore::RestoreStats;
using restore::RestoreSummary;

int ReportArgsError(const Status& error, std::ostream& out, std::ostream& err) {
  if (error.code() == ErrorCode::kNotFound) {  // --help, --version
    out << error.message();
    return kExitOk;
  }
  if (error.code() == ErrorCode::kNetwork) {  // the Secret Agent failed: not a usage error
    err << "abs-restore: " << error.message() << "\n";
    return kExitFailed;
  }
  err << "abs-restore: " << error.message() << "\n(see abs-restore --help)\n";
  return kExitBadOptions;
}

std::string SummaryJson(const RestoreSummary& sum) {
  const RestoreStats& s = sum.stats;
  nlohmann::json j;
  j["status"] = sum.status.ok() ? "success" : (sum.cancelled ? "canceled" : "failure");
  if (!sum.status.ok()) j["error"] = sum.status.ToString();
  j["read-records"] = s.records_read;
  j["inserted-records"] = s.records_inserted;
  j["existed-records"] = s.records_existed;
  j["fresher-records"] = s.records_fresher;
  j["expired-records"] = s.records_expired;
  j["skipped-records"] = s.records_skipped;
  j["failed-records"] = s.records_failed;
  j["ignored-records"] = s.records_ignored;
  j["abandoned-records"] = s.records_abandoned;
  j["corrupt-entities"] = s.corrupt_entities;
  j["total-bytes"] = s.bytes_read;
  j["files"] = s.files_done;
  j["index-count"] = s.sindexes_restored;
  j["udf-count"] = s.udfs_restored;
  j["duration-ms"] = sum.duration.count();
  j["failures"] = nlohmann::json::object();
  for (const auto& [reason, n] : sum.failures) j["failures"][reason] = n;
  j["errors"] = sum.errors;
  j["notes"] = sum.notes;
  return j.dump(2);
}

void PrintRestoreText(const RestoreSummary& sum, bool validate, std::ostream& out) {
  const RestoreStats& s = sum.stats;
  out << "Read " << s.records_read << " record(s), " << s.sindexes_read << " secondary index(es), " << s.udfs_read
      << " UDF module(s) from " << s.files_done << "/" << s.files_total << " file(s), " << s.bytes_read
      << " byte(s)\n";
  if (!validate) {
    out << "Inserted " << s.records_inserted << ", existed " << s.records_existed << ", fresher "
        << s.records_fresher << ", expired " << s.records_expired << ", skipped " << s.records_skipped
        << ", failed " << s.records_failed << " (ignored " << s.records_ignored << "), not attempted "
        << s.records_abandoned << "\n";
    out << "Secondary indexes created " << s.sindexes_restored << " (skipped " << s.sindexes_skipped
        << "), UDF modules registered " << s.udfs_restored << " (skipped " << s.udfs_skipped << ")\n";
  }
  if (s.corrupt_entities) out << "Corrupt backup entities: " << s.corrupt_entities << "\n";
  for (const auto& [reason, n] : sum.failures) out << "Failed " << reason << ": " << n << "\n";
  for (const auto& n : sum.notes) out << "Note: " << n << "\n";
  for (const auto& e : sum.errors) out << "Error: " << e << "\n";
  if (sum.errors_dropped) out << "(" << sum.errors_dropped << " more error message(s) not shown)\n";
  // The duration in fixed notation without leaving `out` changed for later writes.
  std::ostringstream last;
  last << std::fixed << std::setprecision(1) << (sum.status.ok() ? "Restore finished" : "Restore FAILED") << " in "
       << static_cast<double>(sum.duration.count()) / 1000.0 << " s";
  if (!sum.status.ok()) last << ": " << sum.status.ToString();
  out << last.str() << "\n";
}

std::string RestoreProgressLine(const RestoreStats& s, double secs) {
  double frac = s.bytes_total ? static_cast<double>(s.bytes_read) / static_cast<double>(s.bytes_total) : 0.0;
  frac = std::min(1.0, frac);
  uint64_t rate = secs > 0 ? static_cast<uint64_t>(static_cast<double>(s.records_read) / secs) : 0;
  std::ostringstream line;
  line << ProgressBar(frac * 100) << " " << s.records_read << " records (" << rate << " rec/s), "
       << FormatBytes(static_cast<double>(s.bytes_read)) << " of " << FormatBytes(static_cast<double>(s.bytes_total))
       << ", files " << s.files_done << "/" << s.files_total;
  return line.str();
}

std::string MachineSummary(const RestoreStats& s) {
  return MachineLine("SUMMARY", {s.udfs_restored, s.sindexes_restored, s.records_read, s.records_expired,
                                 s.records_skipped, s.records_ignored, s.records_inserted, s.records_existed,
                                 s.records_fresher});
}

}  // namespace aero::tools
