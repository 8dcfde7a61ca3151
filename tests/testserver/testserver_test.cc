// Integration tests of the test server over real loopback sockets: info commands, single-record
// policies, scans, batches, admin, multi-node topology, faults, login and TLS. Requests are built
// with src/protocol (tests/testserver/raw_client.h), never with src/client.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "common/base64.h"
#include "common/digest.h"
#include "protocol/msgpack.h"
#include "raw_client.h"
#include "test_util.h"
#include "testserver/test_cluster.h"

namespace aero::testserver {
namespace {

using testing::BuildDelete;
using testing::BuildRead;
using testing::BuildScan;
using testing::BuildWrite;
using testing::I64;
using testing::RawClient;
using testing::ScanSpec;
using testing::WriteSpec;

std::unique_ptr<TestCluster> StartCluster(TestClusterOptions o = {}) {
  auto c = TestCluster::Start(std::move(o));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

class SingleNode : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_ = StartCluster();
    ASSERT_TRUE(cluster_);
    ASSERT_TRUE(client_.Connect(cluster_->Port(0)).ok());
  }
  // Sends a request and returns the reply header (result code etc.).
  proto::MsgHeader Call(const std::string& req, proto::MsgView* view = nullptr) {
    auto r = client_.Call(req, storage_);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) {
      proto::MsgHeader failed;
      failed.result_code = 255;  // not a code the server sends: makes the caller's check fail
      return failed;
    }
    if (view) *view = *r;
    return r->header;
  }
  std::unique_ptr<TestCluster> cluster_;
  RawClient client_;
  std::string storage_;
};

TEST_F(SingleNode, InfoBasics) {
  EXPECT_EQ(client_.Info("build"), "8.1.2.0");
  EXPECT_EQ(client_.Info("node"), cluster_->NodeId(0));
  EXPECT_EQ(client_.Info("partition-generation"), "0");
  EXPECT_EQ(client_.Info("peers-generation"), "0");
  EXPECT_EQ(client_.Info("peers-clear-std"), "0,3000,[]");
  EXPECT_EQ(client_.Info("namespaces"), "test;bar");
  EXPECT_EQ(client_.Info("edition"), "Aerospike Community Edition");
  EXPECT_EQ(client_.Info("status"), "ok");
  EXPECT_EQ(client_.Info("user-agent-set:value=MSxub2RlanMtNi43LjEsbm90LXNldA=="), "ok");
  EXPECT_EQ(client_.Info("no-such-command"), "ERROR:4:unrecognized command");
  EXPECT_EQ(client_.Info("namespace/nosuch"), "type=unknown");
  EXPECT_EQ(client_.Info("service-clear-std"), "127.0.0.1:" + std::to_string(cluster_->Port(0)));
  std::string full = std::string(682, '/') + "8=";
  EXPECT_EQ(client_.Info("replicas"), "test:0,1," + full + ";bar:0,1," + full);
  EXPECT_EQ(client_.Info("replicas-master"), "test:" + full + ";bar:" + full);
  auto ns = proto::ParseKeyValues(client_.Info("namespace/test"));
  EXPECT_EQ(ns["objects"], "0");
  EXPECT_EQ(ns["nsup-period"], "60");
  EXPECT_EQ(ns["effective_replication_factor"], "1");
  EXPECT_EQ(ns["storage-engine"], "memory");
  EXPECT_TRUE(ns.count("master_objects"));
  // Node ids are uppercase hex.
  for (char c : cluster_->NodeId(0)) EXPECT_TRUE(std::isdigit(c) || (c >= 'A' && c <= 'F'));
}

