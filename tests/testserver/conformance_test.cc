// Conformance replay: sends every client request recorded against a real Aerospike CE 8.1.2.0
// server (tests/data/captures/*.jsonl, see tests/data/captures/README.md) to a fresh test server,
// connection by connection and in order, and checks that its replies match the recorded replies in
// everything that is not time- or node-specific. Each normalisation below says why it is needed.
// Captures 01–07 ran one after another against one node, so capture N is replayed after 01..N-1
// (unchecked) to rebuild the same state; 08 ran against a second node that had joined.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "common/bytes.h"
#include "protocol/info.h"
#include "protocol/message.h"
#include "raw_client.h"
#include "testserver/test_cluster.h"

namespace aero::testserver {
namespace {

using testing::RawClient;

// The captures' node ids and advertised addresses (environment of the recording).
constexpr const char* kRealNode1 = "E7501000000FC02";
constexpr const char* kRealAddr1 = "127.0.0.1:3710";

class ManualClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  void Set(int64_t ms) { ms_ = ms; }
  void Advance(int64_t ms) { ms_ += ms; }
  int64_t ms() const { return ms_.load(); }

 private:
  std::atomic<int64_t> ms_{0};
};

struct Line {
  int lineno = 0;
  int conn = 0;
  bool c2s = false;
  uint8_t type = 0;
  std::string bytes;  // the whole proto
};

std::vector<Line> LoadCapture(const std::string& name) {
  std::ifstream in(std::string(ABS_TEST_DATA_DIR) + "/captures/" + name);
  EXPECT_TRUE(in.good()) << "cannot open capture " << name;
  std::vector<Line> out;
  std::string text;
  int n = 0;
  while (std::getline(in, text)) {
    ++n;
    if (text.empty()) continue;
    auto j = nlohmann::json::parse(text);
    Line l;
    l.lineno = n;
    l.conn = j["conn"].get<int>();
    l.c2s = j["dir"].get<std::string>() == "c2s";
    l.type = static_cast<uint8_t>(j["type"].get<int>());
    EXPECT_TRUE(FromHex(j["hex"].get<std::string>(), l.bytes));
    out.push_back(std::move(l));
  }
  return out;
}

std::string Body(const std::string& proto) { return proto.substr(8); }

// ---- message normalisation ----------------------------------------------------------------

struct NormMsg {
  proto::MsgHeader h;
  std::vector<std::pair<uint8_t, std::string>> fields;
  std::vector<std::tuple<uint8_t, uint8_t, std::string, std::string>> ops;  // op, particle, name, value
};

std::string Describe(const NormMsg& m) {
  std::string s = "info1=" + std::to_string(m.h.info1) + " info2=" + std::to_string(m.h.info2) +
                  " info3=" + std::to_string(m.h.info3) + " rc=" + std::to_string(m.h.result_code) +
                  " gen=" + std::to_string(m.h.generation) + " ttl=" + std::to_string(m.h.record_ttl) +
                  " txn=" + std::to_string(m.h.transaction_ttl) + " fields=[";
  for (const auto& [t, d] : m.fields) s += std::to_string(t) + ":" + ToHex(d) + " ";
  s += "] ops=[";
  for (const auto& [o, p, n, v] : m.ops) s += std::to_string(o) + "/" + std::to_string(p) + "/" + n + "=" + ToHex(v) + " ";
  return s + "]";
}

NormMsg Normalise(const proto::MsgView& v, uint32_t now_clepoch) {
  NormMsg m;
  m.h = v.header;
  // Void times are absolute times of the recording; keep only "never expires" versus "expires",
  // and check that an expiring one lies in the future of the replay's clock.
  if (m.h.record_ttl != 0 && !(m.h.info3 & proto::kInfo3PartitionDone)) {
    EXPECT_GT(m.h.record_ttl, now_clepoch - 5) << "void time in the past";
    m.h.record_ttl = 1;
  }
  for (const auto& f : v.fields) m.fields.emplace_back(f.type, std::string(f.data));
  for (const auto& o : v.ops) {
    std::string value(o.value);
    if (o.particle == ParticleType::kGeoJson && value.size() >= 3) {
      // The server computes S2 cell ids for GeoJSON values; the test server does not. Compare the
      // flags and the JSON text and drop the cells.
      uint16_t ncells = GetU16BE(value.data() + 1);
      if (value.size() >= 3 + 8u * ncells) value = value.substr(0, 1) + value.substr(3 + 8u * ncells);
    }
    m.ops.emplace_back(o.op_type, static_cast<uint8_t>(o.particle), std::string(o.name), value);
  }
  return m;
}

bool operator==(const NormMsg& a, const NormMsg& b) {
  const auto& x = a.h;
  const auto& y = b.h;
  return x.info1 == y.info1 && x.info2 == y.info2 && x.info3 == y.info3 && x.info4 == y.info4 &&
         x.result_code == y.result_code && x.generation == y.generation && x.record_ttl == y.record_ttl &&
         x.transaction_ttl == y.transaction_ttl && a.fields == b.fields && a.ops == b.ops;
}

std::vector<NormMsg> ParseAll(const std::vector<std::string>& bodies, uint32_t now_clepoch) {
  std::vector<NormMsg> out;
  for (const auto& b : bodies) {
    ByteReader r(b);
    while (r.remaining()) {
      proto::MsgView v;
      Status st = proto::ParseMsg(r, v);
      EXPECT_TRUE(st.ok()) << st.ToString();
      if (!st.ok()) break;
      out.push_back(Normalise(v, now_clepoch));
    }
  }
  return out;
}

// ---- info normalisation -------------------------------------------------------------------

std::vector<std::string> Keys(const std::string& kv, char sep) {
  std::vector<std::string> out;
  for (const auto& item : proto::SplitNonEmpty(kv, sep)) out.push_back(item.substr(0, item.find('=')));
  return out;
}

class Replayer {
 public:
  Replayer(TestCluster& cluster, ManualClock& clock, int node) : cluster_(cluster), clock_(clock), node_(node) {}

