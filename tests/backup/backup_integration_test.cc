// Integration tests of the backup engine against the in-process test server over real sockets (or a
// real server with AEROSPIKE_TEST_HOST; fault and multi-node tests skip then), writing to local
// storage in a temporary directory and reading the files back with the .asb reader.
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <thread>

#include "backup/backup.h"
#include "backup/backup_metadata.h"
#include "backup/backup_state.h"
#include "client/metadata.h"
#include "common/base64.h"
#include "storage/factory.h"
#include "tests/backup/backup_test_util.h"
#include "tests/client/cluster_fixture.h"
#include "tests/support/temp_dir.h"

namespace aero::backup {
namespace {

using aero::testing::ClusterTarget;
using namespace aero::backup::testing;

const bool kIgnoreSigpipe = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

using aero::testing::TempDir;

ClusterTarget::Options Nodes(int n, int rf) {
  ClusterTarget::Options o;
  o.nodes = n;
  o.replication_factor = rf;
  return o;
}

class BackupIT : public ::testing::Test {
 protected:
  void Start(ClusterTarget::Options options = ClusterTarget::Options()) {
    ABS_START_TARGET(target_, options);
    auto c = target_->Connect();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = *c;
    auto st = OpenStorage(dir_.path(), StorageOptions{});
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    storage_ = std::move(*st);
  }
  void TearDown() override {
    if (target_) target_->Cleanup();
    if (cluster_) cluster_->Close();
  }
  BackupRequest Request(const std::string& set, const std::string& out) {
    BackupRequest r;
    r.ns = "test";
    if (!set.empty()) r.sets = {set};
    r.output_dir = out;
    r.no_udfs = true;     // UDFs are cluster-wide; tests that check them turn this off
    r.no_indexes = true;
    r.socket_timeout = client::Millis(5000);
    r.retry_delay = client::Millis(50);
    return r;
  }
  Result<BackupSummary> Run(const BackupRequest& r, Storage* storage = nullptr, BackupProgress* progress = nullptr) {
    CancelToken cancel;
    return RunBackup(*cluster_, storage ? *storage : *storage_, r, cancel, progress);
  }
  // Backup of `dir` equals a plain scan of the set, record for record, without duplicates.
  void ExpectExact(const std::string& dir, const std::string& set, const CodecOptions& codec = {},
                   uint64_t expect_count = 0) {
    auto got = ReadBackup(*storage_, dir, codec);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    auto want = ScanSet(*cluster_, "test", set);
    ASSERT_TRUE(want.ok()) << want.status().ToString();
    if (expect_count) { EXPECT_EQ(want->size(), expect_count); }
    EXPECT_EQ(got->record_entities, got->records.size()) << "duplicate records in the backup";
    EXPECT_EQ(got->records.size(), want->size());
    for (const auto& [d, rec] : *want) {
      auto it = got->records.find(d);
      if (it == got->records.end()) {
        ADD_FAILURE() << "record missing from the backup: " << Base64Encode(std::string_view((const char*)d.data(), 20));
        continue;
      }
      EXPECT_EQ(it->second, rec);
    }
  }
  Result<BackupMetadata> Metadata(const std::string& dir) {
    ABS_ASSIGN_OR_RETURN(std::string text, storage_->ReadObject(JoinPath(dir, "metadata.yaml")));
    return ParseMetadataYaml(text);
  }