// asrestore >= 4 asks get-config:context=service for batch-index-threads before it uses batch writes;
// the 8.x server answers the whole service context, and "Error::invalid context" for unknown contexts.
TEST_F(SingleNode, GetConfigService) {
  auto kv = proto::ParseKeyValues(client_.Info("get-config:context=service"));
  ASSERT_TRUE(kv.count("batch-index-threads"));
  EXPECT_GT(std::atoi(kv["batch-index-threads"].c_str()), 0);
  EXPECT_EQ(kv["batch-max-requests"], "0");
  EXPECT_EQ(kv["node-id"], cluster_->NodeId(0));
  EXPECT_EQ(kv["cluster-name"], "local");
  EXPECT_TRUE(kv.count("service-threads"));
  EXPECT_TRUE(kv.count("proto-fd-max"));
  EXPECT_EQ(client_.Info("config-get:context=service"), client_.Info("get-config:context=service"));
  EXPECT_EQ(client_.Info("get-config:context=nosuch"), "Error::invalid context");
  EXPECT_EQ(client_.Info("get-config:id=test"), "Error::invalid get-config parameter");
}

TEST_F(SingleNode, InfoRequestFraming) {
  // An unterminated last command is ignored; an empty body answers the summary.
  ASSERT_TRUE(client_.Send(std::string("\x02\x01\x00\x00\x00\x00\x00\x0a", 8) + "build\nnode").ok());
  auto p = client_.ReadProto();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->body, "build\t8.1.2.0\n");
  ASSERT_TRUE(client_.Send(std::string("\x02\x01\x00\x00\x00\x00\x00\x00", 8)).ok());
  p = client_.ReadProto();
  ASSERT_TRUE(p.ok());
  auto pairs = proto::ParseInfoResponse(p->body);
  ASSERT_TRUE(pairs.ok());
  ASSERT_GE(pairs->size(), 3u);
  EXPECT_EQ((*pairs)[0].first, "features");
}

TEST_F(SingleNode, SindexUdfTruncate) {
  EXPECT_EQ(client_.Info("sindex-list"), "");
  EXPECT_EQ(client_.Info("sindex-create:namespace=test;set=people;indexname=idx_age;bin=age;type=NUMERIC"), "ok");
  EXPECT_EQ(client_.Info("sindex-create:ns=test;set=people;indexname=idx_age;indexdata=age,numeric"), "ok");
  EXPECT_EQ(client_.Info("sindex-create:namespace=test;set=people;indexname=idx_age;bin=name;type=string"),
            "ERROR:200:'indexname' already exists with different definition");
  EXPECT_EQ(client_.Info("sindex-list:ns=test;b64=true"),
            "ns=test:indexname=idx_age:set=people:bin=age:type=numeric:indextype=default:context=null:exp=null:"
            "state=RW");
  EXPECT_NE(client_.Info("sindex/test/idx_age").find("load_pct=100"), std::string::npos);
  EXPECT_NE(client_.Info("sindex-stat:namespace=test;indexname=idx_age").find("entries=0"), std::string::npos);

  std::string lua = "function add(rec, a, b)\n  return a + b\nend\n";
  std::string b64 = Base64Encode(lua);
  EXPECT_EQ(client_.Info("udf-put:filename=t.lua;content=" + b64 + ";content-len=" + std::to_string(b64.size()) +
                         ";udf-type=LUA;"),
            "ok");
  EXPECT_EQ(client_.Info("udf-put:filename=t.lua;content=" + b64 + ";content-len=3;udf-type=LUA;"),
            "error=invalid_content_len");
  EXPECT_EQ(client_.Info("udf-put:filename=nodot;content=" + b64 + ";content-len=" + std::to_string(b64.size()) + ";"),
            "error=invalid_filename");
  EXPECT_EQ(client_.Info("udf-get:filename=t.lua"), "type=LUA;content=" + b64 + ";");
  EXPECT_EQ(client_.Info("udf-get:filename=nosuch.lua"), "error=not_found");
  EXPECT_NE(client_.Info("udf-list").find("filename=t.lua,hash="), std::string::npos);

  ASSERT_EQ(Call(BuildWrite(WriteSpec{})).result_code, 0);
  EXPECT_EQ(cluster_->Count("test"), 1u);
  // A truncate "to now" keeps records of the current millisecond (TruncateKeepsSameMillisecond): let the
  // wall clock pass the write's millisecond so this truncate must delete the record.
  const auto written = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
  while (std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now()) <= written)
    std::this_thread::yield();
  EXPECT_EQ(client_.Info("truncate-namespace:namespace=test;set=x"), "ERROR:4:unexpected set name");
  EXPECT_EQ(client_.Info("truncate:namespace=test;set=demo;lut=9795687862000000000"),
            "ERROR:4:would truncate in the future");
  EXPECT_EQ(client_.Info("truncate:namespace=test;set="), "ERROR:4:missing 'set' value");
  EXPECT_EQ(client_.Info("truncate:namespace=test;set=demo"), "ok");
  EXPECT_EQ(cluster_->Count("test"), 0u);
  EXPECT_EQ(client_.Info("cluster-stable:namespace=test;size=2"), "ERROR:7:cluster not specified size");
  EXPECT_EQ(client_.Info("cluster-stable:namespace=test").size(), 12u);
}