  // Replays one capture; compare=false only rebuilds state (transport errors still fail).
  void Run(const std::string& name, bool compare,
           const std::function<void(const Line&)>& before_request = nullptr) {
    capture_ = name;
    compare_ = compare;
    auto lines = LoadCapture(name);
    std::map<int, std::unique_ptr<RawClient>> conns;
    for (size_t i = 0; i < lines.size(); ++i) {
      const Line& rq = lines[i];
      if (!rq.c2s) continue;
      std::vector<const Line*> expected;
      for (size_t j = i + 1; j < lines.size(); ++j) {
        if (lines[j].conn != rq.conn) continue;
        if (lines[j].c2s) break;
        expected.push_back(&lines[j]);
      }
      if (before_request) before_request(rq);
      clock_.Advance(5);  // keeps last-update times strictly increasing, like real time
      auto& c = conns[rq.conn];
      if (!c) {
        c = std::make_unique<RawClient>();
        ASSERT_TRUE(c->Connect(cluster_.Port(node_)).ok());
      }
      SCOPED_TRACE(name + " line " + std::to_string(rq.lineno));
      ASSERT_TRUE(c->Send(rq.bytes).ok());
      ++requests_;
      Exchange(*c, rq, expected);
      if (::testing::Test::HasFatalFailure()) return;
      if (rq.type == proto::kInfo) ForgetTruncated(Body(rq.bytes));
    }
  }

  // Records missing because of an excluded request are gone on both servers after a truncate.
  void ForgetTruncated(const std::string& body) {
    for (const auto& cmd : proto::SplitNonEmpty(body, '\n')) {
      bool whole = cmd.rfind("truncate-namespace:", 0) == 0;
      if (!whole && cmd.rfind("truncate:", 0) != 0) continue;
      auto p = proto::ParseKeyValues(cmd.substr(cmd.find(':') + 1));
      for (auto it = missing.begin(); it != missing.end();)
        if (it->first.first == p["namespace"] && (whole || it->first.second == p["set"])) it = missing.erase(it);
        else ++it;
    }
  }

  int requests() const { return requests_; }
  std::map<std::pair<std::string, std::string>, int> missing;  // see MissingRecords()
  std::set<int> excluded;  // request line numbers whose replies are not compared (documented by caller)

