// Multi-node, fault-injection, connection-limit, login and TLS tests of the test server, over real
// loopback sockets.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <csignal>
#include <thread>

#include "common/digest.h"
#include "raw_client.h"
#include "test_util.h"
#include "testserver/test_cluster.h"
#include "tests/support/wait.h"

namespace aero::testserver {
namespace {

using testing::BuildRead;
using testing::BuildScan;
using testing::BuildWrite;
using testing::I64;
using testing::RawClient;
using testing::ScanSpec;
using testing::WriteSpec;

std::unique_ptr<TestCluster> Start(TestClusterOptions o) {
  auto c = TestCluster::Start(std::move(o));
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(c).value() : nullptr;
}

std::string InfoOn(uint16_t port, const std::string& cmd) {
  RawClient c;
  if (!c.Connect(port).ok()) return "<no connection>";
  return c.Info(cmd);
}

// Waits (bounded) until pred holds; the server acts on its own control thread.
bool Eventually(const std::function<bool()>& pred, int timeout_ms = 5000) {
  return aero::testing::WaitUntil(pred, std::chrono::milliseconds(timeout_ms));
}

void SeedAlpha(TestCluster& c, int n) {
  for (int i = 0; i < n; ++i) {
    Record r;
    r.ns = "test";
    r.set = "alpha";
    r.key = IntegerKey(i);
    r.digest = ComputeDigest("alpha", int64_t{i});
    r.bins.push_back({"n", ParticleType::kInteger, I64(i)});
    ASSERT_TRUE(c.Put(r).ok());
  }
}

struct ScanResult {
  std::set<std::string> digests;
  std::set<uint32_t> markers;
  bool last = false;
  int last_result = -1;
  Status status;
};

ScanResult ScanNode(uint16_t port, const ScanSpec& s) {
  ScanResult out;
  RawClient c;
  out.status = c.Connect(port);
  if (!out.status.ok()) return out;
  out.status = c.Send(BuildScan(s));
  if (!out.status.ok()) return out;
  RawClient::Stream st;
  out.status = c.ReadStream(st);
  for (const auto& m : st.msgs) {
    if (m.header.info3 & proto::kInfo3PartitionDone) {
      EXPECT_EQ(m.header.result_code, proto::kPartitionUnavailable);
      out.markers.insert(m.header.generation);
    } else if (m.header.info3 & proto::kInfo3Last) {
      out.last = true;
      out.last_result = m.header.result_code;
    } else if (const auto* d = m.FindField(proto::kFieldDigest)) {
      out.digests.insert(std::string(d->data));
    }
  }
  return out;
}

TEST(Cluster, ThreeNodesSplitPartitions) {
  TestClusterOptions o;
  o.nodes = 3;
  auto c = Start(o);
  ASSERT_TRUE(c);
  SeedAlpha(*c, 300);
  std::set<std::string> all;
  size_t markers = 0;
  for (int i = 0; i < 3; ++i) {
    auto r = ScanNode(c->Port(i), ScanSpec{});
    ASSERT_TRUE(r.status.ok()) << r.status.ToString();
    EXPECT_TRUE(r.last);
    for (const auto& d : r.digests) EXPECT_TRUE(all.insert(d).second) << "partition served by two masters";
    markers += r.markers.size();
    // peers list the two other nodes.
    std::string peers = InfoOn(c->Port(i), "peers-clear-std");
    for (int j = 0; j < 3; ++j)
      EXPECT_EQ(peers.find(c->NodeId(j)) != std::string::npos, j != i) << peers;
  }
  EXPECT_EQ(all.size(), 300u);
  EXPECT_EQ(markers, 2u * kPartitions);  // every pid is owned by exactly one node
  // Per-node object counts add up to the total (RF 1).
  uint64_t sum = 0;
  for (int i = 0; i < 3; ++i) {
    auto ns = proto::ParseKeyValues(InfoOn(c->Port(i), "namespace/test"));
    sum += std::stoull(ns["master_objects"]);
    EXPECT_EQ(ns["ns_cluster_size"], "3");
  }
  EXPECT_EQ(sum, 300u);
}

TEST(Cluster, ReplicationFactorTwoAndNodeDownUp) {
  TestClusterOptions o;
  o.nodes = 2;
  o.replication_factor = 2;
  auto c = Start(o);
  ASSERT_TRUE(c);
  SeedAlpha(*c, 100);
  std::string replicas = InfoOn(c->Port(0), "replicas");
  auto parts = proto::SplitNonEmpty(replicas.substr(0, replicas.find(';')), ',');
  ASSERT_EQ(parts.size(), 4u);  // test:0, 2, map0, map1
  EXPECT_EQ(parts[1], "2");
  std::vector<bool> m0, m1;
  ASSERT_TRUE(proto::DecodePartitionBitmap(parts[2], m0));
  ASSERT_TRUE(proto::DecodePartitionBitmap(parts[3], m1));
  int masters = 0;
  for (int p = 0; p < kPartitions; ++p) {
    EXPECT_NE(m0[p], m1[p]);  // master or prole, never both
    masters += m0[p];
  }
  EXPECT_EQ(masters, kPartitions / 2);
  auto ns = proto::ParseKeyValues(InfoOn(c->Port(0), "namespace/test"));
  EXPECT_EQ(ns["objects"], "100");  // master + prole copies
  EXPECT_EQ(ns["effective_replication_factor"], "2");

  std::string gen0 = InfoOn(c->Port(0), "partition-generation");
  std::string peers_gen0 = InfoOn(c->Port(0), "peers-generation");
  uint16_t port1 = c->Port(1);
  std::string id1 = c->NodeId(1);
  ASSERT_TRUE(c->StopNode(1).ok());
  EXPECT_FALSE(c->IsUp(1));
  RawClient refused;
  EXPECT_FALSE(refused.Connect(port1).ok());  // stopped listening
  EXPECT_NE(InfoOn(c->Port(0), "partition-generation"), gen0);
  EXPECT_NE(InfoOn(c->Port(0), "peers-generation"), peers_gen0);
  EXPECT_EQ(InfoOn(c->Port(0), "peers-clear-std").find(id1), std::string::npos);
  EXPECT_EQ(InfoOn(c->Port(0), "replicas").substr(0, 9), "test:0,1,");  // effective RF 1 now
  auto r = ScanNode(c->Port(0), ScanSpec{});
  EXPECT_EQ(r.digests.size(), 100u);
  EXPECT_TRUE(r.markers.empty());

  ASSERT_TRUE(c->StartNode(1).ok());
  EXPECT_EQ(c->Port(1), port1);  // same port and id after a restart
  EXPECT_EQ(InfoOn(port1, "node"), id1);
  EXPECT_NE(InfoOn(c->Port(0), "peers-clear-std").find(id1), std::string::npos);
}

TEST(Faults, FromCppAndOverTheWire) {
  TestClusterOptions o;
  o.nodes = 2;
  auto c = Start(o);
  ASSERT_TRUE(c);
  SeedAlpha(*c, 200);
  int owner0 = 0;
  for (int p = 0; p < kPartitions; ++p) owner0 += c->MasterOf(p) == 0;
  ASSERT_GT(owner0, 0);

  // Unavailable partitions: markers for them, no records from them.
  NodeFaults f;
  f.unavailable_partitions = {0, 2, 4};
  c->SetFaults(0, f);
  auto r = ScanNode(c->Port(0), ScanSpec{});
  for (int p : {0, 2, 4}) EXPECT_TRUE(r.markers.count(p));
  c->ClearFaults();

  // Drop after K records: the stream ends without LAST, the connection closes.
  f = NodeFaults{};
  f.drop_after_records = 5;
  c->SetFaults(0, f);
  r = ScanNode(c->Port(0), ScanSpec{});
  EXPECT_FALSE(r.status.ok());
  EXPECT_FALSE(r.last);
  EXPECT_EQ(r.digests.size(), 5u);
  c->ClearFaults();

  // Non-zero LAST.
  f = NodeFaults{};
  f.scan_last_result = 15;
  c->SetFaults(0, f);
  r = ScanNode(c->Port(0), ScanSpec{});
  EXPECT_TRUE(r.last);
  EXPECT_EQ(r.last_result, 15);
  c->ClearFaults();

  // The same over the wire, addressed by node id, through the other node.
  RawClient admin;
  ASSERT_TRUE(admin.Connect(c->Port(1)).ok());
  EXPECT_EQ(admin.Info("x-fault:node=" + c->NodeId(0) + ";fail-writes=14,2,alpha;delay-ms=100"), "ok");
  EXPECT_EQ(c->Faults(0).fail_writes_code, 14);
  EXPECT_EQ(admin.Info("x-fault:node=NOPE;delay-ms=1"), "ERROR:4:unknown node 'NOPE'");
  EXPECT_EQ(admin.Info("x-fault:node=" + c->NodeId(0) + ";bogus=1"), "ERROR:4:unknown fault 'bogus'");
  RawClient cl;
  ASSERT_TRUE(cl.Connect(c->Port(0)).ok());
  std::string st;
  WriteSpec w;
  w.set = "alpha";
  auto t0 = std::chrono::steady_clock::now();
  auto res = cl.Call(BuildWrite(w), st);
  ASSERT_TRUE(res.ok());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(90));  // delayed
  EXPECT_EQ(res->header.result_code, 14);
  WriteSpec other;
  other.set = "other";
  EXPECT_EQ(cl.Call(BuildWrite(other), st)->header.result_code, 0);  // other sets unaffected
  EXPECT_EQ(cl.Call(BuildWrite(w), st)->header.result_code, 14);
  EXPECT_EQ(cl.Call(BuildWrite(w), st)->header.result_code, 0);  // only 2 writes fail
  EXPECT_EQ(admin.Info("x-fault:node=" + c->NodeId(0) + ";clear=true;drop-after-records=3"), "ok");
  EXPECT_EQ(c->Faults(0).delay_ms, 0);
  EXPECT_EQ(ScanNode(c->Port(0), ScanSpec{}).digests.size(), 3u);
  EXPECT_EQ(admin.Info("x-fault:node=" + c->NodeId(0) + ";clear=true;unavailable=10-12"), "ok");
  EXPECT_EQ(c->Faults(0).unavailable_partitions, (std::set<int>{10, 11, 12}));

