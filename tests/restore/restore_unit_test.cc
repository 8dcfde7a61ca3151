// Unit tests of the restore engine that need no cluster: option validation, input resolution on
// local storage, the rate limiter, and validate-only runs (full decode, counts, bad-data reports).
#include <gtest/gtest.h>

#include <thread>

#include "restore/rate_limiter.h"
#include "restore/restore.h"
#include "storage/factory.h"
#include "tests/restore/restore_test_util.h"

namespace aero::restore {
namespace {

using aero::testing::AsbContent;
using aero::testing::MakeRecord;

TEST(RestoreOptionsTest, RejectsConflicts) {
  RestoreOptions o;
  EXPECT_TRUE(ValidateOptions(o).ok());
  o.unique = o.replace = true;
  EXPECT_EQ(ValidateOptions(o).code(), ErrorCode::kInvalidArgument);
  o = RestoreOptions{};
  o.unique = o.no_generation = true;
  EXPECT_FALSE(ValidateOptions(o).ok());
  o = RestoreOptions{};
  o.parallel = 0;
  EXPECT_NE(ValidateOptions(o).message().find("parallel"), std::string::npos);
  o = RestoreOptions{};
  o.dest_namespace = "bar";
  EXPECT_FALSE(ValidateOptions(o).ok());
  o = RestoreOptions{};
  o.codec.encryption = EncryptionMode::kAes128;
  EXPECT_NE(ValidateOptions(o).message().find("key"), std::string::npos);
  o = RestoreOptions{};
  o.batch_size = 0;
  EXPECT_FALSE(ValidateOptions(o).ok());
}

TEST(RateLimiterTest, SpacesOutUnits) {
  RateLimiter unlimited(0);
  CancelToken cancel;
  EXPECT_TRUE(unlimited.Acquire(1000000, cancel));
  RateLimiter lim(1000);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(lim.Acquire(50, cancel));
  // 250 units at 1000/s: the first 50 pass at once, the remaining 200 need >= 200 ms.
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(ms, 190);
  EXPECT_LT(ms, 2000);
}

TEST(RateLimiterTest, CancelWakesWaiter) {
  RateLimiter lim(1);  // one unit per second
  CancelToken cancel;
  ASSERT_TRUE(lim.Acquire(100, cancel));  // reserves 100 s ahead
  std::thread t([&] { cancel.Cancel("stop"); });
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(lim.Acquire(1, cancel));
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

class RestoreLocalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    auto st = OpenStorage(dir_.path(), StorageOptions{});
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    storage_ = std::move(*st);
  }
  void Put(const std::string& key, const std::string& text, const CodecOptions& codec = {}) {
    Status s = aero::testing::WriteFile(*storage_, key, text, codec);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  RestoreSummary Validate(RestoreOptions o, std::vector<std::string> inputs) {
    o.validate_only = true;
    RestoreJob job(std::move(o), nullptr, storage_.get(), std::move(inputs));
    return job.Run();
  }
  aero::testing::TempDir dir_;
  std::unique_ptr<Storage> storage_;
};

AsbContent Sample(int n, const std::string& set = "s") {
  AsbContent c;
  for (int i = 0; i < n; ++i)
    c.records.push_back(MakeRecord("test", set, IntegerKey(i), {aero::testing::IntBin("v", i)}));
  return c;
}

TEST_F(RestoreLocalTest, ResolveInputListsAsbFilesInOrder) {
  Put("d/test_00001.asb", aero::testing::EncodeAsb(Sample(1)));
  Put("d/test_00000.asb", aero::testing::EncodeAsb(Sample(1)));
  Put("d/notes.txt", "x");
  Put("d/sub/test_00002.asb", aero::testing::EncodeAsb(Sample(1)));
  auto files = ResolveInput(*storage_, "d");
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].key, "d/test_00000.asb");
  EXPECT_EQ((*files)[1].key, "d/test_00001.asb");
  EXPECT_GT((*files)[0].size, 0u);

  auto one = ResolveInput(*storage_, "d/test_00001.asb");
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->size(), 1u);

  auto none = ResolveInput(*storage_, "empty");
  EXPECT_EQ(none.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(none.status().message().find("no .asb backup files"), std::string::npos);
}

TEST_F(RestoreLocalTest, ValidateCountsEverything) {
  AsbContent c = Sample(25);
  SecondaryIndex idx;
  idx.ns = "test";
  idx.name = "i1";
  idx.paths = {SindexPath{"v", SindexDataType::kNumeric}};
  c.sindexes.push_back(idx);
  c.udfs.push_back(UdfModule{UdfType::kLua, "m.lua", "return 1\n"});
  CodecOptions codec;
  codec.compression = CompressionMode::kZstd;
  Put("v/test_00000.asb", aero::testing::EncodeAsb(c), codec);
  Put("v/test_00001.asb", aero::testing::EncodeAsb(Sample(5)), codec);
  RestoreOptions o;
  o.codec = codec;
  auto s = Validate(o, {"v"});
  EXPECT_TRUE(s.status.ok()) << s.status.ToString();
  EXPECT_EQ(s.stats.records_read, 30u);
  EXPECT_EQ(s.stats.sindexes_read, 1u);
  EXPECT_EQ(s.stats.udfs_read, 1u);
  EXPECT_EQ(s.stats.files_done, 2u);
  EXPECT_EQ(s.stats.records_inserted, 0u);

  // Without the codec the zstd bytes are bad data, reported per file.
  o.codec = {};
  o.ignore_record_error = true;
  s = Validate(o, {"v"});
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(s.stats.corrupt_entities, 2u);
  EXPECT_EQ(s.errors.size(), 2u);
}

TEST_F(RestoreLocalTest, TruncatedFileIsReportedWithLine) {
  std::string text = aero::testing::EncodeAsb(Sample(3));
  text.resize(text.size() - 4);  // cut inside the last record's bin line
  Put("t/test_00000.asb", text);
  auto s = Validate(RestoreOptions{}, {"t"});
  EXPECT_EQ(s.status.code(), ErrorCode::kCorrupt);
  EXPECT_NE(s.status.message().find("t/test_00000.asb"), std::string::npos) << s.status.message();
  EXPECT_NE(s.status.message().find("line "), std::string::npos) << s.status.message();
  EXPECT_EQ(s.stats.records_read, 2u);
  EXPECT_EQ(s.stats.corrupt_entities, 1u);
}

TEST_F(RestoreLocalTest, MissingInputFailsBeforeAnything) {
  Put("a/test_00000.asb", aero::testing::EncodeAsb(Sample(3)));
  auto s = Validate(RestoreOptions{}, {"a", "missing"});
  EXPECT_EQ(s.status.code(), ErrorCode::kNotFound);
  EXPECT_EQ(s.stats.records_read, 0u);
}

TEST_F(RestoreLocalTest, RestoreWithoutClusterIsRefused) {
  Put("a/test_00000.asb", aero::testing::EncodeAsb(Sample(3)));
  RestoreJob job(RestoreOptions{}, nullptr, storage_.get(), {"a"});
  auto s = job.Run();
  EXPECT_EQ(s.status.code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace aero::restore
