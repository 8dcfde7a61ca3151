// Integration tests of the restore engine against the in-process test server (or a real server when
// AEROSPIKE_TEST_HOST is set): hand-built .asb files are restored and read back with the client.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "client/metadata.h"
#include "client/write.h"
#include "restore/restore.h"
#include "storage/factory.h"
#include "tests/client/cluster_fixture.h"
#include "tests/restore/restore_test_util.h"

namespace aero::restore {
namespace {

using aero::testing::AsbContent;
using aero::testing::ClusterTarget;
using aero::testing::DigestKey;
using aero::testing::MakeRecord;
using aero::testing::VoidTimeIn;

class RestoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterTarget::Options opts;
    opts.nodes = 2;
    auto t = ClusterTarget::Start(opts);
    if (!t.ok()) {
      start_error_ = t.status();
      return;
    }
    target_ = std::move(*t).release();
    auto c = target_->Connect();
    if (!c.ok()) {
      start_error_ = c.status();
      return;
    }
    cluster_ = new std::shared_ptr<client::Cluster>(*c);
  }
  static void TearDownTestSuite() {
    if (cluster_) (*cluster_)->Close();
    delete cluster_;
    cluster_ = nullptr;
    delete target_;
    target_ = nullptr;
  }

  void SetUp() override {
    if (!cluster_) {
      FAIL() << "cannot start the test target: " << start_error_.ToString();
    }
    ASSERT_FALSE(dir_.path().empty());
    auto st = OpenStorage(dir_.path(), StorageOptions{});
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    storage_ = std::move(*st);
  }

  client::Cluster& cluster() { return **cluster_; }

