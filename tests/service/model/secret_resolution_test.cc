// How the service resolves "secrets:" references: agent choice (inline, by name, the run's agent),
// the cluster, storage and encryption settings built from them, and the remote-configuration
// descriptor; all against the test Secret Agent peer over a real socket (fake_secret_agent.h).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/base64.h"
#include "format/codec.h"
#include "service/jobs/connections.h"
#include "service/model/config_sources.h"
#include "service/model/secret_resolver.h"
#include "tests/secrets/fake_secret_agent.h"
#include "tests/support/temp_dir.h"

namespace aero::service {
namespace {

using secrets::testing::FakeSecretAgent;

const std::string kPassword = "pa55-from-agent";

class SecretResolutionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = FakeSecretAgent::Start({});
    ASSERT_TRUE(a.ok()) << a.status().message();
    agent_ = std::move(a).value();
    agent_->SetSecret("aerospike", "password", kPassword);
    agent_cfg_.connection_type = "tcp";
    agent_cfg_.address = "127.0.0.1";
    agent_cfg_.port = agent_->port();
    agent_cfg_.timeout_ms = 2000;
  }
  void TearDown() override {
    agent_.reset();
  }

  aero::testing::TempDir tmp_{"abs-sr"};
  std::string dir_ = tmp_.path();
  std::unique_ptr<FakeSecretAgent> agent_;
  SecretAgent agent_cfg_;
};

TEST_F(SecretResolutionTest, LiteralsPassThroughWithoutAnAgent) {
  model::SecretResolver none;
  auto r = none.Resolve(std::string_view("plain"), "field");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "plain");
  EXPECT_EQ(*none.Resolve(std::optional<std::string>(), "field"), "");
  EXPECT_TRUE(agent_->requests().empty());
}

TEST_F(SecretResolutionTest, AgentChoice) {
  SecretAgent broken = agent_cfg_;
  broken.port = 1;  // nothing listens there
  model::SecretResolver resolver({{"vault", agent_cfg_}, {"dead", broken}}, broken, "routine agent");

  // Inline agent wins over name and run agent.
  auto r = resolver.Resolve(std::string_view("secrets:aerospike:password"), "f", agent_cfg_, std::string("dead"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, kPassword);
  // Then the name.
  r = resolver.Resolve(std::string_view("secrets:aerospike:password"), "f", std::nullopt, std::string("vault"));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, kPassword);
  // Then the run agent (here unreachable: the error says which agent was used).
  r = resolver.Resolve(std::string_view("secrets:aerospike:password"), "cluster x credentials password");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNetwork);
  EXPECT_NE(r.status().message().find("cluster x credentials password"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("routine agent"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("tcp 127.0.0.1:1"), std::string::npos) << r.status().message();

  // An unknown name, and no agent at all.
  r = resolver.Resolve(std::string_view("secrets:aerospike:password"), "f", std::nullopt, std::string("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("secret-agent-name \"nope\""), std::string::npos) << r.status().message();
  r = model::SecretResolver().Resolve(std::string_view("secrets:aerospike:password"), "s3-storage access-key-id");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("s3-storage access-key-id: secrets:aerospike:password is a Secret Agent "
                                      "reference but no agent is set"),
            std::string::npos)
      << r.status().message();
}

TEST_F(SecretResolutionTest, ForRun) {
  Config config;
  config.secret_agents["vault"] = agent_cfg_;
  auto resolver = model::SecretResolver::ForRun(config, std::string("vault"));
  ASSERT_TRUE(resolver.ok());
  auto r = resolver->ResolveRunSecret("secrets:aerospike:password", "encryption key-secret");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, kPassword);
  EXPECT_FALSE(model::SecretResolver::ForRun(config, std::string("missing")).ok());
  auto no_run = model::SecretResolver::ForRun(config, std::nullopt);
  ASSERT_TRUE(no_run.ok());
  auto e = no_run->ResolveRunSecret("secrets:aerospike:password", "encryption key-secret");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("needs the routine's"), std::string::npos) << e.status().message();
  e = resolver->ResolveRunSecret("not-a-reference", "encryption key-secret");
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("is not a secrets:<resource>:<key> reference"), std::string::npos);
}

TEST_F(SecretResolutionTest, SecretAgentConfigFor) {
  SecretAgent a = agent_cfg_;
  a.timeout_ms = 0;  // ABS: no deadline; here the default
  a.is_base64 = true;
  auto c = model::SecretAgentConfigFor(a, "secret-agents.vault");
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->timeout, std::chrono::milliseconds(1000));
  EXPECT_TRUE(c->is_base64);
  EXPECT_EQ(c->port, agent_->port());
  a.connection_type = "unix";
  a.tls_ca_file = "/ca.pem";
  auto bad = model::SecretAgentConfigFor(a, "secret-agents.vault");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("secret-agents.vault"), std::string::npos);
  a.connection_type.reset();
  EXPECT_NE(model::SecretAgentConfigFor(a, "x").status().message().find("connection-type is required"),
            std::string::npos);
}