  TempDir dir_;
  std::unique_ptr<ClusterTarget> target_;
  std::shared_ptr<client::Cluster> cluster_;
  std::unique_ptr<Storage> storage_;
};

// ---- Round trips ------------------------------------------------------------------------------------

TEST_F(BackupIT, EveryTypeAndKeyKindRoundTrips) {
  Start();
  std::string set = target_->UniqueSet("types");
  std::string geo = std::string("\0\0\0", 3) + R"({"type":"Point","coordinates":[-122.5,37.5]})";
  std::vector<Bin> bins = {
      {"int", ParticleType::kInteger, U64(static_cast<uint64_t>(-42))},
      {"max", ParticleType::kInteger, U64(0x7FFFFFFFFFFFFFFFull)},
      {"dbl", ParticleType::kFloat, F64(3.14159)},
      {"nan", ParticleType::kFloat, F64(-0.0)},
      {"str", ParticleType::kString, "h\xc3\xa9llo \n wo\\rld \xf0\x9f\x98\x80"},
      {"empty", ParticleType::kString, ""},
      {"blob", ParticleType::kBlob, std::string("\x00\x01\x02\xff\n ", 6)},
      {"java", ParticleType::kJavaBlob, "java-bytes"},
      {"py", ParticleType::kPythonBlob, "py"},
      {"bool", ParticleType::kBool, std::string(1, '\1')},
      {"list", ParticleType::kList, "\x93\x01\x02\xa4\x03" "abc"},
      {"map", ParticleType::kMap, "\x82\xa2\x03" "a\x01\xa2\x03" "b\x02"},
      {"geo", ParticleType::kGeoJson, geo},
      {"bin with sp", ParticleType::kInteger, U64(7)},
  };
  std::vector<std::optional<UserKey>> keys = {IntegerKey(-7), IntegerKey(INT64_MIN), StringKey("string-\xc3\xbc key"),
                                              StringKey(""), BlobKey(std::string("\xde\xad\x00\xef", 4)),
                                              std::nullopt};
  std::map<Digest, Record> written;
  int i = 0;
  for (const auto& key : keys) {
    Record r = MakeRecord("test", set, key, bins, "digest-only-" + std::to_string(i++));
    client::WritePolicy wp;
    wp.send_key = key.has_value();
    auto w = client::Put(*cluster_, r, wp);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    written[r.digest] = Normalized(r);
  }
  // One record with a TTL.
  Record ttl = MakeRecord("test", set, IntegerKey(99), {Bin{"a", ParticleType::kInteger, U64(1)}});
  ttl.void_time = static_cast<uint32_t>(SystemClock::Instance().NowUnixSeconds() - kCitrusleafEpoch + 3600);
  ASSERT_TRUE(client::Put(*cluster_, ttl, client::WritePolicy{}).ok());

  for (int variant = 0; variant < 3; ++variant) {
    SCOPED_TRACE(variant);
    BackupRequest req = Request(set, "rt" + std::to_string(variant));
    if (variant == 1) req.compact = true;
    if (variant == 2) {
      req.codec.compression = CompressionMode::kZstd;
      req.codec.encryption = EncryptionMode::kAes256;
      auto key = LoadKeyFile(std::string(ABS_TEST_DATA_DIR) + "/backup/test_key.pem");
      ASSERT_TRUE(key.ok()) << key.status().ToString();
      req.codec.key_material = *key;
    }
    auto sum = Run(req);
    ASSERT_TRUE(sum.ok()) << sum.status().ToString();
    EXPECT_EQ(sum->records, keys.size() + 1);
    ExpectExact(req.output_dir, set, req.codec, keys.size() + 1);
    auto got = ReadBackup(*storage_, req.output_dir, req.codec);
    ASSERT_TRUE(got.ok());
    // What the files hold equals what was written into the server (keys, bins, set, ns).
    for (const auto& [d, want] : written) {
      auto it = got->records.find(d);
      ASSERT_NE(it, got->records.end());
      EXPECT_EQ(it->second.key, want.key);
      EXPECT_EQ(it->second.bins, want.bins);
      EXPECT_EQ(it->second.set, set);
      EXPECT_EQ(it->second.void_time, 0u);
    }
    auto t = got->records.find(ttl.digest);
    ASSERT_NE(t, got->records.end());
    EXPECT_NEAR(static_cast<double>(t->second.void_time), static_cast<double>(ttl.void_time), 2.0);
    auto meta = Metadata(req.output_dir);
    ASSERT_TRUE(meta.ok()) << meta.status().ToString();
    EXPECT_EQ(meta->record_count, keys.size() + 1);
    EXPECT_EQ(meta->file_count, got->files.size());
    EXPECT_EQ(meta->ns, "test");
    EXPECT_FALSE(meta->incremental);
    EXPECT_EQ(meta->compression, req.codec.compression);
    EXPECT_EQ(meta->encryption, req.codec.encryption);
    uint64_t stored = 0;
    for (const auto& f : got->files) stored += storage_->Stat(f)->size;
    EXPECT_EQ(meta->byte_count, stored);
    EXPECT_EQ(sum->bytes, stored);
    // No resume state is left behind by a finished backup.
    EXPECT_FALSE(*storage_->Exists(StateKeyOf(req)));
  }
}

TEST_F(BackupIT, RefusesDirectoryWithBackupFilesUnlessRemoving) {
  Start();
  std::string set = target_->UniqueSet("again");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 20).ok());
  BackupRequest req = Request(set, "again");
  ASSERT_TRUE(Run(req).ok());
  auto second = Run(req);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kAlreadyExists) << second.status().ToString();
  req.remove_existing = true;
  auto third = Run(req);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  ExpectExact("again", set, {}, 20);
}