  void Write(const std::string& key, const AsbContent& c, const CodecOptions& codec = {}) {
    Status s = aero::testing::WriteFile(*storage_, key, aero::testing::EncodeAsb(c), codec);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  void WriteText(const std::string& key, const std::string& text) {
    Status s = aero::testing::WriteFile(*storage_, key, text);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  RestoreSummary Run(RestoreOptions o, std::vector<std::string> inputs, const CancelToken* cancel = nullptr) {
    RestoreJob job(std::move(o), *cluster_, storage_.get(), std::move(inputs));
    RestoreSummary s = job.Run(cancel);
    EXPECT_TRUE(s.stats.Balanced()) << Describe(s);
    return s;
  }

  static std::string Describe(const RestoreSummary& s) {
    const auto& t = s.stats;
    std::string out = s.status.ToString() + " read=" + std::to_string(t.records_read) +
                      " inserted=" + std::to_string(t.records_inserted) + " existed=" + std::to_string(t.records_existed) +
                      " fresher=" + std::to_string(t.records_fresher) + " expired=" + std::to_string(t.records_expired) +
                      " skipped=" + std::to_string(t.records_skipped) + " failed=" + std::to_string(t.records_failed) +
                      " ignored=" + std::to_string(t.records_ignored) + " abandoned=" +
                      std::to_string(t.records_abandoned) + " corrupt=" + std::to_string(t.corrupt_entities);
    for (const auto& e : s.errors) out += "\n  " + e;
    return out;
  }

  std::map<std::string, Record> ReadBack(const std::string& ns, const std::string& set) {
    auto r = aero::testing::ScanSet(cluster(), ns, set);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::map<std::string, Record>{};
  }

  // Seeds a record directly with the client (generation ends at `writes`).
  void Seed(const Record& rec, int writes) {
    client::WritePolicy p;
    for (int i = 0; i < writes; ++i) {
      auto r = client::Put(cluster(), rec, p);
      ASSERT_TRUE(r.ok()) << r.status().ToString();
    }
  }

  static ClusterTarget* target_;
  static std::shared_ptr<client::Cluster>* cluster_;
  static Status start_error_;
  aero::testing::TempDir dir_;
  std::unique_ptr<Storage> storage_;
};

ClusterTarget* RestoreTest::target_ = nullptr;
std::shared_ptr<client::Cluster>* RestoreTest::cluster_ = nullptr;
Status RestoreTest::start_error_;

const Bin* FindBin(const Record& r, const std::string& name) {
  for (const auto& b : r.bins)
    if (b.name == name) return &b;
  return nullptr;
}

// Compares a restored record with the backed-up one bin by bin (GEOJSON by its JSON text), key and set.
void ExpectSameRecord(const Record& want, const Record& got) {
  SCOPED_TRACE("record " + ToHex(DigestKey(want.digest)));
  EXPECT_EQ(got.set, want.set);
  EXPECT_EQ(got.key, want.key);
  size_t non_nil = 0;
  for (const auto& b : want.bins) {
    if (b.type == ParticleType::kNull) {
      EXPECT_EQ(FindBin(got, b.name), nullptr) << "nil bin " << b.name << " was stored";
      continue;
    }
    ++non_nil;
    const Bin* g = FindBin(got, b.name);
    ASSERT_NE(g, nullptr) << "bin " << b.name << " missing";
    EXPECT_EQ(g->type, b.type) << "bin " << b.name;
    if (b.type == ParticleType::kGeoJson)
      EXPECT_EQ(aero::testing::GeoJsonText(g->data), aero::testing::GeoJsonText(b.data)) << "bin " << b.name;
    else
      EXPECT_EQ(g->data, b.data) << "bin " << b.name;
  }
  EXPECT_EQ(got.bins.size(), non_nil);
}

std::vector<Bin> AllTypeBins(int i) {
  using namespace aero::testing;
  std::vector<Bin> bins = {IntBin("int", -1234567890123LL * i),
                           DoubleBin("dbl", 1.1 * i),
                           StrBin("str", "text with spaces\nand newline " + std::to_string(i)),
                           BlobBin("blob", std::string("\x00\x01\xff raw", 7)),
                           BoolBin("bool", i % 2 == 0),
                           GeoBin("geo", "{\"type\":\"Point\",\"coordinates\":[-122.0,37.5]}"),
                           ListBin("list"),
                           MapBin("map"),
                           Bin{"nil", ParticleType::kNull, ""},
                           StrBin("empty", "")};
  if (!ClusterTarget::UsingRealServer()) {
    // Language blobs: kept for the test server; current real servers may reject these legacy types.
    bins.push_back(BlobBin("java", "\xac\xed", ParticleType::kJavaBlob));
    bins.push_back(BlobBin("py", "pickle", ParticleType::kPythonBlob));
  }
  return bins;
}

TEST_F(RestoreTest, EveryTypeAndKeyKindRoundTrips) {
  std::string set = target_->UniqueSet("types");
  AsbContent c;
  c.records.push_back(MakeRecord("test", set, IntegerKey(42), AllTypeBins(1)));
  c.records.push_back(MakeRecord("test", set, IntegerKey(-7), AllTypeBins(2), 3, VoidTimeIn(100000)));
  c.records.push_back(MakeRecord("test", set, StringKey("user one"), AllTypeBins(3)));
  c.records.push_back(MakeRecord("test", set, BlobKey(std::string("\x00\x01\x02", 3)), AllTypeBins(4)));
  c.records.push_back(MakeRecord("test", set, StringKey("digest-only"), AllTypeBins(5), 1, 0, /*store_key=*/false));
  Write("dir/test_00000.asb", c);

  RestoreOptions o;
  auto s = Run(o, {"dir"});
  ASSERT_TRUE(s.status.ok()) << Describe(s);
  EXPECT_EQ(s.stats.records_read, 5u);
  EXPECT_EQ(s.stats.records_inserted, 5u);
  EXPECT_EQ(s.stats.files_done, 1u);
  EXPECT_GT(s.stats.bytes_read, 0u);
  EXPECT_EQ(s.stats.bytes_read, s.stats.bytes_total);

  auto got = ReadBack("test", set);
  ASSERT_EQ(got.size(), 5u);
  for (const auto& want : c.records) {
    auto it = got.find(DigestKey(want.digest));
    ASSERT_NE(it, got.end());
    ExpectSameRecord(want, it->second);
  }
  // TTL: never-expire stays 0; the expiring one keeps its void time (within clock rounding).
  EXPECT_EQ(got[DigestKey(c.records[0].digest)].void_time, 0u);
  int64_t vt = got[DigestKey(c.records[1].digest)].void_time;
  EXPECT_NEAR(vt, static_cast<int64_t>(c.records[1].void_time), 3);
}

TEST_F(RestoreTest, GenerationPolicies) {
  std::string set = target_->UniqueSet("gen");
  using aero::testing::IntBin;
  // Server copies at generation 3.
  Record older = MakeRecord("test", set, IntegerKey(1), {IntBin("v", 100), IntBin("keep", 1)});
  Record newer = MakeRecord("test", set, IntegerKey(2), {IntBin("v", 200), IntBin("keep", 2)});
  Seed(older, 3);
  Seed(newer, 3);
  // Backup: key 1 at gen 5 (backup is fresher), key 2 at gen 2 (server is fresher), key 3 absent on server.
  AsbContent c;
  c.records.push_back(MakeRecord("test", set, IntegerKey(1), {IntBin("v", 1)}, 5));
  c.records.push_back(MakeRecord("test", set, IntegerKey(2), {IntBin("v", 2)}, 2));
  c.records.push_back(MakeRecord("test", set, IntegerKey(3), {IntBin("v", 3)}, 1));
  Write("g/test_00000.asb", c);

  {  // default: generation greater-than
    auto s = Run(RestoreOptions{}, {"g"});
    EXPECT_TRUE(s.status.ok()) << Describe(s);
    EXPECT_EQ(s.stats.records_inserted, 2u);
    EXPECT_EQ(s.stats.records_fresher, 1u);
    auto got = ReadBack("test", set);
    EXPECT_EQ(FindBin(got[DigestKey(older.digest)], "v")->data, aero::testing::BE64(1));
    EXPECT_NE(FindBin(got[DigestKey(older.digest)], "keep"), nullptr) << "default policy merges bins";
    EXPECT_EQ(FindBin(got[DigestKey(newer.digest)], "v")->data, aero::testing::BE64(200));
  }
  {  // unique: all three exist now
    RestoreOptions o;
    o.unique = true;
    auto s = Run(o, {"g"});
    EXPECT_TRUE(s.status.ok()) << Describe(s);
    EXPECT_EQ(s.stats.records_existed, 3u);
    EXPECT_EQ(s.stats.records_inserted, 0u);
  }
  {  // no-generation: overwritten whatever the generation
    RestoreOptions o;
    o.no_generation = true;
    auto s = Run(o, {"g"});
    EXPECT_TRUE(s.status.ok()) << Describe(s);
    EXPECT_EQ(s.stats.records_inserted, 3u);
    auto got = ReadBack("test", set);
    EXPECT_EQ(FindBin(got[DigestKey(newer.digest)], "v")->data, aero::testing::BE64(2));
    EXPECT_NE(FindBin(got[DigestKey(newer.digest)], "keep"), nullptr);
  }
  {  // replace: bins not in the backup disappear
    RestoreOptions o;
    o.replace = true;
    o.no_generation = true;
    auto s = Run(o, {"g"});
    EXPECT_TRUE(s.status.ok()) << Describe(s);
    EXPECT_EQ(s.stats.records_inserted, 3u);
    auto got = ReadBack("test", set);
    EXPECT_EQ(got[DigestKey(newer.digest)].bins.size(), 1u);
    EXPECT_EQ(FindBin(got[DigestKey(newer.digest)], "keep"), nullptr);
  }
}

TEST_F(RestoreTest, ExpiredRecordsAreSkippedAndCounted) {
  std::string set = target_->UniqueSet("exp");
  using aero::testing::IntBin;
  AsbContent c;
  c.records.push_back(MakeRecord("test", set, IntegerKey(1), {IntBin("v", 1)}, 1, VoidTimeIn(-100)));
  c.records.push_back(MakeRecord("test", set, IntegerKey(2), {IntBin("v", 2)}, 1, VoidTimeIn(-5000)));
  c.records.push_back(MakeRecord("test", set, IntegerKey(3), {IntBin("v", 3)}, 1, VoidTimeIn(5000)));
  Write("e/test_00000.asb", c);
  auto s = Run(RestoreOptions{}, {"e"});
  EXPECT_TRUE(s.status.ok()) << Describe(s);
  EXPECT_EQ(s.stats.records_expired, 2u);
  EXPECT_EQ(s.stats.records_inserted, 1u);
  EXPECT_EQ(ReadBack("test", set).size(), 1u);

  // extra TTL revives the one that expired 100 s ago.
  RestoreOptions o;
  o.extra_ttl = 1000;
  s = Run(o, {"e"});
  EXPECT_EQ(s.stats.records_expired, 1u);
  EXPECT_EQ(s.stats.records_inserted + s.stats.records_fresher, 2u);
  auto got = ReadBack("test", set);
  ASSERT_EQ(got.size(), 2u);
  int64_t now_ce = static_cast<int64_t>(::time(nullptr)) - kCitrusleafEpoch;
  EXPECT_NEAR(static_cast<int64_t>(got[DigestKey(c.records[0].digest)].void_time), now_ce + 900, 3);
}

TEST_F(RestoreTest, NamespaceMappingAndMismatch) {
  std::string set = target_->UniqueSet("map", "bar");
  target_->UniqueSet("map_src");  // nothing should land in test
  using aero::testing::IntBin;
  AsbContent c;
  for (int i = 0; i < 10; ++i) c.records.push_back(MakeRecord("test", set, IntegerKey(i), {IntBin("v", i)}));
  Write("m/test_00000.asb", c);
  RestoreOptions o;
  o.source_namespace = "test";
  o.dest_namespace = "bar";
  auto s = Run(o, {"m"});
  EXPECT_TRUE(s.status.ok()) << Describe(s);
  EXPECT_EQ(s.stats.records_inserted, 10u);
  EXPECT_EQ(ReadBack("bar", set).size(), 10u);
  EXPECT_EQ(ReadBack("test", set).size(), 0u);

  // A file of another namespace is refused.
  RestoreOptions wrong;
  wrong.source_namespace = "other";
  s = Run(wrong, {"m"});
  EXPECT_EQ(s.status.code(), ErrorCode::kCorrupt) << Describe(s);
  EXPECT_NE(s.status.message().find("expected 'other'"), std::string::npos) << s.status.message();
  EXPECT_EQ(s.stats.records_inserted, 0u);
}

TEST_F(RestoreTest, SetAndBinFilters) {
  std::string a = target_->UniqueSet("fa"), b = target_->UniqueSet("fb");
  using aero::testing::IntBin;
  AsbContent c;
  for (int i = 0; i < 5; ++i) {
    c.records.push_back(MakeRecord("test", a, IntegerKey(i), {IntBin("x", i), IntBin("y", i)}));
    c.records.push_back(MakeRecord("test", b, IntegerKey(i), {IntBin("x", i), IntBin("y", i)}));
  }
  c.records.push_back(MakeRecord("test", a, IntegerKey(99), {IntBin("z", 1)}));  // no wanted bin left
  Write("f/test_00000.asb", c);
  RestoreOptions o;
  o.set_list = {a};
  o.bin_list = {"x"};
  auto s = Run(o, {"f"});
  EXPECT_TRUE(s.status.ok()) << Describe(s);
  EXPECT_EQ(s.stats.records_read, 11u);
  EXPECT_EQ(s.stats.records_inserted, 5u);
  EXPECT_EQ(s.stats.records_skipped, 6u);
  auto got = ReadBack("test", a);
  ASSERT_EQ(got.size(), 5u);
  for (auto& [d, r] : got) {
    ASSERT_EQ(r.bins.size(), 1u);
    EXPECT_EQ(r.bins[0].name, "x");
  }
  EXPECT_EQ(ReadBack("test", b).size(), 0u);
}

// Ten records; the bin line of the sixth one has an invalid type letter.
std::string CorruptFile(const std::string& set, int* bad_line) {
  AsbContent c;
  for (int i = 0; i < 10; ++i)
    c.records.push_back(MakeRecord("test", set, IntegerKey(i), {aero::testing::IntBin("v", i)}));
  std::string text = aero::testing::EncodeAsb(c);
  // Find the 6th "- I v 5" line and break it.
  std::string needle = "- I v 5\n";
  size_t pos = text.find(needle);
  if (pos == std::string::npos) std::abort();
  text[pos + 2] = 'x';
  *bad_line = static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(pos), '\n')) + 1;
  return text;
}

