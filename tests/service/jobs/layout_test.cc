// Unit tests of the jobs' pure parts: the storage layout and catalogue (on a real local folder),
// retention decisions and restore-chain selection.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "backup/backup_metadata.h"
#include "service/jobs/layout.h"
#include "storage/factory.h"
#include "tests/support/temp_dir.h"

namespace aero::service {
namespace {

using model::BackupType;
using jobs::StoredBackup;

StoredBackup Make(BackupType type, int64_t ts, const std::string& ns = "test", int64_t from = 0) {
  StoredBackup b;
  b.type = type;
  b.ts_ms = ts;
  b.run_folder = jobs::RunFolder("r", type, ts);
  b.key = jobs::NamespaceFolder(b.run_folder, ns);
  b.meta.ns = ns;
  b.meta.created_unix_ms = ts;
  b.meta.finished_unix_ms = ts + 100;
  b.meta.from_unix_ms = from;
  b.meta.incremental = type == BackupType::kIncremental;
  return b;
}

TEST(Layout, RunTimestampNames) {
  EXPECT_EQ(jobs::ParseRunTimestamp("1700000000000"), 1700000000000);
  EXPECT_EQ(jobs::ParseRunTimestamp("1700000000000_2023-11-14T22-13-20"), 1700000000000);
  EXPECT_FALSE(jobs::ParseRunTimestamp("170000000000"));
  EXPECT_FALSE(jobs::ParseRunTimestamp("1700000000000x"));
  EXPECT_FALSE(jobs::ParseRunTimestamp("data"));
  EXPECT_EQ(jobs::RunFolder("daily", BackupType::kIncremental, 1700000000000), "daily/incremental/1700000000000");
  // service.backup.timestamp-format (1704110400000 = 2024-01-01T12:00:00Z).
  EXPECT_EQ(jobs::RunFolder("d", BackupType::kFull, 1704110400000, "ISO"), "d/backup/1704110400000_2024-01-01T12-00-00");
  EXPECT_EQ(jobs::FormatRunTime(1704110400000, "EU"), "01-Jan-2024-12-00-00");
  EXPECT_EQ(jobs::FormatRunTime(1704110400000, "US"), "Jan-01-2024-12-00-00");
  EXPECT_EQ(jobs::ParseRunTimestamp("1704110400000_2024-01-01T12-00-00"), 1704110400000);
}

TEST(Retention, KeepsNewestFullsAndTheirIncrementals) {
  std::vector<StoredBackup> fulls = {Make(BackupType::kFull, 1000), Make(BackupType::kFull, 2000),
                                     Make(BackupType::kFull, 3000)};
  std::vector<StoredBackup> incs = {Make(BackupType::kIncremental, 1500, "test", 1000),
                                    Make(BackupType::kIncremental, 2500, "test", 2000),
                                    Make(BackupType::kIncremental, 3500, "test", 3000)};
  RetentionPolicy p;
  p.full = 2;
  p.incremental = 1;
  auto del = jobs::RetentionDeletions(fulls, incs, p);
  std::set<std::string> got(del.begin(), del.end());
  EXPECT_EQ(got, (std::set<std::string>{"r/backup/1000", "r/incremental/1500", "r/incremental/2500"}));

  p.incremental = 0;
  del = jobs::RetentionDeletions(fulls, incs, p);
  got = {del.begin(), del.end()};
  EXPECT_EQ(got.size(), 4u);  // oldest full + every incremental
  EXPECT_TRUE(got.count("r/incremental/3500"));

  RetentionPolicy none;
  EXPECT_TRUE(jobs::RetentionDeletions(fulls, incs, none).empty());
  p = RetentionPolicy{};
  p.full = 5;
  EXPECT_TRUE(jobs::RetentionDeletions(fulls, incs, p).empty());
}

TEST(RestoreChain, NewestFullThenIncrementalsUpToTheTime) {
  std::vector<StoredBackup> fulls = {Make(BackupType::kFull, 1000), Make(BackupType::kFull, 3000),
                                     Make(BackupType::kFull, 1000, "bar")};
  std::vector<StoredBackup> incs = {Make(BackupType::kIncremental, 1500, "test", 1000),
                                    Make(BackupType::kIncremental, 3500, "test", 3000),
                                    Make(BackupType::kIncremental, 4000, "test", 3500),
                                    Make(BackupType::kIncremental, 5000, "test", 4000),
                                    Make(BackupType::kIncremental, 2000, "bar", 1000)};
  auto chains = jobs::SelectRestoreChains(fulls, incs, 4500);
  ASSERT_TRUE(chains.ok()) << chains.status().ToString();
  ASSERT_EQ(chains->size(), 2u);
  const auto& bar = (*chains)[0];
  const auto& test = (*chains)[1];
  EXPECT_EQ(bar.ns, "bar");
  EXPECT_EQ(bar.full.ts_ms, 1000);
  ASSERT_EQ(bar.incrementals.size(), 1u);
  EXPECT_EQ(test.full.ts_ms, 3000);
  ASSERT_EQ(test.incrementals.size(), 2u);  // 1500 is before the full, 5000 after the time
  EXPECT_EQ(test.incrementals[0].ts_ms, 3500);
  EXPECT_EQ(test.incrementals[1].ts_ms, 4000);

  // Before any full finished: nothing to restore.
  EXPECT_EQ(jobs::SelectRestoreChains(fulls, incs, 1050).status().code(), ErrorCode::kNotFound);
}

TEST(RestoreChain, CumulativeIncrementalReplacesOlderOnes) {
  std::vector<StoredBackup> fulls = {Make(BackupType::kFull, 1000)};
  std::vector<StoredBackup> incs = {Make(BackupType::kIncremental, 2000, "test", 1000),
                                    Make(BackupType::kIncremental, 3000, "test", 1000),
                                    Make(BackupType::kIncremental, 4000, "test", 1000)};
  auto chains = jobs::SelectRestoreChains(fulls, incs, 10000);
  ASSERT_TRUE(chains.ok());
  ASSERT_EQ((*chains)[0].incrementals.size(), 1u);
  EXPECT_EQ((*chains)[0].incrementals[0].ts_ms, 4000);
}

class LocalStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = OpenStorage(root_.string(), StorageOptions{});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(*s);
  }
  void Put(const std::string& key, const std::string& text) { ASSERT_TRUE(storage_->WriteObject(key, text).ok()); }
  void PutMeta(const std::string& ns_folder, const std::string& ns, int64_t created) {
    backup::BackupMetadata m;
    m.ns = ns;
    m.created_unix_ms = created;
    m.finished_unix_ms = created + 10;
    m.record_count = 7;
    Put(ns_folder + "/metadata.yaml", backup::EmitMetadataYaml(m));
  }
  aero::testing::TempDir dir_{"abs-layout"};
  std::filesystem::path root_ = dir_.path();
  std::unique_ptr<aero::Storage> storage_;
};

