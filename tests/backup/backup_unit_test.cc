// Unit tests of the backup layer's pure parts: partition filters and slicing, metadata.yaml
// (our form and ABS 2.0's), RFC 3339 times, the resume state, progress arithmetic.
#include <gtest/gtest.h>

#include "backup/backup.h"
#include "backup/backup_metadata.h"
#include "backup/backup_state.h"
#include "backup/partition_filter.h"
#include "common/base64.h"
#include "common/digest.h"

namespace aero::backup {
namespace {

TEST(PartitionFilters, ParsesRangesSinglesAndDigests) {
  auto f = ParsePartitionList("0-1024, 2000,3000-10");
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->size(), 3u);
  EXPECT_EQ((*f)[0], (PartitionFilter{0, 1024, std::nullopt}));
  EXPECT_EQ((*f)[1], (PartitionFilter{2000, 1, std::nullopt}));
  EXPECT_EQ((*f)[2], (PartitionFilter{3000, 10, std::nullopt}));
  Digest d = ComputeDigest("demo", StringKey("key1"));
  std::string b64 = Base64Encode(std::string_view(reinterpret_cast<const char*>(d.data()), 20));
  EXPECT_EQ(b64, "7JEZLUt/jONdXXjTS8ply6qqyWA=");  // asb-format.md cross-check
  auto g = ParsePartitionList(b64);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_EQ(g->size(), 1u);
  EXPECT_EQ((*g)[0].begin, PartitionId(d));
  EXPECT_EQ((*g)[0].after_digest, d);
}

TEST(PartitionFilters, RejectsBadEntriesWithTheirName) {
  for (const char* bad : {"", "4096", "0-0", "4000-97", "-5", "1-2-3", "abc", "0,,1", "12x"}) {
    auto f = ParsePartitionList(bad);
    EXPECT_FALSE(f.ok()) << bad;
    if (!f.ok()) { EXPECT_EQ(f.status().code(), ErrorCode::kInvalidArgument) << bad; }
  }
  auto f = ParsePartitionList("0-10,5");
  ASSERT_TRUE(f.ok());
  auto sel = SelectPartitions(*f);
  ASSERT_FALSE(sel.ok());
  EXPECT_NE(sel.status().message().find("partition 5"), std::string::npos) << sel.status().ToString();
}

TEST(PartitionFilters, AfterDigestSelectsTheRest) {
  Digest d = ComputeDigest("s", IntegerKey(12345));
  auto f = AfterDigestFilters(Base64Encode(std::string_view(reinterpret_cast<const char*>(d.data()), 20)));
  ASSERT_TRUE(f.ok());
  auto sel = SelectPartitions(*f);
  ASSERT_TRUE(sel.ok());
  int pid = PartitionId(d);
  ASSERT_EQ(sel->size(), static_cast<size_t>(kPartitions - pid));
  EXPECT_EQ((*sel)[0].pid, pid);
  EXPECT_TRUE((*sel)[0].has_digest);
  EXPECT_EQ((*sel)[0].last_digest, d);
  for (size_t i = 1; i < sel->size(); ++i) EXPECT_FALSE((*sel)[i].has_digest);
  EXPECT_FALSE(AfterDigestFilters("bm90IGEgZGlnZXN0").ok());
}

TEST(PartitionFilters, SlicesAreContiguousAndCoverEverything) {
  auto all = SelectPartitions({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4096u);
  for (int k : {1, 3, 7, 100, 5000}) {
    auto slices = SplitSlices(*all, k);
    EXPECT_EQ(slices.size(), static_cast<size_t>(std::min(k, 4096)));
    int next = 0;
    for (const auto& s : slices) {
      ASSERT_FALSE(s.empty());
      for (const auto& p : s) EXPECT_EQ(p.pid, next++);
    }
    EXPECT_EQ(next, 4096);
  }
  EXPECT_TRUE(SplitSlices({}, 4).empty());
}

TEST(Metadata, Rfc3339RoundTripsAndOffsets) {
  EXPECT_EQ(FormatRfc3339Ms(0), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339Ms(1704110400123), "2024-01-01T12:00:00.123Z");
  EXPECT_EQ(*ParseRfc3339Ms("2024-01-01T12:00:00.123Z"), 1704110400123);
  EXPECT_EQ(*ParseRfc3339Ms("2024-01-01T12:00:00.123456789Z"), 1704110400123);
  EXPECT_EQ(*ParseRfc3339Ms("2024-01-01T14:00:00+02:00"), 1704110400000);
  EXPECT_EQ(*ParseRfc3339Ms("0001-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339Ms("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(FormatRfc3339Ms(-1), "1969-12-31T23:59:59.999Z");
  for (const char* bad : {"2024-01-01", "2024-01-01T12:00:00", "2024-13-01T00:00:00Z", "2024-01-01T12:00:00Zx",
                          "2024-01-01T12:00:00.Z", "x"})
    EXPECT_FALSE(ParseRfc3339Ms(bad).ok()) << bad;
}

TEST(Metadata, EmitParseRoundTrip) {
  BackupMetadata m;
  m.ns = "test";
  m.created_unix_ms = 1704110400123;
  m.finished_unix_ms = 1704110460000;
  m.from_unix_ms = 1704000000000;
  m.to_unix_ms = 1704110400000;
  m.incremental = true;
  m.record_count = 123456789012;
  m.byte_count = 99;
  m.file_count = 3;
  m.secondary_index_count = 2;
  m.udf_count = 1;
  m.compression = CompressionMode::kZstd;
  m.encryption = EncryptionMode::kAes256;
  m.options = {{"sets", "a,b"}, {"parallel", "4"}, {"odd", "x: y # z"}};
  std::string text = EmitMetadataYaml(m);
  EXPECT_NE(text.find("record-count: 123456789012"), std::string::npos) << text;
  EXPECT_NE(text.find("compression: ZSTD"), std::string::npos) << text;
  EXPECT_NE(text.find("encryption: AES256"), std::string::npos) << text;
  auto back = ParseMetadataYaml(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, m);
}

TEST(Metadata, ReadsAbs20FormWithMissingFields) {
  // ABS 2.0: zero fields omitted, no `finished`, ns-precision `created`.
  auto m = ParseMetadataYaml("created: 2024-08-01T10:00:00.123456789Z\nnamespace: source-ns1\nrecord-count: 5\n");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->ns, "source-ns1");
  EXPECT_EQ(m->record_count, 5u);
  EXPECT_EQ(m->byte_count, 0u);
  EXPECT_EQ(m->finished_unix_ms, m->created_unix_ms + 1);
  EXPECT_FALSE(m->incremental);
  EXPECT_EQ(m->compression, CompressionMode::kNone);
  auto inc = ParseMetadataYaml("created: 2024-08-01T10:00:00Z\nfrom: 2024-07-31T10:00:00Z\nnamespace: n\n");
  ASSERT_TRUE(inc.ok());
  EXPECT_TRUE(inc->incremental);
  for (const char* bad : {"", "- a\n- b\n", "namespace: x\n", "created: 2024-08-01T10:00:00Z\n",
                          "created: yesterday\nnamespace: x\n",
                          "created: 2024-08-01T10:00:00Z\nnamespace: x\nrecord-count: -1\n",
                          "created: 2024-08-01T10:00:00Z\nnamespace: x\ncompression: LZ4\n", "{{{"}) {
    auto r = ParseMetadataYaml(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) { EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt) << bad; }
  }
}

TEST(State, JsonRoundTripAndCorruption) {
  BackupState s;
  s.ns = "test";
  s.fingerprint = "ns=test;sets=a";
  s.created_unix_ms = 42;
  s.next_file_number = 7;
  s.records = 1000;
  s.bytes = 2000;
  s.sindexes = 1;
  s.udfs = 2;
  s.metadata_written = true;
  s.files = {{"d/test_00000.asb", 600, 1200}, {"d/test_00003.asb", 400, 800}};
  client::PartitionState a, b, c;
  a.pid = 0;
  a.done = true;
  b.pid = 1;
  b.has_digest = true;
  b.last_digest = ComputeDigest("x", IntegerKey(1));
  c.pid = 4095;
  s.partitions = {a, b, c};
  auto back = ParseStateJson(EmitStateJson(s));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ns, s.ns);
  EXPECT_EQ(back->fingerprint, s.fingerprint);
  EXPECT_EQ(back->next_file_number, 7u);
  EXPECT_EQ(back->records, 1000u);
  EXPECT_EQ(back->files, s.files);
  EXPECT_TRUE(back->metadata_written);
  ASSERT_EQ(back->partitions.size(), 3u);
  EXPECT_TRUE(back->partitions[0].done);
  EXPECT_TRUE(back->partitions[1].has_digest);
  EXPECT_EQ(back->partitions[1].last_digest, b.last_digest);
  EXPECT_FALSE(back->partitions[2].done);
  EXPECT_FALSE(back->partitions[2].has_digest);
  for (const char* bad : {"", "[]", "{\"version\":2}", "{\"version\":1}",
                          R"({"version":1,"namespace":"t","fingerprint":"","created_unix_ms":0,"next_file_number":0,"records":0,"bytes":0,"sindexes":0,"udfs":0,"metadata_written":false,"files":[],"partitions":[{"pid":4096}]})",
                          R"({"version":1,"namespace":"t","fingerprint":"","created_unix_ms":0,"next_file_number":0,"records":0,"bytes":0,"sindexes":0,"udfs":0,"metadata_written":false,"files":[],"partitions":[{"pid":1},{"pid":1}]})",
                          R"({"version":1,"namespace":"t","fingerprint":"","created_unix_ms":0,"next_file_number":0,"records":0,"bytes":0,"sindexes":0,"udfs":0,"metadata_written":false,"files":[],"partitions":[{"pid":1,"after":"AAAA"}]})"}) {
    auto r = ParseStateJson(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) { EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt); }
  }
}

