// What abs-backup prints (see backup_report.h).
#include "tools/backup/backup_report.h"

#include <cstdarg>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "backup/backup_metadata.h"
#include "tools/common/machine_lines.h"
#include "tools/common/progress.h"

namespace aero::tools {
namespace {

// printf-style formatting into a string (asbackup's lines are printf formats).
std::string Format(const char* format, ...) __attribute__((format(printf, 1, 2)));
std::string Format(const char* format, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, format);
  int n = std::vsnprintf(buf, sizeof buf, format, ap);
  va_end(ap);
  if (n < 0) return std::string();
  if (static_cast<size_t>(n) < sizeof buf) return std::string(buf, static_cast<size_t>(n));
  std::string big(static_cast<size_t>(n) + 1, '\0');
  va_start(ap, format);
  std::vsnprintf(big.data(), big.size(), format, ap);
  va_end(ap);
  big.resize(static_cast<size_t>(n));
  return big;
}

unsigned long long U(uint64_t v) { return static_cast<unsigned long long>(v); }

}  // namespace

int ReportArgsEnd(const BackupArgs& args, std::ostream& out, std::ostream& err) {
  out << args.cli11_out;
  err << args.cli11_err;
  if (!args.secret_error.empty()) err << "abs-backup: " << args.secret_error << "\n";
  if (!args.error.ok()) ReportFailure(args.error, args.json, out, err);
  out.flush();
  err.flush();
  return args.exit_code;
}

void ReportFailure(const Status& error, bool json, std::ostream& out, std::ostream& err) {
  if (json) out << nlohmann::json{{"status", "error"}, {"error", error.ToString()}}.dump() << "\n";
  err << "abs-backup: " << error.ToString() << "\n";
}

void ReportRemoved(uint64_t removed, const std::string& storage, bool json, std::ostream& out, std::ostream& err) {
  err << Format("Removed %llu file(s) from %s\n", U(removed), storage.c_str());
  if (json) out << nlohmann::json{{"status", "ok"}, {"removed-files", removed}}.dump() << "\n";
}

void ReportEstimate(const backup::BackupEstimate& e, const OutputFlags& output, std::ostream& out, std::ostream& err) {
  err << Format("Sampled %llu record(s): ~%.1f B/record, compression ratio %.2f\n", U(e.sampled_records),
                e.mean_record_bytes, e.compression_ratio);
  err << Format("Estimated %llu record(s), %s in total\n", U(e.estimated_records),
                FormatBytes(static_cast<double>(e.estimated_bytes)).c_str());
  (void)AppendMachineLine(output.machine, MachineLine("ESTIMATE", {e.estimated_records,
                                                                   static_cast<uint64_t>(e.mean_record_bytes)}));
  if (output.json) {
    nlohmann::json j{{"status", "ok"},
                     {"sampled-records", e.sampled_records},
                     {"mean-record-bytes", e.mean_record_bytes},
                     {"compression-ratio", e.compression_ratio},
                     {"estimated-records", e.estimated_records},
                     {"estimated-bytes", e.estimated_bytes}};
    out << j.dump() << "\n";
  }
}

std::string BackupProgressLine(const backup::BackupProgress::View& v, bool terminal) {
  std::string head = terminal ? ProgressBar(v.percent, 24)
                              : (v.percent >= 0 ? std::to_string(static_cast<int>(v.percent)) + "% complete" : "progress");
  std::string estimated = v.estimated_records ? std::to_string(v.estimated_records) : "?";
  return Format("%s %llu/%s rec, %s, %.0f rec/s, %s/s, ETA %s", head.c_str(), U(v.records), estimated.c_str(),
                FormatBytes(static_cast<double>(v.bytes)).c_str(), v.records_per_second,
                FormatBytes(v.bytes_per_second).c_str(), FormatDuration(v.eta_seconds).c_str());
}

void ReportBackup(const backup::BackupSummary& sum, const std::string& storage, const OutputFlags& output,
                  std::ostream& out, std::ostream& err) {
  double per_rec = sum.records ? static_cast<double>(sum.bytes) / static_cast<double>(sum.records) : 0;
  err << Format("Backed up %llu record(s), %llu secondary index(es), %llu UDF file(s), %llu byte(s) in total (~%.0f B/rec)\n",
                U(sum.records), U(sum.sindexes), U(sum.udfs), U(sum.bytes), per_rec);
  Status ms = AppendMachineLine(output.machine, MachineLine("SUMMARY", {sum.records, sum.sindexes, sum.udfs, sum.bytes,
                                                                        static_cast<uint64_t>(per_rec)}));
  if (!ms.ok()) err << "abs-backup: warning: " << ms.ToString() << " (the backup itself succeeded)\n";
  if (output.json) out << BackupSummaryJson(sum, storage) << "\n";
}

std::string BackupSummaryJson(const backup::BackupSummary& sum, const std::string& storage) {
  nlohmann::json j{{"status", "ok"},
                   {"namespace", sum.ns},
                   {"incremental", sum.incremental},
                   {"resumed", sum.resumed},
                   {"records", sum.records},
                   {"bytes", sum.bytes},
                   {"text-bytes", sum.text_bytes},
                   {"files", sum.files},
                   {"secondary-indexes", sum.sindexes},
                   {"udfs", sum.udfs},
                   {"start", backup::FormatRfc3339Ms(sum.start_unix_ms)},
                   {"end", backup::FormatRfc3339Ms(sum.end_unix_ms)},
                   {"duration-seconds", sum.duration_seconds()},
                   {"storage", storage},
                   {"metadata", sum.metadata_key},
                   {"file-keys", sum.file_keys}};
  if (sum.from_unix_ms) j["from"] = backup::FormatRfc3339Ms(sum.from_unix_ms);
  if (sum.to_unix_ms) j["to"] = backup::FormatRfc3339Ms(sum.to_unix_ms);
  return j.dump();
}

}  // namespace aero::tools