 private:
  void Exchange(RawClient& c, const Line& rq, const std::vector<const Line*>& expected) {
    ASSERT_FALSE(expected.empty()) << "capture has no reply";
    if (rq.type == proto::kInfo || rq.type == proto::kAdmin || rq.type == proto::kCompressed) {
      auto p = c.ReadProto();
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      if (!compare_ || excluded.count(rq.lineno)) return;
      ASSERT_EQ(expected.size(), 1u);
      EXPECT_EQ(p->type, expected[0]->type);
      if (rq.type == proto::kInfo) return CompareInfo(Body(expected[0]->bytes), p->body);
      if (rq.type == proto::kAdmin) {
        EXPECT_EQ(ToHex(p->body), ToHex(Body(expected[0]->bytes)));
        return;
      }
      // Compressed request: CE answers a plain type-3 message.
      std::vector<NormMsg> got = ParseAll({p->body}, Now());
      std::vector<NormMsg> want = ParseAll({Body(expected[0]->bytes)}, Now());
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) EXPECT_TRUE(got[i] == want[i]) << Describe(got[i]) << "\nvs\n" << Describe(want[i]);
      return;
    }
    // Type 3: a stream for scans and batches, one proto otherwise.
    proto::MsgView req;
    std::string req_body = Body(rq.bytes);
    ByteReader rr(req_body);
    ASSERT_TRUE(proto::ParseMsg(rr, req).ok());
    bool batch = req.header.info1 & proto::kInfo1Batch;
    bool single = !batch && req.FindField(proto::kFieldDigest) != nullptr;
    std::vector<std::string> got_bodies;
    if (single) {
      auto p = c.ReadProto();
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      got_bodies.push_back(p->body);
    } else {
      RawClient::Stream st;
      Status s = c.ReadStream(st, !batch);
      ASSERT_TRUE(s.ok()) << s.ToString();
      got_bodies.assign(st.bodies.begin(), st.bodies.end());
    }
    if (!compare_ || excluded.count(rq.lineno)) return;
    std::vector<std::string> want_bodies;
    for (auto* l : expected) want_bodies.push_back(Body(l->bytes));
    auto got = ParseAll(got_bodies, Now());
    auto want = ParseAll(want_bodies, Now());
    if (single || batch) {
      // Same messages in the same order (batch rows come back in row order).
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i)
        EXPECT_TRUE(got[i] == want[i]) << "message " << i << ":\n ours " << Describe(got[i]) << "\n real "
                                       << Describe(want[i]);
      return;
    }
    CompareScan(got, want, got_bodies, want_bodies);
  }

  uint32_t Now() const { return static_cast<uint32_t>(clock_.ms() / 1000 - kCitrusleafEpoch); }

 public:
  // Scans: the real server walks partitions on several threads, so the order of records across
  // partitions differs; compare records as a set keyed by digest, markers as a set of pids, and
  // the LAST message exactly. Both must end with LAST in a proto of its own (or have no LAST).
  static void CompareScan(const std::vector<NormMsg>& got, const std::vector<NormMsg>& want,
                          const std::vector<std::string>& got_bodies, const std::vector<std::string>& want_bodies) {
    auto split = [](const std::vector<NormMsg>& ms, std::map<std::string, NormMsg>& recs,
                    std::map<uint32_t, int>& markers, std::vector<NormMsg>& other) {
      for (const auto& m : ms) {
        if (m.h.info3 & proto::kInfo3PartitionDone) {
          markers[m.h.generation] = m.h.result_code;
        } else if (!(m.h.info3 & proto::kInfo3Last) && m.h.result_code == 0 && m.fields.size() >= 2) {
          std::string digest;
          for (const auto& [t, d] : m.fields)
            if (t == proto::kFieldDigest) digest = d;
          EXPECT_TRUE(recs.emplace(digest, m).second) << "record returned twice";
        } else {
          other.push_back(m);
        }
      }
    };
    std::map<std::string, NormMsg> grec, wrec;
    std::map<uint32_t, int> gmark, wmark;
    std::vector<NormMsg> gother, wother;
    split(got, grec, gmark, gother);
    split(want, wrec, wmark, wother);
    EXPECT_EQ(grec.size(), wrec.size());
    for (const auto& [d, m] : wrec) {
      auto it = grec.find(d);
      if (it == grec.end()) {
        ADD_FAILURE() << "missing record " << ToHex(d);
        continue;
      }
      EXPECT_TRUE(it->second == m) << "record " << ToHex(d) << ":\n ours " << Describe(it->second) << "\n real "
                                   << Describe(m);
    }
    EXPECT_EQ(gmark, wmark);
    // Within one partition the real server walks descending digests (§8.3); ours must list that
    // partition's records in the same order.
    auto per_partition = [](const std::vector<NormMsg>& ms) {
      std::map<int, std::vector<std::string>> out;
      for (const auto& m : ms)
        for (const auto& [t, d] : m.fields)
          if (t == proto::kFieldDigest && d.size() == 20 && !(m.h.info3 & proto::kInfo3PartitionDone))
            out[(static_cast<uint8_t>(d[0]) | (static_cast<uint8_t>(d[1]) << 8)) & 0xFFF].push_back(d);
      return out;
    };
    auto gorder = per_partition(got), worder = per_partition(want);
    for (const auto& [pid, ds] : worder) {
      EXPECT_EQ(gorder[pid], ds) << "record order within partition " << pid;
    }
    ASSERT_EQ(gother.size(), wother.size());
    for (size_t i = 0; i < gother.size(); ++i) EXPECT_TRUE(gother[i] == wother[i]) << Describe(gother[i]);
    bool want_last = !wother.empty() && (wother.back().h.info3 & proto::kInfo3Last);
    if (want_last) {
      EXPECT_EQ(want_bodies.back().size(), 22u);
      EXPECT_EQ(got_bodies.back().size(), 22u) << "LAST must come in a proto of its own";
    }
  }

 private:
  void CompareInfo(const std::string& want_body, const std::string& got_body) {
    auto want = proto::ParseInfoResponse(want_body);
    auto got = proto::ParseInfoResponse(got_body);
    ASSERT_TRUE(want.ok() && got.ok());
    ASSERT_EQ(got->size(), want->size()) << got_body.substr(0, 300);
    for (size_t i = 0; i < got->size(); ++i) {
      const auto& [gcmd, gval] = (*got)[i];
      const auto& [wcmd, wval] = (*want)[i];
      EXPECT_EQ(gcmd, wcmd);
      CompareInfoValue(wcmd, NormaliseIds(wval, true), NormaliseIds(gval, false));
    }
  }

  // Node ids and addresses are properties of the environment.
  std::string NormaliseIds(std::string v, bool real) {
    auto replace = [&](const std::string& from, const std::string& to) {
      for (size_t p = v.find(from); !from.empty() && p != std::string::npos; p = v.find(from, p + to.size()))
        v.replace(p, from.size(), to);
    };
    if (real) {
      replace(kRealNode1, "<NODE1>");
      replace(real_node2, "<NODE2>");
      replace(kRealAddr1, "<ADDR1>");
      replace("127.0.0.1:3720", "<ADDR2>");
    } else {
      replace(cluster_.NodeId(node_), "<NODE1>");
      if (cluster_.NodeCount() > 1) replace(cluster_.NodeId(1 - node_), "<NODE2>");
      replace("127.0.0.1:" + std::to_string(cluster_.Port(node_)), "<ADDR1>");
      if (cluster_.NodeCount() > 1) replace("127.0.0.1:" + std::to_string(cluster_.Port(1 - node_)), "<ADDR2>");
    }
    return v;
  }

 public:
  std::string real_node2 = "\x01";  // set for capture 08

 private:
  void CompareInfoValue(const std::string& cmd, const std::string& want, const std::string& got) {
    SCOPED_TRACE("info command '" + cmd + "'");
    std::string name = cmd.substr(0, cmd.find_first_of("/:;"));
    static const std::regex kClusterKey("^[0-9A-F]{12}$");
    if (name == "statistics") {
      // Server statistics (CPU, memory, connection counters) describe the machine; the key set
      // and order must match, and the cluster shape values.
      EXPECT_EQ(Keys(got, ';'), Keys(want, ';'));
      auto g = proto::ParseKeyValues(got), w = proto::ParseKeyValues(want);
      int total_missing = 0;
      for (const auto& [key, n] : missing) total_missing += n;
      w["objects"] = std::to_string(std::stoll(w["objects"]) - total_missing);
      for (const char* k : {"cluster_size", "cluster_principal", "paxos_principal", "objects", "cluster_integrity"})
        EXPECT_EQ(g[k], w[k]) << k;
      EXPECT_TRUE(std::regex_match(g["cluster_key"], kClusterKey));
      return;
    }
    if (name == "namespace") {
      // Storage and traffic counters are environmental; keys, counts and configuration are not.
      EXPECT_EQ(Keys(got, ';'), Keys(want, ';'));
      auto g = proto::ParseKeyValues(got), w = proto::ParseKeyValues(want);
      std::string ns = cmd.substr(cmd.find('/') + 1);
      int ns_missing = 0;
      for (const auto& [key, n] : missing)
        if (key.first == ns) ns_missing += n;
      if (w.count("objects")) {
        w["objects"] = std::to_string(std::stoll(w["objects"]) - ns_missing);
        w["master_objects"] = std::to_string(std::stoll(w["master_objects"]) - ns_missing);
      }
      for (const char* k : {"ns_cluster_size", "effective_replication_factor", "objects", "master_objects",
                            "prole_objects", "tombstones", "replication-factor", "nsup-period", "default-ttl",
                            "storage-engine", "strong-consistency", "allow-ttl-without-nsup", "type"})
        EXPECT_EQ(g[k], w[k]) << k;
      return;
    }
    if (name == "sets") {
      // data_used_bytes depends on the storage format; everything else must match.
      auto strip = [](const std::string& v) { return std::regex_replace(v, std::regex("data_used_bytes=[0-9]+"), "data_used_bytes=N"); };
      std::string adjusted = want;
      for (const auto& [key, n] : missing) {
        std::string prefix = "ns=" + key.first + ":set=" + key.second + ":objects=";
        size_t p = adjusted.find(prefix);
        if (p == std::string::npos) continue;
        size_t vs = p + prefix.size(), ve = adjusted.find(':', vs);
        adjusted.replace(vs, ve - vs, std::to_string(std::stoll(adjusted.substr(vs, ve - vs)) - n));
      }
      EXPECT_EQ(strip(got), strip(adjusted));
      return;
    }
    if (name == "sindex" || name == "sindex-stat") {
      // load_pct/load_time/entries_per_* describe the asynchronous index build, which the test
      // server completes at once; the entry count must match.
      auto strip = [](const std::string& v) {
        return std::regex_replace(v, std::regex("(entries_per_bval|entries_per_rec|load_pct|load_time)=[0-9]+"),
                                  "$1=N");
      };
      EXPECT_EQ(strip(got), strip(want));
      return;
    }
    if (name == "udf-list") {
      // The real hash is SHA-1 of the server's internal JSON record of the module.
      auto strip = [](const std::string& v) { return std::regex_replace(v, std::regex("hash=[0-9a-f]{40}"), "hash=H"); };
      EXPECT_EQ(strip(got), strip(want));
      return;
    }
    if (name == "cluster-stable") {
      if (want.rfind("ERROR", 0) == 0) {
        EXPECT_EQ(got, want);
        return;
      }
      EXPECT_TRUE(std::regex_match(got, kClusterKey)) << got;  // the cluster key is random per cluster
      return;
    }
    if (name == "build_time" || name == "uptime") {
      EXPECT_FALSE(got.empty());  // build and start times of the process
      return;
    }
    if (name.rfind("peers-", 0) == 0 && name != "peers-generation") {
      // The peers generation counts topology changes the recorded cluster went through.
      auto strip = [](const std::string& v) { return std::regex_replace(v, std::regex("^[0-9]+,"), "G,"); };
      EXPECT_EQ(strip(got), strip(want));
      return;
    }
    if ((name == "peers-generation" || name == "partition-generation") && real_node2 != "\x01") {
      EXPECT_TRUE(std::regex_match(got, std::regex("^[0-9]+$")));  // 08: counts of topology changes
      return;
    }
    if (name == "replicas" && real_node2 != "\x01") {
      // 08: which partitions each node owns depends on the cluster's partition table; compare the
      // shape (namespaces, regime, column count, 684-character maps).
      auto shape = [](const std::string& v) {
        return std::regex_replace(v, std::regex("[A-Za-z0-9+/]{683}="), "MAP");
      };
      EXPECT_EQ(shape(got), shape(want));
      return;
    }
    EXPECT_EQ(got, want);
  }

  TestCluster& cluster_;
  ManualClock& clock_;
  int node_;
  std::string capture_;
  bool compare_ = true;
  int requests_ = 0;
};

