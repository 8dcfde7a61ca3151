// Integration tests of the client against the in-process test server (src/testserver) over real
// sockets, or against a real server when AEROSPIKE_TEST_HOST is set (tests needing faults, several
// nodes, users or TLS skip then). Malformed replies come from a scripted raw socket peer.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "client/auth.h"
#include "client/cluster.h"
#include "client/metadata.h"
#include "client/scan.h"
#include "client/write.h"
#include "common/base64.h"
#include "common/bytes.h"
#include "common/clock.h"
#include "common/digest.h"
#include "protocol/info.h"
#include "protocol/message.h"
#include "tests/client/cluster_fixture.h"
#include "tests/support/certs.h"
#include "tests/support/temp_dir.h"

namespace aero::client {
namespace {

using aero::testing::ClusterTarget;

// The in-process test server shares this process; a peer closing a TLS socket must not kill the
// test binary with SIGPIPE (servers normally ignore it; the client library avoids it itself).
const bool kIgnoreSigpipe = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string U64(uint64_t v) {
  std::string s;
  PutU64BE(s, v);
  return s;
}
std::string F64(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return U64(u);
}

Record MakeRecord(const std::string& ns, const std::string& set, UserKey key, std::vector<Bin> bins) {
  Record r;
  r.ns = ns;
  r.set = set;
  r.digest = ComputeDigest(set, key);
  r.key = std::move(key);
  r.bins = std::move(bins);
  return r;
}

// Writes n records with integer keys 0..n-1 (bins n, s) and returns their digests.
std::set<Digest> WriteRecords(Cluster& c, const std::string& ns, const std::string& set, int n, int start = 0) {
  std::set<Digest> out;
  for (int i = start; i < start + n; ++i) {
    Record r = MakeRecord(ns, set, IntegerKey(i), {Bin{"n", ParticleType::kInteger, U64(i)},
                                                   Bin{"s", ParticleType::kString, "v" + std::to_string(i)}});
    auto w = Put(c, r, WritePolicy{});
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    out.insert(r.digest);
  }
  return out;
}

// Thread-safe collecting sink.
struct Collector {
  std::mutex mu;
  std::vector<Record> records;
  std::multiset<Digest> digests;
  RecordSink Sink() {
    return [this](Record& r) {
      std::lock_guard<std::mutex> lock(mu);
      digests.insert(r.digest);
      records.push_back(std::move(r));
      return Status::Ok();
    };
  }
  std::set<Digest> Unique() {
    std::lock_guard<std::mutex> lock(mu);
    return std::set<Digest>(digests.begin(), digests.end());
  }
};

// Runs tend cycles until pred() holds (each cycle is a full round trip, bounded count).
bool TendUntil(Cluster& c, const std::function<bool()>& pred, int max_cycles = 50) {
  for (int i = 0; i < max_cycles; ++i) {
    if (pred()) return true;
    (void)c.Tend();
  }
  return pred();
}

// Every partition of ns has a master in the map.
bool MapComplete(Cluster& c, const std::string& ns, size_t expect_nodes) {
  auto snap = c.partitions();
  if (!snap || snap->nodes.size() != expect_nodes) return false;
  auto it = snap->namespaces.find(ns);
  if (it == snap->namespaces.end()) return false;
  for (int p = 0; p < 4096; ++p)
    if (it->second.Node(p, 0) < 0) return false;
  return true;
}

class ClientIT : public ::testing::Test {
 protected:
  void Start(ClusterTarget::Options options = ClusterTarget::Options()) {
    ABS_START_TARGET(target_, options);
    auto c = target_->Connect();
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = *c;
  }
  void TearDown() override {
    if (target_) target_->Cleanup();
    if (cluster_) cluster_->Close();
  }
  std::unique_ptr<ClusterTarget> target_;
  std::shared_ptr<Cluster> cluster_;
};

// ---- Discovery and tending ----------------------------------------------------------------------

TEST_F(ClientIT, DiscoverySingleNode) {
  Start();
  ASSERT_EQ(cluster_->nodes().size(), 1u);
  EXPECT_TRUE(MapComplete(*cluster_, "test", 1));
  EXPECT_TRUE(MapComplete(*cluster_, "bar", 1));
  auto ns = Namespaces(*cluster_);
  ASSERT_TRUE(ns.ok()) << ns.status().ToString();
  EXPECT_NE(std::find(ns->begin(), ns->end(), "test"), ns->end());
  EXPECT_NE(std::find(ns->begin(), ns->end(), "bar"), ns->end());
  auto v = GetServerVersion(*cluster_);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_FALSE(v->version.empty());
  EXPECT_NE(v->edition.find("Aerospike"), std::string::npos);
  // The tend thread runs: tend count grows without our help.
  uint64_t t0 = cluster_->tend_count();
  EXPECT_TRUE(TendUntil(*cluster_, [&] { return cluster_->tend_count() > t0; }, 3));
  auto info = cluster_->InfoAny({"node", "build"});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ((*info)["node"], cluster_->nodes()[0]->id());
}

#ifdef ABS_HAVE_TESTSERVER
ClusterTarget::Options Nodes(int n, int rf) {
  ClusterTarget::Options o;
  o.nodes = n;
  o.replication_factor = rf;
  return o;
}

TEST_F(ClientIT, DiscoveryThreeNodesAndPartitionMap) {
  ABS_SKIP_IF_REAL_SERVER("three nodes");
  Start(Nodes(3, 2));
  ASSERT_EQ(cluster_->nodes().size(), 3u);
  ASSERT_TRUE(MapComplete(*cluster_, "test", 3));
  auto snap = cluster_->partitions();
  const auto& m = snap->namespaces.at("test");
  EXPECT_EQ(m.n_columns, 2);
  std::vector<int> masters(3, 0);
  for (int p = 0; p < 4096; ++p) {
    int a = m.Node(p, 0), b = m.Node(p, 1);
    ASSERT_GE(a, 0);
    ASSERT_GE(b, 0);
    EXPECT_NE(a, b) << "partition " << p << " has the same node as master and replica";
    masters[a]++;
    // Our map agrees with the server's own view of masters.
    EXPECT_EQ(snap->nodes[a]->id(), target_->server()->NodeId(target_->server()->MasterOf(p))) << p;
  }
  for (int n : masters) EXPECT_GT(n, 0);
}

TEST_F(ClientIT, NodeLeavingAndJoiningDuringTend) {
  ABS_SKIP_IF_REAL_SERVER("node stop/start");
  Start(Nodes(3, 1));
  ASSERT_EQ(cluster_->nodes().size(), 3u);
  std::string set = target_->UniqueSet("leave");
  auto digests = WriteRecords(*cluster_, "test", set, 60);
  std::string gone = target_->server()->NodeId(2);
  ASSERT_TRUE(target_->server()->StopNode(2).ok());
  ASSERT_TRUE(TendUntil(*cluster_, [&] { return cluster_->nodes().size() == 2 && MapComplete(*cluster_, "test", 2); }))
      << "node count " << cluster_->nodes().size();
  EXPECT_EQ(cluster_->GetNode(gone), nullptr);
  // Data is still reachable through the new map (test server keeps one shared store).
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  ScanState st = ScanState::AllPartitions();
  Collector col;
  auto r = Scan(*cluster_, sp, st, col.Sink());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(col.Unique(), digests);

  ASSERT_TRUE(target_->server()->StartNode(2).ok());
  ASSERT_TRUE(TendUntil(*cluster_, [&] { return cluster_->nodes().size() == 3 && MapComplete(*cluster_, "test", 3); }));
  EXPECT_NE(cluster_->GetNode(gone), nullptr);
}
#endif

// ---- Put / get ------------------------------------------------------------------------------------

TEST_F(ClientIT, PutGetEveryParticleAndKeyType) {
  Start();
  std::string set = target_->UniqueSet("types");
  std::string geo = std::string("\0\0\0", 3) + R"({"type":"Point","coordinates":[-122.5,37.5]})";
  std::vector<Bin> bins = {
      {"int", ParticleType::kInteger, U64(static_cast<uint64_t>(-42))},
      {"max", ParticleType::kInteger, U64(0x7FFFFFFFFFFFFFFFull)},
      {"dbl", ParticleType::kFloat, F64(3.14159)},
      {"str", ParticleType::kString, "h\xc3\xa9llo \xf0\x9f\x98\x80"},
      {"empty", ParticleType::kString, ""},
      {"blob", ParticleType::kBlob, std::string("\x00\x01\x02\xff", 4)},
      {"java", ParticleType::kJavaBlob, "java-bytes"},
      {"py", ParticleType::kPythonBlob, "py"},
      {"bool", ParticleType::kBool, std::string(1, '\1')},
      {"list", ParticleType::kList, "\x93\x01\x02\xa4\x03" "abc"},
      {"map", ParticleType::kMap, "\x82\xa2\x03" "a\x01\xa2\x03" "b\x02"},
      {"geo", ParticleType::kGeoJson, geo},
  };
  std::vector<UserKey> keys = {IntegerKey(-7), StringKey("string-\xc3\xbc"), BlobKey(std::string("\xde\xad\xbe\xef", 4))};
  for (const auto& key : keys) {
    Record r = MakeRecord("test", set, key, bins);
    r.void_time = 0;
    auto w = Put(*cluster_, r, WritePolicy{});
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ(w->generation, 1u);
    auto g = Get(*cluster_, "test", set, r.digest);
    ASSERT_TRUE(g.ok()) << g.status().ToString();
    ASSERT_TRUE(g->has_value());
    const Record& got = **g;
    EXPECT_EQ(got.generation, 1u);
    EXPECT_EQ(got.void_time, 0u);
    ASSERT_EQ(got.bins.size(), bins.size());
    for (const auto& b : bins) {
      auto it = std::find_if(got.bins.begin(), got.bins.end(), [&](const Bin& x) { return x.name == b.name; });
      ASSERT_NE(it, got.bins.end()) << b.name;
      EXPECT_EQ(it->type, b.type) << b.name;
      if (b.type == ParticleType::kGeoJson) {
        // The server adds cell ids; the JSON text is unchanged.
        ASSERT_GE(it->data.size(), 3u);
        uint16_t cells = GetU16BE(it->data.data() + 1);
        EXPECT_EQ(it->data.substr(3 + 8 * cells), b.data.substr(3)) << b.name;
      } else {
        EXPECT_EQ(ToHex(it->data), ToHex(b.data)) << b.name;
      }
    }
    // The stored key comes back in a scan.
    ScanPolicy sp;
    sp.ns = "test";
    sp.sets = {set};
    auto st = ScanState::List({PartitionId(r.digest)});
    ASSERT_TRUE(st.ok());
    Collector col;
    ASSERT_TRUE(Scan(*cluster_, sp, *st, col.Sink()).ok());
    bool found = false;
    for (const auto& rec : col.records)
      if (rec.digest == r.digest) {
        found = true;
        ASSERT_TRUE(rec.key.has_value());
        EXPECT_EQ(*rec.key, key);
        EXPECT_EQ(rec.set, set);
        EXPECT_EQ(rec.ns, "test");
      }
    EXPECT_TRUE(found);
  }
  // A missing record.
  auto missing = Get(*cluster_, "test", set, ComputeDigest(set, IntegerKey(123456)));
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

// ScanMessages (the backup's path: records as reply messages) delivers exactly what Scan does:
// same records, same fields, keys (sent or not), bins of every type, and the same resume progress.
TEST_F(ClientIT, ScanMessagesDeliversWhatScanDelivers) {
  Start();
  std::string set = target_->UniqueSet("msgs");
  std::vector<Bin> bins = {
      {"int", ParticleType::kInteger, U64(static_cast<uint64_t>(-42))},
      {"dbl", ParticleType::kFloat, F64(2.5)},
      {"str", ParticleType::kString, "a b\\c\nd"},
      {"blob", ParticleType::kBlob, std::string("\x00\x01\x02\xff", 4)},
      {"bool", ParticleType::kBool, std::string(1, '\0')},
      {"list", ParticleType::kList, "\x93\x01\x02\xa4\x03" "abc"},
      {"map", ParticleType::kMap, "\x82\xa2\x03" "a\x01\xa2\x03" "b\x02"},
  };
  for (int i = 0; i < 60; ++i) {
    UserKey key = i % 3 == 0 ? IntegerKey(i) : i % 3 == 1 ? StringKey("k" + std::to_string(i)) : BlobKey("b" + std::to_string(i));
    std::vector<Bin> b(bins.begin(), bins.begin() + 1 + i % bins.size());
    WritePolicy wp;
    wp.send_key = i % 4 != 0;
    auto w = Put(*cluster_, MakeRecord("test", set, key, b), wp);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
  }
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  ScanState st1 = ScanState::AllPartitions(), st2 = ScanState::AllPartitions();
  Collector col;
  ASSERT_TRUE(Scan(*cluster_, sp, st1, col.Sink()).ok());

  std::mutex mu;
  std::vector<Record> via_msgs;
  auto r = ScanMessages(*cluster_, sp, st2, [&](const proto::MsgView& msg, const proto::RecordFields& f) -> Status {
    Record rec;
    ABS_RETURN_IF_ERROR(proto::MsgToRecord(msg, rec));
    // The views handed over agree with the record built from the same message.
    EXPECT_EQ(f.digest, rec.digest);
    EXPECT_EQ(f.ns, rec.ns);
    EXPECT_EQ(f.set, rec.set);
    EXPECT_EQ(f.has_key, rec.key.has_value());
    if (rec.key) {
      EXPECT_EQ(f.key_type, rec.key->type);
      EXPECT_EQ(f.key_data, rec.key->data);
    }
    std::lock_guard<std::mutex> lock(mu);
    via_msgs.push_back(std::move(rec));
    return Status::Ok();
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->records, 60u);
  auto by_digest = [](const Record& a, const Record& b) { return a.digest < b.digest; };
  std::sort(col.records.begin(), col.records.end(), by_digest);
  std::sort(via_msgs.begin(), via_msgs.end(), by_digest);
  ASSERT_EQ(col.records.size(), 60u);
  EXPECT_EQ(col.records, via_msgs);
  int with_key = 0;
  for (const auto& rec : via_msgs) with_key += rec.key.has_value();
  EXPECT_EQ(with_key, 45);  // one in four was written without its key
  // Same per-partition progress (resume state) from both.
  auto s1 = st1.Snapshot(), s2 = st2.Snapshot();
  ASSERT_EQ(s1.size(), s2.size());
  for (size_t i = 0; i < s1.size(); ++i) {
    EXPECT_EQ(s1[i].done, s2[i].done) << s1[i].pid;
    EXPECT_EQ(s1[i].records, s2[i].records) << s1[i].pid;
    EXPECT_EQ(s1[i].has_digest, s2[i].has_digest) << s1[i].pid;
    if (s1[i].has_digest) {
      EXPECT_EQ(s1[i].last_digest, s2[i].last_digest) << s1[i].pid;
    }
  }

  // A refusal of the message sink stops the scan with the sink's reason.
  ScanState st3 = ScanState::AllPartitions();
  auto stopped = ScanMessages(*cluster_, sp, st3, [](const proto::MsgView&, const proto::RecordFields&) {
    return Status(ErrorCode::kIo, "disk full");
  });
  ASSERT_FALSE(stopped.ok());
  EXPECT_EQ(stopped.status().code(), ErrorCode::kCancelled);
  EXPECT_NE(stopped.status().message().find("disk full"), std::string::npos) << stopped.status().ToString();
}

TEST_F(ClientIT, ExistsAndGenerationPolicies) {
  Start();
  std::string set = target_->UniqueSet("policy");
  auto rec = [&](std::vector<Bin> bins) { return MakeRecord("test", set, IntegerKey(1), std::move(bins)); };
  Bin a{"a", ParticleType::kInteger, U64(1)}, b{"b", ParticleType::kInteger, U64(2)};
  auto put = [&](const Record& r, ExistsAction e, GenerationPolicy g = GenerationPolicy::kNone) {
    WritePolicy p;
    p.exists = e;
    p.generation = g;
    return Put(*cluster_, r, p);
  };
  // update-only / replace-only on a missing record → KEY_NOT_FOUND.
  auto s = put(rec({a}), ExistsAction::kUpdateOnly);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().server_code(), 2);
  EXPECT_EQ(ClassifyStatus(s.status()), ResultClass::kNotFound);
  s = put(rec({a}), ExistsAction::kReplaceOnly);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().server_code(), 2);
  // create-only creates, then refuses with KEY_EXISTS (class exists).
  ASSERT_TRUE(put(rec({a}), ExistsAction::kCreateOnly).ok());
  s = put(rec({a}), ExistsAction::kCreateOnly);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ClassifyStatus(s.status()), ResultClass::kExists);
  // update merges bins.
  auto u = put(rec({b}), ExistsAction::kUpdate);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->generation, 2u);
  auto g = Get(*cluster_, "test", set, rec({}).digest);
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->bins.size(), 2u);
  // replace keeps only the written bins; update-only / replace-only succeed on an existing record.
  ASSERT_TRUE(put(rec({a}), ExistsAction::kReplace).ok());
  g = Get(*cluster_, "test", set, rec({}).digest);
  ASSERT_EQ((*g)->bins.size(), 1u);
  EXPECT_EQ((*g)->bins[0].name, "a");
  ASSERT_TRUE(put(rec({b}), ExistsAction::kUpdateOnly).ok());
  auto ro = put(rec({b}), ExistsAction::kReplaceOnly);
  ASSERT_TRUE(ro.ok());
  uint32_t gen = ro->generation;  // 5
  EXPECT_EQ(gen, 5u);
  // Generation EQUAL: only with the current generation.
  Record r = rec({a});
  r.generation = gen - 1;
  s = put(r, ExistsAction::kUpdate, GenerationPolicy::kEqual);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(ClassifyStatus(s.status()), ResultClass::kGeneration);
  r.generation = gen;
  ASSERT_TRUE(put(r, ExistsAction::kUpdate, GenerationPolicy::kEqual).ok());
  // Generation GREATER: backup generation must exceed the server's (now gen+1).
  r.generation = gen + 1;
  s = put(r, ExistsAction::kUpdate, GenerationPolicy::kGreater);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().server_code(), 3);
  r.generation = gen + 10;
  ASSERT_TRUE(put(r, ExistsAction::kUpdate, GenerationPolicy::kGreater).ok());
  // GREATER on a missing record counts as generation 0: applied.
  Record fresh = MakeRecord("test", set, IntegerKey(2), {a});
  fresh.generation = 1;
  ASSERT_TRUE(put(fresh, ExistsAction::kUpdate, GenerationPolicy::kGreater).ok());
  // Delete.
  auto d = Delete(*cluster_, "test", set, fresh.digest);
  ASSERT_TRUE(d.ok());
  EXPECT_TRUE(*d);
  d = Delete(*cluster_, "test", set, fresh.digest);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(*d);
}

