// Integration tests of the abs-backup executable: the real process is run against the in-process
// test server (or AEROSPIKE_TEST_HOST) and its files, exit status and JSON summary are checked.
#include <gtest/gtest.h>

#include <csignal>
#include <ctime>
#include <nlohmann/json.hpp>

#include "backup/backup_metadata.h"
#include "client/write.h"
#include "storage/factory.h"
#include "tests/backup/backup_test_util.h"
#include "tests/client/cluster_fixture.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace aero::backup {
namespace {

using aero::testing::ClusterTarget;
using namespace aero::backup::testing;

const bool kIgnoreSigpipe = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

using ToolRun = aero::testing::CommandResult;  // exit code, stdout, stderr
using aero::testing::ReadFile;

class BackupToolIT : public ::testing::Test {
 protected:
  void SetUp() override {
    ABS_START_TARGET(target_, ClusterTarget::Options());
    auto c = target_->Connect();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = *c;
    auto st = OpenStorage(dir_, StorageOptions{});
    ASSERT_TRUE(st.ok());
    storage_ = std::move(*st);
  }
  void TearDown() override {
    if (target_) target_->Cleanup();
    if (cluster_) cluster_->Close();
  }
  std::string HostArg() const {
    const auto& s = target_->seeds()[0];
    return s.name + ":" + std::to_string(s.port);
  }
  ToolRun Run(const std::vector<std::string>& args) {
    std::vector<std::string> argv{ABS_BACKUP_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = aero::testing::RunCommand(argv);
    if (!run.ok()) return ToolRun{-1, "", run.status().ToString()};
    return *run;
  }

  std::unique_ptr<ClusterTarget> target_;
  std::shared_ptr<client::Cluster> cluster_;
  aero::testing::TempDir tmp_{"abs-backup-tool"};
  std::string dir_ = tmp_.path();
  std::unique_ptr<Storage> storage_;
};

TEST_F(BackupToolIT, DirectoryBackupWithJsonSummary) {
  std::string set = target_->UniqueSet("tool");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 1500, 0, 64).ok());
  auto r = Run({"-h", HostArg(), "-n", "test", "-s", set, "-d", dir_ + "/out", "-w", "4", "-F", "1", "--json",
                "--no-udfs", "--no-indexes", "-z", "zstd"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["records"], 1500);
  EXPECT_EQ(j["namespace"], "test");
  EXPECT_NE(r.err.find("Backed up 1500 record(s)"), std::string::npos) << r.err;
  CodecOptions codec;
  codec.compression = CompressionMode::kZstd;
  auto got = ReadBackup(*storage_, "out", codec);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  auto want = ScanSet(*cluster_, "test", set);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(got->records, *want);
  EXPECT_EQ(j["files"], got->files.size());
  auto meta = ParseMetadataYaml(*storage_->ReadObject("out/metadata.yaml"));
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->record_count, 1500u);
  EXPECT_EQ(meta->compression, CompressionMode::kZstd);
}

TEST_F(BackupToolIT, SingleFileEncryptedWithMachineLines) {
  std::string set = target_->UniqueSet("toolenc");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 300).ok());
  std::string key = std::string(ABS_TEST_DATA_DIR) + "/backup/test_key.pem";
  std::string machine = dir_ + "/machine.txt";
  auto r = Run({"-h", HostArg(), "-n", "test", "-s", set, "-o", dir_ + "/one/all.asb", "-y", "aes128",
                "--encryption-key-file", key, "-m", machine, "--no-progress", "-R", "-u", "-I"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // -R: no records at all.
  EXPECT_NE(ReadFile(machine).find("SUMMARY:0:0:0:"), std::string::npos) << ReadFile(machine);

  auto r2 = Run({"-h", HostArg(), "-n", "test", "-s", set, "-o", dir_ + "/two/all.asb", "-y", "aes128",
                 "--encryption-key-file", key, "-m", machine, "--no-progress", "-u", "-I"});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  CodecOptions codec;
  codec.encryption = EncryptionMode::kAes128;
  codec.key_material = *LoadKeyFile(key);
  auto got = ReadBackup(*storage_, "", codec, "two/all.asb");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->records.size(), 300u);
  EXPECT_NE(ReadFile(machine).find("SUMMARY:300:0:0:"), std::string::npos) << ReadFile(machine);
}