TEST_F(RestoreTest, CorruptLineStopsWithoutIgnore) {
  std::string set = target_->UniqueSet("bad");
  int line = 0;
  WriteText("c1/test_00000.asb", CorruptFile(set, &line));
  RestoreOptions o;
  o.parallel = 1;
  auto s = Run(o, {"c1"});
  EXPECT_EQ(s.status.code(), ErrorCode::kCorrupt) << Describe(s);
  EXPECT_NE(s.status.message().find("test_00000.asb"), std::string::npos) << s.status.message();
  EXPECT_NE(s.status.message().find("line " + std::to_string(line)), std::string::npos) << s.status.message();
  EXPECT_NE(s.status.message().find("stopped"), std::string::npos) << s.status.message();
  EXPECT_EQ(s.stats.corrupt_entities, 1u);
  EXPECT_EQ(s.stats.records_read, 5u);
  EXPECT_EQ(s.stats.records_inserted, 5u);
  EXPECT_EQ(ReadBack("test", set).size(), 5u);
}

TEST_F(RestoreTest, CorruptLineWithIgnoreGoesOn) {
  std::string set = target_->UniqueSet("badign");
  int line = 0;
  WriteText("c2/test_00000.asb", CorruptFile(set, &line));
  AsbContent good;
  for (int i = 100; i < 110; ++i)
    good.records.push_back(MakeRecord("test", set, IntegerKey(i), {aero::testing::IntBin("v", i)}));
  Write("c2/test_00001.asb", good);
  RestoreOptions o;
  o.ignore_record_error = true;
  o.parallel = 2;
  auto s = Run(o, {"c2"});
  EXPECT_FALSE(s.status.ok()) << "something failed: the status must say so";
  EXPECT_EQ(s.stats.corrupt_entities, 1u);
  EXPECT_EQ(s.stats.records_read, 15u) << Describe(s);
  EXPECT_EQ(s.stats.records_inserted, 15u);
  EXPECT_EQ(s.stats.files_done, 2u);
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_NE(s.errors[0].find("test_00000.asb: line " + std::to_string(line)), std::string::npos) << s.errors[0];
  EXPECT_EQ(ReadBack("test", set).size(), 15u);
}