// ---- Incremental ------------------------------------------------------------------------------------

TEST_F(BackupIT, IncrementalCapturesExactlyTheModifiedRecords) {
  Start();
  std::string set = target_->UniqueSet("incr");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 30, 0).ok());
  auto old_scan = ScanSet(*cluster_, "test", set);
  ASSERT_TRUE(old_scan.ok());
  int64_t t_ms = 0;
#ifdef ABS_HAVE_TESTSERVER
  if (target_->server()) {
    uint64_t past = static_cast<uint64_t>(SystemClock::Instance().NowUnixMillis() - 3600 * 1000);
    for (const auto& [d, r] : *old_scan) ASSERT_TRUE(target_->server()->SetLastUpdateMs("test", d, past).ok());
    t_ms = static_cast<int64_t>(past) + 1000;
  }
#endif
  if (t_ms == 0) {
    // Real server: the boundary is a moment between the two batches (the server clock has ms resolution).
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    t_ms = SystemClock::Instance().NowUnixMillis();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // New records and updates of old ones after the boundary.
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 12, 100).ok());
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 5, 0).ok());
  auto now_scan = ScanSet(*cluster_, "test", set);
  ASSERT_TRUE(now_scan.ok());
  std::set<Digest> modified;
  for (const auto& [d, r] : *now_scan)
    if (r.key && (r.generation > 1 || GetU64BE(r.key->data.data()) >= 100)) modified.insert(d);
  ASSERT_EQ(modified.size(), 17u);

  BackupRequest req = Request(set, "incr");
  req.modified_after_unix_ms = t_ms;
  auto sum = Run(req);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  auto got = ReadBackup(*storage_, "incr", {});
  ASSERT_TRUE(got.ok());
  std::set<Digest> in_backup;
  for (const auto& [d, r] : got->records) {
    in_backup.insert(d);
    EXPECT_EQ(r, now_scan->at(d));
  }
  EXPECT_EQ(in_backup, modified);
  auto meta = Metadata("incr");
  ASSERT_TRUE(meta.ok());
  EXPECT_TRUE(meta->incremental);
  EXPECT_EQ(meta->from_unix_ms, t_ms);
  EXPECT_EQ(meta->record_count, 17u);

  // The complementary window: modified before the boundary = the untouched old records.
  BackupRequest before = Request(set, "before");
  before.modified_before_unix_ms = t_ms;
  ASSERT_TRUE(Run(before).ok());
  auto got2 = ReadBackup(*storage_, "before", {});
  ASSERT_TRUE(got2.ok());
  EXPECT_EQ(got2->records.size(), now_scan->size() - modified.size());
  for (const auto& [d, r] : got2->records) EXPECT_EQ(modified.count(d), 0u);
}

// ---- Filters ----------------------------------------------------------------------------------------

TEST_F(BackupIT, SetAndBinFilters) {
  Start();
  std::string a = target_->UniqueSet("fa"), b = target_->UniqueSet("fb"), c = target_->UniqueSet("fc");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", a, 10).ok());
  ASSERT_TRUE(WriteRecords(*cluster_, "test", b, 11).ok());
  ASSERT_TRUE(WriteRecords(*cluster_, "test", c, 12).ok());
  BackupRequest req = Request("", "sets");
  req.sets = {a, c};
  ASSERT_TRUE(Run(req).ok());
  auto got = ReadBackup(*storage_, "sets", {});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->records.size(), 22u);
  for (const auto& [d, r] : got->records) EXPECT_TRUE(r.set == a || r.set == c) << r.set;

  BackupRequest bins = Request(b, "bins");
  bins.bins = {"n", "pad"};
  ASSERT_TRUE(Run(bins).ok());
  auto got2 = ReadBackup(*storage_, "bins", {});
  ASSERT_TRUE(got2.ok());
  EXPECT_EQ(got2->records.size(), 11u);
  for (const auto& [d, r] : got2->records) {
    ASSERT_EQ(r.bins.size(), 2u);
    EXPECT_EQ(r.bins[0].name, "n");
    EXPECT_EQ(r.bins[1].name, "pad");
  }
  BackupRequest nobins = Request(b, "nobins");
  nobins.no_bins = true;
  ASSERT_TRUE(Run(nobins).ok());
  auto got3 = ReadBackup(*storage_, "nobins", {});
  ASSERT_TRUE(got3.ok());
  EXPECT_EQ(got3->records.size(), 11u);
  for (const auto& [d, r] : got3->records) EXPECT_TRUE(r.bins.empty());
}