// A clock the test moves by hand, so "the same millisecond" is exact.
class FixedClock : public Clock {
 public:
  std::chrono::system_clock::time_point Now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms_.load()));
  }
  void Advance(int64_t ms) { ms_ += ms; }

 private:
  std::atomic<int64_t> ms_{1'700'000'000'000};
};

// Real 8.1 server (truncate.c): a truncate without lut uses lut = now (ms) and deletes only records
// whose last-update-time is strictly older, so a record written in the truncate's millisecond stays.
TEST(TestServer, TruncateKeepsSameMillisecond) {
  FixedClock clock;
  TestClusterOptions o;
  o.clock = &clock;
  auto cluster = StartCluster(o);
  ASSERT_TRUE(cluster);
  RawClient client;
  ASSERT_TRUE(client.Connect(cluster->Port(0)).ok());
  std::string storage;
  WriteSpec w;
  w.set = "same_ms";
  auto r = client.Call(BuildWrite(w), storage);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->header.result_code, 0);
  EXPECT_EQ(client.Info("truncate:namespace=test;set=same_ms"), "ok");
  EXPECT_EQ(cluster->Count("test", "same_ms"), 1u);
  EXPECT_EQ(client.Info("truncate-namespace:namespace=test"), "ok");
  EXPECT_EQ(cluster->Count("test", "same_ms"), 1u);
  clock.Advance(1);
  EXPECT_EQ(client.Info("truncate:namespace=test;set=same_ms"), "ok");
  EXPECT_EQ(cluster->Count("test", "same_ms"), 0u);
}