  // Node down for a while, over the wire; it comes back by itself on the same port.
  uint16_t port0 = c->Port(0);
  EXPECT_EQ(admin.Info("x-fault:node=" + c->NodeId(0) + ";clear=true;down-ms=300"), "ok");
  EXPECT_TRUE(Eventually([&] { return !c->IsUp(0); }));
  EXPECT_TRUE(Eventually([&] { return c->IsUp(0); }));
  EXPECT_EQ(InfoOn(port0, "status"), "ok");
}

TEST(Limits, ConnectionCapAndIdleTimeout) {
  TestClusterOptions o;
  o.max_connections_per_node = 2;
  o.idle_timeout_ms = 300;
  auto c = Start(o);
  ASSERT_TRUE(c);
  RawClient a, b, x;
  ASSERT_TRUE(a.Connect(c->Port(0)).ok());
  ASSERT_TRUE(b.Connect(c->Port(0)).ok());
  EXPECT_EQ(a.Info("status"), "ok");
  EXPECT_EQ(b.Info("status"), "ok");
  ASSERT_TRUE(x.Connect(c->Port(0)).ok());  // accepted by the kernel, then closed by the server
  EXPECT_NE(x.Info("status"), "ok");
  // Idle connections are closed after the idle timeout, freeing slots.
  auto p = a.ReadProto(3000);
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), ErrorCode::kNetwork);
  RawClient y;
  EXPECT_TRUE(Eventually([&] { return y.Connect(c->Port(0)).ok() && y.Info("status") == "ok"; }));
}

