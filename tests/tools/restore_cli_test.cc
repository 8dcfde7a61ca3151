// Unit tests of the abs-restore command line: option mapping and validation, and a validate-only run
// of the whole tool (no cluster). The whole tool against a server: restore_cli_integration_test.cc.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <fstream>
#include <iterator>
#include <sstream>

#include "storage/factory.h"
#include "tests/restore/restore_test_util.h"
#include "tests/tools/restore_cli_test_util.h"
#include "tools/restore/restore_run.h"

namespace aero::restore {
namespace {

using tools::RunRestoreTool;
using tools::testing::ParseRestore;

TEST(RestoreCliTest, MapsAsrestoreOptions) {
  auto c = ParseRestore({"-h", "10.0.0.1:3100,10.0.0.2", "-p", "4000", "-U", "admin", "-P", "secret", "-d", "/backups/x/",
                  "-n", "test,bar", "-s", "s1,s2", "-B", "a,b", "-u", "--ignore-record-error", "-l", "60", "-t", "12",
                  "-N", "5,1000", "-R", "-I", "-F", "-L", "-w", "-T", "2000", "--socket-timeout", "500",
                  "--max-retries", "3", "--retry-scale-factor", "20000", "--disable-batch-writes", "-z", "zstd",
                  "--no-progress", "--json"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->hosts.size(), 2u);
  EXPECT_EQ(c->hosts[0].port, 3100);
  EXPECT_EQ(c->hosts[1].port, 4000);
  EXPECT_EQ(c->client.user, "admin");
  EXPECT_EQ(c->client.password, "secret");
  EXPECT_EQ(c->storage_root, "/");
  EXPECT_EQ(c->inputs, std::vector<std::string>{"backups/x"});
  const RestoreOptions& r = c->restore;
  EXPECT_EQ(r.source_namespace, "test");
  EXPECT_EQ(r.dest_namespace, "bar");
  EXPECT_EQ(r.set_list, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(r.bin_list, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(r.unique);
  EXPECT_TRUE(r.ignore_record_error);
  EXPECT_EQ(r.extra_ttl, 60u);
  EXPECT_EQ(r.parallel, 12);
  EXPECT_EQ(r.bytes_per_second, 5u << 20);
  EXPECT_EQ(r.records_per_second, 1000u);
  EXPECT_TRUE(r.no_records && r.no_indexes && r.no_udfs && r.indexes_last && r.wait_indexes);
  EXPECT_EQ(r.info_timeout.count(), 2000);
  EXPECT_EQ(r.socket_timeout.count(), 500);
  EXPECT_EQ(r.total_timeout.count(), 2000);
  EXPECT_EQ(r.max_retries, 3);
  EXPECT_EQ(r.retry_delay.count(), 20);
  EXPECT_EQ(r.batch_mode, RestoreOptions::BatchMode::kOff);
  EXPECT_EQ(r.batch_size, 16u);
  EXPECT_EQ(r.codec.compression, CompressionMode::kZstd);
  EXPECT_TRUE(c->json);
  EXPECT_FALSE(c->progress);
}

TEST(RestoreCliTest, StorageUrisAndDirectoryLists) {
  auto c = ParseRestore({"--directory-list", "full,inc1,inc2", "--parent-directory", "s3://bucket/routine", "--s3-region",
                  "eu-west-1", "--s3-endpoint-override", "http://127.0.0.1:9000"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->storage_root, "s3://bucket");
  EXPECT_EQ(c->inputs, (std::vector<std::string>{"routine/full", "routine/inc1", "routine/inc2"}));
  EXPECT_EQ(c->storage.s3.region, "eu-west-1");
  EXPECT_EQ(c->storage.s3.endpoint_override, "http://127.0.0.1:9000");

  auto f = ParseRestore({"-i", "gs://b/x/test_00000.asb", "--gcp-key-path", "/k.json"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_EQ(f->storage_root, "gs://b");
  EXPECT_EQ(f->inputs, std::vector<std::string>{"x/test_00000.asb"});

  auto mixed = ParseRestore({"--directory-list", "s3://a/x,s3://b/y"});
  EXPECT_EQ(mixed.status().code(), ErrorCode::kInvalidArgument);
}

TEST(RestoreCliTest, RejectsBadCombinations) {
  EXPECT_FALSE(ParseRestore({}).ok());
  EXPECT_FALSE(ParseRestore({"-d", "/a", "-i", "/b.asb"}).ok());
  EXPECT_FALSE(ParseRestore({"-d", "/a", "--parent-directory", "/p"}).ok());
  EXPECT_FALSE(ParseRestore({"-d", "/a", "-u", "-r"}).ok());
  EXPECT_FALSE(ParseRestore({"-d", "/a", "-u", "-g"}).ok());
  EXPECT_FALSE(ParseRestore({"-d", "/a", "-N", "5"}).ok());
  EXPECT_FALSE(ParseRestore({"-d", "/a", "-y", "aes128"}).ok());  // no key
  EXPECT_FALSE(ParseRestore({"-d", "/a", "-z", "gzip"}).ok());
  EXPECT_FALSE(ParseRestore({"-d", "/a", "-n", "a,b,c"}).ok());
  EXPECT_FALSE(ParseRestore({"-d", "/a", "--no-such-option"}).ok());
  EXPECT_FALSE(ParseRestore({"-i", "-"}).ok());
  auto help = ParseRestore({"--help"});
  EXPECT_EQ(help.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(help.status().message().find("--ignore-record-error"), std::string::npos);
}

TEST(RestoreCliTest, EncryptionKeyFromEnvironment) {
  ::setenv("ABS_RESTORE_TEST_KEY", "c2VjcmV0IGtleSBtYXRlcmlhbA==", 1);  // "secret key material"
  auto c = ParseRestore({"-d", "/a", "-y", "aes256", "--encryption-key-env", "ABS_RESTORE_TEST_KEY"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->restore.codec.key_material, "secret key material");
  EXPECT_EQ(c->restore.codec.encryption, EncryptionMode::kAes256);
  EXPECT_FALSE(ParseRestore({"-d", "/a", "-y", "aes256", "--encryption-key-env", "ABS_RESTORE_NO_SUCH_VAR"}).ok());
}

TEST(RestoreCliTest, ValidateRunPrintsJson) {
  aero::testing::TempDir dir;
  auto st = OpenStorage(dir.path(), StorageOptions{});
  ASSERT_TRUE(st.ok());
  aero::testing::AsbContent c;
  for (int i = 0; i < 7; ++i)
    c.records.push_back(aero::testing::MakeRecord("test", "s", IntegerKey(i), {aero::testing::IntBin("v", i)}));
  ASSERT_TRUE(aero::testing::WriteFile(**st, "test_00000.asb", aero::testing::EncodeAsb(c)).ok());
  auto cfg = ParseRestore({"-d", dir.path(), "--validate", "--json", "--no-progress"});
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  std::ostringstream out, err;
  EXPECT_EQ(RunRestoreTool(*cfg, out, err), 0) << err.str();
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["read-records"], 7);
  EXPECT_NE(err.str().find("Read 7 record(s)"), std::string::npos) << err.str();

  // Machine-readable lines (asrestore -m): progress and the SUMMARY line.
  std::string machine = dir.path() + "/machine.txt";
  cfg = ParseRestore({"-d", dir.path(), "--validate", "--no-progress", "-m", machine});
  ASSERT_TRUE(cfg.ok());
  std::ostringstream out3, err3;
  EXPECT_EQ(RunRestoreTool(*cfg, out3, err3), 0) << err3.str();
  std::ifstream mf(machine);
  std::string lines((std::istreambuf_iterator<char>(mf)), std::istreambuf_iterator<char>());
  EXPECT_NE(lines.find("PROGRESS:100\n"), std::string::npos) << lines;
  EXPECT_NE(lines.find("SUMMARY:0:0:7:0:0:0:0:0:0\n"), std::string::npos) << lines;

  // Forced progress bar: drawn on stderr, ends at 100 %.
  cfg = ParseRestore({"-d", dir.path(), "--validate", "--progress"});
  ASSERT_TRUE(cfg.ok());
  std::ostringstream out2, err2;
  EXPECT_EQ(RunRestoreTool(*cfg, out2, err2), 0);
  EXPECT_NE(err2.str().find("100.0% 7 records"), std::string::npos) << err2.str();
  EXPECT_NE(out2.str().find("Restore finished"), std::string::npos) << out2.str();
}

// --version is printed like --help (exit 0), not a usage error.
TEST(RestoreCliTest, VersionPrintsLikeHelp) {
  auto v = ParseRestore({"--version"});
  EXPECT_EQ(v.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(v.status().message(), "abs-restore 0.1.0\n");
}

}  // namespace
}  // namespace aero::restore