TEST_F(ClientIT, TtlFromVoidTime) {
  Start();
  std::string set = target_->UniqueSet("ttl");
  int64_t now = SystemClock::Instance().NowUnixSeconds();
  uint32_t now_cl = static_cast<uint32_t>(now - kCitrusleafEpoch);
  Record r = MakeRecord("test", set, IntegerKey(1), {Bin{"a", ParticleType::kInteger, U64(1)}});
  r.void_time = now_cl + 3600;
  auto w = Put(*cluster_, r, WritePolicy{}, now);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_FALSE(w->expired);
  EXPECT_NEAR(static_cast<double>(w->void_time), now_cl + 3600.0, 3.0);
  WritePolicy extra;
  extra.extra_ttl = 100;
  w = Put(*cluster_, r, extra, now);
  ASSERT_TRUE(w.ok());
  EXPECT_NEAR(static_cast<double>(w->void_time), now_cl + 3700.0, 3.0);
  // Never expires.
  r.void_time = 0;
  w = Put(*cluster_, r, WritePolicy{}, now);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->void_time, 0u);
  auto g = Get(*cluster_, "test", set, r.digest);
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->void_time, 0u);
  // Already expired: nothing is sent.
  Record old = MakeRecord("test", set, IntegerKey(2), {Bin{"a", ParticleType::kInteger, U64(1)}});
  old.void_time = now_cl - 10;
  w = Put(*cluster_, old, WritePolicy{}, now);
  ASSERT_TRUE(w.ok());
  EXPECT_TRUE(w->expired);
  EXPECT_EQ(w->attempts, 0);
  g = Get(*cluster_, "test", set, old.digest);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->has_value());
  // Expired 10 s ago, but less than the extra TTL ago: written with the rest (asrestore's rule).
  w = Put(*cluster_, old, extra, now);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_FALSE(w->expired);
  EXPECT_NEAR(static_cast<double>(w->void_time), now_cl + 90.0, 3.0);
  // A TTL above 10 years is reported and nothing is sent.
  Record far = MakeRecord("test", set, IntegerKey(3), {Bin{"a", ParticleType::kInteger, U64(1)}});
  far.void_time = now_cl + kMaxTtl + 100;
  w = Put(*cluster_, far, WritePolicy{}, now);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), ErrorCode::kInvalidArgument) << w.status().ToString();
  g = Get(*cluster_, "test", set, far.digest);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->has_value());
}