TEST(Security, LoginAndAuthenticate) {
  TestClusterOptions o;
  o.users = {{"admin", "admin"}};
  o.session_ttl_seconds = 600;
  auto c = Start(o);
  ASSERT_TRUE(c);
  RawClient s1;
  ASSERT_TRUE(s1.Connect(c->Port(0)).ok());
  EXPECT_EQ(s1.Info("build"), "ERROR:80:not authenticated");
  std::string st;
  auto w = s1.Call(BuildWrite(WriteSpec{}), st);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->header.result_code, proto::kNotAuthenticated);

  auto admin = [&](RawClient& cl, const proto::AdminMessage& m) {
    EXPECT_TRUE(cl.Send(proto::BuildAdmin(m)).ok());
    auto p = cl.ReadProto();
    proto::AdminMessage out;
    EXPECT_TRUE(p.ok());
    if (p.ok()) {
      EXPECT_TRUE(proto::ParseAdminBody(p->body, out).ok());
    }
    return out;
  };
  // The bcrypt test vector of wire-protocol.md §11.2 for password "admin".
  const std::string cred = "$2a$10$7EqJtq98hPqEX7fNZaFWoO1mVO/4MLpGzsqojz6E9Gef6iXDjXdDa";
  proto::AdminMessage login;
  login.command = proto::kAdminLogin;
  login.fields = {{proto::kAdminUser, "admin"}, {proto::kAdminCredential, cred + "x"}};
  EXPECT_EQ(admin(s1, login).result_code, proto::kInvalidCredential);
  login.fields = {{proto::kAdminUser, "nobody"}, {proto::kAdminCredential, cred}};
  EXPECT_EQ(admin(s1, login).result_code, proto::kInvalidUser);
  login.fields = {{proto::kAdminUser, "admin"}, {proto::kAdminCredential, cred}};
  auto ok = admin(s1, login);
  ASSERT_EQ(ok.result_code, 0);
  const std::string* token = ok.Find(proto::kAdminSessionToken);
  const std::string* ttl = ok.Find(proto::kAdminSessionTtl);
  ASSERT_TRUE(token && ttl);
  ASSERT_EQ(ttl->size(), 4u);
  EXPECT_EQ(GetU32BE(ttl->data()), 600u);
  EXPECT_EQ(s1.Info("build"), "8.1.2.0");  // the login socket is authenticated

  RawClient s2;
  ASSERT_TRUE(s2.Connect(c->Port(0)).ok());
  proto::AdminMessage auth;
  auth.command = proto::kAdminAuthenticate;
  auth.fields = {{proto::kAdminUser, "admin"}, {proto::kAdminSessionToken, "bogus"}};
  EXPECT_EQ(admin(s2, auth).result_code, proto::kInvalidCredential);
  EXPECT_EQ(s2.Info("build"), "ERROR:80:not authenticated");
  auth.fields = {{proto::kAdminUser, "admin"}, {proto::kAdminSessionToken, *token}};
  EXPECT_EQ(admin(s2, auth).result_code, 0);
  EXPECT_EQ(s2.Info("build"), "8.1.2.0");
  w = s2.Call(BuildWrite(WriteSpec{}), st);
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->header.result_code, 0);
}

