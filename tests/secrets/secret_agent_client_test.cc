// SecretAgentClient against a test Secret Agent peer (fake_secret_agent.h) over real sockets: tcp,
// unix, TLS with a CA generated at test time, base64 mode, agent error replies, and every way a
// broken agent can misbehave (silence, wrong magic, huge length, early close, truncated or non-JSON
// bodies). The real agent is a Go binary not available here; see fake_secret_agent.h.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "secrets/command_line.h"
#include "secrets/secret_agent_client.h"
#include "tests/secrets/fake_secret_agent.h"
#include "tests/support/temp_dir.h"

namespace aero::secrets {
namespace {

using testing::FakeSecretAgent;
using namespace std::chrono_literals;

const std::string kSecret = "s3cr3t-P@ss";

class SecretAgentClientTest : public ::testing::Test {
 protected:
  void TearDown() override {
    agent_.reset();
  }

  void StartAgent(FakeSecretAgent::Options o = {}) {
    auto a = FakeSecretAgent::Start(std::move(o));
    ASSERT_TRUE(a.ok()) << a.status().message();
    agent_ = std::move(a).value();
    agent_->SetSecret("aerospike", "password", kSecret);
  }

  SecretAgentConfig TcpConfig() const {
    SecretAgentConfig c;
    c.address = "127.0.0.1";
    c.port = agent_->port();
    c.timeout = 2000ms;
    return c;
  }

  // The error of fetching secrets:aerospike:password, which must name the agent, resource and key
  // and never carry the secret.
  Status FetchError(const SecretAgentConfig& c) {
    auto r = SecretAgentClient(c).Fetch("secrets:aerospike:password");
    EXPECT_FALSE(r.ok());
    if (r.ok()) return Status::Ok();
    const std::string& m = r.status().message();
    EXPECT_NE(m.find(c.Describe()), std::string::npos) << m;
    EXPECT_NE(m.find("resource \"aerospike\""), std::string::npos) << m;
    EXPECT_NE(m.find("key \"password\""), std::string::npos) << m;
    EXPECT_EQ(m.find(kSecret), std::string::npos) << m;
    return r.status();
  }

  aero::testing::TempDir tmp_{"abs-sa"};
  std::string dir_ = tmp_.path();
  std::unique_ptr<FakeSecretAgent> agent_;
};

TEST_F(SecretAgentClientTest, TcpAnswer) {
  StartAgent();
  auto r = SecretAgentClient(TcpConfig()).Fetch("secrets:aerospike:password");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, kSecret);
  ASSERT_EQ(agent_->requests().size(), 1u);
  EXPECT_EQ(agent_->requests()[0], std::make_pair(std::string("aerospike"), std::string("password")));
  EXPECT_EQ(agent_->bad_requests(), 0);
}

TEST_F(SecretAgentClientTest, ResourceAndKeyWithJsonSpecialCharacters) {
  StartAgent();
  agent_->SetSecret("res \"q\"\\", "k\u00e9y", "v");
  auto r = SecretAgentClient(TcpConfig()).GetSecret(SecretRef{"res \"q\"\\", "k\u00e9y"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "v");
}

TEST_F(SecretAgentClientTest, UnixSocketAnswer) {
  FakeSecretAgent::Options o;
  o.unix_path = dir_ + "/agent.sock";
  StartAgent(o);
  SecretAgentConfig c;
  c.transport = SecretAgentConfig::Transport::kUnix;
  c.address = dir_ + "/agent.sock";
  auto r = SecretAgentClient(c).Fetch("secrets:aerospike:password");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, kSecret);
}

TEST_F(SecretAgentClientTest, Base64ValuesAreDecoded) {
  FakeSecretAgent::Options o;
  o.base64 = true;
  StartAgent(o);
  const std::string binary("\x00\xff\x10pem\n", 7);
  agent_->SetSecret("keys", "aes", binary);
  SecretAgentConfig c = TcpConfig();
  c.is_base64 = true;
  auto r = SecretAgentClient(c).Fetch("secrets:keys:aes");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, binary);
  // Without is-base64 the client hands back what the agent sent, unchanged.
  c.is_base64 = false;
  auto raw = SecretAgentClient(c).Fetch("secrets:keys:aes");
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(*raw, "AP8QcGVtCg==");
}

TEST_F(SecretAgentClientTest, Base64WithLineBreaks) {
  StartAgent();
  agent_->SetSecret("keys", "wrapped", "aGVsbG8g\r\nd29ybGQ=\n");  // "hello world", MIME-style wrapped
  SecretAgentConfig c = TcpConfig();
  c.is_base64 = true;
  auto r = SecretAgentClient(c).Fetch("secrets:keys:wrapped");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "hello world");
}

TEST_F(SecretAgentClientTest, TlsClientAgainstPlainAgentFailsFast) {
  StartAgent();
  ASSERT_TRUE(testing::WriteSelfSignedCert(dir_, "ca").ok());
  SecretAgentConfig c = TcpConfig();
  c.tls_ca_file = dir_ + "/ca.pem";
  c.timeout = 5000ms;
  auto start = std::chrono::steady_clock::now();
  Status st = FetchError(c);
  EXPECT_EQ(st.code(), ErrorCode::kNetwork) << st.message();
  EXPECT_NE(st.message().find("TLS handshake"), std::string::npos) << st.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

TEST_F(SecretAgentClientTest, Base64ModeWithAValueThatIsNotBase64) {
  StartAgent();  // the agent sends plain text
  SecretAgentConfig c = TcpConfig();
  c.is_base64 = true;
  Status st = FetchError(c);
  EXPECT_EQ(st.code(), ErrorCode::kCorrupt);
  EXPECT_NE(st.message().find("not valid base64"), std::string::npos) << st.message();
}

TEST_F(SecretAgentClientTest, AgentErrorReply) {
  StartAgent();
  auto r = SecretAgentClient(TcpConfig()).Fetch("secrets:aerospike:nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(r.status().message().find("key \"nope\""), std::string::npos);
  EXPECT_NE(r.status().message().find("the agent answered with an error: secret not found"), std::string::npos)
      << r.status().message();
}