// The time T of capture 03's last-update filter (`93 04 91 42 cf <T ns>` in request line 138).
int64_t Capture03FilterMs() {
  for (const auto& l : LoadCapture("03-scan.jsonl")) {
    if (l.lineno != 138) continue;
    proto::MsgView v;
    std::string body = Body(l.bytes);
    ByteReader r(body);
    EXPECT_TRUE(proto::ParseMsg(r, v).ok());
    const auto* f = v.FindField(proto::kFieldFilterExp);
    EXPECT_TRUE(f && f->data.size() == 13);
    if (!f || f->data.size() != 13) return 0;
    return static_cast<int64_t>(GetU64BE(f->data.data() + 5) / 1000000);
  }
  ADD_FAILURE() << "line 138 not found in 03-scan.jsonl";
  return 0;
}

const std::vector<std::string> kSequence = {"01-discovery-tend.jsonl", "02-put-get-types.jsonl", "03-scan.jsonl",
                                            "04-info.jsonl",           "05-sindex-udf.jsonl",    "06-batch.jsonl",
                                            "07-raw-probes.jsonl"};

// Records that exist on the recorded server but not on ours because of an excluded request:
// (namespace, set) -> count. Counts in later info replies are compared after subtracting them.
std::map<std::pair<std::string, std::string>, int> MissingRecords(const std::string& capture) {
  // 02 line 63: HLL init/add creates record test/types "hll" on the real server.
  if (capture == "02-put-get-types.jsonl") return {{{"test", "types"}, 1}};
  return {};
}

