// Unit tests of the client's pure logic: host/peers/replicas/version parsing, the partition map
// regime rules, TLS name matching, TTL computation, result classification, bcrypt credential,
// sindex-list parsing, and request bytes compared with requests captured from the official client.
#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <thread>

#include "client/auth.h"
#include "client/errors.h"
#include "client/metadata.h"
#include "client/partition_map.h"
#include "client/policy.h"
#include "client/scan.h"
#include "client/tls.h"
#include "client/write.h"
#include "common/bytes.h"
#include "common/digest.h"
#include "protocol/info.h"
#include "protocol/message.h"
#include "protocol/msgpack.h"
#include "tests/support/certs.h"

namespace aero::client {
namespace {

std::map<std::string, std::string> LoadCaptured() {
  std::ifstream in(std::string(ABS_TEST_DATA_DIR) + "/client/captured_requests.txt");
  std::map<std::string, std::string> out;
  std::string name, hex;
  while (in >> name) {
    if (name[0] == '#') {
      std::getline(in, hex);
      continue;
    }
    in >> hex;
    std::string bytes;
    EXPECT_TRUE(FromHex(hex, bytes)) << name;
    out[name] = bytes;
  }
  return out;
}

const std::string& Captured(const std::string& name) {
  static const auto all = LoadCaptured();
  auto it = all.find(name);
  if (it == all.end()) {
    ADD_FAILURE() << "no captured request " << name;
    static const std::string empty;
    return empty;
  }
  return it->second;
}

// Task id, pid array and digest array of a captured scan request.
struct CapturedScan {
  uint64_t task_id = 0;
  std::vector<PartitionState> parts;
};
CapturedScan DecodeScan(const std::string& proto_bytes) {
  CapturedScan c;
  proto::MsgView m;
  EXPECT_TRUE(proto::ParseSingleMsg(std::string_view(proto_bytes).substr(8), m).ok());
  if (auto* t = m.FindField(proto::kFieldTaskId)) c.task_id = GetU64BE(t->data.data());
  if (auto* p = m.FindField(proto::kFieldPidArray))
    for (size_t i = 0; i + 1 < p->data.size(); i += 2) {
      PartitionState s;
      s.pid = GetU16LE(p->data.data() + i);
      c.parts.push_back(s);
    }
  if (auto* d = m.FindField(proto::kFieldDigestArray))
    for (size_t i = 0; i + 20 <= d->data.size(); i += 20) {
      PartitionState s;
      std::copy(d->data.begin() + i, d->data.begin() + i + 20, reinterpret_cast<char*>(s.last_digest.data()));
      s.has_digest = true;
      s.pid = PartitionId(s.last_digest);
      c.parts.push_back(s);
    }
  // The client sends partitions in pid order; the builder groups them into the two arrays.
  std::sort(c.parts.begin(), c.parts.end(), [](auto& a, auto& b) { return a.pid < b.pid; });
  return c;
}

std::string BuildLike(const std::string& captured_name, const ScanPolicy& policy, uint64_t max_records = 0) {
  CapturedScan c = DecodeScan(Captured(captured_name));
  std::vector<const PartitionState*> ptrs;
  for (auto& p : c.parts) ptrs.push_back(&p);
  return BuildScanRequest(policy, ptrs, c.task_id, 0, max_records);
}

// ---- Scan request bytes ------------------------------------------------------------------------

TEST(ScanRequest, WholeNamespaceMatchesCapture) {
  ScanPolicy p;
  p.ns = "bar";
  EXPECT_EQ(ToHex(BuildLike("scan_all_bar", p)), ToHex(Captured("scan_all_bar")));
}

TEST(ScanRequest, SetAndBinsMatchCapture) {
  ScanPolicy p;
  p.ns = "bar";
  p.sets = {"alpha"};
  p.bins = {"n", "tag"};
  EXPECT_EQ(ToHex(BuildLike("scan_alpha_bins_n_tag", p)), ToHex(Captured("scan_alpha_bins_n_tag")));
}

TEST(ScanRequest, LastUpdateFilterMatchesCapture) {
  ScanPolicy p;
  p.ns = "bar";
  p.modified_after_ns = 1795684250000000000;
  EXPECT_EQ(ToHex(BuildLike("scan_filter_lut", p)), ToHex(Captured("scan_filter_lut")));
}

TEST(ScanRequest, NoBinsMatchesCapture) {
  ScanPolicy p;
  p.ns = "bar";
  p.sets = {"beta"};
  p.no_bins = true;
  EXPECT_EQ(ToHex(BuildLike("scan_beta_nobins", p)), ToHex(Captured("scan_beta_nobins")));
}

TEST(ScanRequest, MaxRecordsMatchesCapture) {
  ScanPolicy p;
  p.ns = "bar";
  p.sets = {"alpha"};
  EXPECT_EQ(ToHex(BuildLike("scan_alpha_max20", p, 20)), ToHex(Captured("scan_alpha_max20")));
}

TEST(ScanRequest, ResumeWithDigestsMatchesCapture) {
  ScanPolicy p;
  p.ns = "bar";
  p.sets = {"alpha"};
  CapturedScan c = DecodeScan(Captured("scan_alpha_resume"));
  size_t with_digest = std::count_if(c.parts.begin(), c.parts.end(), [](auto& s) { return s.has_digest; });
  EXPECT_EQ(with_digest, 20u);
  EXPECT_EQ(c.parts.size(), 4096u);
  EXPECT_EQ(ToHex(BuildLike("scan_alpha_resume", p)), ToHex(Captured("scan_alpha_resume")));
}

TEST(ScanRequest, SeveralSetsUseOrExpressionAndRps) {
  ScanPolicy p;
  p.ns = "test";
  p.sets = {"demo", "users"};
  PartitionState s;
  s.pid = 5;
  std::string req = BuildScanRequest(p, {&s}, 7, 250, 0);
  proto::MsgView m;
  ASSERT_TRUE(proto::ParseSingleMsg(std::string_view(req).substr(8), m).ok());
  EXPECT_EQ(m.FindField(proto::kFieldSet), nullptr);
  ASSERT_NE(m.FindField(proto::kFieldFilterExp), nullptr);
  // or(eq(set_name(), "demo"), eq(set_name(), "users")), wire-protocol.md §9.
  EXPECT_EQ(ToHex(m.FindField(proto::kFieldFilterExp)->data),
            "9311" "93019146a50364656d6f" "93019146a6037573657273");
  ASSERT_NE(m.FindField(proto::kFieldRecordsPerSecond), nullptr);
  EXPECT_EQ(GetU32BE(m.FindField(proto::kFieldRecordsPerSecond)->data.data()), 250u);
  // Field order: NAMESPACE, RPS, SOCKET_TIMEOUT, TASK_ID, FILTER_EXP, PID_ARRAY.
  std::vector<int> order;
  for (auto& f : m.fields) order.push_back(f.type);
  EXPECT_EQ(order, (std::vector<int>{0, 10, 9, 7, 43, 11}));
}

TEST(ScanRequest, TimeWindowAndSetOrAreAnded) {
  ScanPolicy p;
  p.ns = "test";
  p.sets = {"a", "b"};
  p.modified_after_ns = 1000;
  p.modified_before_ns = 2000;
  PartitionState s;
  std::string req = BuildScanRequest(p, {&s}, 1, 0, 0);
  proto::MsgView m;
  ASSERT_TRUE(proto::ParseSingleMsg(std::string_view(req).substr(8), m).ok());
  auto v = msgpack::DecodeAll(m.FindField(proto::kFieldFilterExp)->data);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->kind, msgpack::Value::Kind::kArray);
  EXPECT_EQ(v->items[0].u, static_cast<uint64_t>(exp::kAnd));
  EXPECT_EQ(v->items.size(), 3u);
}

// ---- Write request bytes -----------------------------------------------------------------------

Record TypesRecord(UserKey key) {
  Record r;
  r.ns = "test";
  r.set = "types";
  r.key = key;
  r.digest = ComputeDigest("types", key);
  return r;
}

TEST(WriteRequest, IntegerKeyMatchesCapture) {
  Record r = TypesRecord(IntegerKey(1));
  std::string v;
  PutU64BE(v, 42);
  r.bins = {Bin{"i", ParticleType::kInteger, v}};
  WritePolicy p;
  p.total_timeout = Millis(1000);
  auto req = BuildWriteRequest(r, p, 0);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  EXPECT_EQ(ToHex(*req), ToHex(Captured("put_int_key_sendkey")));
}

TEST(WriteRequest, StringKeyMatchesCapture) {
  Record r = TypesRecord(StringKey("string-\xc3\xbc"));
  r.bins = {Bin{"s", ParticleType::kString, "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80"},
            Bin{"e", ParticleType::kString, ""}};
  WritePolicy p;
  p.total_timeout = Millis(1000);
  auto req = BuildWriteRequest(r, p, 0);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(ToHex(*req), ToHex(Captured("put_string_key_sendkey")));
}

TEST(WriteRequest, BlobKeyMatchesCapture) {
  Record r = TypesRecord(BlobKey(std::string("\xde\xad\xbe\xef", 4)));
  r.bins = {Bin{"b", ParticleType::kBlob, std::string("\x00\x01\x02\xff", 4)}};
  WritePolicy p;
  p.total_timeout = Millis(1000);
  auto req = BuildWriteRequest(r, p, 0);
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(ToHex(*req), ToHex(Captured("put_blob_key_sendkey")));
}

TEST(WriteRequest, PolicyFlags) {
  struct Case {
    ExistsAction e;
    GenerationPolicy g;
    uint8_t info2, info3;
  } cases[] = {
      {ExistsAction::kUpdate, GenerationPolicy::kNone, 0x01, 0x00},
      {ExistsAction::kReplace, GenerationPolicy::kNone, 0x01, 0x10},
      {ExistsAction::kCreateOnly, GenerationPolicy::kNone, 0x21, 0x00},
      {ExistsAction::kReplaceOnly, GenerationPolicy::kEqual, 0x05, 0x20},
      {ExistsAction::kUpdateOnly, GenerationPolicy::kGreater, 0x09, 0x08},
  };
  for (const auto& c : cases) {
    Record r = TypesRecord(IntegerKey(3));
    r.generation = 7;
    r.bins = {Bin{"x", ParticleType::kBool, std::string(1, '\1')}};
    WritePolicy p;
    p.exists = c.e;
    p.generation = c.g;
    p.send_key = false;
    auto req = BuildWriteRequest(r, p, 3600);
    ASSERT_TRUE(req.ok());
    proto::MsgView m;
    ASSERT_TRUE(proto::ParseSingleMsg(std::string_view(*req).substr(8), m).ok());
    EXPECT_EQ(m.header.info2, c.info2);
    EXPECT_EQ(m.header.info3, c.info3);
    EXPECT_EQ(m.header.generation, c.g == GenerationPolicy::kNone ? 0u : 7u);
    EXPECT_EQ(m.header.record_ttl, 3600u);
    EXPECT_EQ(m.FindField(proto::kFieldKey), nullptr);
  }
}

TEST(WriteRequest, RecordWithoutBinsIsRejected) {
  Record r = TypesRecord(IntegerKey(3));
  auto req = BuildWriteRequest(r, WritePolicy{}, 0);
  ASSERT_FALSE(req.ok());
  EXPECT_NE(req.status().message().find("no bins"), std::string::npos);
}

// ---- TTL ---------------------------------------------------------------------------------------

// The TTL, or a failure naming the error.
std::optional<uint32_t> Ttl(uint32_t void_time, int64_t now_unix, uint32_t extra_ttl = 0) {
  auto r = TtlFromVoidTime(void_time, now_unix, extra_ttl);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::optional<uint32_t>(0xDEADu);
}

TEST(Ttl, FromVoidTime) {
  const int64_t now_unix = kCitrusleafEpoch + 1000;
  EXPECT_EQ(Ttl(0, now_unix), 0xFFFFFFFFu);                // never expires
  EXPECT_EQ(Ttl(0, now_unix, 500), 0xFFFFFFFFu);           // extra ttl does not apply
  EXPECT_EQ(Ttl(1000, now_unix), std::nullopt);            // expires now: expired
  EXPECT_EQ(Ttl(999, now_unix), std::nullopt);
  EXPECT_EQ(Ttl(1001, now_unix), 1u);
  EXPECT_EQ(Ttl(4600, now_unix), 3600u);
  EXPECT_EQ(Ttl(4600, now_unix, 100), 3700u);
}

// asrestore adds the extra TTL before the expiry check: a record that expired less than extra_ttl
// ago is written with the remaining extra time; one that expired longer ago stays expired.
TEST(Ttl, ExtraTtlIsAddedBeforeTheExpiryCheck) {
  const int64_t now_unix = kCitrusleafEpoch + 1000;
  EXPECT_EQ(Ttl(900, now_unix, 200), 100u);   // expired 100 s ago, extra 200 s
  EXPECT_EQ(Ttl(800, now_unix, 200), std::nullopt);  // expired exactly extra_ttl ago
  EXPECT_EQ(Ttl(700, now_unix, 200), std::nullopt);
  EXPECT_EQ(Ttl(1, now_unix, 1000), 1u);
}

// Never 0, never a special value (0xFFFFFFFD..0xFFFFFFFE), never above the server's 10-year maximum:
// a TTL above it is reported (asrestore's server rejects it with PARAMETER), not clamped or wrapped.
TEST(Ttl, TooLargeTtlIsReportedNotSent) {
  const int64_t now_unix = kCitrusleafEpoch + 1000;
  EXPECT_EQ(Ttl(1000 + kMaxTtl, now_unix), kMaxTtl);
  EXPECT_EQ(Ttl(1000, now_unix, kMaxTtl), kMaxTtl);
  for (auto [vt, extra] : {std::pair<uint32_t, uint32_t>{1001 + kMaxTtl, 0}, {1000, kMaxTtl + 1},
                           {0xFFFFFFF0u, 0xFFFF}, {0xFFFFFFFFu, 0xFFFFFFFFu}, {0xFFFFFFFDu, 0}, {0xFFFFFFFEu, 0}}) {
    auto r = TtlFromVoidTime(vt, kCitrusleafEpoch, extra);
    ASSERT_FALSE(r.ok()) << vt << " + " << extra << " gave " << (r->has_value() ? **r : 0u);
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("315360000"), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find(std::to_string(vt)), std::string::npos) << r.status().ToString();
  }
  // Before 2010 (clock far behind): still a plain TTL within the limit.
  EXPECT_EQ(Ttl(100, kCitrusleafEpoch - 50), 150u);
}