TEST_F(RestoreTest, CompressedAndEncryptedInputs) {
  std::string set = target_->UniqueSet("codec");
  AsbContent c;
  for (int i = 0; i < 300; ++i)
    c.records.push_back(MakeRecord("test", set, IntegerKey(i), {aero::testing::StrBin("s", std::string(50, 'a' + i % 26))}));
  CodecOptions codec;
  codec.compression = CompressionMode::kZstd;
  codec.encryption = EncryptionMode::kAes256;
  codec.key_material = "not really a DER key, but any bytes are key material";
  Write("z/test_00000.asb", c, codec);

  RestoreOptions o;
  o.codec = codec;
  auto s = Run(o, {"z"});
  EXPECT_TRUE(s.status.ok()) << Describe(s);
  EXPECT_EQ(s.stats.records_inserted, 300u);
  EXPECT_EQ(ReadBack("test", set).size(), 300u);

  // Wrong key: bad data reported, nothing written.
  o.codec.key_material = "another key";
  o.no_generation = false;
  s = Run(o, {"z"});
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(s.stats.records_read, 0u);
  EXPECT_NE(s.status.message().find("test_00000.asb"), std::string::npos) << s.status.message();
}

TEST_F(RestoreTest, TransientWriteErrorsAreRetried) {
  ABS_SKIP_IF_REAL_SERVER("injects write faults");
  std::string set = target_->UniqueSet("transient");
  AsbContent c;
  for (int i = 0; i < 50; ++i) c.records.push_back(MakeRecord("test", set, IntegerKey(i), {aero::testing::IntBin("v", i)}));
  Write("t/test_00000.asb", c);
  for (int n = 0; n < 2; ++n) {
    testserver::NodeFaults f;
    f.fail_writes_code = 14;  // KEY_BUSY: transient
    f.fail_writes_remaining = 3;
    target_->server()->SetFaults(n, f);
  }
  RestoreOptions o;
  o.retry_delay = client::Millis(5);
  auto s = Run(o, {"t"});
  // Every injected failure was answered (so the writes were retried) and every record landed.
  int left = target_->server()->Faults(0).fail_writes_remaining + target_->server()->Faults(1).fail_writes_remaining;
  target_->server()->ClearFaults();
  EXPECT_EQ(left, 0);
  EXPECT_TRUE(s.status.ok()) << Describe(s);
  EXPECT_EQ(s.stats.records_inserted, 50u);
  EXPECT_EQ(s.stats.records_failed, 0u);
  EXPECT_EQ(ReadBack("test", set).size(), 50u);
}