TEST_F(ClientIT, BatchPutPerRowResults) {
  Start();
  std::string set = target_->UniqueSet("batch");
  int64_t now = SystemClock::Instance().NowUnixSeconds();
  std::vector<Record> recs;
  for (int i = 0; i < 40; ++i)
    recs.push_back(MakeRecord("test", set, IntegerKey(i), {Bin{"n", ParticleType::kInteger, U64(i)}}));
  recs[3].void_time = 1;  // long expired
  WritePolicy p;
  p.exists = ExistsAction::kCreateOnly;
  auto r = BatchPut(*cluster_, recs, p, now, 16);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (int i = 0; i < 40; ++i) {
    if (i == 3) {
      EXPECT_TRUE((*r)[i].expired);
      continue;
    }
    EXPECT_TRUE((*r)[i].status.ok()) << i << ": " << (*r)[i].status.ToString();
  }
  // Again with create-only: every row reports KEY_EXISTS.
  r = BatchPut(*cluster_, recs, p, now, 16);
  ASSERT_TRUE(r.ok());
  for (int i = 0; i < 40; ++i) {
    if (i != 3) {
      EXPECT_EQ(ClassifyStatus((*r)[i].status), ResultClass::kExists) << i;
    }
  }
  auto g = Get(*cluster_, "test", set, recs[39].digest);
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->bins[0].data, U64(39));
}

