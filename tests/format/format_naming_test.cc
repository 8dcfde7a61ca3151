// File naming (asbackup directory mode), size-based rolling and expiry conversions.
#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "format/expiry.h"
#include "format/metadata.h"
#include "format/naming.h"

namespace aero {
namespace {

TEST(Naming, AsbackupNames) {
  EXPECT_EQ(AsbFileName("test", 0), "test_00000.asb");
  EXPECT_EQ(AsbFileName("test", 42), "test_00042.asb");
  EXPECT_EQ(AsbFileName("test", 99999), "test_99999.asb");
  EXPECT_EQ(AsbFileName("test", 100000), "test_100000.asb");
  EXPECT_EQ(AsbFileName("my_prefix", 7), "my_prefix_00007.asb");
  EXPECT_EQ(AsbStateFileName("test"), "test.asb.state");
}

TEST(Naming, ParseNumbers) {
  EXPECT_EQ(ParseAsbFileNumber("test_00042.asb", "test"), 42u);
  EXPECT_EQ(ParseAsbFileNumber("test_100000.asb", "test"), 100000u);
  EXPECT_EQ(ParseAsbFileNumber("my_prefix_00007.asb", "my_prefix"), 7u);
  EXPECT_FALSE(ParseAsbFileNumber("test_42.asb", "test"));
  EXPECT_FALSE(ParseAsbFileNumber("test_0000x.asb", "test"));
  EXPECT_FALSE(ParseAsbFileNumber("test_00042.asbx", "test"));
  EXPECT_FALSE(ParseAsbFileNumber("other_00042.asb", "test"));
  EXPECT_FALSE(ParseAsbFileNumber("test_000042.asb", "test"));
  for (uint64_t n : {0ull, 1ull, 99999ull, 123456ull}) EXPECT_EQ(ParseAsbFileNumber(AsbFileName("ns", n), "ns"), n);
}

TEST(Naming, WhatAsrestoreTakesFromADirectory) {
  EXPECT_TRUE(IsAsbFileName("test_00000.asb"));
  EXPECT_TRUE(IsAsbFileName("x.asb"));
  EXPECT_FALSE(IsAsbFileName(".asb"));
  EXPECT_FALSE(IsAsbFileName("test.asb.state"));
  EXPECT_FALSE(IsAsbFileName("0_test_1.asbx"));
  EXPECT_FALSE(IsAsbFileName("metadata.yaml"));
}

TEST(Naming, JoinPath) {
  EXPECT_EQ(JoinPath("/backups", "a.asb"), "/backups/a.asb");
  EXPECT_EQ(JoinPath("/backups/", "a.asb"), "/backups/a.asb");
  EXPECT_EQ(JoinPath("", "a.asb"), "a.asb");
}

TEST(Naming, SharedCounterHandsOutEachNumberOnce) {
  AsbFileNamer namer("/b", "test");
  std::vector<std::vector<std::string>> got(4);
  {
    std::vector<std::jthread> threads;
    for (auto& v : got)
      threads.emplace_back([&namer, &v] {
        for (int i = 0; i < 250; ++i) v.push_back(namer.NextPath());
      });
  }
  std::set<std::string> all;
  for (auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 1000u);
  EXPECT_TRUE(all.count("/b/test_00000.asb"));
  EXPECT_TRUE(all.count("/b/test_00999.asb"));
  EXPECT_EQ(namer.files_named(), 1000u);
}

TEST(Naming, RollWhenCommittedBytesReachTheLimit) {
  FileSizeLimit limit = FileSizeLimit::FromMiB(250);
  EXPECT_EQ(limit.limit_bytes(), 250ull << 20);
  EXPECT_FALSE(limit.ShouldRoll((250ull << 20) - 1));
  EXPECT_TRUE(limit.ShouldRoll(250ull << 20));
  EXPECT_FALSE(FileSizeLimit(0).ShouldRoll(1ull << 40));
}

TEST(Naming, FileRollerCombinesNamesAndLimit) {
  FileRoller roller("/backups/test", "test", 1000);
  EXPECT_EQ(roller.NextPath(), "/backups/test/test_00000.asb");
  EXPECT_FALSE(roller.ShouldRoll(999));
  EXPECT_TRUE(roller.ShouldRoll(1000));
  EXPECT_EQ(roller.NextPath(), "/backups/test/test_00001.asb");
  EXPECT_EQ(roller.files_named(), 2u);
  FileRoller unlimited("d", "p", 0, 5);
  EXPECT_FALSE(unlimited.ShouldRoll(UINT64_MAX));
  EXPECT_EQ(unlimited.NextPath(), "d/p_00005.asb");
}

TEST(Naming, BackupGoMetadataFiles) {
  EXPECT_TRUE(IsBackupGoMetadataFileName("metadata_test_1.asb"));
  EXPECT_FALSE(IsBackupGoMetadataFileName("0_test_1.asb"));
  EXPECT_FALSE(IsBackupGoMetadataFileName("metadata_test_1.asbx"));
  EXPECT_FALSE(IsBackupGoMetadataFileName("metadata.yaml"));
}

TEST(Expiry, VoidTimeAndTtl) {
  const int64_t now = kCitrusleafEpoch + 1000;
  EXPECT_EQ(VoidTimeFromTtl(0xFFFFFFFFu, now), 0u);
  EXPECT_EQ(VoidTimeFromTtl(60, now), 1060u);
}

TEST(Metadata, InfoVocabulary) {
  EXPECT_EQ(SindexDataTypeFromInfo("NUMERIC"), SindexDataType::kNumeric);
  EXPECT_EQ(SindexDataTypeFromInfo("numeric"), SindexDataType::kNumeric);
  EXPECT_EQ(SindexDataTypeFromInfo("INT SIGNED"), SindexDataType::kNumeric);
  EXPECT_EQ(SindexDataTypeFromInfo("TEXT"), SindexDataType::kString);
  EXPECT_EQ(SindexDataTypeFromInfo("geo2dsphere"), SindexDataType::kGeo);
  EXPECT_EQ(SindexDataTypeFromInfo("GEOJSON"), SindexDataType::kGeo);
  EXPECT_EQ(SindexDataTypeFromInfo("blob"), SindexDataType::kBlob);
  EXPECT_FALSE(SindexDataTypeFromInfo("float").has_value());
  EXPECT_EQ(SindexCollectionFromInfo("default"), SindexCollection::kNone);
  EXPECT_EQ(SindexCollectionFromInfo("NONE"), SindexCollection::kNone);
  EXPECT_EQ(SindexCollectionFromInfo("mapkeys"), SindexCollection::kMapKeys);
  EXPECT_EQ(SindexCollectionFromInfo("MAPVALUES"), SindexCollection::kMapValues);
  EXPECT_EQ(SindexCollectionFromInfo("list"), SindexCollection::kList);
  EXPECT_FALSE(SindexCollectionFromInfo("set").has_value());
  EXPECT_EQ(SindexDataTypeToInfo(SindexDataType::kGeo), "geo2dsphere");
  EXPECT_EQ(SindexCollectionToInfo(SindexCollection::kMapValues), "mapvalues");
  EXPECT_EQ(SindexCollectionToInfo(SindexCollection::kNone), "");
}

}  // namespace
}  // namespace aero