TEST_F(RestoreTest, TransientErrorsPastRetriesFailTheRestore) {
  ABS_SKIP_IF_REAL_SERVER("injects write faults");
  std::string set = target_->UniqueSet("busy");
  AsbContent c;
  for (int i = 0; i < 30; ++i) c.records.push_back(MakeRecord("test", set, IntegerKey(i), {aero::testing::IntBin("v", i)}));
  Write("busy/test_00000.asb", c);
  for (int n = 0; n < 2; ++n) {
    testserver::NodeFaults f;
    f.fail_writes_code = 14;  // KEY_BUSY, for ever
    f.fail_writes_remaining = -1;
    f.fail_writes_set = set;
    target_->server()->SetFaults(n, f);
  }
  RestoreOptions o;
  o.max_retries = 2;
  o.retry_delay = client::Millis(2);
  o.parallel = 1;
  auto s = Run(o, {"busy"});
  target_->server()->ClearFaults();
  EXPECT_EQ(s.status.code(), ErrorCode::kServer) << Describe(s);
  EXPECT_NE(s.status.message().find("gave up after 2 retries"), std::string::npos) << s.status.message();
  EXPECT_GE(s.stats.records_failed, 1u);
  EXPECT_EQ(s.stats.records_inserted, 0u);
  EXPECT_EQ(s.failures.count("KEY_BUSY (14)"), 1u);
}