TEST_F(BackupIT, PartitionListAndAfterDigest) {
  Start();
  std::string set = target_->UniqueSet("parts");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 400).ok());
  auto all = ScanSet(*cluster_, "test", set);
  ASSERT_TRUE(all.ok());
  BackupRequest req = Request(set, "plist");
  auto filters = ParsePartitionList("0-1000,2048,3000-96");
  ASSERT_TRUE(filters.ok());
  req.partitions = *filters;
  ASSERT_TRUE(Run(req).ok());
  auto got = ReadBackup(*storage_, "plist", {});
  ASSERT_TRUE(got.ok());
  size_t expected = 0;
  for (const auto& [d, r] : *all) {
    int pid = PartitionId(d);
    bool in = pid < 1000 || pid == 2048 || (pid >= 3000 && pid < 3096);
    expected += in;
    EXPECT_EQ(got->records.count(d), in ? 1u : 0u) << pid;
  }
  EXPECT_EQ(got->records.size(), expected);

  // After-digest: pick a record in the middle; the backup holds the records after it in its
  // partition (scan order) and every record of later partitions.
  const Digest pivot = std::next(all->begin(), static_cast<long>(all->size() / 2))->first;
  int ppid = PartitionId(pivot);
  BackupRequest ad = Request(set, "after");
  auto adf = AfterDigestFilters(Base64Encode(std::string_view((const char*)pivot.data(), 20)));
  ASSERT_TRUE(adf.ok());
  ad.partitions = *adf;
  ASSERT_TRUE(Run(ad).ok());
  auto got2 = ReadBackup(*storage_, "after", {});
  ASSERT_TRUE(got2.ok());
  for (const auto& [d, r] : *all) {
    int pid = PartitionId(d);
    if (pid > ppid) { EXPECT_EQ(got2->records.count(d), 1u); }
    if (pid < ppid) { EXPECT_EQ(got2->records.count(d), 0u); }
  }
  EXPECT_EQ(got2->records.count(pivot), 0u) << "the after-digest record itself is excluded";
}

TEST_F(BackupIT, NodeListCoversMasterPartitions) {
  ABS_SKIP_IF_REAL_SERVER("three nodes");
  Start(Nodes(3, 2));
  std::string set = target_->UniqueSet("nodes");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 300).ok());
  auto all = ScanSet(*cluster_, "test", set);
  ASSERT_TRUE(all.ok());
  std::set<Digest> union_of_nodes;
  for (int n = 0; n < 3; ++n) {
    BackupRequest req = Request(set, "node" + std::to_string(n));
    req.node_list = {"127.0.0.1:" + std::to_string(target_->server()->Port(n))};
    req.parallel = 2;
    auto sum = Run(req);
    ASSERT_TRUE(sum.ok()) << sum.status().ToString();
    auto got = ReadBackup(*storage_, req.output_dir, {});
    ASSERT_TRUE(got.ok());
    for (const auto& [d, r] : got->records) {
      EXPECT_EQ(target_->server()->MasterOf(PartitionId(d)), n);
      EXPECT_TRUE(union_of_nodes.insert(d).second) << "record in two node backups";
    }
  }
  EXPECT_EQ(union_of_nodes.size(), all->size());
  BackupRequest bad = Request(set, "badnode");
  bad.node_list = {"10.9.9.9:3000"};
  auto r = Run(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("10.9.9.9:3000"), std::string::npos) << r.status().ToString();
}