TEST_F(LocalStorageTest, ListsOnlyCompletedBackupsAndFindsLeftovers) {
  PutMeta("r/backup/1700000000000/data/test", "test", 1700000000000);
  Put("r/backup/1700000000000/data/test/test_00000.asb", "x");
  PutMeta("r/backup/1700000000000/data/bar", "bar", 1700000000000);
  Put("r/backup/1700000001000/data/test/test_00000.asb", "partial");  // killed run: no metadata
  PutMeta("r/backup/1700000002000/data/test", "test", 1700000002000);
  Put("r/backup/1700000002000/data/bar/bar_00000.asb", "partial");  // one namespace unfinished
  Put("r/backup/notarun/data/test/metadata.yaml", "garbage");       // ignored: not a run folder
  // Killed while its first file was being written: only a hidden temporary file.
  std::filesystem::create_directories(root_ / "r/backup/1700000003000/data/test");
  std::ofstream(root_ / "r/backup/1700000003000/data/test/.abs-tmp-test_00000.asb.abc123") << "partial";

  auto list = jobs::ListStoredBackups(*storage_, "r", BackupType::kFull);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].meta.ns, "bar");
  EXPECT_EQ((*list)[0].key, "r/backup/1700000000000/data/bar");
  EXPECT_EQ((*list)[1].meta.record_count, 7u);
  EXPECT_EQ((*list)[2].ts_ms, 1700000002000);

  auto left = jobs::IncompleteRunFolders(*storage_, "r", BackupType::kFull);
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, (std::vector<std::string>{"r/backup/1700000001000", "r/backup/1700000002000",
                                             "r/backup/1700000003000"}));
  for (const auto& dir : *left) ASSERT_TRUE(storage_->DeleteDirectory(dir).ok());
  EXPECT_FALSE(std::filesystem::exists(root_ / "r/backup/1700000003000"));
  EXPECT_TRUE(jobs::IncompleteRunFolders(*storage_, "r", BackupType::kFull)->empty());
  EXPECT_EQ(jobs::ListStoredBackups(*storage_, "r", BackupType::kFull)->size(), 2u);

  // Nothing stored yet for this type / routine: empty, not an error.
  auto none = jobs::ListStoredBackups(*storage_, "r", BackupType::kIncremental);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  EXPECT_TRUE(jobs::ListStoredBackups(*storage_, "other", BackupType::kFull)->empty());
}

TEST_F(LocalStorageTest, DamagedMetadataIsAnErrorNamingTheFile) {
  Put("r/incremental/1700000000000/data/test/metadata.yaml", "- not a mapping");
  auto list = jobs::ListStoredBackups(*storage_, "r", BackupType::kIncremental);
  ASSERT_FALSE(list.ok());
  EXPECT_NE(list.status().message().find("r/incremental/1700000000000/data/test/metadata.yaml"), std::string::npos);
}

}  // namespace
}  // namespace aero::service