// ---- Result classes ------------------------------------------------------------------------------

TEST(Errors, Classification) {
  EXPECT_EQ(ClassifyResultCode(0), ResultClass::kOk);
  EXPECT_EQ(ClassifyResultCode(5), ResultClass::kExists);
  EXPECT_EQ(ClassifyResultCode(3), ResultClass::kGeneration);
  EXPECT_EQ(ClassifyResultCode(2), ResultClass::kNotFound);
  for (int c : {13, 19, 21, 10, 22, 12, 17}) EXPECT_EQ(ClassifyResultCode(c), ResultClass::kRecordError) << c;
  for (int c : {4, 8, 16, 20, 25, 26, 27, 51, 56, 66, 70, 80, 81, 82, 150, 160, 202, 203})
    EXPECT_EQ(ClassifyResultCode(c), ResultClass::kPermanent) << c;
  for (int c : {1, 7, 9, 11, 14, 18, 32, 83, 152}) EXPECT_EQ(ClassifyResultCode(c), ResultClass::kTransient) << c;

  Status s = ServerError(14, "write");
  EXPECT_EQ(s.code(), ErrorCode::kServer);
  EXPECT_EQ(s.server_code(), 14);
  EXPECT_NE(s.message().find("14"), std::string::npos);
  EXPECT_EQ(ClassifyStatus(s), ResultClass::kTransient);
  EXPECT_EQ(ClassifyStatus(Status(ErrorCode::kNetwork, "reset")), ResultClass::kTransient);
  EXPECT_EQ(ClassifyStatus(Status(ErrorCode::kTimeout, "slow")), ResultClass::kTransient);
  EXPECT_EQ(ClassifyStatus(Status(ErrorCode::kProtocol, "bad")), ResultClass::kPermanent);
  EXPECT_TRUE(ServerError(0, "x").ok());
}