TEST_F(RestoreTest, RecordsOfAnotherNamespace) {
  std::string set = target_->UniqueSet("otherns");
  AsbContent c;
  for (int i = 0; i < 6; ++i) {
    Record r = MakeRecord("test", set, IntegerKey(i), {aero::testing::IntBin("v", i)});
    if (i == 3) r.ns = "elsewhere";
    c.records.push_back(r);
  }
  Write("ons/test_00000.asb", c);
  RestoreOptions o;
  o.source_namespace = "test";
  o.parallel = 1;
  auto s = Run(o, {"ons"});
  EXPECT_EQ(s.status.code(), ErrorCode::kCorrupt) << Describe(s);
  EXPECT_NE(s.status.message().find("namespace 'elsewhere'"), std::string::npos) << s.status.message();
  EXPECT_EQ(s.stats.records_read, 4u);
  EXPECT_EQ(s.stats.records_inserted, 3u);
  EXPECT_EQ(s.failures["namespace mismatch"], 1u);

  o.ignore_record_error = true;
  o.no_generation = true;
  s = Run(o, {"ons"});
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(s.stats.records_read, 6u);
  EXPECT_EQ(s.stats.records_inserted, 5u);
  EXPECT_EQ(s.stats.records_ignored, 1u);
  EXPECT_EQ(ReadBack("test", set).size(), 5u);
}

TEST_F(RestoreTest, PermanentWriteErrorsAreCountedByReason) {
  ABS_SKIP_IF_REAL_SERVER("injects write faults");
  std::string good = target_->UniqueSet("permok"), bad = target_->UniqueSet("permbad");
  AsbContent c;
  for (int i = 0; i < 20; ++i) {
    c.records.push_back(MakeRecord("test", good, IntegerKey(i), {aero::testing::IntBin("v", i)}));
    c.records.push_back(MakeRecord("test", bad, IntegerKey(i), {aero::testing::IntBin("v", i)}));
  }
  Write("p/test_00000.asb", c);
  for (int n = 0; n < 2; ++n) {
    testserver::NodeFaults f;
    f.fail_writes_code = 13;  // RECORD_TOO_BIG: record-specific
    f.fail_writes_remaining = -1;
    f.fail_writes_set = bad;
    target_->server()->SetFaults(n, f);
  }
  RestoreOptions o;
  o.ignore_record_error = true;
  auto s = Run(o, {"p"});
  EXPECT_FALSE(s.status.ok());
  EXPECT_EQ(s.stats.records_inserted, 20u) << Describe(s);
  EXPECT_EQ(s.stats.records_failed, 20u);
  EXPECT_EQ(s.stats.records_ignored, 20u);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_EQ(s.failures.begin()->first, "RECORD_TOO_BIG (13)");
  EXPECT_EQ(s.failures.begin()->second, 20u);

  // Without ignore-record-error the first such error stops the restore.
  RestoreOptions strict;
  strict.no_generation = true;
  strict.parallel = 1;
  s = Run(strict, {"p"});
  target_->server()->ClearFaults();
  EXPECT_EQ(s.status.code(), ErrorCode::kServer) << Describe(s);
  EXPECT_EQ(s.status.server_code(), 13);
  EXPECT_NE(s.status.message().find("test_00000.asb line"), std::string::npos) << s.status.message();
  EXPECT_GE(s.stats.records_failed, 1u);
  EXPECT_EQ(s.stats.records_ignored, 0u);
}

