// Unit tests of abs-backup's parse and report steps in-process (src/tools/backup): the command line
// as a BackupToolConfig (targets, keys, request fields, errors and their exit statuses) and what
// the report prints (asbackup's summary line, machine lines, JSON documents). The whole executable
// against a server: backup_tool_test.cc.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tests/tools/argv.h"
#include "tools/backup/backup_args.h"
#include "tools/backup/backup_report.h"

namespace aero::tools {
namespace {

BackupArgs Parse(std::vector<std::string> args) {
  tools::testing::Argv argv("abs-backup", std::move(args));
  return ParseBackupArgs(argv.argc(), argv.argv());
}

using aero::testing::ReadFile;

TEST(BackupArgsTest, TargetsAndKeys) {
  auto dir = Parse({"-n", "test", "-d", "s3://bucket/backups/x", "-s", "a, b", "-w", "4", "-F", "1", "-z", "zstd"});
  ASSERT_TRUE(dir.config) << dir.error.ToString() << dir.cli11_err;
  EXPECT_EQ(dir.config->target, BackupToolConfig::Target::kStorage);
  EXPECT_EQ(dir.config->storage_root, "s3://bucket/backups/x");
  EXPECT_EQ(dir.config->request.output_file, "");
  EXPECT_EQ(dir.config->request.sets, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(dir.config->request.parallel, 4);
  EXPECT_EQ(dir.config->request.file_limit_bytes, 1u << 20);
  EXPECT_EQ(dir.config->request.codec.compression, CompressionMode::kZstd);

  auto file = Parse({"-n", "test", "-o", "/backups/one/all.asb", "--state-file-dst", "/else/where/s.state"});
  ASSERT_TRUE(file.config) << file.error.ToString();
  EXPECT_EQ(file.config->storage_root, "/backups/one");
  EXPECT_EQ(file.config->request.output_file, "all.asb");
  EXPECT_EQ(file.config->request.state_key, "s.state");  // the state file lives in the backup directory

  auto out = Parse({"-n", "test", "-o", "-"});
  ASSERT_TRUE(out.config);
  EXPECT_EQ(out.config->target, BackupToolConfig::Target::kStdout);
  EXPECT_FALSE(out.config->request.write_metadata);
  EXPECT_FALSE(out.config->request.keep_state_on_failure);

  auto est = Parse({"-n", "test", "-e", "--estimate-samples", "20", "-P", "-U", "u"});
  ASSERT_TRUE(est.config);
  EXPECT_EQ(est.config->target, BackupToolConfig::Target::kEstimate);
  EXPECT_EQ(est.config->estimate_samples, 20u);
  // -P without a value: remembered (the prompt comes when the run connects), not tied to the parser.
  EXPECT_TRUE(est.config->connection.password_given);
  EXPECT_EQ(est.config->connection.password_option, nullptr);

  auto resume = Parse({"-n", "test", "-d", "/b", "-c", "/b/test.asb.state"});
  ASSERT_TRUE(resume.config);
  EXPECT_TRUE(resume.config->request.resume);
  EXPECT_EQ(resume.config->request.state_key, "test.asb.state");
}

TEST(BackupArgsTest, ErrorsAndExitStatuses) {
  auto help = Parse({"--help"});
  EXPECT_FALSE(help.config);
  EXPECT_EQ(help.exit_code, kExitOk);
  EXPECT_NE(help.cli11_out.find("--no-ttl-only"), std::string::npos);

  auto bogus = Parse({"-n", "test", "-d", "x", "--bogus"});
  EXPECT_EQ(bogus.exit_code, kExitBadOptions);
  EXPECT_NE(bogus.cli11_err.find("--bogus"), std::string::npos) << bogus.cli11_err;
  EXPECT_NE(bogus.cli11_err.find("Run with --help"), std::string::npos) << bogus.cli11_err;

  auto both = Parse({"-n", "test", "-d", "x", "-o", "y", "--json"});
  EXPECT_FALSE(both.config);
  EXPECT_EQ(both.exit_code, kExitBadOptions);
  EXPECT_TRUE(both.json);
  EXPECT_NE(both.error.message().find("exactly one of"), std::string::npos);

  auto unresolved = Parse({"-n", "test", "-d", "x", "-U", "secrets:r:k"});
  EXPECT_EQ(unresolved.exit_code, kExitBadOptions);
  EXPECT_NE(unresolved.error.message().find("--sa-address"), std::string::npos) << unresolved.error.ToString();

  auto agent_down = Parse({"-n", "test", "-d", "x", "-U", "secrets:r:k", "--sa-address", "127.0.0.1:1",
                           "--sa-timeout", "200"});
  EXPECT_EQ(agent_down.exit_code, kExitFailed);
  EXPECT_FALSE(agent_down.secret_error.empty());
  EXPECT_TRUE(agent_down.error.ok());
}

TEST(BackupReportTest, ArgsEndPrintsWhatTheParserFound) {
  std::ostringstream out, err;
  EXPECT_EQ(ReportArgsEnd(Parse({"-n", "test", "-d", "x", "-o", "y", "--json"}), out, err), kExitBadOptions);
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["status"], "error");
  EXPECT_NE(j["error"].get<std::string>().find("exactly one of"), std::string::npos);
  EXPECT_EQ(err.str().rfind("abs-backup: ", 0), 0u) << err.str();

  std::ostringstream out2, err2;
  BackupArgs secret;
  secret.exit_code = kExitFailed;
  secret.secret_error = "--user: agent 127.0.0.1:1 cannot be reached";
  EXPECT_EQ(ReportArgsEnd(secret, out2, err2), kExitFailed);
  EXPECT_EQ(out2.str(), "");
  EXPECT_EQ(err2.str(), "abs-backup: --user: agent 127.0.0.1:1 cannot be reached\n");
}

TEST(BackupReportTest, SummaryTextMachineLineAndJson) {
  backup::BackupSummary s;
  s.ns = "test";
  s.records = 10;
  s.sindexes = 1;
  s.udfs = 2;
  s.bytes = 1005;
  s.files = 1;
  s.file_keys = {"test_00000.asb"};
  s.metadata_key = "metadata.yaml";
  s.start_unix_ms = 1704110400000;
  s.end_unix_ms = 1704110401500;
  aero::testing::TempDir dir("abs-backup-report");
  const std::string machine = dir.File("machine.txt");
  OutputFlags o;
  o.json = true;
  o.machine = machine;
  std::ostringstream out, err;
  ReportBackup(s, "/b", o, out, err);
  EXPECT_EQ(err.str(),
            "Backed up 10 record(s), 1 secondary index(es), 2 UDF file(s), 1005 byte(s) in total (~100 B/rec)\n");
  EXPECT_EQ(ReadFile(machine), "SUMMARY:10:1:2:1005:100\n");
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["records"], 10);
  EXPECT_EQ(j["storage"], "/b");
  EXPECT_EQ(j["start"], "2024-01-01T12:00:00.000Z");
  EXPECT_EQ(j["duration-seconds"], 1.5);
  EXPECT_EQ(j["file-keys"], nlohmann::json::array({"test_00000.asb"}));
  EXPECT_FALSE(j.contains("from"));