// ---- Auth --------------------------------------------------------------------------------------

TEST(Auth, BcryptTestVector) {
  auto h = HashPassword("admin");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(*h, "$2a$10$7EqJtq98hPqEX7fNZaFWoO1mVO/4MLpGzsqojz6E9Gef6iXDjXdDa");
}

// ---- Hosts and peers ---------------------------------------------------------------------------

TEST(Hosts, Parse) {
  auto h = ParseHosts("10.0.0.1, host.example:3100,[2001:db8::1]:3200,[::1],node1:tls1:4333,h2:tlsonly");
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->size(), 6u);
  EXPECT_EQ((*h)[0], (Host{"10.0.0.1", "", 3000}));
  EXPECT_EQ((*h)[1], (Host{"host.example", "", 3100}));
  EXPECT_EQ((*h)[2], (Host{"2001:db8::1", "", 3200}));
  EXPECT_EQ((*h)[3], (Host{"::1", "", 3000}));
  EXPECT_EQ((*h)[4], (Host{"node1", "tls1", 4333}));
  EXPECT_EQ((*h)[5], (Host{"h2", "tlsonly", 3000}));
  EXPECT_EQ((*h)[2].ToString(), "[2001:db8::1]:3200");
  EXPECT_FALSE(ParseHosts("a:99999").ok());
  EXPECT_FALSE(ParseHosts("[::1").ok());
  EXPECT_FALSE(ParseHosts("").ok());
}

