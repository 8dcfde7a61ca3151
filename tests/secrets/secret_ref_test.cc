// Unit tests of the "secrets:<resource>:<key>" parser and of the agent configuration checks.
#include <gtest/gtest.h>

#include "secrets/command_line.h"
#include "secrets/secret_agent_client.h"
#include "secrets/secret_ref.h"

namespace aero::secrets {
namespace {

TEST(SecretRef, ParsesResourceAndKey) {
  auto r = ParseSecretRef("secrets:aerospike:backup-password");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->resource, "aerospike");
  EXPECT_EQ(r->key, "backup-password");
  EXPECT_EQ(r->ToString(), "secrets:aerospike:backup-password");
}

TEST(SecretRef, EmptyResourceIsAllowed) {
  auto r = ParseSecretRef("secrets::key");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->resource, "");
  EXPECT_EQ(r->key, "key");
}

TEST(SecretRef, RejectsMalformedReferences) {
  for (const char* bad : {"secrets:", "secrets:onlykey", "secrets:a:b:c", "secrets:res:", "secret:res:key",
                          "SECRETS:res:key", "res:key", ""}) {
    auto r = ParseSecretRef(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
      EXPECT_NE(r.status().message().find(std::string("\"") + bad + "\""), std::string::npos) << r.status().message();
    }
  }
}

TEST(SecretRef, IsSecretRef) {
  EXPECT_TRUE(IsSecretRef("secrets:a:b"));
  EXPECT_TRUE(IsSecretRef("secrets:"));
  EXPECT_FALSE(IsSecretRef("secret:a:b"));
  EXPECT_FALSE(IsSecretRef("hunter2"));
  EXPECT_FALSE(IsSecretRef(""));
}

TEST(SecretAgentConfig, DescribeAndValidate) {
  SecretAgentConfig c;
  c.address = "127.0.0.1";
  EXPECT_EQ(c.Describe(), "tcp 127.0.0.1:3005");
  EXPECT_TRUE(c.Validate().ok());
  c.tls_ca_file = "/ca.pem";
  EXPECT_EQ(c.Describe(), "tcp+tls 127.0.0.1:3005");
  c.address = "::1";
  EXPECT_EQ(c.Describe(), "tcp+tls [::1]:3005");

  c.port = 0;
  EXPECT_EQ(c.Validate().code(), ErrorCode::kInvalidArgument);
  c.port = 3005;
  c.timeout = std::chrono::milliseconds(0);
  EXPECT_NE(c.Validate().message().find("timeout"), std::string::npos);
  c.timeout = std::chrono::milliseconds(1000);
  c.address.clear();
  EXPECT_NE(c.Validate().message().find("address is required"), std::string::npos);

  SecretAgentConfig u;
  u.transport = SecretAgentConfig::Transport::kUnix;
  u.address = "/run/agent.sock";
  u.port = 0;  // ignored for unix sockets
  EXPECT_EQ(u.Describe(), "unix /run/agent.sock");
  EXPECT_TRUE(u.Validate().ok());
  u.tls_ca_file = "/ca.pem";
  EXPECT_NE(u.Validate().message().find("only supported with connection-type tcp"), std::string::npos);
}

TEST(SecretAgentConfig, ParseTransport) {
  EXPECT_EQ(*ParseTransport("tcp"), SecretAgentConfig::Transport::kTcp);
  EXPECT_EQ(*ParseTransport("UNIX"), SecretAgentConfig::Transport::kUnix);
  auto bad = ParseTransport("udp");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"udp\""), std::string::npos);
}

TEST(CommandLineAgent, AddressForms) {
  CommandLineAgentOptions o;
  auto none = AgentConfigFromOptions(o);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  struct Case {
    const char* address;
    std::optional<int> port;
    const char* host;
    int expect_port;
  } cases[] = {
      {"10.0.0.5", std::nullopt, "10.0.0.5", 3005},
      {"10.0.0.5:4000", std::nullopt, "10.0.0.5", 4000},
      {"10.0.0.5:4000", 5000, "10.0.0.5", 5000},  // --sa-port wins, as in asbackup
      {"agent.local", std::nullopt, "agent.local", 3005},
      {"[::1]:3006", std::nullopt, "::1", 3006},
      {"::1", std::nullopt, "::1", 3005},
  };
  for (const auto& c : cases) {
    o.address = c.address;
    o.port = c.port;
    auto r = AgentConfigFromOptions(o);
    ASSERT_TRUE(r.ok()) << c.address << ": " << r.status().message();
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->address, c.host) << c.address;
    EXPECT_EQ((*r)->port, c.expect_port) << c.address;
    EXPECT_EQ((*r)->transport, SecretAgentConfig::Transport::kTcp);
  }
}

TEST(CommandLineAgent, BadOptions) {
  CommandLineAgentOptions o;
  o.cafile = "/ca.pem";
  EXPECT_NE(AgentConfigFromOptions(o).status().message().find("need --sa-address"), std::string::npos);
  o = {};
  o.address = "host:notaport";
  EXPECT_NE(AgentConfigFromOptions(o).status().message().find("bad port 'notaport'"), std::string::npos);
  o.address = "[::1";
  EXPECT_FALSE(AgentConfigFromOptions(o).ok());
  o.address = "host:70000";
  EXPECT_NE(AgentConfigFromOptions(o).status().message().find("outside 1-65535"), std::string::npos);
  o.address = "host";
  o.timeout_ms = 0;
  EXPECT_NE(AgentConfigFromOptions(o).status().message().find("timeout"), std::string::npos);
}

TEST(CommandLineAgent, ReferenceWithoutAgent) {
  auto plain = ResolveOptionValue("literal", "--password", std::nullopt);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "literal");
  auto r = ResolveOptionValue("secrets:db:pw", "--password", std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "--password: secrets:db:pw is a Secret Agent reference: give --sa-address (and --sa-port)");
}

}  // namespace
}  // namespace aero::secrets