// Requests whose replies are not compared, with the reason. Everything else is compared.
std::set<int> Excluded(const std::string& capture) {
  if (capture == "02-put-get-types.jsonl") {
    // HLL_MODIFY init/add: HyperLogLog registers are computed with the server's hash function,
    // which the test server does not implement (it answers 16); its read-back differs as a result.
    return {63, 65};
  }
  if (capture == "05-sindex-udf.jsonl") {
    // A record UDF call needs a Lua runtime, which the test server does not have (answers 16).
    return {35};
  }
  return {};
}

class Conformance : public ::testing::Test {
 protected:
  void SetUp() override {
    t_ms_ = Capture03FilterMs();
    ASSERT_GT(t_ms_, 0);
    // The replay's clock starts two minutes before T: the recording's writes before the filter
    // time happened before T, the rewrites at 03 lines 128–137 after it (see Hook()).
    clock_.Set(t_ms_ - 120000);
    TestClusterOptions o;
    o.clock = &clock_;
    auto c = TestCluster::Start(o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = std::move(c).value();
  }

  std::function<void(const Line&)> Hook(const std::string& capture) {
    if (capture != "03-scan.jsonl") return nullptr;
    return [this](const Line& l) {
      if (l.lineno == 128 && clock_.ms() < t_ms_ + 1000) clock_.Set(t_ms_ + 1000);
    };
  }

  // Replays captures before `target` without checking, then `target` with checks.
  void ReplayUpTo(const std::string& target) {
    Replayer r(*cluster_, clock_, 0);
    for (const auto& c : kSequence) {
      bool check = c == target;
      r.excluded = Excluded(c);
      r.Run(c, check, Hook(c));
      for (const auto& [key, n] : MissingRecords(c)) r.missing[key] += n;
      if (::testing::Test::HasFatalFailure() || check) break;
    }
    EXPECT_GT(r.requests(), 0);
  }

  ManualClock clock_;
  int64_t t_ms_ = 0;
  std::unique_ptr<TestCluster> cluster_;
};

TEST_F(Conformance, Capture01DiscoveryTend) { ReplayUpTo("01-discovery-tend.jsonl"); }
TEST_F(Conformance, Capture02PutGetTypes) { ReplayUpTo("02-put-get-types.jsonl"); }
TEST_F(Conformance, Capture03Scan) { ReplayUpTo("03-scan.jsonl"); }
TEST_F(Conformance, Capture04Info) { ReplayUpTo("04-info.jsonl"); }
TEST_F(Conformance, Capture05SindexUdf) { ReplayUpTo("05-sindex-udf.jsonl"); }
TEST_F(Conformance, Capture06Batch) { ReplayUpTo("06-batch.jsonl"); }
TEST_F(Conformance, Capture07RawProbes) { ReplayUpTo("07-raw-probes.jsonl"); }

// Capture 08: a second node joined the recorded server; the client's scan of namespace bar was
// replayed to node 1. Our two-node cluster owns a different (but equally complete) partition
// split, so the markers must name exactly the partitions our node 1 does not own, and the records
// must be exactly bar's records in the partitions it owns; where both clusters gave node 1 the
// same partition, the records must equal the recorded ones.
TEST_F(Conformance, Capture08TwoNodePartitionDone) {
  ReplayUpTo("07-raw-probes.jsonl");  // checks 07 again; builds the state the recording had
  ASSERT_FALSE(HasFatalFailure());
  TestClusterOptions o;
  o.nodes = 2;
  o.clock = &clock_;
  auto c2 = TestCluster::Start(o);
  ASSERT_TRUE(c2.ok()) << c2.status().ToString();
  auto& two = **c2;
  for (const auto& ns : {"test", "bar"})
    for (const auto& rec : cluster_->Records(ns)) ASSERT_TRUE(two.Put(rec).ok());
  // Put() stores generation and void time as given; generations must match the recording.

  auto lines = LoadCapture("08-two-node-partition-done.jsonl");
  ASSERT_EQ(lines.size(), 10u);
  RawClient cl;
  ASSERT_TRUE(cl.Connect(two.Port(0)).ok());
  // Lines 1/2: peers and replicas of node 1.
  {
    ASSERT_TRUE(cl.Send(lines[0].bytes).ok());
    auto p = cl.ReadProto();
    ASSERT_TRUE(p.ok());
    auto want = proto::ParseInfoResponse(Body(lines[1].bytes));
    auto got = proto::ParseInfoResponse(p->body);
    ASSERT_TRUE(want.ok() && got.ok());
    ASSERT_EQ(got->size(), want->size());
    for (size_t i = 0; i < got->size(); ++i) {
      EXPECT_EQ((*got)[i].first, (*want)[i].first);
      std::string g = (*got)[i].second, w = (*want)[i].second;
      if ((*got)[i].first == "peers-clear-std") {
        // Peer generation counts topology changes; node id and port are environmental.
        std::regex peers("^[0-9]+,3000,\\[\\[[0-9A-F]+,,\\[127\\.0\\.0\\.1:[0-9]+\\]\\]\\]$");
        EXPECT_TRUE(std::regex_match(w, peers)) << w;
        EXPECT_TRUE(std::regex_match(g, peers)) << g;
        EXPECT_NE(g.find(two.NodeId(1)), std::string::npos);
      } else if ((*got)[i].first == "node") {
        // Node ids differ by environment; both are uppercase hex.
        EXPECT_TRUE(std::regex_match(w, std::regex("^[0-9A-F]+$")));
        EXPECT_EQ(g, two.NodeId(0));
      } else if ((*got)[i].first == "peers-generation" || (*got)[i].first == "partition-generation") {
        // Counts of topology changes and migrations the recorded cluster went through.
        EXPECT_TRUE(std::regex_match(w, std::regex("^[0-9]+$")));
        EXPECT_TRUE(std::regex_match(g, std::regex("^[0-9]+$")));
      } else {
        auto shape = [](const std::string& v) { return std::regex_replace(v, std::regex("[A-Za-z0-9+/]{683}="), "MAP"); };
        EXPECT_EQ(shape(g), shape(w));
      }
    }
  }
  // Real node 1's master map, from the recorded `replicas` reply (bar's first column).
  std::vector<bool> real_owned, our_owned(kPartitions);
  {
    auto want = proto::ParseInfoResponse(Body(lines[1].bytes));
    ASSERT_TRUE(want.ok());
    for (const auto& [cmd, val] : *want) {
      if (cmd.rfind("replicas", 0) != 0) continue;
      for (const auto& nsmap : proto::SplitNonEmpty(val, ';'))
        if (nsmap.rfind("bar:", 0) == 0) {
          auto parts = proto::SplitNonEmpty(nsmap.substr(4), ',');
          ASSERT_EQ(parts.size(), 3u);
          ASSERT_TRUE(proto::DecodePartitionBitmap(parts[2], real_owned));
        }
    }
    ASSERT_EQ(real_owned.size(), static_cast<size_t>(kPartitions));
    for (int pid = 0; pid < kPartitions; ++pid) our_owned[pid] = two.MasterOf(pid) == 0;
  }
  // Lines 3–8: the scan.
  ASSERT_TRUE(cl.Send(lines[2].bytes).ok());
  RawClient::Stream st;
  ASSERT_TRUE(cl.ReadStream(st).ok());
  std::vector<std::string> got_bodies(st.bodies.begin(), st.bodies.end()), want_bodies;
  for (int i = 3; i <= 7; ++i) want_bodies.push_back(Body(lines[i].bytes));
  uint32_t now = static_cast<uint32_t>(clock_.ms() / 1000 - kCitrusleafEpoch);
  auto got = ParseAll(got_bodies, now);
  auto want = ParseAll(want_bodies, now);
  std::map<std::string, const NormMsg*> grec, wrec;
  std::set<uint32_t> gmark, wmark;
  int glast = 0, wlast = 0;
  auto split = [](const std::vector<NormMsg>& ms, std::map<std::string, const NormMsg*>& recs, std::set<uint32_t>& marks,
                  int& lasts) {
    for (const auto& m : ms) {
      if (m.h.info3 & proto::kInfo3PartitionDone) {
        EXPECT_EQ(m.h.result_code, proto::kPartitionUnavailable);
        EXPECT_TRUE(m.fields.empty() && m.ops.empty());
        marks.insert(m.h.generation);
      } else if (m.h.info3 & proto::kInfo3Last) {
        EXPECT_EQ(m.h.result_code, 0);
        ++lasts;
      } else {
        for (const auto& [t, d] : m.fields)
          if (t == proto::kFieldDigest) recs[d] = &m;
      }
    }
  };
  split(got, grec, gmark, glast);
  split(want, wrec, wmark, wlast);
  EXPECT_EQ(glast, 1);
  EXPECT_EQ(wlast, 1);
  EXPECT_EQ(got_bodies.back().size(), 22u);
  // Markers + owned partitions = 4096, in both.
  for (int pid = 0; pid < kPartitions; ++pid) {
    EXPECT_EQ(wmark.count(pid) == 0, real_owned[pid]) << "recorded marker/ownership for pid " << pid;
    EXPECT_EQ(gmark.count(pid) == 0, our_owned[pid]) << "our marker/ownership for pid " << pid;
  }
  // Markers share protos with records (as on the real server), so the stream is not one proto per marker.
  EXPECT_LT(got_bodies.size(), 10u);
  // Records: exactly bar's records in our owned partitions; equal to the recording where both own.
  size_t expected_ours = 0, compared = 0;
  for (const auto& rec : two.Records("bar")) {
    if (!our_owned[PartitionId(rec.digest)]) continue;
    ++expected_ours;
    std::string d(reinterpret_cast<const char*>(rec.digest.data()), 20);
    EXPECT_TRUE(grec.count(d)) << "missing record " << ToHex(d);
  }
  EXPECT_EQ(grec.size(), expected_ours);
  for (const auto& [d, m] : wrec) {
    Digest dg;
    std::copy(d.begin(), d.end(), reinterpret_cast<char*>(dg.data()));
    if (!our_owned[PartitionId(dg)]) continue;
    ++compared;
    auto it = grec.find(d);
    ASSERT_NE(it, grec.end()) << "recorded record " << ToHex(d) << " missing";
    EXPECT_TRUE(*it->second == *m) << "ours " << Describe(*it->second) << "\nreal " << Describe(*m);
  }
  EXPECT_GT(compared, 0u);
  // Lines 9/10: without info3 PARTITION_DONE → one message, result 16, no LAST.
  ASSERT_TRUE(cl.Send(lines[8].bytes).ok());
  auto p = cl.ReadProto();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(ToHex(p->body), ToHex(Body(lines[9].bytes)));
}

}  // namespace
}  // namespace aero::testserver