// ---- Scans -------------------------------------------------------------------------------------

TEST_F(ClientIT, ScanAllRangeListAndSets) {
  Start();
  std::string s1 = target_->UniqueSet("scan_a"), s2 = target_->UniqueSet("scan_b");
  auto d1 = WriteRecords(*cluster_, "test", s1, 120);
  auto d2 = WriteRecords(*cluster_, "test", s2, 30);
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {s1};
  {
    ScanState st = ScanState::AllPartitions();
    Collector col;
    auto r = Scan(*cluster_, sp, st, col.Sink());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(col.digests.size(), 120u);
    EXPECT_EQ(col.Unique(), d1);
    EXPECT_EQ(st.pending(), 0u);
    for (const auto& rec : col.records) {
      EXPECT_EQ(rec.bins.size(), 2u);
      EXPECT_TRUE(rec.key.has_value());
    }
  }
  {
    // Range: only records of partitions 0..2047.
    auto st = ScanState::Range(0, 2048);
    ASSERT_TRUE(st.ok());
    Collector col;
    ASSERT_TRUE(Scan(*cluster_, sp, *st, col.Sink()).ok());
    size_t expect = std::count_if(d1.begin(), d1.end(), [](const Digest& d) { return PartitionId(d) < 2048; });
    EXPECT_EQ(col.digests.size(), expect);
    for (const auto& d : col.digests) EXPECT_LT(PartitionId(d), 2048);
  }
  {
    // List: the partitions of three known records.
    std::vector<int> pids;
    for (auto it = d1.begin(); pids.size() < 3; ++it)
      if (std::find(pids.begin(), pids.end(), PartitionId(*it)) == pids.end()) pids.push_back(PartitionId(*it));
    auto st = ScanState::List(pids);
    ASSERT_TRUE(st.ok());
    Collector col;
    ASSERT_TRUE(Scan(*cluster_, sp, *st, col.Sink()).ok());
    size_t expect = std::count_if(d1.begin(), d1.end(), [&](const Digest& d) {
      return std::find(pids.begin(), pids.end(), PartitionId(d)) != pids.end();
    });
    EXPECT_EQ(col.digests.size(), expect);
    EXPECT_GE(col.digests.size(), 3u);
  }
  {
    // Two sets via the OR expression.
    ScanPolicy two = sp;
    two.sets = {s1, s2};
    ScanState st = ScanState::AllPartitions();
    Collector col;
    ASSERT_TRUE(Scan(*cluster_, two, st, col.Sink()).ok());
    auto all = d1;
    all.insert(d2.begin(), d2.end());
    EXPECT_EQ(col.Unique(), all);
    EXPECT_EQ(col.digests.size(), 150u);
  }
}

TEST_F(ClientIT, ScanBinsNoBinsAndMaxRecords) {
  Start();
  std::string set = target_->UniqueSet("proj");
  WriteRecords(*cluster_, "test", set, 50);
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  sp.bins = {"s"};
  {
    ScanState st = ScanState::AllPartitions();
    Collector col;
    ASSERT_TRUE(Scan(*cluster_, sp, st, col.Sink()).ok());
    ASSERT_EQ(col.records.size(), 50u);
    for (const auto& r : col.records) {
      ASSERT_EQ(r.bins.size(), 1u);
      EXPECT_EQ(r.bins[0].name, "s");
    }
  }
  sp.bins.clear();
  sp.no_bins = true;
  {
    ScanState st = ScanState::AllPartitions();
    Collector col;
    ASSERT_TRUE(Scan(*cluster_, sp, st, col.Sink()).ok());
    ASSERT_EQ(col.records.size(), 50u);
    for (const auto& r : col.records) {
      EXPECT_TRUE(r.bins.empty());
      EXPECT_TRUE(r.key.has_value());
      EXPECT_EQ(r.generation, 1u);
    }
  }
  sp.no_bins = false;
  sp.max_records = 20;
  {
    ScanState st = ScanState::AllPartitions();
    Collector col;
    auto r = Scan(*cluster_, sp, st, col.Sink());
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(col.records.size(), 20u);
    EXPECT_EQ(col.Unique().size(), 20u);
  }
}

TEST_F(ClientIT, ScanTimeWindowFilter) {
  Start();
  std::string set = target_->UniqueSet("window");
  auto old_digests = WriteRecords(*cluster_, "test", set, 10);
  int64_t t_ms = 0;
#ifdef ABS_HAVE_TESTSERVER
  if (target_->server()) {
    // Move the first batch one hour into the past.
    uint64_t past = static_cast<uint64_t>(SystemClock::Instance().NowUnixMillis() - 3600 * 1000);
    for (const auto& d : old_digests) ASSERT_TRUE(target_->server()->SetLastUpdateMs("test", d, past).ok());
    t_ms = static_cast<int64_t>(past) + 1000;
  }
#endif
  if (t_ms == 0) {
    // Real server: the boundary is a moment between the two batches.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the millisecond clock move on
    t_ms = SystemClock::Instance().NowUnixMillis();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto new_digests = WriteRecords(*cluster_, "test", set, 7, 100);
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  sp.modified_after_ns = t_ms * 1000000;
  ScanState st = ScanState::AllPartitions();
  Collector col;
  ASSERT_TRUE(Scan(*cluster_, sp, st, col.Sink()).ok());
  EXPECT_EQ(col.Unique(), new_digests);
  sp.modified_after_ns = 0;
  sp.modified_before_ns = t_ms * 1000000;
  ScanState st2 = ScanState::AllPartitions();
  Collector col2;
  ASSERT_TRUE(Scan(*cluster_, sp, st2, col2.Sink()).ok());
  EXPECT_EQ(col2.Unique(), old_digests);
}

TEST_F(ClientIT, ScanRecordsPerSecond) {
  Start();
  std::string set = target_->UniqueSet("rps");
  WriteRecords(*cluster_, "test", set, 60);
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  // A real server sleeps at most 10 ms per record when throttling (SLEEP_CAP in the 8.1 server's
  // query_job.c), so it only honours rates above 100 records/s per scan thread: 150/s keeps each
  // sleep (6.7 ms) under that cap, and the test server and a real one must both take the 0.4 s.
  sp.records_per_second = 150;
  ScanState st = ScanState::AllPartitions();
  Collector col;
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(Scan(*cluster_, sp, st, col.Sink()).ok());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(col.records.size(), 60u);
  // 60 records at 150/s follow a 0.4 s schedule; the last sleep may end up to ~10 ms early.
  EXPECT_GE(ms, 350);
}

TEST_F(ClientIT, ResumeFromDigestsGivesExactlyTheRest) {
  Start();
  std::string set = target_->UniqueSet("resume");
  auto all = WriteRecords(*cluster_, "test", set, 80);
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  ScanState st = ScanState::AllPartitions();
  Collector first;
  std::atomic<int> n{0};
  auto stop_after_30 = [&](Record& r) -> Status {
    if (++n > 30) return Status(ErrorCode::kCancelled, "enough for now");
    return first.Sink()(r);
  };
  auto r = Scan(*cluster_, sp, st, stop_after_30);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled);
  EXPECT_EQ(first.digests.size(), 30u);
  // Persist and restore the state as a backup would.
  auto saved = st.Snapshot();
  size_t with_digest = std::count_if(saved.begin(), saved.end(), [](auto& p) { return p.has_digest; });
  EXPECT_GT(with_digest, 0u);
  auto resumed = ScanState::FromSnapshot(saved);
  ASSERT_TRUE(resumed.ok());
  Collector rest;
  auto r2 = Scan(*cluster_, sp, *resumed, rest.Sink());
  ASSERT_TRUE(r2.ok()) << r2.status().ToString();
  EXPECT_EQ(first.digests.size() + rest.digests.size(), all.size());
  auto u = first.Unique();
  for (const auto& d : rest.digests) EXPECT_EQ(u.count(d), 0u) << "record delivered twice";
  u.insert(rest.digests.begin(), rest.digests.end());
  EXPECT_EQ(u, all);
}