TEST_F(RestoreTest, ParallelEqualsSerial) {
  std::string set = target_->UniqueSet("par");
  for (int f = 0; f < 4; ++f) {
    AsbContent c;
    for (int i = 0; i < 500; ++i) {
      int k = f * 500 + i;
      c.records.push_back(MakeRecord("test", set, IntegerKey(k), aero::testing::MixedBins(k)));
    }
    Write("par/test_0000" + std::to_string(f) + ".asb", c);
  }
  RestoreOptions serial;
  serial.parallel = 1;
  serial.batch_size = 7;
  auto s1 = Run(serial, {"par"});
  ASSERT_TRUE(s1.status.ok()) << Describe(s1);
  RestoreOptions par;
  par.parallel = 8;
  par.source_namespace = "test";
  par.dest_namespace = "bar";
  auto s2 = Run(par, {"par"});
  ASSERT_TRUE(s2.status.ok()) << Describe(s2);
  EXPECT_EQ(s1.stats.records_inserted, 2000u);
  EXPECT_EQ(s2.stats.records_inserted, 2000u);
  auto a = ReadBack("test", set), b = ReadBack("bar", set);
  ASSERT_EQ(a.size(), 2000u);
  ASSERT_EQ(b.size(), 2000u);
  for (const auto& [d, r] : a) {
    auto it = b.find(d);
    ASSERT_NE(it, b.end());
    EXPECT_EQ(it->second.bins, r.bins);
    EXPECT_EQ(it->second.key, r.key);
  }
  (void)client::Truncate(cluster(), "bar", set);  // UniqueSet only registered names it made up
}

TEST_F(RestoreTest, InputsApplyInOrder) {
  std::string set = target_->UniqueSet("chain");
  using aero::testing::IntBin;
  AsbContent full, inc1, inc2;
  for (int i = 0; i < 10; ++i) full.records.push_back(MakeRecord("test", set, IntegerKey(i), {IntBin("v", 0)}, 1));
  for (int i = 0; i < 5; ++i) inc1.records.push_back(MakeRecord("test", set, IntegerKey(i), {IntBin("v", 1)}, 2));
  for (int i = 0; i < 2; ++i) inc2.records.push_back(MakeRecord("test", set, IntegerKey(i), {IntBin("v", 2)}, 3));
  Write("chain/full/test_00000.asb", full);
  Write("chain/inc1/test_00000.asb", inc1);
  Write("chain/inc2/test_00000.asb", inc2);
  RestoreOptions o;
  o.no_generation = true;  // order alone must decide
  auto s = Run(o, {"chain/full", "chain/inc1", "chain/inc2"});
  ASSERT_TRUE(s.status.ok()) << Describe(s);
  EXPECT_EQ(s.stats.records_inserted, 17u);
  EXPECT_EQ(s.stats.files_total, 3u);
  auto got = ReadBack("test", set);
  ASSERT_EQ(got.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    Record r = MakeRecord("test", set, IntegerKey(i), {});
    int64_t want = i < 2 ? 2 : i < 5 ? 1 : 0;
    EXPECT_EQ(FindBin(got[DigestKey(r.digest)], "v")->data, aero::testing::BE64(want)) << "key " << i;
  }
}

TEST_F(RestoreTest, SindexesAndUdfsAreRestored) {
  std::string set = target_->UniqueSet("meta");
  std::string idx_name = "abs_rt_" + set;
  AsbContent c;
  SecondaryIndex idx;
  idx.ns = "test";
  idx.set = set;
  idx.name = idx_name;
  idx.paths = {SindexPath{"v", SindexDataType::kNumeric}};
  c.sindexes.push_back(idx);
  UdfModule udf;
  udf.name = "abs_restore_test.lua";
  udf.content = "function f(r)\n  return 1\nend\n";
  c.udfs.push_back(udf);
  c.records.push_back(MakeRecord("test", set, IntegerKey(1), {aero::testing::IntBin("v", 1)}));
  Write("meta/test_00000.asb", c);
  RestoreOptions o;
  o.wait_indexes = true;
  o.indexes_last = true;
  auto s = Run(o, {"meta"});
  ASSERT_TRUE(s.status.ok()) << Describe(s);
  EXPECT_EQ(s.stats.sindexes_restored, 1u);
  EXPECT_EQ(s.stats.udfs_restored, 1u);
  auto list = client::ListSindexes(cluster(), "test");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  bool found = false;
  for (const auto& i : *list)
    if (i.name == idx_name) {
      found = true;
      EXPECT_EQ(i.set, set);
      EXPECT_EQ(i.bin, "v");
      EXPECT_EQ(i.type, "numeric");
    }
  EXPECT_TRUE(found);
  auto content = client::GetUdf(cluster(), udf.name);
  ASSERT_TRUE(content.ok()) << content.status().ToString();
  EXPECT_EQ(*content, udf.content);
  (void)cluster().InfoAny({"sindex-delete:ns=test;indexname=" + idx_name});
  (void)cluster().InfoAny({"udf-remove:filename=" + udf.name});

  // no-indexes / no-udfs / no-records skip everything, counted.
  RestoreOptions none;
  none.no_indexes = none.no_udfs = none.no_records = true;
  s = Run(none, {"meta"});
  EXPECT_TRUE(s.status.ok()) << Describe(s);
  EXPECT_EQ(s.stats.sindexes_skipped, 1u);
  EXPECT_EQ(s.stats.udfs_skipped, 1u);
  EXPECT_EQ(s.stats.records_skipped, 1u);
}