  // A machine file that cannot be written is a warning: the backup itself succeeded.
  o.json = false;
  o.machine = "/nonexistent-dir/m";
  std::ostringstream out2, err2;
  ReportBackup(s, "/b", o, out2, err2);
  EXPECT_EQ(out2.str(), "");
  EXPECT_NE(err2.str().find("abs-backup: warning: "), std::string::npos) << err2.str();
  EXPECT_NE(err2.str().find("(the backup itself succeeded)"), std::string::npos) << err2.str();
}

TEST(BackupReportTest, EstimateAndProgressLines) {
  backup::BackupEstimate e;
  e.sampled_records = 20;
  e.mean_record_bytes = 120.4;
  e.compression_ratio = 2.5;
  e.estimated_records = 49;
  e.estimated_bytes = 3 << 20;
  aero::testing::TempDir dir("abs-backup-estimate");
  const std::string machine = dir.File("machine.txt");
  OutputFlags o;
  o.machine = machine;
  std::ostringstream out, err;
  ReportEstimate(e, o, out, err);
  EXPECT_EQ(err.str(), "Sampled 20 record(s): ~120.4 B/record, compression ratio 2.50\n"
                       "Estimated 49 record(s), 3.0 MiB in total\n");
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(ReadFile(machine), "ESTIMATE:49:120\n");

  backup::BackupProgress::View v;
  v.records = 10;
  v.estimated_records = 20;
  v.bytes = 2048;
  v.records_per_second = 5;
  v.bytes_per_second = 1024;
  v.percent = 50.7;
  v.eta_seconds = 65;
  EXPECT_EQ(BackupProgressLine(v, false), "50% complete 10/20 rec, 2.0 KiB, 5 rec/s, 1.0 KiB/s, ETA 1m05s");
  EXPECT_EQ(BackupProgressLine(v, true).rfind(ProgressBar(50.7, 24) + " 10/20 rec", 0), 0u);
  v.percent = -1;
  v.estimated_records = 0;
  v.eta_seconds = -1;
  EXPECT_EQ(BackupProgressLine(v, false), "progress 10/? rec, 2.0 KiB, 5 rec/s, 1.0 KiB/s, ETA ?");
}

}  // namespace
}  // namespace aero::tools