TEST(Peers, SpecExample) {
  auto p = ParsePeers("17,3000,[[BB9020011AC4202,,[10.0.0.2]],[BB9030011AC4202,,[10.0.0.3:3100,10.0.0.33]]]");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->generation, 17);
  ASSERT_EQ(p->peers.size(), 2u);
  EXPECT_EQ(p->peers[0].node_id, "BB9020011AC4202");
  ASSERT_EQ(p->peers[0].endpoints.size(), 1u);
  EXPECT_EQ(p->peers[0].endpoints[0], (Host{"10.0.0.2", "", 3000}));
  ASSERT_EQ(p->peers[1].endpoints.size(), 2u);
  EXPECT_EQ(p->peers[1].endpoints[0], (Host{"10.0.0.3", "", 3100}));
  EXPECT_EQ(p->peers[1].endpoints[1], (Host{"10.0.0.33", "", 3000}));
}

TEST(Peers, Ipv6TlsNameDefaultPortAndEmpty) {
  auto p = ParsePeers("3,,[[A1,tls-a,[[2001:db8::1],[2001:db8::2]:3100]],[B2,,[host.local]]]");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->default_port, 3000);
  ASSERT_EQ(p->peers.size(), 2u);
  EXPECT_EQ(p->peers[0].tls_name, "tls-a");
  EXPECT_EQ(p->peers[0].endpoints[0], (Host{"2001:db8::1", "tls-a", 3000}));
  EXPECT_EQ(p->peers[0].endpoints[1], (Host{"2001:db8::2", "tls-a", 3100}));
  EXPECT_EQ(p->peers[1].endpoints[0], (Host{"host.local", "", 3000}));

  auto empty = ParsePeers("0,3000,[]");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->peers.empty());
  auto other_port = ParsePeers("2,4000,[[N,,[10.1.1.1]]]");
  ASSERT_TRUE(other_port.ok());
  EXPECT_EQ(other_port->peers[0].endpoints[0].port, 4000);
  // Capture 08: a second node on 127.0.0.1:3720.
  auto cap = ParsePeers("2,3000,[[E7502000000FC02,,[127.0.0.1:3720]]]");
  ASSERT_TRUE(cap.ok());
  EXPECT_EQ(cap->peers[0].endpoints[0], (Host{"127.0.0.1", "", 3720}));
}