// asbackup 4.5.8 writes the server's `set=null` (8.x sindex-list of a whole-namespace index) as the
// set `null`: it must come back as a set-less index, with a note, not as an index on a set "null".
TEST_F(RestoreTest, SindexWithSetNullIsRestoredWithoutSet) {
  std::string set = target_->UniqueSet("nullidx");
  std::string idx_name = "abs_rn_" + set;
  WriteText("nullidx/test_00000.asb", "Version 3.1\n# namespace test\n# first-file\n* i test null " + idx_name +
                                          " N 1 nullv S\n");
  RestoreOptions o;
  o.wait_indexes = true;
  auto s = Run(o, {"nullidx"});
  ASSERT_TRUE(s.status.ok()) << Describe(s);
  EXPECT_EQ(s.stats.sindexes_restored, 1u);
  auto list = client::ListSindexes(cluster(), "test");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  bool found = false;
  for (const auto& i : *list)
    if (i.name == idx_name) {
      found = true;
      EXPECT_EQ(i.set, "") << "index restored on a set literally named '" << i.set << "'";
      EXPECT_EQ(i.bin, "nullv");
      EXPECT_EQ(i.type, "string");
    }
  EXPECT_TRUE(found);
  ASSERT_EQ(s.notes.size(), 1u);
  EXPECT_NE(s.notes[0].find(idx_name), std::string::npos) << s.notes[0];
  EXPECT_NE(s.notes[0].find("line 4"), std::string::npos) << s.notes[0];
  (void)cluster().InfoAny({"sindex-delete:ns=test;indexname=" + idx_name});
}

TEST_F(RestoreTest, CancelStopsWithExactCounters) {
  std::string set = target_->UniqueSet("cancel");
  AsbContent c;
  for (int i = 0; i < 3000; ++i) c.records.push_back(MakeRecord("test", set, IntegerKey(i), {aero::testing::IntBin("v", i)}));
  Write("k/test_00000.asb", c);
  RestoreOptions o;
  o.records_per_second = 2000;  // ~1.5 s in total: the cancel lands in the middle
  o.batch_size = 50;
  CancelToken cancel;
  RestoreJob job(o, *cluster_, storage_.get(), {"k"});
  RestoreSummary s;
  std::thread runner([&] { s = job.Run(&cancel); });
  // Wait (on the token, not a sleep) until some records were written, then cancel.
  for (int i = 0; i < 200 && job.counters().records_inserted.load() < 100; ++i) {
    CancelToken never;
    never.WaitFor(std::chrono::milliseconds(10));
  }
  cancel.Cancel("test cancel");
  runner.join();
  EXPECT_EQ(s.status.code(), ErrorCode::kCancelled) << Describe(s);
  EXPECT_TRUE(s.cancelled);
  EXPECT_TRUE(s.stats.Balanced()) << Describe(s);
  EXPECT_GE(s.stats.records_inserted, 100u);
  EXPECT_LT(s.stats.records_inserted, 3000u);
  // Confirmed writes are on the server; a batch cut by the cancel may have landed too.
  size_t on_server = ReadBack("test", set).size();
  EXPECT_GE(on_server, s.stats.records_inserted);
  EXPECT_LE(on_server, s.stats.records_inserted + s.stats.records_abandoned);
}

TEST_F(RestoreTest, RecordsPerSecondIsHonoured) {
  std::string set = target_->UniqueSet("rps");
  AsbContent c;
  for (int i = 0; i < 600; ++i) c.records.push_back(MakeRecord("test", set, IntegerKey(i), {aero::testing::IntBin("v", i)}));
  Write("r/test_00000.asb", c);
  RestoreOptions o;
  o.records_per_second = 1000;
  o.batch_size = 50;
  auto s = Run(o, {"r"});
  ASSERT_TRUE(s.status.ok()) << Describe(s);
  // 600 records at 1000/s: the first batch passes at once, the rest take >= 0.55 s.
  EXPECT_GE(s.duration.count(), 500);
  EXPECT_LT(s.duration.count(), 5000);
}

}  // namespace
}  // namespace aero::restore