// `sets` keeps per-set totals as records are written, deleted, expire and are truncated, and agrees
// with a walk of the store at every step.
TEST(TestServer, SetsCountsFollowWritesDeletesExpiryTruncate) {
  FixedClock clock;
  TestClusterOptions o;
  o.clock = &clock;
  auto cluster = StartCluster(o);
  ASSERT_TRUE(cluster);
  RawClient client;
  ASSERT_TRUE(client.Connect(cluster->Port(0)).ok());
  std::string storage;
  auto call = [&](const std::string& req) {
    auto r = client.Call(req, storage);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? static_cast<int>(r->header.result_code) : -1;
  };
  auto objects = [&](const std::string& set) {
    auto kv = proto::ParseKeyValues(client.Info("sets/test/" + set), ':');
    EXPECT_EQ(kv["objects"], std::to_string(cluster->Count("test", set))) << set;
    return kv["objects"];
  };
  auto bytes = [&](const std::string& set) {
    return proto::ParseKeyValues(client.Info("sets/test/" + set), ':')["data_used_bytes"];
  };
  for (int64_t k = 1; k <= 3; ++k) {
    WriteSpec w;
    w.set = "a";
    w.key = k;
    ASSERT_EQ(call(BuildWrite(w)), 0);
  }
  WriteSpec t;
  t.set = "b";
  t.ttl = 10;
  ASSERT_EQ(call(BuildWrite(t)), 0);
  EXPECT_EQ(objects("a"), "3");
  EXPECT_EQ(objects("b"), "1");
  std::string bytes_before = bytes("a");
  WriteSpec big;  // overwrite with a bigger bin: same count, more bytes
  big.set = "a";
  big.key = 1;
  big.bins = {{"a", ParticleType::kString, std::string(100, 'x')}};
  ASSERT_EQ(call(BuildWrite(big)), 0);
  EXPECT_EQ(objects("a"), "3");
  EXPECT_GT(std::stoull(bytes("a")), std::stoull(bytes_before));
  ASSERT_EQ(call(BuildDelete("test", "a", 2)), 0);
  EXPECT_EQ(objects("a"), "2");
  clock.Advance(11'000);  // the ttl-10 record has expired
  EXPECT_EQ(objects("b"), "0");
  EXPECT_EQ(bytes("b"), "0");
  ASSERT_EQ(call(BuildWrite(t)), 0);  // written again over the expired one
  EXPECT_EQ(objects("b"), "1");
  clock.Advance(1);
  EXPECT_EQ(client.Info("truncate:namespace=test;set=a"), "ok");
  EXPECT_EQ(objects("a"), "0");
  EXPECT_EQ(objects("b"), "1");
}

// `sets` must not walk the store (a walk of 1M records took 2.4 s): with 100k records, 20 `sets` calls
// take a fraction of the time of 20 walks of the store (TestCluster::Count walks it). A ratio, not a
// fixed limit, so the test holds on a slow or busy machine.
TEST(TestServer, SetsDoesNotWalkRecords) {
  auto cluster = StartCluster();
  ASSERT_TRUE(cluster);
  for (int i = 0; i < 100'000; ++i) {
    Record r;
    r.ns = "test";
    r.set = i % 2 ? "odd" : "even";
    r.digest = ComputeDigest(r.set, int64_t{i});
    r.bins.push_back({"v", ParticleType::kInteger, I64(i)});
    ASSERT_TRUE(cluster->Put(r).ok());
  }
  RawClient client;
  ASSERT_TRUE(client.Connect(cluster->Port(0)).ok());
  // Answered from the per-partition totals: not one record visited (no record here expires).
  const uint64_t before = cluster->RecordsWalked();
  for (int i = 0; i < 20; ++i) {
    auto kv = proto::ParseKeyValues(client.Info("sets/test/odd"), ':');
    ASSERT_EQ(kv["objects"], "50000");
  }
  EXPECT_EQ(cluster->RecordsWalked(), before);
  // The counter does move when records are walked, so the check above can fail.
  ASSERT_EQ(cluster->Count("test", "odd"), 50'000u);
  EXPECT_EQ(cluster->RecordsWalked(), before + 100'000u);
}

TEST_F(SingleNode, WriteReadRoundTrip) {
  WriteSpec w;
  w.bins = {{"i", ParticleType::kInteger, I64(-5)}, {"s", ParticleType::kString, "héllo"},
            {"b", ParticleType::kBool, std::string(1, '\x01')}};
  auto h = Call(BuildWrite(w));
  EXPECT_EQ(h.result_code, 0);
  EXPECT_EQ(h.generation, 1u);
  EXPECT_EQ(h.record_ttl, 0u);
  proto::MsgView v;
  h = Call(BuildRead("test", "demo", 1), &v);
  ASSERT_EQ(h.result_code, 0);
  EXPECT_EQ(v.fields.size(), 0u);
  ASSERT_EQ(v.ops.size(), 3u);
  EXPECT_EQ(v.ops[0].name, "i");
  EXPECT_EQ(v.ops[0].op_type, proto::kOpRead);
  EXPECT_EQ(v.ops[0].value, I64(-5));
  EXPECT_EQ(v.ops[1].value, "héllo");
  // Named bins, missing bin skipped.
  h = Call(BuildRead("test", "demo", 1, {"s", "zz"}), &v);
  ASSERT_EQ(v.ops.size(), 1u);
  EXPECT_EQ(v.ops[0].name, "s");
  // Metadata only.
  h = Call(BuildRead("test", "demo", 1, {}, proto::kInfo1NoBinData), &v);
  EXPECT_EQ(v.ops.size(), 0u);
  EXPECT_EQ(h.generation, 1u);
  // Second write bumps the generation and merges bins.
  w.bins = {{"x", ParticleType::kInteger, I64(1)}};
  EXPECT_EQ(Call(BuildWrite(w)).generation, 2u);
  auto rec = cluster_->Get("test", ComputeDigest("demo", int64_t{1}));
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->bins.size(), 4u);
  ASSERT_TRUE(rec->key);
  EXPECT_EQ(rec->key->data, I64(1));
  // Missing record: 2, generation 0, void time 0.
  h = Call(BuildRead("test", "demo", 999));
  EXPECT_EQ(h.result_code, proto::kKeyNotFound);
  EXPECT_EQ(h.generation, 0u);
  // Delete, then read → 2; delete again → 2; durable delete → 25.
  EXPECT_EQ(Call(BuildDelete("test", "demo", 1, proto::kInfo2DurableDelete)).result_code, proto::kEnterpriseOnly);
  EXPECT_EQ(Call(BuildDelete("test", "demo", 1)).result_code, 0);
  EXPECT_EQ(Call(BuildRead("test", "demo", 1)).result_code, proto::kKeyNotFound);
  EXPECT_EQ(Call(BuildDelete("test", "demo", 1)).result_code, proto::kKeyNotFound);
  EXPECT_EQ(Call(BuildRead("nosuch", "demo", 1)).result_code, proto::kNamespaceNotFound);
}

TEST_F(SingleNode, ExistsAndGenerationPolicies) {
  WriteSpec w;
  w.info3 = proto::kInfo3UpdateOnly;
  EXPECT_EQ(Call(BuildWrite(w)).result_code, proto::kKeyNotFound);
  w.info3 = proto::kInfo3ReplaceOnly;
  EXPECT_EQ(Call(BuildWrite(w)).result_code, proto::kKeyNotFound);
  w.info3 = 0;
  w.info2 = proto::kInfo2Write | proto::kInfo2CreateOnly;
  EXPECT_EQ(Call(BuildWrite(w)).result_code, 0);
  auto h = Call(BuildWrite(w));
  EXPECT_EQ(h.result_code, proto::kKeyExists);
  EXPECT_EQ(h.generation, 1u);  // error replies carry the existing generation
  // GENERATION (EQ).
  w.info2 = proto::kInfo2Write | proto::kInfo2Generation;
  w.generation = 5;
  EXPECT_EQ(Call(BuildWrite(w)).result_code, proto::kGeneration);
  w.generation = 1;
  EXPECT_EQ(Call(BuildWrite(w)).generation, 2u);
  // GENERATION_GT: 5 > 2 applies, 1 does not.
  w.info2 = proto::kInfo2Write | proto::kInfo2GenerationGt;
  w.generation = 5;
  EXPECT_EQ(Call(BuildWrite(w)).generation, 3u);
  w.generation = 1;
  EXPECT_EQ(Call(BuildWrite(w)).result_code, proto::kGeneration);
  // Missing record = generation 0: GT 1 applies; EQ 1 does not.
  WriteSpec m;
  m.key = 77;
  m.info2 = proto::kInfo2Write | proto::kInfo2Generation;
  m.generation = 1;
  EXPECT_EQ(Call(BuildWrite(m)).result_code, proto::kGeneration);
  m.info2 = proto::kInfo2Write | proto::kInfo2GenerationGt;
  EXPECT_EQ(Call(BuildWrite(m)).result_code, 0);
  // Replace drops the bins not written.
  WriteSpec r;
  r.bins = {{"a", ParticleType::kInteger, I64(1)}, {"b", ParticleType::kInteger, I64(2)}};
  r.key = 5;
  ASSERT_EQ(Call(BuildWrite(r)).result_code, 0);
  r.info3 = proto::kInfo3CreateOrReplace;
  r.bins = {{"c", ParticleType::kInteger, I64(3)}};
  ASSERT_EQ(Call(BuildWrite(r)).result_code, 0);
  auto rec = cluster_->Get("test", ComputeDigest("demo", int64_t{5}));
  ASSERT_TRUE(rec);
  ASSERT_EQ(rec->bins.size(), 1u);
  EXPECT_EQ(rec->bins[0].name, "c");
}

TEST_F(SingleNode, TtlRules) {
  WriteSpec w;
  w.ttl = 0xFFFFFFFF;
  EXPECT_EQ(Call(BuildWrite(w)).record_ttl, 0u);
  w.ttl = 3600;
  uint32_t now = static_cast<uint32_t>(std::time(nullptr) - kCitrusleafEpoch);
  auto h = Call(BuildWrite(w));
  EXPECT_EQ(h.result_code, 0);
  EXPECT_NEAR(static_cast<double>(h.record_ttl), now + 3600.0, 2.0);
  w.ttl = 0xFFFFFFFE;  // keep the existing void time
  EXPECT_EQ(Call(BuildWrite(w)).record_ttl, h.record_ttl);
  w.ttl = 315360001;
  EXPECT_EQ(Call(BuildWrite(w)).result_code, proto::kParameter);
  w.ttl = 0xFFFFFFFD;
  EXPECT_EQ(Call(BuildWrite(w)).result_code, proto::kParameter);
  WriteSpec c;
  c.key = 2;
  c.ttl = 0xFFFFFFFE;  // acts as 0 (default-ttl 0: never expires) on create
  h = Call(BuildWrite(c));
  EXPECT_EQ(h.result_code, 0);
  EXPECT_EQ(h.record_ttl, 0u);
  // A void time in the past: the record is gone.
  Record past;
  past.ns = "test";
  past.set = "demo";
  past.digest = ComputeDigest("demo", int64_t{3});
  past.void_time = now - 10;
  past.bins = {{"a", ParticleType::kInteger, I64(1)}};
  ASSERT_TRUE(cluster_->Put(past).ok());
  EXPECT_EQ(Call(BuildRead("test", "demo", 3)).result_code, proto::kKeyNotFound);
  EXPECT_FALSE(cluster_->Get("test", past.digest));
}

TEST(TestServer, NsupPeriodZeroForbidsTtl) {
  TestClusterOptions o;
  o.nsup_period = 0;
  auto c = StartCluster(o);
  ASSERT_TRUE(c);
  RawClient cl;
  ASSERT_TRUE(cl.Connect(c->Port(0)).ok());
  std::string st;
  WriteSpec w;
  w.ttl = 100;
  auto r = cl.Call(BuildWrite(w), st);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.result_code, proto::kForbidden);
  w.ttl = 0xFFFFFFFF;
  r = cl.Call(BuildWrite(w), st);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.result_code, 0);
}