TEST_F(SecretAgentClientTest, SilentAgentTimesOut) {
  StartAgent();
  agent_->SetBehaviour(FakeSecretAgent::Behaviour::kSilent);
  SecretAgentConfig c = TcpConfig();
  c.timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  Status st = FetchError(c);
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(st.code(), ErrorCode::kTimeout) << st.message();
  EXPECT_NE(st.message().find("reading the reply header timed out"), std::string::npos) << st.message();
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 3s);
}

TEST_F(SecretAgentClientTest, MisbehavingAgents) {
  StartAgent();
  struct Case {
    FakeSecretAgent::Behaviour behaviour;
    const char* expect;
  } cases[] = {
      {FakeSecretAgent::Behaviour::kBadMagic, "not the agent's magic 0x51dec1cc"},
      {FakeSecretAgent::Behaviour::kHugeLength, "announces 2147483648 bytes"},
      {FakeSecretAgent::Behaviour::kCloseAtOnce, "closed the connection while reading the reply header"},
      {FakeSecretAgent::Behaviour::kTruncatedBody, "closed the connection while reading the reply body (10 of 100"},
      {FakeSecretAgent::Behaviour::kNotJson, "not a JSON object"},
  };
  for (const auto& c : cases) {
    agent_->SetBehaviour(c.behaviour);
    Status st = FetchError(TcpConfig());
    EXPECT_EQ(st.code(), ErrorCode::kProtocol) << st.message();
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << st.message();
  }
}

TEST_F(SecretAgentClientTest, NobodyListening) {
  StartAgent();
  SecretAgentConfig c = TcpConfig();
  agent_.reset();  // the port is free again
  Status st = FetchError(c);
  EXPECT_EQ(st.code(), ErrorCode::kNetwork);
  EXPECT_NE(st.message().find("connect"), std::string::npos) << st.message();

  SecretAgentConfig u;
  u.transport = SecretAgentConfig::Transport::kUnix;
  u.address = dir_ + "/missing.sock";
  EXPECT_EQ(SecretAgentClient(u).Fetch("secrets:a:b").status().code(), ErrorCode::kNetwork);
}

TEST_F(SecretAgentClientTest, CommandLineOptionValues) {
  StartAgent();
  CommandLineAgentOptions o;
  o.address = "127.0.0.1:" + std::to_string(agent_->port());
  auto agent = AgentConfigFromOptions(o);
  ASSERT_TRUE(agent.ok()) << agent.status().message();
  auto r = ResolveOptionValue("secrets:aerospike:password", "--password", *agent);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, kSecret);
  auto e = ResolveOptionValue("secrets:aerospike:absent", "--azure-account-key", *agent);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message().rfind("--azure-account-key: secret agent tcp 127.0.0.1:", 0), 0u)
      << e.status().message();
}

TEST_F(SecretAgentClientTest, BadReferenceNeverReachesTheAgent) {
  StartAgent();
  auto r = SecretAgentClient(TcpConfig()).Fetch("secrets:only-a-key");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(agent_->requests().empty());
}

class SecretAgentTlsTest : public SecretAgentClientTest {
 protected:
  void SetUp() override {
    SecretAgentClientTest::SetUp();
    ASSERT_TRUE(testing::WriteSelfSignedCert(dir_, "agent").ok());
    ASSERT_TRUE(testing::WriteSelfSignedCert(dir_, "other").ok());
    FakeSecretAgent::Options o;
    o.tls_cert_file = dir_ + "/agent.pem";
    o.tls_key_file = dir_ + "/agent.key";
    StartAgent(o);
  }
};

TEST_F(SecretAgentTlsTest, VerifiedAgent) {
  SecretAgentConfig c = TcpConfig();
  c.tls_ca_file = dir_ + "/agent.pem";
  auto r = SecretAgentClient(c).Fetch("secrets:aerospike:password");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, kSecret);
  c.address = "localhost";  // name check against the DNS SAN (and SNI)
  r = SecretAgentClient(c).Fetch("secrets:aerospike:password");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, kSecret);
}

TEST_F(SecretAgentTlsTest, UntrustedCertificateIsRefused) {
  SecretAgentConfig c = TcpConfig();
  c.tls_ca_file = dir_ + "/other.pem";
  Status st = FetchError(c);
  EXPECT_EQ(st.code(), ErrorCode::kNetwork);
  EXPECT_NE(st.message().find("certificate not accepted"), std::string::npos) << st.message();
  EXPECT_TRUE(agent_->requests().empty());
}

TEST_F(SecretAgentTlsTest, MissingCaFile) {
  SecretAgentConfig c = TcpConfig();
  c.tls_ca_file = dir_ + "/absent.pem";
  Status st = FetchError(c);
  EXPECT_EQ(st.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(st.message().find("cannot load tls-ca-file " + c.tls_ca_file), std::string::npos) << st.message();
}

TEST_F(SecretAgentTlsTest, PlainClientAgainstTlsAgentFailsFast) {
  // The agent expects a ClientHello and drops the connection; the client must not wait for the timeout.
  SecretAgentConfig c = TcpConfig();
  c.timeout = 5000ms;
  auto start = std::chrono::steady_clock::now();
  Status st = FetchError(c);
  EXPECT_NE(st.code(), ErrorCode::kOk);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 4s);
}

}  // namespace
}  // namespace aero::secrets