// A TLS client socket that verifies the test CA and the TLS name `abs-test`.
class TlsClient {
 public:
  ~TlsClient() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
  }
  Status Connect(uint16_t port, const std::string& name) {
    ABS_RETURN_IF_ERROR(raw_.Connect(port));
    ctx_ = SSL_CTX_new(TLS_client_method());
    std::string ca = std::string(ABS_TEST_DATA_DIR) + "/testserver/tls/ca.pem";
    if (SSL_CTX_load_verify_locations(ctx_, ca.c_str(), nullptr) != 1)
      return Status(ErrorCode::kInvalidArgument, "cannot load " + ca);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, Fd());
    SSL_set1_host(ssl_, name.c_str());
    if (SSL_connect(ssl_) != 1) return Status(ErrorCode::kNetwork, "TLS handshake failed");
    return Status::Ok();
  }
  std::string Info(const std::string& cmd) {
    std::string req = proto::BuildInfoRequest({cmd});
    if (SSL_write(ssl_, req.data(), static_cast<int>(req.size())) <= 0) return "<write failed>";
    char hdr[8];
    if (!ReadAll(hdr, 8)) return "<read failed>";
    std::string body(GetU64BE(hdr) & 0xFFFFFFFFFFFFull, '\0');
    if (!ReadAll(body.data(), body.size())) return "<read failed>";
    auto pairs = proto::ParseInfoResponse(body);
    return pairs.ok() && !pairs->empty() ? (*pairs)[0].second : "<bad reply>";
  }
  bool Send(const std::string& req) { return SSL_write(ssl_, req.data(), static_cast<int>(req.size())) > 0; }
  int fd() const { return Fd(); }
  SSL* ssl() const { return ssl_; }

 private:
  bool ReadAll(char* p, size_t n) {
    size_t got = 0;
    while (got < n) {
      int r = SSL_read(ssl_, p + got, static_cast<int>(n - got));
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }
  int Fd() const { return raw_.fd(); }
  RawClient raw_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

TEST(Tls, ServesInfoOverTls) {
  TestClusterOptions o;
  o.nodes = 2;
  o.tls.cert_file = std::string(ABS_TEST_DATA_DIR) + "/testserver/tls/server.pem";
  o.tls.key_file = std::string(ABS_TEST_DATA_DIR) + "/testserver/tls/server.key";
  auto c = Start(o);
  ASSERT_TRUE(c);
  ASSERT_NE(c->TlsPort(0), 0);
  TlsClient t;
  ASSERT_TRUE(t.Connect(c->TlsPort(0), "abs-test").ok());
  EXPECT_EQ(t.Info("build"), "8.1.2.0");
  EXPECT_EQ(t.Info("service-tls-std"), "127.0.0.1:" + std::to_string(c->TlsPort(0)));
  std::string peers = t.Info("peers-tls-std");
  EXPECT_NE(peers.find("[" + c->NodeId(1) + ",abs-test,[127.0.0.1:" + std::to_string(c->TlsPort(1)) + "]"),
            std::string::npos)
      << peers;
  TlsClient wrong;
  EXPECT_FALSE(wrong.Connect(c->TlsPort(0), "other-name").ok());  // name verification fails
  EXPECT_EQ(InfoOn(c->Port(0), "status"), "ok");  // the clear listener keeps working
  // A bad certificate path is reported at start.
  TestClusterOptions bad = o;
  bad.tls.cert_file = "/nonexistent.pem";
  auto b = TestCluster::Start(bad);
  EXPECT_FALSE(b.ok());
}

// Counts SIGPIPEs while installed (instead of the default action, which ends the process).
std::atomic<int> g_sigpipes{0};
class SigpipeCounter {
 public:
  SigpipeCounter() {
    struct sigaction sa {};
    sa.sa_handler = [](int) { g_sigpipes.fetch_add(1); };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, &old_);
  }
  ~SigpipeCounter() { sigaction(SIGPIPE, &old_, nullptr); }

 private:
  struct sigaction old_ {};
};