TEST(Progress, RatesPercentAndEta) {
  BackupProgress p;
  p.start_unix_ms = 10000;
  p.estimated_records = 1000;
  p.records_written = 5;
  auto v = p.Take(11000);
  EXPECT_DOUBLE_EQ(v.elapsed_seconds, 1.0);
  EXPECT_DOUBLE_EQ(v.records_per_second, 5.0);
  EXPECT_DOUBLE_EQ(v.percent, 0.5);
  EXPECT_EQ(v.eta_seconds, -1) << "no ETA before 1 %";
  p.records_written = 250;
  p.records_at_start = 250;
  v = p.Take(12000);
  EXPECT_EQ(v.records, 500u);
  EXPECT_DOUBLE_EQ(v.percent, 50.0);
  EXPECT_DOUBLE_EQ(v.records_per_second, 125.0);
  EXPECT_DOUBLE_EQ(v.eta_seconds, 4.0);
  BackupProgress unknown;
  EXPECT_EQ(unknown.Take(5).percent, -1);
}

TEST(Request, ValidationNamesTheProblem) {
  BackupRequest r;
  EXPECT_NE(ValidateRequest(r).message().find("namespace"), std::string::npos);
  r.ns = "test";
  EXPECT_TRUE(ValidateRequest(r).ok());
  r.parallel = 0;
  EXPECT_NE(ValidateRequest(r).message().find("parallel"), std::string::npos);
  r.parallel = 2;
  r.modified_after_unix_ms = 20;
  r.modified_before_unix_ms = 10;
  EXPECT_NE(ValidateRequest(r).message().find("modified-before"), std::string::npos);
  r.modified_before_unix_ms = 0;
  r.codec.encryption = EncryptionMode::kAes128;
  EXPECT_NE(ValidateRequest(r).message().find("key"), std::string::npos);
  r.codec.encryption = EncryptionMode::kNone;
  r.partitions = {PartitionFilter{}};
  r.node_list = {"a:3000"};
  EXPECT_NE(ValidateRequest(r).message().find("node list"), std::string::npos);
  r.node_list.clear();
  r.output_dir = "../up";
  EXPECT_FALSE(ValidateRequest(r).ok());
  r.output_dir = "dir";
  EXPECT_EQ(MetadataKeyOf(r), "dir/metadata.yaml");
  EXPECT_EQ(StateKeyOf(r), "dir/test.asb.state");
  r.file_prefix = "p";
  EXPECT_EQ(StateKeyOf(r), "dir/p.asb.state");
}

}  // namespace
}  // namespace aero::backup