TEST_F(ClientIT, ScanIntoBoundedQueueWithBackPressure) {
  Start();
  std::string set = target_->UniqueSet("queue");
  auto all = WriteRecords(*cluster_, "test", set, 40);
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  BoundedQueue<Record> q(4);
  std::set<Digest> got;
  std::thread consumer([&] {
    while (auto r = q.Pop()) got.insert(r->digest);
  });
  ScanState st = ScanState::AllPartitions();
  auto r = Scan(*cluster_, sp, st, QueueSink(q));
  q.Close();
  consumer.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(got, all);
}

TEST_F(ClientIT, ScanCancelTokenStopsScan) {
  Start();
  std::string set = target_->UniqueSet("cancel");
  WriteRecords(*cluster_, "test", set, 20);
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  sp.records_per_second = 5;  // slow: the cancel arrives mid-scan
  CancelToken cancel;
  ScanState st = ScanState::AllPartitions();
  std::atomic<int> n{0};
  auto r = Scan(*cluster_, sp, st,
                [&](Record&) {
                  if (++n == 2) cancel.Cancel("test cancel");
                  return Status::Ok();
                },
                &cancel);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled);
  EXPECT_GT(st.pending(), 0u);
}

TEST_F(ClientIT, ScanUnknownNamespaceIsAnError) {
  Start();
  ScanPolicy sp;
  sp.ns = "nosuchns";
  ScanState st = ScanState::AllPartitions();
  Collector col;
  auto r = Scan(*cluster_, sp, st, col.Sink());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().server_code(), 20);
}

#ifdef ABS_HAVE_TESTSERVER
TEST_F(ClientIT, UnavailablePartitionsRetriedOnOtherReplica) {
  ABS_SKIP_IF_REAL_SERVER("fault injection");
  Start(Nodes(2, 2));
  std::string set = target_->UniqueSet("unavail");
  auto all = WriteRecords(*cluster_, "test", set, 100);
  testserver::NodeFaults f;
  for (int p = 0; p < 4096; ++p) f.unavailable_partitions.insert(p);  // node 0 serves nothing
  target_->server()->SetFaults(0, f);
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  sp.retry_delay = Millis(10);
  ScanState st = ScanState::AllPartitions();
  Collector col;
  auto r = Scan(*cluster_, sp, st, col.Sink());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(col.digests.size(), 100u);
  EXPECT_EQ(col.Unique(), all);
  EXPECT_GT(r->partitions_retried, 0u);
  EXPECT_GE(r->rounds, 2u);
}

TEST_F(ClientIT, PartitionsNeverAvailableAreReportedNotDropped) {
  ABS_SKIP_IF_REAL_SERVER("fault injection");
  Start(Nodes(1, 1));
  testserver::NodeFaults f;
  f.unavailable_partitions = {17, 42};
  target_->server()->SetFaults(0, f);
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {target_->UniqueSet("never")};
  sp.max_rounds = 3;
  sp.retry_delay = Millis(10);
  ScanState st = ScanState::AllPartitions();
  Collector col;
  auto r = Scan(*cluster_, sp, st, col.Sink());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("17"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("42"), std::string::npos);
  EXPECT_EQ(st.PendingPids(), (std::vector<int>{17, 42}));
}

TEST_F(ClientIT, ConnectionDroppedMidScanIsResumed) {
  ABS_SKIP_IF_REAL_SERVER("fault injection");
  Start(Nodes(1, 1));
  std::string set = target_->UniqueSet("drop");
  auto all = WriteRecords(*cluster_, "test", set, 40);
  testserver::NodeFaults f;
  f.drop_after_records = 15;
  target_->server()->SetFaults(0, f);
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  sp.max_rounds = 10;
  sp.retry_delay = Millis(10);
  ScanState st = ScanState::AllPartitions();
  Collector col;
  auto r = Scan(*cluster_, sp, st, col.Sink());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(col.digests.size(), 40u) << "each record exactly once";
  EXPECT_EQ(col.Unique(), all);
  EXPECT_GE(r->rounds, 3u);
  EXPECT_FALSE(r->sub_errors.empty());
}

TEST_F(ClientIT, ScanLastWithErrorIsRetriedThenReported) {
  ABS_SKIP_IF_REAL_SERVER("fault injection");
  Start(Nodes(1, 1));
  testserver::NodeFaults f;
  f.scan_last_result = 4;  // PARAMETER: permanent
  target_->server()->SetFaults(0, f);
  ScanPolicy sp;
  sp.ns = "test";
  ScanState st = ScanState::AllPartitions();
  Collector col;
  auto r = Scan(*cluster_, sp, st, col.Sink());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().server_code(), 4);
  EXPECT_EQ(st.pending(), 4096u);  // nothing counted as done
}

TEST_F(ClientIT, BatchPutAcrossThreeNodes) {
  ABS_SKIP_IF_REAL_SERVER("three nodes");
  Start(Nodes(3, 2));
  std::string set = target_->UniqueSet("batch3");
  std::vector<Record> recs;
  for (int i = 0; i < 300; ++i)
    recs.push_back(MakeRecord("test", set, StringKey("k" + std::to_string(i)),
                              {Bin{"n", ParticleType::kInteger, U64(i)}, Bin{"s", ParticleType::kString, "x"}}));
  auto r = BatchPut(*cluster_, recs, WritePolicy{}, 0, 64);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (int i = 0; i < 300; ++i) ASSERT_TRUE((*r)[i].status.ok()) << i << ": " << (*r)[i].status.ToString();
  EXPECT_EQ(target_->server()->Count("test", set), 300u);
  auto g = Get(*cluster_, "test", set, recs[123].digest);
  ASSERT_TRUE(g.ok() && g->has_value());
  EXPECT_EQ((*g)->bins.size(), 2u);
  // Reads do not return the key (capture 02); the server stored it (send-key).
  auto stored = target_->server()->Get("test", recs[123].digest);
  ASSERT_TRUE(stored.has_value());
  ASSERT_TRUE(stored->key.has_value());
  EXPECT_EQ(stored->key->data, "k123");
}

