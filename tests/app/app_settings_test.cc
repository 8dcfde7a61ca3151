// Integration tests of the listener settings of aerospike-backup-service (service.http /
// service.https): the header/read timeouts against a slowloris client on a real socket (plain and
// TLS), and the HTTPS listener's TLS settings (mTLS client-auth with client-ca-file, min-version,
// cipher-suites) against an OpenSSL client, and the reload of a replaced cert-file / key-file (ABS 3.7
// polls them every 10 s): once through the real binary, and in-process with a short poll interval
// for invalid replacements. Certificates are generated per test with OpenSSL.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>

#include "service/api/api_server.h"
#include "service/metrics/metrics.h"
#include "service/model/config_store.h"
#include "service/model/operations.h"
#include "tests/secrets/fake_secret_agent.h"
#include "tests/support/certs.h"
#include "tests/support/ports.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace aero::apptest {
namespace {

using Clock = std::chrono::steady_clock;
using testing::CertSpec;
using testing::FreeLoopbackPort;
using testing::ReadFile;
using testing::ServiceProcess;
using testing::TempDir;
using testing::TestCert;
using testing::WaitUntil;
using testing::WriteFile;

// A write to a connection the service closed must fail the test, not kill it.
const bool kIgnoreSigpipe = [] {
  signal(SIGPIPE, SIG_IGN);
  return true;
}();

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size())) s.replace(i, from.size(), to);
  return s;
}

// ---- certificates ----
// A P-256 (or RSA-2048) certificate named `cn`, signed by `issuer` (self-signed when null): a CA, or a
// certificate for 127.0.0.1.
TestCert MakeCert(const std::string& cn, const TestCert* issuer, bool is_ca, int serial, bool rsa = false) {
  CertSpec spec;
  spec.common_name = cn;
  spec.serial = serial;
  spec.rsa = rsa;
  if (is_ca) {
    spec.key_usage = "critical,keyCertSign,cRLSign";
    spec.subject_alt_names = "";
  } else {
    spec.basic_constraints = "CA:FALSE";
  }
  auto cert = TestCert::Make(spec, issuer);
  if (!cert.ok()) throw std::runtime_error(cert.status().ToString());
  return std::move(*cert);
}

// Replaces `path` with `content` through a temporary file and rename(), as certificate managers do.
void ReplaceFile(const std::string& path, const std::string& content) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    ASSERT_TRUE(out.good()) << tmp;
  }
  ASSERT_EQ(std::rename(tmp.c_str(), path.c_str()), 0) << path;
}

// CA, server and client certificates, plus a client certificate from an unrelated CA.
struct Pki {
  TempDir dir;
  std::string ca, server_cert, server_key, client_cert, client_key, rogue_cert, rogue_key;
  // The server key again, encrypted (AES-256-CBC PEM) with kKeyPassphrase.
  std::string server_key_encrypted;
  static constexpr const char* kKeyPassphrase = "Tls-Key-Passphrase-7";
  void Make() {
    TestCert ca_kp = MakeCert("abs-test-ca", nullptr, true, 1);
    TestCert server_kp = MakeCert("127.0.0.1", &ca_kp, false, 2);
    TestCert client_kp = MakeCert("abs-client", &ca_kp, false, 3);
    TestCert rogue_ca_kp = MakeCert("rogue-ca", nullptr, true, 4);
    TestCert rogue_kp = MakeCert("abs-client", &rogue_ca_kp, false, 5);
    ca = dir.File("ca.pem");
    server_cert = dir.File("server.pem");
    server_key = dir.File("server.key");
    client_cert = dir.File("client.pem");
    client_key = dir.File("client.key");
    rogue_cert = dir.File("rogue.pem");
    rogue_key = dir.File("rogue.key");
    ASSERT_TRUE(ca_kp.Write(ca, "").ok());
    ASSERT_TRUE(server_kp.Write(server_cert, server_key).ok());
    ASSERT_TRUE(client_kp.Write(client_cert, client_key).ok());
    ASSERT_TRUE(rogue_kp.Write(rogue_cert, rogue_key).ok());
    server_key_encrypted = dir.File("server-encrypted.key");
    ASSERT_TRUE(WriteFile(server_key_encrypted, server_kp.KeyPem(kKeyPassphrase)));
  }
};