TEST(Peers, MalformedIsAnErrorNotACrash) {
  for (const char* bad : {"", "x", "1", "1,3000", "1,3000,[", "1,3000,[[A,,[1.2.3.4]", "1,3000,[[A,,[[::1]]]",
                          "1,3000,[[,,[1.2.3.4]]]", "1,3000,[[A,,[1.2.3.4:0]]]", "1,abc,[]"}) {
    EXPECT_FALSE(ParsePeers(bad).ok()) << bad;
  }
}

// ---- Replicas and the partition map -----------------------------------------------------------

std::string Column(const std::vector<int>& pids) {
  std::vector<bool> bits(4096, false);
  for (int p : pids) bits[p] = true;
  return proto::EncodePartitionBitmap(bits);
}
std::string AllColumn() {
  std::vector<bool> bits(4096, true);
  return proto::EncodePartitionBitmap(bits);
}

TEST(Replicas, ParseSingleNodeCapture) {
  std::string all = AllColumn();
  EXPECT_EQ(all.size(), 684u);
  EXPECT_EQ(all.substr(680), "//8=");
  auto r = ParseReplicas("test:0,1," + all + ";bar:0,1," + all);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].ns, "bar");
  EXPECT_EQ((*r)[0].n_columns, 1);
  EXPECT_TRUE((*r)[0].columns[0][4095]);
}

TEST(Replicas, RegimeLessFormAndErrors) {
  auto r = ParseReplicas("test:2," + Column({1}) + "," + Column({2}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].regime, 0u);
  EXPECT_EQ((*r)[0].n_columns, 2);
  EXPECT_TRUE((*r)[0].columns[1][2]);
  EXPECT_FALSE(ParseReplicas("test:0,2," + Column({1})).ok());  // column missing
  EXPECT_FALSE(ParseReplicas("test:0,1,notbase64").ok());
  EXPECT_FALSE(ParseReplicas("test").ok());
  EXPECT_FALSE(ParseReplicas("test:0,1,QUJD").ok());  // valid base64 but not 512 bytes
}