TEST_F(BackupIT, IndexesUdfsAndNoRecords) {
  Start();
  std::string set = target_->UniqueSet("meta");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 25).ok());
  std::string idx = "idx_" + set;
  client::SindexInfo si{"test", idx, set, "n", "numeric", "default", "", "", ""};
  ASSERT_TRUE(client::CreateSindex(*cluster_, si).ok());
  // A set-less (whole-namespace) index: with a set list asbackup 4.5.8 leaves it out, and so must we.
  std::string idx_ns = "idxns_" + set;
  client::SindexInfo si_ns{"test", idx_ns, "", "nsl", "numeric", "default", "", "", ""};
  ASSERT_TRUE(client::CreateSindex(*cluster_, si_ns).ok());
  std::string lua = "function hello(rec)\n  return 1\nend\n";
  std::string udf = "abs_" + set + ".lua";
  ASSERT_TRUE(client::PutUdf(*cluster_, udf, lua).ok());

  BackupRequest req = Request(set, "withmeta");
  req.no_indexes = false;
  req.no_udfs = false;
  auto sum = Run(req);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  auto got = ReadBackup(*storage_, "withmeta", {});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->records.size(), 25u);
  EXPECT_EQ(got->first_files, 1);
  auto has_idx = std::find_if(got->sindexes.begin(), got->sindexes.end(), [&](const SecondaryIndex& s) {
    return s.name == idx && s.set == set && s.paths.size() == 1 && s.paths[0].bin == "n" &&
           s.paths[0].type == SindexDataType::kNumeric;
  });
  EXPECT_NE(has_idx, got->sindexes.end());
  for (const auto& s : got->sindexes) {
    EXPECT_NE(s.name, idx_ns) << "set-less index backed up although a set list was given";
    EXPECT_EQ(s.set, set) << "index " << s.name << " is not on the listed set";
  }
  auto has_udf = std::find_if(got->udfs.begin(), got->udfs.end(),
                              [&](const UdfModule& u) { return u.name == udf && u.content == lua; });
  EXPECT_NE(has_udf, got->udfs.end());
  EXPECT_EQ(sum->sindexes, got->sindexes.size());
  EXPECT_EQ(sum->udfs, got->udfs.size());

  BackupRequest nr = Request(set, "norecords");
  nr.no_records = true;
  nr.no_indexes = false;
  nr.no_udfs = false;
  auto sum2 = Run(nr);
  ASSERT_TRUE(sum2.ok()) << sum2.status().ToString();
  auto got2 = ReadBackup(*storage_, "norecords", {});
  ASSERT_TRUE(got2.ok());
  EXPECT_EQ(got2->records.size(), 0u);
  EXPECT_EQ(got2->sindexes.size(), got->sindexes.size());
  EXPECT_EQ(got2->udfs.size(), got->udfs.size());
  EXPECT_EQ(sum2->records, 0u);

  BackupRequest none = Request(set, "nometa");  // no indexes, no UDFs (the defaults of Request)
  ASSERT_TRUE(Run(none).ok());
  auto got3 = ReadBackup(*storage_, "nometa", {});
  ASSERT_TRUE(got3.ok());
  EXPECT_TRUE(got3->sindexes.empty());
  EXPECT_TRUE(got3->udfs.empty());
  EXPECT_EQ(got3->records.size(), 25u);
  (void)cluster_->InfoAny({"sindex-delete:ns=test;indexname=" + idx});
  (void)cluster_->InfoAny({"sindex-delete:ns=test;indexname=" + idx_ns});
  (void)cluster_->InfoAny({"udf-remove:filename=" + udf});
}

// ---- Parallelism, splitting, throttles ---------------------------------------------------------------

TEST_F(BackupIT, ParallelBackupEqualsSerialBackup) {
  Start();
  std::string set = target_->UniqueSet("par");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 3000, 0, 40).ok());
  BackupRequest serial = Request(set, "serial");
  auto s1 = Run(serial);
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  BackupRequest par = Request(set, "parallel");
  par.parallel = 8;
  par.parallel_write = 3;
  par.file_limit_bytes = 16 << 10;  // many files
  par.queue_chunks = 1;
  par.codec.compression = CompressionMode::kZstd;
  BackupProgress progress;
  auto s2 = Run(par, nullptr, &progress);
  ASSERT_TRUE(s2.ok()) << s2.status().ToString();
  auto a = ReadBackup(*storage_, "serial", serial.codec);
  auto b = ReadBackup(*storage_, "parallel", par.codec);
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a->records.size(), 3000u);
  EXPECT_EQ(a->records, b->records);
  EXPECT_EQ(b->record_entities, 3000u);
  EXPECT_GT(b->files.size(), 3u);
  EXPECT_EQ(s2->files, b->files.size());
  EXPECT_EQ(s2->records, 3000u);
  auto v = progress.Take(SystemClock::Instance().NowUnixMillis());
  EXPECT_EQ(v.records, 3000u);
  EXPECT_EQ(v.files, b->files.size());
  EXPECT_EQ(v.percent, 100);
  ExpectExact("parallel", set, par.codec, 3000);
}