// ---- sockets ----
int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  timeval tv{10, 0};  // no test read may hang
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

// Waits until the peer closes `fd` (EOF or reset); the time it took, or -1 ms when it stayed open
// for `limit`.
std::chrono::milliseconds WaitForClose(int fd, std::chrono::milliseconds limit) {
  auto start = Clock::now();
  while (Clock::now() - start < limit) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(limit - (Clock::now() - start)).count());
    if (poll(&p, 1, std::max(1, left)) <= 0) continue;
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  }
  return std::chrono::milliseconds(-1);
}

// An OpenSSL client connection to the HTTPS listener.
struct TlsOptions {
  std::string cert, key;       // client certificate (none when empty)
  std::string ca;              // verify the server against this CA (none when empty)
  int max_version = 0;         // e.g. TLS1_2_VERSION; 0 = library maximum
  std::string tls12_ciphers;   // OpenSSL cipher list for TLS <= 1.2 (default when empty)
};
struct TlsConn {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  std::string error;
  TlsConn() = default;
  TlsConn(const TlsConn&) = delete;
  TlsConn& operator=(const TlsConn&) = delete;
  ~TlsConn() {
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
    if (fd >= 0) close(fd);
  }
  static std::string Errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      out += std::string(buf) + "; ";
    }
    return out;
  }
  bool Open(int port, const TlsOptions& o) {
    ERR_clear_error();
    ctx = SSL_CTX_new(TLS_client_method());
    if (o.max_version) SSL_CTX_set_max_proto_version(ctx, o.max_version);
    if (!o.tls12_ciphers.empty() && SSL_CTX_set_cipher_list(ctx, o.tls12_ciphers.c_str()) != 1) {
      error = "bad client cipher list";
      return false;
    }
    if (!o.cert.empty() && (SSL_CTX_use_certificate_file(ctx, o.cert.c_str(), SSL_FILETYPE_PEM) != 1 ||
                            SSL_CTX_use_PrivateKey_file(ctx, o.key.c_str(), SSL_FILETYPE_PEM) != 1)) {
      error = "cannot load client certificate: " + Errors();
      return false;
    }
    if (!o.ca.empty()) {
      SSL_CTX_load_verify_locations(ctx, o.ca.c_str(), nullptr);
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    }
    fd = ConnectLoopback(port);
    if (fd < 0) {
      error = "connect failed";
      return false;
    }
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1) {
      error = "handshake failed: " + Errors();
      return false;
    }
    return true;
  }
  bool Write(const std::string& data) {
    if (SSL_write(ssl, data.data(), static_cast<int>(data.size())) != static_cast<int>(data.size())) {
      error = "write failed: " + Errors();
      return false;
    }
    return true;
  }
  // The whole response until the server closes (requests send Connection: close).
  std::string ReadAll() {
    std::string out;
    char buf[4096];
    int n;
    while ((n = SSL_read(ssl, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    if (out.empty()) error = "no response: " + Errors();
    return out;
  }
};

// GET /health over TLS; the status line ("HTTP/1.1 200 OK") or "" with `error` set.
std::string TlsHealth(int port, const TlsOptions& o, std::string* error, std::string* cipher = nullptr,
                      std::string* version = nullptr) {
  TlsConn c;
  std::string line;
  if (c.Open(port, o) && c.Write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) {
    std::string resp = c.ReadAll();
    line = resp.substr(0, resp.find("\r\n"));
    if (cipher) *cipher = SSL_get_cipher_name(c.ssl);
    if (version) *version = SSL_get_version(c.ssl);
  }
  *error = c.error;
  return line;
}

// The certificate the HTTPS listener presents to a new connection, as "<CN>/<serial>", after a
// GET /health on that connection answered 200; "" with `error` set otherwise.
std::string ServedCertificate(int port, std::string* error) {
  TlsConn c;
  if (!c.Open(port, {}) || !c.Write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")) {
    *error = c.error;
    return "";
  }
  std::string resp = c.ReadAll();
  if (resp.rfind("HTTP/1.1 200", 0) != 0) {
    *error = "no 200 answer: " + resp.substr(0, resp.find("\r\n")) + " " + c.error;
    return "";
  }
  X509* peer = SSL_get1_peer_certificate(c.ssl);
  if (peer == nullptr) {
    *error = "no server certificate";
    return "";
  }
  char cn[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
  const long serial = ASN1_INTEGER_get(X509_get0_serialNumber(peer));
  X509_free(peer);
  error->clear();
  return std::string(cn) + "/" + std::to_string(serial);
}

// Polls ServedCertificate until it is `want` or `limit` passed (then the last answer). A new
// connection each time: the test waits for the service's own poll, it does not time it.
std::string WaitForServed(int port, const std::string& want, std::chrono::milliseconds limit, std::string* error) {
  std::string got;
  WaitUntil([&] { return (got = ServedCertificate(port, error)) == want; }, limit);
  return got;
}

// A service started from tests/data/service_api/base.yml, with `edit` applied to the YAML text.
class Service {
 public:
  explicit Service(const std::function<std::string(std::string)>& edit) {
    port_ = FreeLoopbackPort();
    std::string text = ReadFile(std::string(ABS_TEST_DATA) + "/base.yml");
    text = ReplaceAll(ReplaceAll(text, "@PORT@", std::to_string(port_)), "@DIR@", dir_.path());
    dir_.Write("config.yml", edit(text));
  }
  bool Start() { return proc_.Start({"-c", dir_.File("config.yml")}).ok(); }
  int RunToExit() { return proc_.RunToExit({"-c", dir_.File("config.yml")}); }
  int port() const { return port_; }
  ServiceProcess& proc() { return proc_; }

 private:
  TempDir dir_;
  int port_ = 0;
  ServiceProcess proc_;
};

// The YAML of an https listener on `port` with the PKI's server certificate plus `extra` lines
// (each indented by 4 spaces), inserted before the logger section.
std::function<std::string(std::string)> WithHttps(int port, const Pki& pki, const std::string& extra,
                                                  const std::string& http_extra = "") {
  const std::string cert = pki.server_cert, key = pki.server_key;
  return [=](std::string t) {
    if (!http_extra.empty()) t = ReplaceAll(t, "    rate:\n", http_extra + "    rate:\n");
    return ReplaceAll(t, "  logger:\n",
                      "  https:\n    address: 127.0.0.1\n    port: " + std::to_string(port) +
                          "\n    cert-file: " + cert + "\n    key-file: " + key + "\n" + extra +
                          "  logger:\n");
  };
}

// ---------------------------------------------------------------------------------------------

// A client that sends half a request header and stalls gets no more time than service.http.timeout
// (here 1 s, far below read-timeout): httplib then answers 400 and closes the connection once the
// keep-alive wait (idle-timeout, 1 s here) is over. Both listeners; the service keeps answering other
// clients meanwhile.
TEST(ServiceSettings, SlowlorisIsDisconnectedAfterHeaderTimeout) {
  Pki pki;
  pki.Make();
  const int https_port = FreeLoopbackPort();
  const std::string timeouts = "    timeout: 1000\n    read-timeout: 30000\n    idle-timeout: 1000\n";
  Service svc(WithHttps(https_port, pki, timeouts, timeouts));
  ASSERT_TRUE(svc.Start()) << svc.proc().output();
  const std::string half = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";

  // Plain HTTP.
  int fd = ConnectLoopback(svc.port());
  ASSERT_GE(fd, 0);
  ASSERT_EQ(send(fd, half.data(), half.size(), MSG_NOSIGNAL), static_cast<ssize_t>(half.size()));
  auto sent = Clock::now();
  httplib::Client other("127.0.0.1", svc.port());
  other.set_connection_timeout(std::chrono::seconds(5));
  other.set_read_timeout(std::chrono::seconds(5));
  auto r = other.Get("/health");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  char buf[512];
  ssize_t n = recv(fd, buf, sizeof buf, 0);  // 10 s receive timeout on the test socket
  auto answered = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
  ASSERT_GT(n, 0) << "no answer to the stalled header";
  EXPECT_EQ(std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_GE(answered.count(), 900);
  EXPECT_LT(answered.count(), 3000) << "the header wait was not cut at the 1 s timeout";
  auto waited = WaitForClose(fd, std::chrono::seconds(10));
  auto total = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
  close(fd);
  ASSERT_GE(waited.count(), 0) << "the stalled connection was never closed";
  EXPECT_LT(total.count(), 4500);

  // HTTPS: the handshake completes, then the request header stalls.
  TlsConn slow;
  ASSERT_TRUE(slow.Open(https_port, {})) << slow.error;
  ASSERT_TRUE(slow.Write(half)) << slow.error;
  sent = Clock::now();
  std::string err;
  EXPECT_EQ(TlsHealth(https_port, {}, &err), "HTTP/1.1 200 OK") << err;
  std::string reply = slow.ReadAll();  // until the server closes; 10 s receive timeout
  total = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
  EXPECT_EQ(reply.rfind("HTTP/1.1 400", 0), 0u) << reply;
  EXPECT_GE(total.count(), 900);
  EXPECT_LT(total.count(), 4500);
  EXPECT_EQ(svc.proc().Stop(), 0);
}

// An idle-timeout above what a worker thread may be held is announced at start-up, not silently
// shortened.
TEST(ServiceSettings, LongIdleTimeoutIsCappedLoudly) {
  Service svc([](std::string t) { return ReplaceAll(t, "    rate:\n", "    idle-timeout: 120000\n    rate:\n"); });
  ASSERT_TRUE(svc.Start()) << svc.proc().output();
  EXPECT_NE(svc.proc().output().find("idle-timeout 120000 ms is served as 5 s"), std::string::npos)
      << svc.proc().output();
  EXPECT_EQ(svc.proc().Stop(), 0);
}

// client-auth require-and-verify: no certificate or one from another CA is refused, a certificate
// signed by client-ca-file is served.
TEST(ServiceSettings, MutualTlsRequiresACertificateFromTheClientCa) {
  Pki pki;
  pki.Make();
  const int https_port = FreeLoopbackPort();
  Service svc(WithHttps(https_port, pki, "    client-auth: require-and-verify\n    client-ca-file: " + pki.ca + "\n"));
  ASSERT_TRUE(svc.Start()) << svc.proc().output();

  std::string err;
  EXPECT_EQ(TlsHealth(https_port, {pki.client_cert, pki.client_key, pki.ca}, &err), "HTTP/1.1 200 OK") << err;
  // TLS 1.3 clients finish their side of the handshake before the server checks the certificate, so
  // the refusal may arrive as an alert on the first read: either way no response.
  EXPECT_EQ(TlsHealth(https_port, {"", "", pki.ca}, &err), "");
  EXPECT_FALSE(err.empty());
  EXPECT_EQ(TlsHealth(https_port, {pki.rogue_cert, pki.rogue_key, pki.ca}, &err), "");
  EXPECT_FALSE(err.empty());
  // Same over TLS 1.2, where the refusal is part of the handshake.
  EXPECT_EQ(TlsHealth(https_port, {"", "", pki.ca, TLS1_2_VERSION}, &err), "");
  EXPECT_NE(err.find("handshake failed"), std::string::npos) << err;
  EXPECT_EQ(TlsHealth(https_port, {pki.client_cert, pki.client_key, pki.ca, TLS1_2_VERSION}, &err),
            "HTTP/1.1 200 OK")
      << err;
  EXPECT_EQ(svc.proc().Stop(), 0);
}

// client-auth none (default) and request without a CA serve clients without certificates;
// require-and-verify without client-ca-file is refused at start-up.
TEST(ServiceSettings, ClientAuthNoneAndRequest) {
  Pki pki;
  pki.Make();
  for (const std::string mode : {"none", "request"}) {
    const int https_port = FreeLoopbackPort();
    Service svc(WithHttps(https_port, pki, "    client-auth: " + mode + "\n"));
    ASSERT_TRUE(svc.Start()) << svc.proc().output();
    std::string err;
    EXPECT_EQ(TlsHealth(https_port, {"", "", pki.ca}, &err), "HTTP/1.1 200 OK") << mode << ": " << err;
    EXPECT_EQ(TlsHealth(https_port, {pki.rogue_cert, pki.rogue_key, pki.ca}, &err), "HTTP/1.1 200 OK")
        << mode << ": " << err;
    EXPECT_EQ(svc.proc().Stop(), 0);
  }
  // request with a CA: a presented certificate must verify; none at all is fine.
  const int https_port = FreeLoopbackPort();
  Service svc(WithHttps(https_port, pki, "    client-auth: request\n    client-ca-file: " + pki.ca + "\n"));
  ASSERT_TRUE(svc.Start()) << svc.proc().output();
  std::string err;
  EXPECT_EQ(TlsHealth(https_port, {"", "", pki.ca}, &err), "HTTP/1.1 200 OK") << err;
  EXPECT_EQ(TlsHealth(https_port, {pki.client_cert, pki.client_key, pki.ca}, &err), "HTTP/1.1 200 OK") << err;
  EXPECT_EQ(TlsHealth(https_port, {pki.rogue_cert, pki.rogue_key, pki.ca}, &err), "");
  EXPECT_EQ(svc.proc().Stop(), 0);
}

// min-version 1.3 refuses TLS 1.2 clients; cipher-suites (Go names) restrict TLS 1.2 suites; an
// unknown suite name stops the service at start-up naming it.
TEST(ServiceSettings, MinVersionAndCipherSuites) {
  Pki pki;
  pki.Make();
  {
    const int https_port = FreeLoopbackPort();
    Service svc(WithHttps(https_port, pki, "    min-version: \"1.3\"\n"));
    ASSERT_TRUE(svc.Start()) << svc.proc().output();
    std::string err, cipher, version;
    EXPECT_EQ(TlsHealth(https_port, {"", "", pki.ca}, &err, &cipher, &version), "HTTP/1.1 200 OK") << err;
    EXPECT_EQ(version, "TLSv1.3");
    EXPECT_EQ(TlsHealth(https_port, {"", "", pki.ca, TLS1_2_VERSION}, &err), "");
    EXPECT_NE(err.find("handshake failed"), std::string::npos) << err;
    EXPECT_EQ(svc.proc().Stop(), 0);
  }
  {
    const int https_port = FreeLoopbackPort();
    Service svc(WithHttps(https_port, pki, "    cipher-suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]\n"));
    ASSERT_TRUE(svc.Start()) << svc.proc().output();
    std::string err, cipher;
    EXPECT_EQ(TlsHealth(https_port, {"", "", pki.ca, TLS1_2_VERSION, "ECDHE-ECDSA-AES128-GCM-SHA256"}, &err, &cipher),
              "HTTP/1.1 200 OK")
        << err;
    EXPECT_EQ(cipher, "ECDHE-ECDSA-AES128-GCM-SHA256");
    EXPECT_EQ(TlsHealth(https_port, {"", "", pki.ca, TLS1_2_VERSION, "ECDHE-ECDSA-AES256-GCM-SHA384"}, &err), "");
    EXPECT_NE(err.find("handshake failed"), std::string::npos) << err;
    EXPECT_EQ(svc.proc().Stop(), 0);
  }
  {
    Service svc(WithHttps(FreeLoopbackPort(), pki, "    cipher-suites: [TLS_NOT_A_REAL_SUITE]\n"));
    EXPECT_EQ(svc.RunToExit(), 3);
    EXPECT_NE(svc.proc().output().find("TLS_NOT_A_REAL_SUITE"), std::string::npos) << svc.proc().output();
  }
}

// The HTTPS key's passphrase as a secrets: reference, fetched from a Secret Agent (the test agent
// peer of tests/secrets over a real socket) through the listener's secret-agent: the encrypted key
// loads and clients are served. A reference the agent does not know stops start-up (exit 3) with
// an error naming the field, never the passphrase.
TEST(ServiceSettings, HttpsKeyPassphraseFromTheSecretAgent) {
  Pki pki;
  pki.Make();
  auto agent = aero::secrets::testing::FakeSecretAgent::Start({});
  ASSERT_TRUE(agent.ok()) << agent.status().message();
  (*agent)->SetSecret("tls", "passphrase", Pki::kKeyPassphrase);
  (*agent)->SetSecret("tls", "stale", "Not-The-Passphrase");
  const std::string agent_yaml = "    secret-agent:\n      connection-type: tcp\n      address: 127.0.0.1\n      port: " +
                                 std::to_string((*agent)->port()) + "\n";
  auto with_key = [&](const std::string& ref, int port) {
    // The server's key file swapped for the encrypted copy.
    auto base = WithHttps(port, pki, "    key-file-password: " + ref + "\n" + agent_yaml);
    const std::string plain = pki.server_key + "\n", encrypted = pki.server_key_encrypted + "\n";
    return [=](std::string t) { return ReplaceAll(base(t), plain, encrypted); };
  };
  const int https_port = FreeLoopbackPort();
  Service svc(with_key("secrets:tls:passphrase", https_port));
  ASSERT_TRUE(svc.Start()) << svc.proc().output();
  std::string err;
  EXPECT_EQ(TlsHealth(https_port, {"", "", pki.ca}, &err), "HTTP/1.1 200 OK") << err << svc.proc().output();
  EXPECT_EQ(svc.proc().Stop(), 0);
  EXPECT_EQ(svc.proc().output().find(Pki::kKeyPassphrase), std::string::npos);

  Service bad(with_key("secrets:tls:no-such-key", FreeLoopbackPort()));
  EXPECT_EQ(bad.RunToExit(), 3) << bad.proc().output();
  EXPECT_NE(bad.proc().output().find("service.https key-file-password"), std::string::npos) << bad.proc().output();
  EXPECT_NE(bad.proc().output().find("no-such-key"), std::string::npos) << bad.proc().output();
  // A wrong passphrase from the agent: the encrypted key does not load.
  Service stale(with_key("secrets:tls:stale", FreeLoopbackPort()));
  EXPECT_EQ(stale.RunToExit(), 3) << stale.proc().output();
  EXPECT_EQ(stale.proc().output().find("Not-The-Passphrase"), std::string::npos) << stale.proc().output();
}

// cert-file / key-file replaced under a running service (ABS 3.7: polled every 10 s): new
// connections get the new certificate without a restart, and the service logs the reload. The only
// test here that waits for the binary's real 10 s poll.
TEST(ServiceSettings, ReplacedCertificateIsServedWithoutRestart) {
  Pki pki;
  pki.Make();
  const int https_port = FreeLoopbackPort();
  Service svc(WithHttps(https_port, pki, ""));
  ASSERT_TRUE(svc.Start()) << svc.proc().output();
  std::string err;
  ASSERT_EQ(ServedCertificate(https_port, &err), "127.0.0.1/2") << err;

  TestCert next = MakeCert("abs-reloaded", nullptr, false, 77);
  ReplaceFile(pki.server_key, next.KeyPem());
  ReplaceFile(pki.server_cert, next.CertPem());
  const auto replaced = Clock::now();
  EXPECT_EQ(WaitForServed(https_port, "abs-reloaded/77", std::chrono::seconds(15), &err), "abs-reloaded/77")
      << err << svc.proc().output();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - replaced);
  EXPECT_LT(took.count(), 12'500) << "the poll interval should be 10 s";  // + slack for a busy machine
  EXPECT_NE(svc.proc().output().find("certificate reloaded from " + pki.server_cert), std::string::npos)
      << svc.proc().output();
  EXPECT_NE(svc.proc().output().find("CN=abs-reloaded, serial 4D"), std::string::npos) << svc.proc().output();
  EXPECT_EQ(svc.proc().Stop(), 0);
}

// ---- in-process ApiServer (short certificate poll interval) ----

class NoSource : public service::model::ConfigSource {
 public:
  Result<std::string> Read() override { return Status(ErrorCode::kUnsupported, "no configuration source"); }
  Status Write(const service::Config&) override { return Status(ErrorCode::kUnsupported, "no configuration source"); }
  std::string Describe() const override { return "(none)"; }
};

// The default spdlog logger swapped for one that keeps the last lines, for the duration of a test.
class LogCapture {
 public:
  LogCapture() : sink_(std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(512)), previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::debug);
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string Text() const {
    std::string out;
    for (const auto& line : sink_->last_formatted()) out += line;
    return out;
  }
  // Waits (polling, up to `limit`) until a logged line contains every one of `parts`.
  bool WaitFor(const std::vector<std::string>& parts, std::chrono::milliseconds limit = std::chrono::seconds(5)) const {
    return WaitUntil(
        [&] {
          for (const auto& line : sink_->last_formatted()) {
            bool all = true;
            for (const auto& p : parts) all = all && line.find(p) != std::string::npos;
            if (all) return true;
          }
          return false;
        },
        limit);
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_;
  std::shared_ptr<spdlog::logger> previous_;
};

// An ApiServer in this process with only the HTTPS listener.
struct InProcessServer {
  service::metrics::Registry registry;
  service::metrics::AbsMetrics metrics{registry};
  std::unique_ptr<service::model::BackupOperations> ops = service::model::NewUnavailableBackupOperations();
  service::model::ConfigStore store{service::Config{}, std::make_unique<NoSource>()};
  service::api::ApiServer server{store, *ops, registry, metrics, "v-test"};
  int port = FreeLoopbackPort();

  Status Start(const std::string& cert, const std::string& key, const std::string& password,
               std::chrono::milliseconds interval) {
    service::ServiceConfig cfg;
    cfg.http.emplace();
    cfg.http->disabled = true;
    cfg.https.emplace();
    cfg.https->address = "127.0.0.1";
    cfg.https->port = port;
    cfg.https->cert_file = cert;
    cfg.https->key_file = key;
    if (!password.empty()) cfg.https->key_file_password = password;
    server.SetCertPollInterval(interval);
    return server.Start(cfg);
  }
};

// Invalid replacements (garbage certificate, key of another certificate, unreadable key file) keep
// the last good pair in use and are logged naming the file and the problem; a valid one (another
// key type, encrypted with key-file-password like the first) is served on the next poll.
TEST(CertificateReload, InvalidReplacementKeepsTheLastGoodPair) {
  LogCapture log;
  TempDir dir;
  const std::string cert = dir.File("live.pem"), key = dir.File("live.key");
  const std::string password = "Reload-Passphrase-9";
  TestCert a = MakeCert("cert-a", nullptr, false, 101);
  TestCert b = MakeCert("cert-b", nullptr, false, 102, /*rsa=*/true);
  TestCert other = MakeCert("cert-other", nullptr, false, 103);
  ReplaceFile(cert, a.CertPem());
  ReplaceFile(key, a.KeyPem(password));

  InProcessServer srv;
  Status st = srv.Start(cert, key, password, std::chrono::milliseconds(50));
  ASSERT_TRUE(st.ok()) << st.message();
  std::string err;
  ASSERT_EQ(ServedCertificate(srv.port, &err), "cert-a/101") << err;

  // Half-written certificate.
  ReplaceFile(cert, "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIBZTAKBggqhkjOPQQDAjAR\n");
  ASSERT_TRUE(log.WaitFor({"not reloaded", "cert-file " + cert + ": no PEM certificate"})) << log.Text();
  EXPECT_EQ(ServedCertificate(srv.port, &err), "cert-a/101") << err;

  // A well-formed certificate whose key is not the one in key-file.
  ReplaceFile(cert, other.CertPem());
  ASSERT_TRUE(log.WaitFor({"not reloaded", "key-file " + key + " does not match the certificate in cert-file " + cert}))
      << log.Text();
  EXPECT_EQ(ServedCertificate(srv.port, &err), "cert-a/101") << err;

  // The new pair (RSA where the first was EC): served to new connections.
  ReplaceFile(key, b.KeyPem(password));
  ReplaceFile(cert, b.CertPem());
  EXPECT_EQ(WaitForServed(srv.port, "cert-b/102", std::chrono::seconds(5), &err), "cert-b/102") << err << log.Text();
  EXPECT_TRUE(log.WaitFor({"certificate reloaded from " + cert, "CN=cert-b"})) << log.Text();

  // The key file gone, then back encrypted with another passphrase: both refused, still serving b.
  ASSERT_EQ(std::remove(key.c_str()), 0);
  ASSERT_TRUE(log.WaitFor({"not reloaded", "key-file " + key + ": cannot open"})) << log.Text();
  EXPECT_EQ(ServedCertificate(srv.port, &err), "cert-b/102") << err;
  ReplaceFile(key, b.KeyPem("Another-Passphrase"));
  ASSERT_TRUE(log.WaitFor({"not reloaded", "key-file " + key + ": no PEM private key"})) << log.Text();
  EXPECT_EQ(ServedCertificate(srv.port, &err), "cert-b/102") << err;
  srv.server.Stop();
  EXPECT_EQ(log.Text().find(password), std::string::npos) << "the passphrase was logged";
}

// Stop() wakes the certificate watcher at once (it waits on a condition variable, not a sleep), and
// a bad pair at start-up is an error naming the file.
TEST(CertificateReload, StopIsPromptAndABadFirstPairFailsStart) {
  TempDir dir;
  const std::string cert = dir.File("live.pem"), key = dir.File("live.key");
  TestCert a = MakeCert("cert-a", nullptr, false, 201);
  TestCert other = MakeCert("cert-other", nullptr, false, 202);
  ReplaceFile(cert, a.CertPem());
  ReplaceFile(key, a.KeyPem());
  {
    InProcessServer srv;
    Status st = srv.Start(cert, key, "", std::chrono::hours(1));
    ASSERT_TRUE(st.ok()) << st.message();
    std::string err;
    EXPECT_EQ(ServedCertificate(srv.port, &err), "cert-a/201") << err;
    const auto t0 = Clock::now();
    srv.server.Stop();
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count(), 3000);
    EXPECT_TRUE(srv.server.Endpoints().empty());
  }
  ReplaceFile(key, other.KeyPem());
  InProcessServer srv;
  Status st = srv.Start(cert, key, "", std::chrono::milliseconds(50));
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("key-file " + key + " does not match the certificate in cert-file " + cert),
            std::string::npos)
      << st.message();
}

}  // namespace
}  // namespace aero::apptest