TEST_F(ClientIT, SinkStopOnOneNodeStopsAllNodes) {
  ABS_SKIP_IF_REAL_SERVER("three nodes");
  Start(Nodes(3, 1));
  std::string set = target_->UniqueSet("sinkstop");
  WriteRecords(*cluster_, "test", set, 300);
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  ScanState st = ScanState::AllPartitions();
  std::atomic<int> calls{0};
  auto r = Scan(*cluster_, sp, st, [&](Record&) -> Status {
    if (++calls >= 10) return Status(ErrorCode::kIo, "disk full");
    return Status::Ok();
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCancelled);
  EXPECT_NE(r.status().message().find("disk full"), std::string::npos) << r.status().ToString();
  // Workers of other nodes stop too: at most one in-flight record per other worker after the refusal.
  EXPECT_LE(calls.load(), 12);
  uint64_t recorded = 0;
  for (const auto& p : st.Snapshot()) recorded += p.records;
  EXPECT_EQ(recorded, 9u) << "only accepted records advance the resume state";
}

TEST_F(ClientIT, TransientWriteErrorsAreRetried) {
  ABS_SKIP_IF_REAL_SERVER("fault injection");
  Start(Nodes(1, 1));
  std::string set = target_->UniqueSet("retry");
  testserver::NodeFaults f;
  f.fail_writes_code = 14;  // KEY_BUSY
  f.fail_writes_remaining = 2;
  target_->server()->SetFaults(0, f);
  Record r = MakeRecord("test", set, IntegerKey(1), {Bin{"a", ParticleType::kInteger, U64(1)}});
  WritePolicy p;
  p.max_retries = 3;
  p.retry_delay = Millis(5);
  auto w = Put(*cluster_, r, p);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->attempts, 3);
  // A permanent code is not retried.
  f.fail_writes_code = 22;
  f.fail_writes_remaining = 1;
  target_->server()->SetFaults(0, f);
  w = Put(*cluster_, r, p);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(ClassifyStatus(w.status()), ResultClass::kRecordError);
}

TEST_F(ClientIT, TimeoutsOnADelayingServer) {
  ABS_SKIP_IF_REAL_SERVER("fault injection");
  Start(Nodes(1, 1));
  testserver::NodeFaults f;
  f.delay_ms = 1500;
  target_->server()->SetFaults(0, f);
  auto node = cluster_->nodes()[0];
  auto t0 = std::chrono::steady_clock::now();
  auto info = node->Info({"build"}, Millis(200));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().code(), ErrorCode::kTimeout) << info.status().ToString();
  EXPECT_LT(ms, 1200);
  Record r = MakeRecord("test", target_->UniqueSet("slow"), IntegerKey(1), {Bin{"a", ParticleType::kInteger, U64(1)}});
  WritePolicy p;
  p.total_timeout = Millis(300);
  p.socket_timeout = Millis(300);
  p.max_retries = 0;
  auto w = Put(*cluster_, r, p);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), ErrorCode::kTimeout) << w.status().ToString();
  EXPECT_EQ(ClassifyStatus(w.status()), ResultClass::kTransient);
  // A scan whose chunks arrive later than the socket timeout fails instead of hanging.
  ScanPolicy sp;
  sp.ns = "test";
  sp.socket_timeout = Millis(300);
  sp.max_rounds = 1;
  ScanState st = ScanState::AllPartitions();
  Collector col;
  auto s = Scan(*cluster_, sp, st, col.Sink());
  ASSERT_FALSE(s.ok());
  target_->server()->ClearFaults();
}

// ---- Security and TLS ------------------------------------------------------------------------------

TEST_F(ClientIT, LoginWithUsers) {
  ABS_SKIP_IF_REAL_SERVER("users");
  ClusterTarget::Options o;
  o.users = {{"admin", "admin"}, {"bob", "s3cret"}};
  ABS_START_TARGET(target_, o);
  ClientPolicy p = ClusterTarget::TestPolicy();
  p.user = "bob";
  p.password = "s3cret";
  auto c = target_->Connect(p);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  cluster_ = *c;
  EXPECT_GE(cluster_->auth()->logins(), 1u);
  Record r = MakeRecord("test", target_->UniqueSet("auth"), IntegerKey(1), {Bin{"a", ParticleType::kInteger, U64(1)}});
  ASSERT_TRUE(Put(*cluster_, r, WritePolicy{}).ok());
  // Wrong password and unknown user are authentication errors.
  p.password = "wrong";
  auto bad = Cluster::Connect(target_->seeds(), p);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kAuth) << bad.status().ToString();
  // No credentials on a secured server: refused.
  auto anon = Cluster::Connect(target_->seeds(), ClusterTarget::TestPolicy());
  ASSERT_FALSE(anon.ok());
}

TEST_F(ClientIT, ReloginAfterSessionExpiry) {
  ABS_SKIP_IF_REAL_SERVER("users");
  ClusterTarget::Options o;
  o.users = {{"admin", "admin"}};
  o.session_ttl_seconds = 1;
  ABS_START_TARGET(target_, o);
  ClientPolicy p = ClusterTarget::TestPolicy();
  p.user = "admin";
  p.password = "admin";
  auto c = target_->Connect(p);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  cluster_ = *c;
  uint64_t logins = cluster_->auth()->logins();
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // let the 1 s session expire
  auto conn = cluster_->nodes()[0]->OpenConnection(DeadlineAfter(Millis(2000)));
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  EXPECT_GT(cluster_->auth()->logins(), logins);
  auto info = InfoRequest(**conn, {"build"}, DeadlineAfter(Millis(2000)));
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(proto::IsInfoError((*info)["build"])) << (*info)["build"];
}

TEST_F(ClientIT, CommunityEditionAnswers51AndClientProceeds) {
  Start();  // no users configured on the test server: CE behaviour
  ClientPolicy p = ClusterTarget::TestPolicy();
  p.user = "admin";
  p.password = "admin";
  auto c = Cluster::Connect(target_->seeds(), p);
  if (!c.ok() && ClusterTarget::UsingRealServer()) GTEST_SKIP() << "real server has security enabled";
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto info = (*c)->InfoAny({"namespaces"});
  EXPECT_TRUE(info.ok());
  (*c)->Close();
}

TEST_F(ClientIT, TlsWithNameVerification) {
  ABS_SKIP_IF_REAL_SERVER("TLS listener");
  aero::testing::TempDir tmp("abs-client-tls");
  const std::string dir = tmp.path();
  aero::testing::CertSpec spec;  // self-signed, so it is its own CA
  spec.common_name = "abs test";
  spec.subject_alt_names = "DNS:*.abs.test,DNS:abs-test";
  spec.serial = 7;
  ASSERT_TRUE(aero::testing::WriteSelfSignedCert(dir + "/cert.pem", dir + "/key.pem", spec).ok());
  ClusterTarget::Options o;
  o.tls.cert_file = dir + "/cert.pem";
  o.tls.key_file = dir + "/key.pem";
  o.tls.tls_name = "abs-test";
  ABS_START_TARGET(target_, o);
  ClientPolicy p = ClusterTarget::TestPolicy();
  p.tls.enabled = true;
  p.tls.ca_file = dir + "/cert.pem";
  Host seed{"127.0.0.1", "node1.abs.test", target_->server()->TlsPort(0)};
  auto c = Cluster::Connect({seed}, p);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Record r = MakeRecord("test", "tls", IntegerKey(1), {Bin{"a", ParticleType::kInteger, U64(5)}});
  ASSERT_TRUE(Put(**c, r, WritePolicy{}).ok());
  auto g = Get(**c, "test", "tls", r.digest);
  ASSERT_TRUE(g.ok() && g->has_value());
  ASSERT_TRUE(Truncate(**c, "test", "tls").ok());
  (*c)->Close();
  // Wrong TLS name: refused with the names the certificate carries.
  Host wrong{"127.0.0.1", "a.b.abs.test", target_->server()->TlsPort(0)};
  auto bad = Cluster::Connect({wrong}, p);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("abs-test"), std::string::npos) << bad.status().ToString();
  // Untrusted CA: the handshake fails.
  ClientPolicy untrusted = p;
  untrusted.tls.ca_file.clear();
  untrusted.tls.ca_path = dir + "/nonexistent";
  auto bad2 = Cluster::Connect({seed}, untrusted);
  EXPECT_FALSE(bad2.ok());
}
#endif

// ---- Metadata --------------------------------------------------------------------------------------