TEST_F(BackupIT, BandwidthLimitSlowsTheBackup) {
  Start();
  std::string set = target_->UniqueSet("bw");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 600, 0, 1000).ok());  // ~600 KB
  BackupRequest req = Request(set, "bw");
  req.bandwidth_bytes_per_second = 300 << 10;  // 1 s burst + ~1 s more
  auto t0 = std::chrono::steady_clock::now();
  auto sum = Run(req);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_GE(secs, 0.8) << "bytes " << sum->bytes;
  ExpectExact("bw", set, {}, 600);
}

TEST_F(BackupIT, RecordsPerSecondThrottlesTheScan) {
  Start();
  std::string set = target_->UniqueSet("rps");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 600).ok());
  BackupRequest req = Request(set, "rps");
  req.records_per_second = 1000;
  req.parallel = 2;
  auto t0 = std::chrono::steady_clock::now();
  auto sum = Run(req);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_GE(secs, 0.4) << "600 records at 1000/s";
  ExpectExact("rps", set, {}, 600);
}

TEST_F(BackupIT, ProgressIsReadableWhileTheBackupRuns) {
  Start();
  std::string set = target_->UniqueSet("progress");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 3000, 0, 200).ok());
  BackupProgress progress;
  BackupProgress::View mid;
  // Read from a writer thread in the middle of the backup (the third data write).
  HookStorage hook(*storage_, [&](uint64_t n) {
    if (n == 3) mid = progress.Take(SystemClock::Instance().NowUnixMillis() + 1);
    return Status::Ok();
  });
  BackupRequest req = Request(set, "progress");
  req.file_limit_bytes = 64 << 10;
  req.parallel = 2;
  auto sum = Run(req, &hook, &progress);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(mid.estimated_records, 3000u);
  EXPECT_GT(mid.records, 0u);
  EXPECT_LT(mid.records, 3000u);
  EXPECT_GT(mid.percent, 0);
  EXPECT_LT(mid.percent, 100);
  EXPECT_GT(mid.bytes, 0u);
  auto end = progress.Take(SystemClock::Instance().NowUnixMillis());
  EXPECT_EQ(end.records, 3000u);
  EXPECT_EQ(end.percent, 100);
  EXPECT_EQ(end.bytes, sum->bytes);
}

TEST_F(BackupIT, ListBackupsFindsCompletedOnesOnly) {
  Start();
  std::string set = target_->UniqueSet("list");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 50).ok());
  BackupRequest full = Request(set, "routine/backup/1700000000000/data/test");
  full.created_unix_ms = 1700000000000;
  ASSERT_TRUE(Run(full).ok());
  BackupRequest incr = Request(set, "routine/incremental/1700000100000/data/test");
  incr.created_unix_ms = 1700000100000;
  incr.modified_after_unix_ms = 1700000000000;
  ASSERT_TRUE(Run(incr).ok());
  // An unfinished backup (no metadata) and a corrupt metadata file.
  ASSERT_TRUE(storage_->WriteObject("routine/backup/1700000200000/data/test/test_00000.asb", "Version 3.1\n").ok());
  ASSERT_TRUE(storage_->WriteObject("routine/backup/1700000300000/data/test/metadata.yaml", "created: never\n").ok());
  auto l = ListBackups(*storage_, "routine");
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_EQ(l->backups.size(), 2u);
  EXPECT_EQ(l->backups[0].dir, "routine/backup/1700000000000/data/test");
  EXPECT_FALSE(l->backups[0].metadata.incremental);
  EXPECT_EQ(l->backups[0].metadata.record_count, 50u);
  EXPECT_EQ(l->backups[1].dir, "routine/incremental/1700000100000/data/test");
  EXPECT_TRUE(l->backups[1].metadata.incremental);
  EXPECT_EQ(l->backups[1].metadata.from_unix_ms, 1700000000000);
  ASSERT_EQ(l->problems.size(), 1u);
  EXPECT_NE(l->problems[0].find("1700000300000"), std::string::npos) << l->problems[0];
  auto empty = ListBackups(*storage_, "nothing-here");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->backups.empty());
}