TEST(PartitionMap, ColumnsAndSequence) {
  PartitionMapBuilder b;
  auto n0 = ParseReplicas("test:0,2," + Column({0, 1}) + "," + Column({2}));
  auto n1 = ParseReplicas("test:0,2," + Column({2}) + "," + Column({0, 1}));
  ASSERT_TRUE(n0.ok() && n1.ok());
  b.Apply(0, *n0);
  b.Apply(1, *n1);
  const auto& m = b.namespaces().at("test");
  EXPECT_EQ(m.n_columns, 2);
  EXPECT_EQ(m.Node(0, 0), 0);
  EXPECT_EQ(m.Node(0, 1), 1);
  EXPECT_EQ(m.Node(2, 0), 1);
  EXPECT_EQ(m.Node(2, 1), 0);
  EXPECT_EQ(m.Node(0, 2), 0);  // replica index wraps (SEQUENCE)
  EXPECT_EQ(m.Node(3, 0), -1);
  EXPECT_FALSE(m.strong_consistency);
  EXPECT_TRUE(b.displaced().empty());
}

TEST(PartitionMap, RegimeRules) {
  PartitionMapBuilder b;
  // Node 0 claims master of pid 7 with regime 5; node 1 claims it with an older regime 3: ignored.
  b.Apply(0, *ParseReplicas("sc:5,1," + Column({7})));
  b.Apply(1, *ParseReplicas("sc:3,1," + Column({7, 8})));
  const auto& m = b.namespaces().at("sc");
  EXPECT_TRUE(m.strong_consistency);
  EXPECT_EQ(m.Node(7, 0), 0);
  EXPECT_EQ(m.Node(8, 0), 1);
  EXPECT_EQ(b.stale_claims(), 1u);
  // A newer regime from node 2 takes pid 7 over and displaces node 0 (re-read next tend).
  b.Apply(2, *ParseReplicas("sc:6,1," + Column({7})));
  EXPECT_EQ(b.namespaces().at("sc").Node(7, 0), 2);
  EXPECT_EQ(b.namespaces().at("sc").regime[7], 6u);
  EXPECT_EQ(b.displaced(), (std::set<int>{0}));
  // Equal regime also wins (later information), again displacing the previous owner.
  b.Apply(1, *ParseReplicas("sc:6,1," + Column({7})));
  EXPECT_EQ(b.namespaces().at("sc").Node(7, 0), 1);
  EXPECT_TRUE(b.displaced().count(2));
}

TEST(PartitionMap, ExtraColumnsIgnored) {
  std::string v = "test:0,4," + Column({1}) + "," + Column({2}) + "," + Column({3}) + "," + Column({4});
  auto r = ParseReplicas(v);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)[0].columns.size(), 3u);
  PartitionMapBuilder b;
  b.Apply(0, *r);
  EXPECT_EQ(b.namespaces().at("test").n_columns, 3);
}

TEST(Version, Parse) {
  auto v = ParseVersion("8.1.2.0");
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(VersionAtLeast(*v, 8, 1, 0));
  EXPECT_FALSE(VersionAtLeast(*v, 8, 1, 3));
  auto old = ParseVersion("4.9.0.2");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(VersionAtLeast(*old, 4, 9, 0, 3));
  EXPECT_TRUE(ParseVersion("5.7.0").ok());
  EXPECT_TRUE(ParseVersion("7.0.0.1-rc2").ok());
  EXPECT_FALSE(ParseVersion("Aerospike").ok());
  EXPECT_FALSE(ParseVersion("8.1").ok());
}

// ---- Scan state ---------------------------------------------------------------------------------

// A producer blocked on a full queue (the consumer stalled) must be released by a cancel.
TEST(QueueSink, CancelUnblocksProducerOnFullQueue) {
  BoundedQueue<Record> q(1);
  Record first;
  first.set = "first";
  ASSERT_TRUE(q.Push(std::move(first)));  // the queue is now full and nobody pops
  CancelToken cancel;
  RecordSink sink = QueueSink(q, &cancel);
  std::atomic<bool> returned{false};
  Status result;
  std::thread producer([&] {
    Record r;
    r.set = "second";
    result = sink(r);
    returned = true;
  });
  CancelToken never;
  never.WaitFor(std::chrono::milliseconds(100));
  EXPECT_FALSE(returned.load()) << "the sink did not wait for room";
  cancel.Cancel("test stop");
  producer.join();  // hangs here if the sink ignores the token
  EXPECT_EQ(result.code(), ErrorCode::kCancelled) << result.ToString();
  EXPECT_NE(result.message().find("test stop"), std::string::npos) << result.ToString();
  EXPECT_EQ(q.size(), 1u);
  auto still = q.Pop();
  ASSERT_TRUE(still.has_value());
  EXPECT_EQ(still->set, "first");
}