TEST_F(SingleNode, WriteValidation) {
  // 5-byte integer KEY field → 16.
  {
    proto::MsgHeader h;
    h.info2 = proto::kInfo2Write;
    proto::MessageBuilder b(h);
    b.Field(proto::kFieldNamespace, "test").Field(proto::kFieldSet, "demo");
    b.Field(proto::kFieldDigest, testing::DigestBytes(ComputeDigest("demo", int64_t{1})));
    b.Field(proto::kFieldKey, std::string("\x01\x00\x00\x00\x01", 5));
    b.Op(proto::kOpWrite, ParticleType::kInteger, "a", I64(1));
    EXPECT_EQ(Call(b.Finish()).result_code, proto::kUnsupportedFeature);
  }
  WriteSpec w;
  ASSERT_EQ(Call(BuildWrite(w)).result_code, 0);
  // A different key for the same digest → 19.
  {
    proto::MsgHeader h;
    h.info2 = proto::kInfo2Write;
    proto::MessageBuilder b(h);
    b.Field(proto::kFieldNamespace, "test").Field(proto::kFieldSet, "demo");
    b.Field(proto::kFieldDigest, testing::DigestBytes(ComputeDigest("demo", int64_t{1})));
    std::string k(1, '\x01');
    k += I64(2);
    b.Field(proto::kFieldKey, k);
    b.Op(proto::kOpWrite, ParticleType::kInteger, "a", I64(1));
    EXPECT_EQ(Call(b.Finish()).result_code, proto::kKeyMismatch);
  }
  w.bins = {{"sixteen_chars_xx", ParticleType::kInteger, I64(1)}};
  EXPECT_EQ(Call(BuildWrite(w)).result_code, proto::kBinName);
  w.bins = {{"b", ParticleType::kBool, std::string(1, '\x02')}};
  EXPECT_EQ(Call(BuildWrite(w)).result_code, proto::kParameter);
  w.bins = {{"four", ParticleType::kInteger, std::string("\xff\xff\xff\xff", 4)}};
  EXPECT_EQ(Call(BuildWrite(w)).result_code, 0);
  auto rec = cluster_->Get("test", ComputeDigest("demo", int64_t{1}));
  ASSERT_TRUE(rec);
  bool found = false;
  for (const auto& b : rec->bins)
    if (b.name == "four") {
      found = true;
      EXPECT_EQ(b.data, I64(4294967295));  // zero-extended
    }
  EXPECT_TRUE(found);
  // Trailing bytes after the ops → 4.
  std::string req = BuildWrite(WriteSpec{});
  req += std::string(2, '\0');
  std::string fixed;
  proto::PutProtoHeader(fixed, proto::kMessage, req.size() - 8);
  req.replace(0, 8, fixed);
  EXPECT_EQ(Call(req).result_code, proto::kParameter);
  // An unknown field id is skipped.
  {
    proto::MsgHeader h;
    h.info2 = proto::kInfo2Write;
    proto::MessageBuilder b(h);
    b.Field(proto::kFieldNamespace, "test").Field(proto::kFieldSet, "demo");
    b.Field(proto::kFieldDigest, testing::DigestBytes(ComputeDigest("demo", int64_t{9})));
    b.Field(99, "whatever");
    b.Op(proto::kOpWrite, ParticleType::kInteger, "a", I64(1));
    EXPECT_EQ(Call(b.Finish()).result_code, 0);
  }
  WriteSpec ns;
  ns.ns = "nosuch";
  EXPECT_EQ(Call(BuildWrite(ns)).result_code, proto::kNamespaceNotFound);
}

TEST_F(SingleNode, AdminWithoutUsersAnswers51) {
  proto::AdminMessage login;
  login.command = proto::kAdminLogin;
  login.fields = {{proto::kAdminUser, "admin"}, {proto::kAdminCredential, "x"}};
  ASSERT_TRUE(client_.Send(proto::BuildAdmin(login)).ok());
  auto p = client_.ReadProto();
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->type, proto::kAdmin);
  EXPECT_EQ(p->body, std::string("\x00\x33", 2) + std::string(14, '\0'));
  EXPECT_EQ(client_.Info("status"), "ok");  // the socket stays usable
}

TEST_F(SingleNode, CompressedRequestAnswers25) {
  auto z = proto::CompressProto(BuildWrite(WriteSpec{}));
  ASSERT_TRUE(z.ok());
  proto::MsgView v;
  auto h = Call(*z, &v);
  EXPECT_EQ(h.result_code, proto::kEnterpriseOnly);
}

}  // namespace
}  // namespace aero::testserver