TEST_F(ClientIT, SetsSindexUdfAndTruncate) {
  Start();
  std::string set = target_->UniqueSet("meta");
  WriteRecords(*cluster_, "test", set, 12);
  auto sets = Sets(*cluster_, "test");
  ASSERT_TRUE(sets.ok()) << sets.status().ToString();
  auto it = std::find_if(sets->begin(), sets->end(), [&](const SetInfo& s) { return s.set == set; });
  ASSERT_NE(it, sets->end());
  EXPECT_EQ(it->objects, 12u);
  auto est = EstimateRecords(*cluster_, "test", {set});
  ASSERT_TRUE(est.ok());
  EXPECT_EQ(*est, 12u);
  auto nsinfo = NamespaceInfo(*cluster_, "test");
  ASSERT_TRUE(nsinfo.ok());
  EXPECT_TRUE(nsinfo->count("objects"));
  EXPECT_EQ(NamespaceInfo(*cluster_, "nosuchns").status().code(), ErrorCode::kNotFound);

  std::string idx = "idx_" + set;
  SindexInfo si{"test", idx, set, "n", "numeric", "default", "", "", ""};
  ASSERT_TRUE(CreateSindex(*cluster_, si).ok());
  ASSERT_TRUE(WaitSindexBuilt(*cluster_, "test", idx, Millis(10000)).ok());
  auto list = ListSindexes(*cluster_, "test");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  auto found = std::find_if(list->begin(), list->end(), [&](const SindexInfo& s) { return s.name == idx; });
  ASSERT_NE(found, list->end());
  EXPECT_EQ(found->bin, "n");
  EXPECT_EQ(found->set, set);
  EXPECT_EQ(found->type, "numeric");
  (void)cluster_->InfoAny({"sindex-delete:ns=test;indexname=" + idx});

  std::string lua = "function hello(rec)\n  return 1\nend\n";
  std::string udf = "abs_" + set + ".lua";
  ASSERT_TRUE(PutUdf(*cluster_, udf, lua).ok());
  auto udfs = ListUdfs(*cluster_);
  ASSERT_TRUE(udfs.ok());
  EXPECT_TRUE(std::any_of(udfs->begin(), udfs->end(), [&](const UdfInfo& u) { return u.name == udf && u.type == "LUA"; }));
  auto body = GetUdf(*cluster_, udf);
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(*body, lua);
  (void)cluster_->InfoAny({"udf-remove:filename=" + udf});
  EXPECT_FALSE(GetUdf(*cluster_, "nosuch.lua").ok());

  auto key = StableClusterKey(*cluster_, "test");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_FALSE(key->empty());
  auto key2 = StableClusterKey(*cluster_, "test");
  ASSERT_TRUE(key2.ok());
  EXPECT_EQ(*key, *key2);

  ASSERT_TRUE(Truncate(*cluster_, "test", set).ok());
  ScanPolicy sp;
  sp.ns = "test";
  sp.sets = {set};
  ScanState st = ScanState::AllPartitions();
  Collector col;
  ASSERT_TRUE(Scan(*cluster_, sp, st, col.Sink()).ok());
  EXPECT_EQ(col.records.size(), 0u);
}

// ---- Malformed replies from a scripted peer ----------------------------------------------------------

// A raw TCP peer: for every request it receives it calls `reply(type, body)` and writes the bytes
// returned; "" closes the connection; a reply of "<hang>" sends nothing and waits.
class ScriptedPeer {
 public:
  using Reply = std::function<std::string(uint8_t type, const std::string& body)>;
  explicit ScriptedPeer(Reply reply, bool close_after_reply = false)
      : reply_(std::move(reply)), close_after_reply_(close_after_reply) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 8);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Accept(); });
  }
  ~ScriptedPeer() {
    stop_ = true;
    thread_.join();
    for (auto& t : conns_) t.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  bool ReadN(int c, char* out, size_t n) {
    size_t got = 0;
    while (got < n && !stop_) {
      pollfd p{c, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      ssize_t r = ::recv(c, out + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return got == n;
  }
  void Accept() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c >= 0) conns_.emplace_back([this, c] { Serve(c); });  // joined in the destructor
    }
  }
  void Serve(int c) {
    for (;;) {
      char h[8];
      if (!ReadN(c, h, 8)) break;
      uint64_t v = GetU64BE(h);
      std::string body(v & 0xFFFFFFFFFFFFull, '\0');
      if (!ReadN(c, body.data(), body.size())) break;
      std::string out = reply_(static_cast<uint8_t>(v >> 48), body);
      if (out == "<hang>") {
        while (!stop_) {
          pollfd q{c, POLLIN, 0};
          if (::poll(&q, 1, 50) > 0) {
            char tmp[256];
            if (::recv(c, tmp, sizeof tmp, 0) <= 0) break;
          }
        }
        break;
      }
      if (out.empty()) break;
      (void)::send(c, out.data(), out.size(), MSG_NOSIGNAL);
      if (close_after_reply_) break;
    }
    ::close(c);
  }
  Reply reply_;
  bool close_after_reply_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<std::thread> conns_;  // touched only by the accept thread until it is joined
};

std::string InfoReply(const std::string& body_in, const std::map<std::string, std::string>& values) {
  std::string body;
  for (const auto& cmd : proto::SplitNonEmpty(body_in, '\n')) {
    auto it = values.find(cmd);
    if (it != values.end()) body += cmd + "\t" + it->second + "\n";
  }
  std::string out;
  proto::PutProtoHeader(out, proto::kInfo, body.size());
  return out + body;
}

std::map<std::string, std::string> HealthyNode() {
  std::vector<bool> all(4096, true);
  return {{"node", "A1"}, {"partition-generation", "1"}, {"build", "7.2.0.1"}, {"peers-generation", "1"},
          {"peers-clear-std", "1,3000,[]"}, {"replicas", "test:0,1," + proto::EncodePartitionBitmap(all)}};
}

ClientPolicy FastPolicy() {
  ClientPolicy p;
  p.connect_timeout = Millis(300);
  p.info_timeout = Millis(300);
  p.tend_interval = Millis(50);
  return p;
}

TEST(MalformedReplies, BadVersionTruncatedAndSilentPeers) {
  {
    ScriptedPeer peer([](uint8_t, const std::string&) { return std::string("\x05\x01\0\0\0\0\0\x02ok", 10); });
    auto c = Cluster::Connect({Host{"127.0.0.1", "", peer.port()}}, FastPolicy());
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.status().message().find("proto version 5"), std::string::npos) << c.status().ToString();
  }
  {
    ScriptedPeer peer([](uint8_t, const std::string&) { return std::string("\x02\x01\0\0\0\0\0\x64node", 12); },
                      /*close_after_reply=*/true);
    auto c = Cluster::Connect({Host{"127.0.0.1", "", peer.port()}}, FastPolicy());
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.status().message().find("closed by peer"), std::string::npos) << c.status().ToString();
  }
  {
    ScriptedPeer peer([](uint8_t, const std::string&) { return std::string("<hang>"); });
    auto t0 = std::chrono::steady_clock::now();
    auto c = Cluster::Connect({Host{"127.0.0.1", "", peer.port()}}, FastPolicy());
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.status().code(), ErrorCode::kTimeout) << c.status().ToString();
    EXPECT_LT(ms, 3000);
  }
  {
    // Node still initialising; old server version.
    auto values = HealthyNode();
    values["partition-generation"] = "-1";
    ScriptedPeer peer([&](uint8_t, const std::string& b) { return InfoReply(b, values); });
    auto c = Cluster::Connect({Host{"127.0.0.1", "", peer.port()}}, FastPolicy());
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.status().message().find("not yet fully initialized"), std::string::npos) << c.status().ToString();
  }
  {
    auto values = HealthyNode();
    values["build"] = "4.8.0.1";
    ScriptedPeer peer([&](uint8_t, const std::string& b) { return InfoReply(b, values); });
    auto c = Cluster::Connect({Host{"127.0.0.1", "", peer.port()}}, FastPolicy());
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.status().message().find("4.8.0.1"), std::string::npos) << c.status().ToString();
  }
  {
    auto values = HealthyNode();
    ClientPolicy p = FastPolicy();
    p.cluster_name = "prod";
    values["cluster-name"] = "staging";
    ScriptedPeer peer([&](uint8_t, const std::string& b) { return InfoReply(b, values); });
    auto c = Cluster::Connect({Host{"127.0.0.1", "", peer.port()}}, p);
    ASSERT_FALSE(c.ok());
    EXPECT_NE(c.status().message().find("staging"), std::string::npos) << c.status().ToString();
  }
}