// Resets the socket (RST, unread data dropped) so every later server write to it fails with EPIPE.
void Abort(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::shutdown(fd, SHUT_RDWR);
}

// A client that asks for a big scan and goes away must not raise SIGPIPE in the server (it would kill
// the process hosting it), over TLS as over a clear socket.
TEST(Tls, ClientGoneDuringScanRaisesNoSigpipe) {
  TestClusterOptions o;
  o.tls.cert_file = std::string(ABS_TEST_DATA_DIR) + "/testserver/tls/server.pem";
  o.tls.key_file = std::string(ABS_TEST_DATA_DIR) + "/testserver/tls/server.key";
  auto c = Start(o);
  ASSERT_TRUE(c);
  // ~20 MB of records: far more than the loopback socket buffers hold.
  for (int i = 0; i < 2000; ++i) {
    Record r;
    r.ns = "test";
    r.set = "big";
    r.digest = ComputeDigest("big", int64_t{i});
    r.bins.push_back({"p", ParticleType::kBlob, std::string(10000, 'x')});
    ASSERT_TRUE(c->Put(r).ok());
  }
  SigpipeCounter counter;
  g_sigpipes = 0;
  ScanSpec s;
  s.set = "big";
  {
    TlsClient t;
    ASSERT_TRUE(t.Connect(c->TlsPort(0), "abs-test").ok());
    ASSERT_TRUE(t.Send(BuildScan(s)));
    char byte;
    ASSERT_EQ(SSL_peek(t.ssl(), &byte, 1), 1);  // the scan is streaming
    Abort(t.fd());
  }
  {
    RawClient clear;
    ASSERT_TRUE(clear.Connect(c->Port(0)).ok());
    ASSERT_TRUE(clear.Send(BuildScan(s)).ok());
    char byte;
    ASSERT_EQ(::recv(clear.fd(), &byte, 1, MSG_PEEK), 1);
    Abort(clear.fd());
  }
  c.reset();  // joins the connection threads: their scans have ended on a failed write
  EXPECT_EQ(g_sigpipes.load(), 0);
}

}  // namespace
}  // namespace aero::testserver