// Without a token the sink still ends when the consumer closes the queue.
TEST(QueueSink, CloseUnblocksProducer) {
  BoundedQueue<Record> q(1);
  ASSERT_TRUE(q.Push(Record{}));
  RecordSink sink = QueueSink(q);
  Status result;
  std::thread producer([&] {
    Record r;
    result = sink(r);
  });
  q.Close();
  producer.join();
  EXPECT_EQ(result.code(), ErrorCode::kCancelled) << result.ToString();
}

TEST(ScanState, Constructors) {
  EXPECT_EQ(ScanState::AllPartitions().size(), 4096u);
  auto r = ScanState::Range(4000, 96);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->PendingPids().front(), 4000);
  EXPECT_EQ(r->PendingPids().back(), 4095);
  EXPECT_FALSE(ScanState::Range(4000, 97).ok());
  EXPECT_FALSE(ScanState::List({1, 1}).ok());
  EXPECT_FALSE(ScanState::List({4096}).ok());
  auto l = ScanState::List({9, 3});
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->pending(), 2u);
}

// ---- TLS names -----------------------------------------------------------------------------------

TEST(TlsName, Matching) {
  EXPECT_TRUE(TlsNameMatches("node1.example.com", "NODE1.example.COM"));
  EXPECT_TRUE(TlsNameMatches("*.example.com", "a.example.com"));
  EXPECT_FALSE(TlsNameMatches("*.example.com", "example.com"));
  EXPECT_FALSE(TlsNameMatches("*.example.com", "a.b.example.com"));
  EXPECT_FALSE(TlsNameMatches("*.example.com", ".example.com"));
  EXPECT_FALSE(TlsNameMatches("a*.example.com", "ab.example.com"));
  EXPECT_FALSE(TlsNameMatches("node1", "node2"));
  EXPECT_FALSE(TlsNameMatches("", "x"));
}

// A self-signed certificate with the given CN and SAN DNS names (none: no subjectAltName).
aero::testing::TestCert MakeCert(const std::string& cn, const std::vector<std::string>& sans) {
  aero::testing::CertSpec spec;
  spec.common_name = cn;
  spec.subject_alt_names.clear();
  for (const auto& s : sans) spec.subject_alt_names += (spec.subject_alt_names.empty() ? "DNS:" : ",DNS:") + s;
  spec.basic_constraints.clear();
  spec.not_before_seconds = 0;
  auto cert = aero::testing::TestCert::Make(spec);
  if (!cert.ok()) throw std::runtime_error(cert.status().ToString());
  return std::move(*cert);
}

TEST(TlsName, CertificateSanBeforeCn) {
  auto cert = MakeCert("cn.example", {"*.cluster.local", "seed.example"});
  X509* c = cert.cert();
  EXPECT_TRUE(VerifyCertificateName(c, "node3.cluster.local").ok());
  EXPECT_TRUE(VerifyCertificateName(c, "seed.example").ok());
  // With SANs present the CN is not consulted.
  Status s = VerifyCertificateName(c, "cn.example");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("seed.example"), std::string::npos);
  auto only_cn_cert = MakeCert("abs-test", {});
  X509* only_cn = only_cn_cert.cert();
  EXPECT_TRUE(VerifyCertificateName(only_cn, "ABS-TEST").ok());
  EXPECT_FALSE(VerifyCertificateName(only_cn, "other").ok());
}

// ---- sindex-list ---------------------------------------------------------------------------------

TEST(Sindex, ParseAllForms) {
  auto v81 = ParseSindexList(
      "ns=test:indexname=idx_age:set=demo:bin=age:type=numeric:indextype=default:context=null:exp=null:state=RW;"
      "ns=test:indexname=si_demo:set=demo:indextype=set");
  ASSERT_TRUE(v81.ok()) << v81.status().ToString();
  ASSERT_EQ(v81->size(), 2u);
  EXPECT_EQ((*v81)[0], (SindexInfo{"test", "idx_age", "demo", "age", "numeric", "default", "", "", "RW"}));
  EXPECT_EQ((*v81)[1].index_type, "set");
  auto v6 = ParseSindexList(
      "ns=test:indexname=idx_l:set=null:bin=tags:type=string:indextype=list:context=kQOhYQ==:state=WO");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ((*v6)[0], (SindexInfo{"test", "idx_l", "", "tags", "string", "list", "kQOhYQ==", "", "WO"}));
  auto v5 = ParseSindexList("ns=test:set=NULL:indexname=geo:bin=loc:type=GEOJSON:indextype=DEFAULT:path=loc:state=RW;");
  ASSERT_TRUE(v5.ok());
  EXPECT_EQ((*v5)[0], (SindexInfo{"test", "geo", "", "loc", "geo2dsphere", "default", "", "", "RW"}));
  EXPECT_TRUE(ParseSindexList("")->empty());
  EXPECT_FALSE(ParseSindexList("garbage").ok());
  EXPECT_FALSE(ParseSindexList("ERROR:4:bad").ok());
}