// Requests captured from the official client (tests/data/client/captured_requests.txt).
std::string CapturedRequest(const std::string& wanted) {
  std::ifstream in(std::string(ABS_TEST_DATA_DIR) + "/client/captured_requests.txt");
  std::string name, hex, bytes;
  while (in >> name) {
    if (name[0] == '#') {
      std::getline(in, hex);
      continue;
    }
    in >> hex;
    if (name == wanted && FromHex(hex, bytes)) return bytes;
  }
  ADD_FAILURE() << "no captured request " << wanted;
  return "";
}

TEST(ScriptedPeerTest, DiscoveryAndTendRequestsMatchTheOfficialClient) {
  auto values = HealthyNode();
  values["build"] = "8.1.2.0";
  values["peers-clear-std"] = "0,3000,[]";
  values["peers-generation"] = "0";
  values["partition-generation"] = "0";
  std::mutex mu;
  std::vector<std::string> requests;  // whole protos, in arrival order
  ScriptedPeer peer([&](uint8_t type, const std::string& body) {
    std::string proto;
    proto::PutProtoHeader(proto, type, body.size());
    {
      std::lock_guard<std::mutex> lock(mu);
      requests.push_back(proto + body);
    }
    if (body.rfind("user-agent-set:", 0) == 0) {
      std::string out, reply = body.substr(0, body.size() - 1) + "\tok\n";
      proto::PutProtoHeader(out, proto::kInfo, reply.size());
      return out + reply;
    }
    return InfoReply(body, values);
  });
  ClientPolicy p = FastPolicy();
  p.tend_interval = Millis(60000);  // only the explicit tend below
  auto c = Cluster::Connect({Host{"127.0.0.1", "", peer.port()}}, p);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE((*c)->Tend().ok());
  (*c)->Close();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[0], CapturedRequest("tend_seed_validation"));
  // user-agent-set:value=base64("1,<client>-<version>,<app id>") like the official client's.
  std::string ua = requests[1].substr(8);
  ASSERT_EQ(ua.rfind("user-agent-set:value=", 0), 0u) << ua;
  auto decoded = Base64Decode(ua.substr(21, ua.size() - 22));
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, "1,abs-cpp-0.1.0,not-set");
  EXPECT_EQ(CapturedRequest("tend_user_agent").substr(8, 21), "user-agent-set:value=");
  EXPECT_EQ(requests[2], CapturedRequest("tend_peers"));
  EXPECT_EQ(requests[3], CapturedRequest("tend_replicas"));
  EXPECT_EQ(requests[4], CapturedRequest("tend_cycle"));
}

TEST(MalformedReplies, BadScanAndWriteRepliesAreErrors) {
  auto values = HealthyNode();
  std::atomic<int> mode{0};
  ScriptedPeer peer([&](uint8_t type, const std::string& b) -> std::string {
    if (type == proto::kInfo) return InfoReply(b, values);
    std::string msg;
    switch (mode.load()) {
      case 0: {  // a record whose field claims more bytes than the proto holds
        proto::MsgHeader h;
        h.n_fields = 1;
        proto::AppendMsg(msg, h);
        PutU32BE(msg, 1000);
        msg.push_back(4);
        msg.append("short");
        break;
      }
      case 1: {  // a record without DIGEST
        proto::MsgHeader h;
        h.n_fields = 1;
        proto::AppendMsg(msg, h);
        PutU32BE(msg, 5);
        msg.push_back(0);
        msg.append("test");
        break;
      }
      case 2: {  // a single-record reply with trailing bytes
        proto::MsgHeader h;
        proto::AppendMsg(msg, h);
        msg.append("junk");
        break;
      }
      case 4: {  // a valid compressed (type 4) chunk holding one record, then LAST
        proto::MsgHeader h;
        h.generation = 3;
        h.n_fields = 2;
        h.n_ops = 1;
        proto::AppendMsg(msg, h);
        Digest d = ComputeDigest("s", IntegerKey(9));
        PutU32BE(msg, 5);
        msg.push_back(0);
        msg.append("test");
        PutU32BE(msg, 21);
        msg.push_back(4);
        msg.append(reinterpret_cast<const char*>(d.data()), 20);
        PutU32BE(msg, 4 + 1 + 8);
        msg.push_back(1);
        msg.push_back(1);
        msg.push_back(0);
        msg.push_back(1);
        msg.append("x");
        msg.append(U64(77));
        proto::MsgHeader last;
        last.info3 = proto::kInfo3Last;
        proto::AppendMsg(msg, last);
        std::string inner;
        proto::PutProtoHeader(inner, proto::kMessage, msg.size());
        auto z = proto::CompressProto(inner + msg);
        return z.ok() ? *z : std::string();
      }
      case 3: {  // a compressed chunk that does not inflate
        std::string out;
        proto::PutProtoHeader(out, proto::kCompressed, 12);
        PutU64BE(out, 100);
        out.append("zzzz");
        return out;
      }
    }
    std::string out;
    proto::PutProtoHeader(out, proto::kMessage, msg.size());
    return out + msg;
  });
  ClientPolicy p = FastPolicy();
  auto c = Cluster::Connect({Host{"127.0.0.1", "", peer.port()}}, p);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ScanPolicy sp;
  sp.ns = "test";
  sp.max_rounds = 1;
  sp.socket_timeout = Millis(500);
  for (int m : {0, 1, 3}) {
    mode = m;
    ScanState st = ScanState::AllPartitions();
    auto r = Scan(**c, sp, st, [](Record&) { return Status::Ok(); });
    ASSERT_FALSE(r.ok()) << "mode " << m;
    EXPECT_NE(r.status().message().find(m == 0 ? "truncated" : m == 1 ? "DIGEST" : "inflate"), std::string::npos)
        << r.status().ToString();
    EXPECT_EQ(st.pending(), 4096u);
  }
  mode = 4;
  {
    ScanState st = ScanState::AllPartitions();
    std::vector<Record> got;
    auto r = Scan(**c, sp, st, [&](Record& rec) {
      got.push_back(rec);
      return Status::Ok();
    });
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].generation, 3u);
    EXPECT_EQ(got[0].bins[0].data, U64(77));
    EXPECT_EQ(st.pending(), 0u);
  }
  mode = 2;
  Record rec = MakeRecord("test", "s", IntegerKey(1), {Bin{"a", ParticleType::kInteger, U64(1)}});
  WritePolicy wp;
  wp.max_retries = 0;
  auto w = Put(**c, rec, wp);
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("trailing"), std::string::npos) << w.status().ToString();
  (*c)->Close();
}

}  // namespace
}  // namespace aero::client