TEST_F(SecretResolutionTest, ClusterPasswordAndTlsKeyPassword) {
  Cluster cluster;
  cluster.label = "prod";
  cluster.seed_nodes.push_back({"127.0.0.1", 3000, std::nullopt});
  Credentials cr;
  cr.user = "backup";
  cr.password = "secrets:aerospike:password";
  cr.secret_agent = agent_cfg_;
  cluster.credentials = cr;
  ClusterTls tls;
  tls.key_file_password = "secrets:aerospike:password";
  cluster.tls = tls;
  auto p = jobs::ClientPolicyFor(cluster);
  ASSERT_TRUE(p.ok()) << p.status().message();
  EXPECT_EQ(p->user, "backup");
  EXPECT_EQ(p->password, kPassword);
  EXPECT_EQ(p->tls.key_password, kPassword);
  EXPECT_EQ(agent_->requests().size(), 2u);

  // A key the agent does not have: the error names cluster, field, agent and key, not any secret.
  cluster.credentials->password = "secrets:aerospike:other";
  auto e = jobs::ClientPolicyFor(cluster);
  ASSERT_FALSE(e.ok());
  const std::string& m = e.status().message();
  EXPECT_EQ(e.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(m.find("cluster prod credentials password"), std::string::npos) << m;
  EXPECT_NE(m.find("key \"other\""), std::string::npos) << m;
  EXPECT_EQ(m.find(kPassword), std::string::npos) << m;

  // By name: needs the configuration's agents.
  cluster.credentials->password = "secrets:aerospike:password";
  cluster.credentials->secret_agent.reset();
  cluster.credentials->secret_agent_name = "vault";
  EXPECT_FALSE(jobs::ClientPolicyFor(cluster).ok());
  model::SecretResolver named({{"vault", agent_cfg_}}, std::nullopt);
  auto byname = jobs::ClientPolicyFor(cluster, named);
  ASSERT_TRUE(byname.ok()) << byname.status().message();
  EXPECT_EQ(byname->password, kPassword);
}

TEST_F(SecretResolutionTest, EncryptionKeySecret) {
  ASSERT_TRUE(secrets::testing::WriteSelfSignedCert(dir_, "k").ok());
  const std::string pem = aero::testing::ReadFile(dir_ + "/k.key");
  agent_->SetSecret("keys", "aes", pem);
  agent_->SetSecret("keys", "aes-b64", Base64Encode(pem));
  agent_->SetSecret("keys", "junk", "not a key");
  auto expected = LoadKeyFile(dir_ + "/k.key");
  ASSERT_TRUE(expected.ok());

  model::SecretResolver run({}, agent_cfg_, "routine agent");
  EncryptionPolicy enc;
  enc.mode = "AES256";
  for (const char* ref : {"secrets:keys:aes", "secrets:keys:aes-b64"}) {
    enc.key_secret = ref;
    auto c = jobs::CodecFor(std::nullopt, enc, run);
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(c->encryption, EncryptionMode::kAes256);
    EXPECT_EQ(c->key_material, *expected) << ref;
  }
  enc.key_secret = "secrets:keys:junk";
  auto junk = jobs::CodecFor(std::nullopt, enc, run);
  ASSERT_FALSE(junk.ok());
  EXPECT_NE(junk.status().message().find("neither a PEM private key nor base64 of one"), std::string::npos);
  EXPECT_EQ(junk.status().message().find("not a key"), std::string::npos);
  // Without the routine's agent.
  enc.key_secret = "secrets:keys:aes";
  EXPECT_FALSE(jobs::CodecFor(std::nullopt, enc).ok());
}

TEST_F(SecretResolutionTest, StorageKeysComeFromTheStoragesAgent) {
  agent_->SetSecret("aws", "id", "AKIDEXAMPLE");
  S3Storage s3;
  s3.bucket = "b";
  s3.s3_region = "us-east-1";
  s3.s3_endpoint_override = "http://127.0.0.1:1";
  s3.access_key_id = "secrets:aws:id";
  s3.secret_access_key = "secrets:aws:missing";
  s3.secret_agent = agent_cfg_;
  Storage storage{s3};
  auto opened = jobs::OpenConfiguredStorage(storage);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.status().message().find("s3-storage secret-access-key"), std::string::npos)
      << opened.status().message();
  EXPECT_NE(opened.status().message().find("key \"missing\""), std::string::npos);
  auto reqs = agent_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].second, "id");
  EXPECT_EQ(reqs[1].second, "missing");
}

TEST_F(SecretResolutionTest, RemoteDescriptor) {
  auto write = [&](const std::string& yaml) {
    std::ofstream(dir_ + "/descriptor.yaml") << yaml;
    return dir_ + "/descriptor.yaml";
  };
  // A named agent cannot be used before the configuration is loaded.
  auto r = model::OpenConfigSource(write("s3-storage:\n  bucket: b\n  s3-region: us-east-1\n  path: abs.yaml\n"
                                       "  access-key-id: secrets:aws:id\n  secret-agent-name: vault\n"),
                                 true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("give an inline secret-agent"), std::string::npos) << r.status().message();
  // The inline agent is asked; its error reply stops the load with the field named.
  r = model::OpenConfigSource(write("s3-storage:\n  bucket: b\n  s3-region: us-east-1\n  path: abs.yaml\n"
                                  "  access-key-id: secrets:aws:nope\n  secret-agent:\n    connection-type: tcp\n"
                                  "    address: 127.0.0.1\n    port: " +
                                  std::to_string(agent_->port()) + "\n"),
                            true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("remote configuration descriptor: access-key-id"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("key \"nope\""), std::string::npos) << r.status().message();
  ASSERT_EQ(agent_->requests().size(), 1u);
}

}  // namespace
}  // namespace aero::service