// ---- Faults -----------------------------------------------------------------------------------------

#ifdef ABS_HAVE_TESTSERVER
TEST_F(BackupIT, ConnectionDroppedMidScanStillExact) {
  ABS_SKIP_IF_REAL_SERVER("fault injection");
  Start();
  std::string set = target_->UniqueSet("drop");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 2000).ok());
  testserver::NodeFaults f;
  f.drop_after_records = 300;
  target_->server()->SetFaults(0, f);
  BackupRequest req = Request(set, "drop");
  req.parallel = 2;
  req.max_retries = 50;  // every round drops after 300 records; the scan resumes from the last digest
  auto sum = Run(req);
  target_->server()->ClearFaults();
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_GT(sum->partitions_retried, 0u);
  ExpectExact("drop", set, {}, 2000);
}

TEST_F(BackupIT, PartitionsThatNeverFinishFailLoudly) {
  ABS_SKIP_IF_REAL_SERVER("fault injection");
  Start();
  std::string set = target_->UniqueSet("unavail");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 200).ok());
  testserver::NodeFaults f;
  f.unavailable_partitions = {5, 77};
  target_->server()->SetFaults(0, f);
  BackupRequest req = Request(set, "unavail");
  req.max_retries = 3;
  auto sum = Run(req);
  target_->server()->ClearFaults();
  ASSERT_FALSE(sum.ok());
  EXPECT_NE(sum.status().message().find("77"), std::string::npos) << sum.status().ToString();
  EXPECT_FALSE(*storage_->Exists("unavail/metadata.yaml")) << "a failed backup must not be published";
  EXPECT_TRUE(*storage_->Exists(StateKeyOf(req)));
}

TEST_F(BackupIT, NodeDownMidBackupCompletesExactly) {
  ABS_SKIP_IF_REAL_SERVER("node stop");
  Start(Nodes(3, 1));
  std::string set = target_->UniqueSet("down");
  // ~13 MB per node: more than loopback socket buffers hold, so streams are mid-way at the stop.
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 40000, 0, 1000).ok());
  std::atomic<bool> stopped{false};
  Status stop_status;
  HookStorage hook(*storage_, [&](uint64_t n) {
    if (n == 1) {
      stop_status = target_->server()->StopNode(1);  // while the scans are blocked on the writers
      stopped = true;
    }
    return Status::Ok();
  });
  BackupRequest req = Request(set, "down");
  req.parallel = 1;
  req.parallel_write = 3;
  req.queue_chunks = 1;
  req.file_limit_bytes = 1 << 20;
  req.max_retries = 20;
  auto sum = Run(req, &hook);
  ASSERT_TRUE(stopped.load());
  ASSERT_TRUE(stop_status.ok()) << stop_status.ToString();
  if (sum.ok()) {
    EXPECT_GT(sum->partitions_retried, 0u) << "the node went down after its scans had finished";
    ExpectExact("down", set, {}, 40000);
  } else {
    // Failing is allowed only loudly and unpublished.
    EXPECT_FALSE(*storage_->Exists("down/metadata.yaml"));
    ADD_FAILURE() << "backup failed (acceptable only with a clear error): " << sum.status().ToString();
  }
}
#endif

// ---- Interruption and resume ------------------------------------------------------------------------