TEST_F(BackupToolIT, OutputToStdoutForPipes) {
  std::string set = target_->UniqueSet("toolpipe");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 250).ok());
  auto r = Run({"-h", HostArg(), "-n", "test", "-s", set, "-o", "-", "-w", "3", "-z", "zstd", "-u", "-I"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(storage_->WriteObject("piped.asb", r.out).ok());
  CodecOptions codec;
  codec.compression = CompressionMode::kZstd;
  auto got = ReadBackup(*storage_, "", codec, "piped.asb");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  auto want = ScanSet(*cluster_, "test", set);
  ASSERT_TRUE(want.ok());
  EXPECT_EQ(got->records, *want);
  EXPECT_EQ(got->record_entities, 250u);
}

TEST_F(BackupToolIT, IncrementalWithLocalTimeAndEstimate) {
  ABS_SKIP_IF_REAL_SERVER("needs to move record update times");
#ifdef ABS_HAVE_TESTSERVER
  std::string set = target_->UniqueSet("toolinc");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 40).ok());
  auto old_scan = ScanSet(*cluster_, "test", set);
  ASSERT_TRUE(old_scan.ok());
  uint64_t past = static_cast<uint64_t>(SystemClock::Instance().NowUnixMillis() - 2 * 3600 * 1000);
  for (const auto& [d, r] : *old_scan) ASSERT_TRUE(target_->server()->SetLastUpdateMs("test", d, past).ok());
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 9, 1000).ok());
  time_t one_hour_ago = static_cast<time_t>(SystemClock::Instance().NowUnixSeconds() - 3600);
  std::tm tm{};
  localtime_r(&one_hour_ago, &tm);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%d_%H:%M:%S", &tm);
  auto r = Run({"-h", HostArg(), "-n", "test", "-s", set, "-d", dir_ + "/inc", "-a", when, "--json", "-u", "-I"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["records"], 9);
  EXPECT_EQ(j["incremental"], true);
  auto e = Run({"-h", HostArg(), "-n", "test", "-s", set, "-e", "--estimate-samples", "20", "--json"});
  ASSERT_EQ(e.exit_code, 0) << e.err;
  auto je = nlohmann::json::parse(e.out, nullptr, false);
  ASSERT_FALSE(je.is_discarded()) << e.out;
  EXPECT_EQ(je["sampled-records"], 20);
  EXPECT_EQ(je["estimated-records"], 49);
#endif
}

TEST_F(BackupToolIT, BadOptionsExitWithTwoAndAMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  } cases[] = {
      {{"-n", "test"}, "exactly one of"},
      {{"-d", "x"}, "--namespace"},
      {{"-n", "test", "-d", "x", "-o", "y"}, "exactly one of"},
      {{"-n", "test", "-d", "x", "-X", "5000"}, "--partition-list"},
      {{"-n", "test", "-d", "x", "-X", "1", "-D", "AAAA"}, "excludes"},
      {{"-n", "test", "-d", "x", "-a", "yesterday"}, "--modified-after"},
      {{"-n", "test", "-d", "x", "-y", "aes128"}, "encryption-key"},
      {{"-n", "test", "-d", "x", "-w", "0"}, "--parallel"},
      {{"-n", "test", "-o", "-", "--json"}, "--json"},
      {{"-n", "test", "-d", "x", "--no-ttl-only", "-f", "kwE="}, "--no-ttl-only"},
      // Parser errors too (CLI11's own exit codes are 105-109 otherwise).
      {{"-n", "test", "-d", "x", "--bogus"}, "--bogus"},
      {{"-n", "test", "-d", "x", "stray"}, "stray"},
      {{"-n", "test", "-d", "x", "-w", "notanumber"}, "notanumber"},
  };
  for (const auto& c : cases) {
    auto r = Run(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args.back() << ": " << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
  }
  auto unreachable = Run({"-h", "127.0.0.1:1", "-n", "test", "-d", dir_ + "/never", "--connect-timeout", "300"});
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("connecting to the cluster"), std::string::npos) << unreachable.err;
}

// --no-ttl-only (asbackup): only the records that never expire; the ones with a TTL stay behind.
TEST_F(BackupToolIT, NoTtlOnlyBacksUpRecordsWithoutTtl) {
  std::string set = target_->UniqueSet("nottl");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 40, 0).ok());  // never expire
  std::vector<Record> with_ttl;
  const uint32_t now_cl = static_cast<uint32_t>(std::time(nullptr) - kCitrusleafEpoch);
  for (int i = 100; i < 125; ++i) {
    Record r = MakeRecord("test", set, IntegerKey(i), {Bin{"n", ParticleType::kInteger, U64(static_cast<uint64_t>(i))}});
    r.void_time = now_cl + 3600;
    with_ttl.push_back(std::move(r));
  }
  auto put = client::BatchPut(*cluster_, with_ttl, client::WritePolicy{});
  ASSERT_TRUE(put.ok()) << put.status().ToString();
  for (const auto& row : *put) ASSERT_TRUE(row.status.ok()) << row.status.ToString();

  auto r = Run({"-h", HostArg(), "-n", "test", "-s", set, "-d", dir_ + "/out", "--no-ttl-only", "--json", "--no-udfs",
                "--no-indexes"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto got = ReadBackup(*storage_, "out", CodecOptions{});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->records.size(), 40u);
  for (const auto& [digest, rec] : got->records) EXPECT_EQ(rec.void_time, 0u);
  auto all = Run({"-h", HostArg(), "-n", "test", "-s", set, "-d", dir_ + "/all", "--no-udfs", "--no-indexes"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  auto everything = ReadBackup(*storage_, "all", CodecOptions{});
  ASSERT_TRUE(everything.ok());
  EXPECT_EQ(everything->records.size(), 65u);
}

}  // namespace
}  // namespace aero::backup