TEST(Sindex, CreateCommands) {
  EXPECT_EQ(SindexCreateCommand(SindexInfo{"test", "idx", "demo", "age", "numeric", "default", "", "", ""}),
            "sindex-create:ns=test;set=demo;indexname=idx;indexdata=age,numeric");
  EXPECT_EQ(SindexCreateCommand(SindexInfo{"test", "idx", "", "tags", "string", "list", "kQOhYQ==", "", ""}),
            "sindex-create:ns=test;indexname=idx;indextype=list;context=kQOhYQ==;indexdata=tags,string");
  EXPECT_EQ(SindexCreateCommand(SindexInfo{"test", "e", "s", "", "numeric", "default", "", "kwFC", ""}),
            "sindex-create:namespace=test;set=s;indexname=e;exp=kwFC;type=numeric");
}

// ---- Robustness: mutated replies never crash and parse into consistent values or errors ----------

std::string Mutate(std::string s, std::mt19937& rng) {
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t pos = rng() % s.size();
    switch (rng() % 4) {
      case 0: s[pos] = static_cast<char>(rng()); break;
      case 1: s.erase(pos, 1 + rng() % 8); break;
      case 2: s.insert(pos, 1, "[],:;=\0"[rng() % 8]); break;
      case 3: s.resize(pos); break;
    }
  }
  return s;
}

TEST(Robustness, MutatedInfoValues) {
  std::mt19937 rng(12345);
  const std::string peers = "17,3000,[[BB9020011AC4202,tls,[10.0.0.2,[2001:db8::1]:3100]],[BB9030011AC4202,,[h:3100]]]";
  const std::string replicas = "test:0,2," + Column({1, 2}) + "," + Column({3}) + ";bar:0,1," + AllColumn();
  const std::string sindex = "ns=test:indexname=i:set=s:bin=b:type=numeric:indextype=default:context=null:state=RW";
  size_t ok = 0;
  for (int i = 0; i < 3000; ++i) {
    auto p = ParsePeers(Mutate(peers, rng));
    if (p.ok()) {
      ++ok;
      for (const auto& peer : p->peers) {
        EXPECT_FALSE(peer.node_id.empty());
        for (const auto& ep : peer.endpoints) EXPECT_FALSE(ep.name.empty());
      }
    }
    auto r = ParseReplicas(Mutate(replicas, rng));
    if (r.ok()) {
      for (const auto& e : *r) {
        for (const auto& col : e.columns) EXPECT_EQ(col.size(), 4096u);
      }
    }
    (void)ParseSindexList(Mutate(sindex, rng));
    (void)ParseHosts(Mutate("a:1,[::1]:2,b:tls:3", rng));
    (void)ParseVersion(Mutate("8.1.2.0", rng));
  }
  EXPECT_LT(ok, 3000u);  // most mutations are rejected
}

TEST(Robustness, MutatedScanChunksNeverCrash) {
  // A captured-style record followed by a LAST; random damage must give errors, never crashes.
  proto::MsgHeader h;
  h.n_fields = 2;
  h.n_ops = 1;
  std::string chunk;
  proto::AppendMsg(chunk, h);
  Digest d = ComputeDigest("s", IntegerKey(1));
  PutU32BE(chunk, 5);
  chunk += std::string(1, '\0') + "test";
  PutU32BE(chunk, 21);
  chunk += std::string(1, '\4') + std::string(reinterpret_cast<const char*>(d.data()), 20);
  PutU32BE(chunk, 13);
  chunk += std::string("\x01\x01\x00\x01x", 5) + std::string(8, '\x07');
  std::mt19937 rng(99);
  proto::MsgView m;
  Record rec;
  for (int i = 0; i < 5000; ++i) {
    std::string bad = Mutate(chunk, rng);
    ByteReader r(bad);
    while (r.remaining() > 0) {
      if (!proto::ParseMsg(r, m).ok()) break;
      (void)proto::MsgToRecord(m, rec);
    }
  }
}

}  // namespace
}  // namespace aero::client