TEST_F(BackupIT, InterruptedBackupPublishesNothingAndResumesExactly) {
  Start();
  std::string set = target_->UniqueSet("resume");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 4000, 0, 200).ok());
  CancelToken cancel;
  // Cancel at the 6th data write: some files are committed (small file limit), others are open.
  HookStorage hook(*storage_, [&](uint64_t n) {
    if (n == 6) cancel.Cancel("test interrupt");
    return Status::Ok();
  });
  BackupRequest req = Request(set, "res");
  req.parallel = 4;
  req.file_limit_bytes = 64 << 10;
  req.queue_chunks = 1;
  req.state_save_interval = std::chrono::milliseconds(0);
  req.codec.compression = CompressionMode::kZstd;
  auto first = RunBackup(*cluster_, hook, req, cancel);
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), ErrorCode::kCancelled) << first.status().ToString();
  EXPECT_FALSE(*storage_->Exists("res/metadata.yaml"));
  auto state_text = storage_->ReadObject(StateKeyOf(req));
  ASSERT_TRUE(state_text.ok()) << state_text.status().ToString();
  auto state = ParseStateJson(*state_text);
  ASSERT_TRUE(state.ok()) << state.status().ToString();
  EXPECT_GT(state->files.size(), 0u);
  EXPECT_LT(state->records, 4000u);
  // Partitions with committed records resume after their last committed digest.
  size_t with_digest = 0;
  for (const auto& p : state->partitions) with_digest += !p.done && p.has_digest;
  EXPECT_GT(with_digest, 0u);
  EXPECT_LT(with_digest, 4096u);
  // The committed files hold exactly what the state says.
  auto partial = ReadBackup(*storage_, "res", req.codec);
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  EXPECT_EQ(partial->record_entities, state->records);
  EXPECT_EQ(partial->files.size(), state->files.size());

  // A resume with different settings is refused.
  BackupRequest other = req;
  other.resume = true;
  other.codec.compression = CompressionMode::kNone;
  auto refused = Run(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument);

  req.resume = true;
  auto second = Run(req);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(second->resumed);
  EXPECT_EQ(second->records, 4000u);
  ExpectExact("res", set, req.codec, 4000);
  auto meta = Metadata("res");
  ASSERT_TRUE(meta.ok());
  EXPECT_EQ(meta->record_count, 4000u);
  EXPECT_FALSE(*storage_->Exists(StateKeyOf(req)));
}

TEST_F(BackupIT, StorageFailureFailsLoudlyAndCanDeleteTheAttempt) {
  Start();
  std::string set = target_->UniqueSet("sfail");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 3000, 0, 200).ok());
  HookStorage hook(*storage_, [&](uint64_t n) {
    return n >= 4 ? Status(ErrorCode::kIo, "disk on fire") : Status::Ok();
  });
  BackupRequest req = Request(set, "sfail");
  req.parallel = 2;
  req.file_limit_bytes = 64 << 10;
  req.keep_state_on_failure = false;
  auto sum = Run(req, &hook);
  ASSERT_FALSE(sum.ok());
  EXPECT_NE(sum.status().message().find("disk on fire"), std::string::npos) << sum.status().ToString();
  auto left = storage_->List("sfail", ListMode::kRecursive);
  ASSERT_TRUE(!left.ok() || left->empty()) << left->size() << " objects left, e.g. " << (*left)[0].key;
}

TEST_F(BackupIT, ExternalCancelBeforeStart) {
  Start();
  std::string set = target_->UniqueSet("cancel");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 100).ok());
  CancelToken cancel;
  cancel.Cancel("user");
  auto sum = RunBackup(*cluster_, *storage_, Request(set, "cancelled"), cancel);
  ASSERT_FALSE(sum.ok());
  EXPECT_EQ(sum.status().code(), ErrorCode::kCancelled);
  EXPECT_FALSE(*storage_->Exists("cancelled/metadata.yaml"));
}

TEST_F(BackupIT, SingleFileModeAndEstimate) {
  Start();
  std::string set = target_->UniqueSet("single");
  ASSERT_TRUE(WriteRecords(*cluster_, "test", set, 500).ok());
  BackupRequest req = Request(set, "");
  req.output_file = "one/backup.asb";
  req.parallel = 4;
  auto sum = Run(req);
  ASSERT_TRUE(sum.ok()) << sum.status().ToString();
  EXPECT_EQ(sum->files, 1u);
  auto got = ReadBackup(*storage_, "", {}, "one/backup.asb");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->records.size(), 500u);
  EXPECT_TRUE(*storage_->Exists("one/backup.asb.metadata.yaml"));

  CancelToken cancel;
  BackupRequest est = Request(set, "");
  auto e = EstimateBackup(*cluster_, est, 100, cancel);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->sampled_records, 100u);
  EXPECT_EQ(e->estimated_records, 500u);
  EXPECT_GT(e->mean_record_bytes, 50);
  EXPECT_NEAR(static_cast<double>(e->estimated_bytes), 500 * e->mean_record_bytes, 500 * e->mean_record_bytes * 0.01);
}

}  // namespace
}  // namespace aero::backup
