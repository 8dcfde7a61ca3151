// Unit tests of abs-restore's report step (src/tools/restore/restore_report.h): the exits after
// parsing, the text summary, the progress line and the SUMMARY: machine line for hand-built
// summaries. Whole runs of the tool: restore_cli_test.cc, restore_cli_integration_test.cc.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tools/common/exit_codes.h"
#include "tools/common/progress.h"
#include "tools/restore/restore_report.h"

namespace aero::tools {
namespace {

restore::RestoreSummary Sample() {
  restore::RestoreSummary sum;
  restore::RestoreStats& s = sum.stats;
  s.records_read = 9;
  s.records_inserted = 3;
  s.records_existed = 1;
  s.records_fresher = 1;
  s.records_expired = 1;
  s.records_skipped = 1;
  s.records_failed = 1;
  s.records_ignored = 1;
  s.records_abandoned = 1;
  s.bytes_read = 2048;
  s.bytes_total = 4096;
  s.files_done = 1;
  s.files_total = 2;
  s.sindexes_read = 2;
  s.sindexes_restored = 2;
  s.udfs_read = 1;
  s.udfs_restored = 1;
  sum.failures["RECORD_TOO_BIG (13)"] = 1;
  sum.duration = std::chrono::milliseconds(1260);
  return sum;
}

TEST(RestoreReportTest, ArgsErrorsExitAsDocumented) {
  std::ostringstream out, err;
  EXPECT_EQ(ReportArgsError(Status(ErrorCode::kNotFound, "Usage: abs-restore\n"), out, err), kExitOk);
  EXPECT_EQ(out.str(), "Usage: abs-restore\n");
  EXPECT_EQ(err.str(), "");
  std::ostringstream out2, err2;
  EXPECT_EQ(ReportArgsError(Status(ErrorCode::kNetwork, "--user: agent down"), out2, err2), kExitFailed);
  EXPECT_EQ(err2.str(), "abs-restore: --user: agent down\n");
  std::ostringstream out3, err3;
  EXPECT_EQ(ReportArgsError(Status(ErrorCode::kInvalidArgument, "give exactly one of"), out3, err3), kExitBadOptions);
  EXPECT_EQ(err3.str(), "abs-restore: give exactly one of\n(see abs-restore --help)\n");
  EXPECT_EQ(out2.str() + out3.str(), "");
}

TEST(RestoreReportTest, TextSummary) {
  restore::RestoreSummary sum = Sample();
  std::ostringstream out;
  PrintRestoreText(sum, /*validate_only=*/false, out);
  EXPECT_EQ(out.str(),
            "Read 9 record(s), 2 secondary index(es), 1 UDF module(s) from 1/2 file(s), 2048 byte(s)\n"
            "Inserted 3, existed 1, fresher 1, expired 1, skipped 1, failed 1 (ignored 1), not attempted 1\n"
            "Secondary indexes created 2 (skipped 0), UDF modules registered 1 (skipped 0)\n"
            "Failed RECORD_TOO_BIG (13): 1\n"
            "Restore finished in 1.3 s\n");
  out << 0.25;  // the summary leaves the stream's number format alone
  EXPECT_NE(out.str().find("\n0.25"), std::string::npos);

  sum.status = Status(ErrorCode::kCancelled, "interrupted by SIGINT");
  sum.cancelled = true;
  std::ostringstream validate;
  PrintRestoreText(sum, /*validate_only=*/true, validate);
  EXPECT_EQ(validate.str().find("Inserted"), std::string::npos);
  EXPECT_NE(validate.str().find("Restore FAILED in 1.3 s: "), std::string::npos) << validate.str();
  EXPECT_EQ(nlohmann::json::parse(SummaryJson(sum))["status"], "canceled");
}

TEST(RestoreReportTest, ProgressAndMachineSummary) {
  restore::RestoreSummary sum = Sample();
  EXPECT_EQ(RestoreProgressLine(sum.stats, 2.0),
            ProgressBar(50) + " 9 records (4 rec/s), 2.0 KiB of 4.0 KiB, files 1/2");
  EXPECT_EQ(MachineSummary(sum.stats), "SUMMARY:1:2:9:1:1:1:3:1:1");
}

}  // namespace
}  // namespace aero::tools
