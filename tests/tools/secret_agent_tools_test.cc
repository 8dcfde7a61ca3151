// Integration tests of the Secret Agent options of abs-backup and abs-restore (--sa-address,
// --sa-port, --sa-timeout, --sa-cafile, --sa-is-base64 and "secrets:<resource>:<key>" values).
// The real executables run as processes against the in-process test server, which has a user, so
// a login with the wrong password fails, and against the test Secret Agent peer (a real socket
// server speaking the agent's protocol). Every test also checks that no secret reaches the tools'
// output: not in errors, not in the JSON summary, not in progress or log lines.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/base64.h"
#include "testserver/test_cluster.h"
#include "tests/secrets/fake_secret_agent.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace aero::tools {
namespace {

using secrets::testing::FakeSecretAgent;

const bool kIgnoreSigpipe = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

constexpr const char* kUser = "backup-user";
constexpr const char* kPassword = "pw-Xq7!not-on-the-command-line";
constexpr const char* kSet = "sa";
constexpr uint64_t kRecords = 40;

using ToolRun = aero::testing::CommandResult;  // exit code, stdout, stderr, all()
using aero::testing::ReadFile;

class SecretAgentToolsIT : public ::testing::Test {
 protected:
  void SetUp() override {
    testserver::TestClusterOptions o;
    o.users = {{kUser, kPassword}};
    auto c = testserver::TestCluster::Start(o);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = std::move(*c);
    ASSERT_TRUE(testserver::SeedSampleRecords(*cluster_, "test", kSet, kRecords, 32).ok());
    auto a = FakeSecretAgent::Start({});
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    agent_ = std::move(*a);
    agent_->SetSecret("abs", "password", kPassword);
    agent_->SetSecret("abs", "wrong-password", "not-the-password-1234");
    pem_ = ReadFile(std::string(ABS_TEST_DATA_DIR) + "/backup/test_key.pem");
    ASSERT_NE(pem_.find("-----BEGIN"), std::string::npos);
    agent_->SetSecret("keys", "backup-key", pem_);
  }
  void TearDown() override {
    if (agent_) agent_->Stop();
    if (cluster_) cluster_->Stop();
  }

  std::vector<std::string> Cluster() const { return {"-h", cluster_->SeedHost(), "-U", kUser}; }
  std::string AgentAddress() const { return "127.0.0.1:" + std::to_string(agent_->port()); }

  ToolRun Run(const char* bin, const std::vector<std::string>& args) {
    std::vector<std::string> argv{bin};
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = aero::testing::RunCommand(argv);
    if (!run.ok()) return ToolRun{-1, "", run.status().ToString()};
    return *run;
  }
  ToolRun Backup(std::vector<std::string> args) {
    auto a = Cluster();
    a.insert(a.end(), args.begin(), args.end());
    a.insert(a.end(), {"-n", "test", "-s", kSet, "--no-progress"});
    return Run(ABS_BACKUP_BIN, a);
  }
  ToolRun Restore(std::vector<std::string> args) {
    auto a = Cluster();
    a.insert(a.end(), args.begin(), args.end());
    a.insert(a.end(), {"--no-progress"});
    return Run(ABS_RESTORE_BIN, a);
  }

  // No secret value (password, a line of the PEM key) appears in `text`.
  void ExpectNoSecret(const std::string& text) {
    EXPECT_EQ(text.find(kPassword), std::string::npos) << text;
    EXPECT_EQ(text.find("not-the-password-1234"), std::string::npos) << text;
    std::istringstream lines(pem_);
    for (std::string line; std::getline(lines, line);) {
      if (line.size() > 20 && line.find("-----") == std::string::npos) {
        EXPECT_EQ(text.find(line), std::string::npos) << "a line of the PEM key was printed:\n" << text;
      }
    }
  }

  std::unique_ptr<testserver::TestCluster> cluster_;
  std::unique_ptr<FakeSecretAgent> agent_;
  std::string pem_;
  aero::testing::TempDir tmp_{"abs-sa-tools"};
  std::string dir_ = tmp_.path();
};

TEST_F(SecretAgentToolsIT, PasswordFromTheAgentForBackupAndRestore) {
  auto b = Backup({"-P", "secrets:abs:password", "--sa-address", AgentAddress(), "-d", dir_ + "/out", "--json"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ExpectNoSecret(b.all());
  auto j = nlohmann::json::parse(b.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << b.out;
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["records"], kRecords);
  auto reqs = agent_->requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0], std::make_pair(std::string("abs"), std::string("password")));

  cluster_->Clear();
  ASSERT_EQ(cluster_->Count("test", kSet), 0u);
  // --sa-port apart from a bare --sa-address, as asbackup also allows.
  auto r = Restore({"--password=secrets:abs:password", "--sa-address", "127.0.0.1", "--sa-port",
                    std::to_string(agent_->port()), "-d", dir_ + "/out", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ExpectNoSecret(r.all());
  EXPECT_EQ(cluster_->Count("test", kSet), kRecords);
  EXPECT_EQ(agent_->requests().size(), 2u);
}

// The password really is used: the agent's wrong one makes the login fail (without printing it).
TEST_F(SecretAgentToolsIT, WrongPasswordFromTheAgentFailsTheLogin) {
  auto b = Backup({"-P", "secrets:abs:wrong-password", "--sa-address", AgentAddress(), "-d", dir_ + "/out"});
  EXPECT_EQ(b.exit_code, 1) << b.err;
  EXPECT_FALSE(b.err.empty());
  ExpectNoSecret(b.all());
}

TEST_F(SecretAgentToolsIT, EncryptionKeyFromTheAgentIsThePemItself) {
  auto b = Backup({"-P", "secrets:abs:password", "--sa-address", AgentAddress(), "-o", dir_ + "/enc/all.asb", "-y",
                   "aes256", "--encryption-key-file", "secrets:keys:backup-key", "--json"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ExpectNoSecret(b.all());
  std::string file = ReadFile(dir_ + "/enc/all.asb");
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(file.find("Version"), std::string::npos) << "the backup file is not encrypted";

  cluster_->Clear();
  // The same key from a file restores it; the literal password works alongside.
  auto r = Restore({"-P", kPassword, "-i", dir_ + "/enc/all.asb", "-y", "aes256", "--encryption-key-file",
                    std::string(ABS_TEST_DATA_DIR) + "/backup/test_key.pem"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(cluster_->Count("test", kSet), kRecords);

  // And the key from the agent restores it too.
  cluster_->Clear();
  auto r2 = Restore({"-P", "secrets:abs:password", "--sa-address", AgentAddress(), "-i", dir_ + "/enc/all.asb", "-y",
                     "aes256", "--encryption-key-file", "secrets:keys:backup-key"});
  ASSERT_EQ(r2.exit_code, 0) << r2.err;
  ExpectNoSecret(r2.all());
  EXPECT_EQ(cluster_->Count("test", kSet), kRecords);
}

TEST_F(SecretAgentToolsIT, Base64ModeOfTheAgent) {
  agent_->Stop();
  FakeSecretAgent::Options o;
  o.base64 = true;
  auto a = FakeSecretAgent::Start(o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  agent_ = std::move(*a);
  agent_->SetSecret("abs", "password", kPassword);
  auto b = Backup({"-P", "secrets:abs:password", "--sa-address", AgentAddress(), "--sa-is-base64", "-d", dir_ + "/out"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ExpectNoSecret(b.all());
  // Without --sa-is-base64 the base64 text itself is taken as the password: the login fails.
  auto wrong = Backup({"-P", "secrets:abs:password", "--sa-address", AgentAddress(), "-d", dir_ + "/out2"});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.err;
  EXPECT_EQ(wrong.all().find(Base64Encode(kPassword)), std::string::npos) << wrong.all();
}

TEST_F(SecretAgentToolsIT, AgentOverTlsVerifiedWithSaCafile) {
  agent_->Stop();
  ASSERT_TRUE(secrets::testing::WriteSelfSignedCert(dir_, "agent").ok());
  FakeSecretAgent::Options o;
  o.tls_cert_file = dir_ + "/agent.pem";
  o.tls_key_file = dir_ + "/agent.key";
  auto a = FakeSecretAgent::Start(o);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  agent_ = std::move(*a);
  agent_->SetSecret("abs", "password", kPassword);
  auto b = Backup({"-P", "secrets:abs:password", "--sa-address", AgentAddress(), "--sa-cafile", dir_ + "/agent.pem",
                   "-d", dir_ + "/out"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ExpectNoSecret(b.all());
}

TEST_F(SecretAgentToolsIT, UnknownKeyIsAClearErrorWithoutSecrets) {
  // The password resolves first; the key then fails: the error names option, agent, resource and
  // key, and neither secret.
  auto b = Backup({"-P", "secrets:abs:password", "--sa-address", AgentAddress(), "-o", dir_ + "/x.asb", "-y", "aes128",
                   "--encryption-key-file", "secrets:keys:no-such-key"});
  EXPECT_EQ(b.exit_code, 1) << b.err;
  EXPECT_EQ(b.err.rfind("abs-backup: ", 0), 0u) << b.err;
  EXPECT_EQ(b.err.find("--help"), std::string::npos) << "not a usage error: " << b.err;
  EXPECT_NE(b.err.find("--encryption-key-file"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("no-such-key"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find(AgentAddress()), std::string::npos) << b.err;
  ExpectNoSecret(b.all());
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/x.asb"));

  auto r = Restore({"-P", "secrets:abs:no-such-password", "--sa-address", AgentAddress(), "-d", dir_});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the agent failed, not the command line
  EXPECT_NE(r.err.find("--password"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no-such-password"), std::string::npos) << r.err;
  ExpectNoSecret(r.all());
}

TEST_F(SecretAgentToolsIT, AgentDownOrSilentFailsWithoutHanging) {
  std::string address = AgentAddress();
  agent_->Stop();  // nothing listens on that port any more
  auto b = Backup({"-P", "secrets:abs:password", "--sa-address", address, "-d", dir_ + "/out"});
  EXPECT_EQ(b.exit_code, 1) << b.err;
  EXPECT_NE(b.err.find("--password"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find(address), std::string::npos) << b.err;
  auto r = Restore({"-P", "secrets:abs:password", "--sa-address", address, "-d", dir_});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find(address), std::string::npos) << r.err;

  auto a = FakeSecretAgent::Start({});
  ASSERT_TRUE(a.ok());
  agent_ = std::move(*a);
  agent_->SetBehaviour(FakeSecretAgent::Behaviour::kSilent);
  auto start = std::chrono::steady_clock::now();
  auto s = Backup({"-P", "secrets:abs:password", "--sa-address", AgentAddress(), "--sa-timeout", "300", "-d",
                   dir_ + "/out"});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(s.exit_code, 1) << s.err;
  EXPECT_LT(took, std::chrono::seconds(5)) << "--sa-timeout was not applied";
  EXPECT_FALSE(s.err.empty());
}

TEST_F(SecretAgentToolsIT, SecretReferenceWithoutAgentAddressIsAnError) {
  auto b = Backup({"-P", "secrets:abs:password", "-d", dir_ + "/out"});
  EXPECT_EQ(b.exit_code, 2) << b.err;
  EXPECT_NE(b.err.find("--password"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("give --sa-address"), std::string::npos) << b.err;
  // Other --sa-* options do not stand in for the address.
  auto t = Backup({"-P", "secrets:abs:password", "--sa-timeout", "500", "-d", dir_ + "/out"});
  EXPECT_EQ(t.exit_code, 2) << t.err;
  EXPECT_NE(t.err.find("give --sa-address"), std::string::npos) << t.err;
  auto k = Backup({"-o", dir_ + "/k.asb", "-y", "aes128", "--encryption-key-file", "secrets:keys:backup-key"});
  EXPECT_EQ(k.exit_code, 2) << k.err;
  EXPECT_NE(k.err.find("--encryption-key-file"), std::string::npos) << k.err;
  EXPECT_NE(k.err.find("give --sa-address"), std::string::npos) << k.err;
  auto r = Restore({"-P", "secrets:abs:password", "-d", dir_});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("give --sa-address"), std::string::npos) << r.err;
  EXPECT_TRUE(agent_->requests().empty());
}

// Every option value may be a reference, also the tools' own options (added after the shared ones).
TEST_F(SecretAgentToolsIT, AnyOptionMayBeAReference) {
  agent_->SetSecret("abs", "set", kSet);
  agent_->SetSecret("abs", "namespace", "test");
  auto b = Run(ABS_BACKUP_BIN, {"-h", cluster_->SeedHost(), "-U", kUser, "-P", "secrets:abs:password", "--sa-address",
                                AgentAddress(), "-n", "secrets:abs:namespace", "-s", "secrets:abs:set", "-d",
                                dir_ + "/out", "--json", "--no-progress"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  auto j = nlohmann::json::parse(b.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << b.out;
  EXPECT_EQ(j["namespace"], "test");
  EXPECT_EQ(j["records"], kRecords);
  cluster_->Clear();
  auto r = Restore({"-P", "secrets:abs:password", "--sa-address", AgentAddress(), "-n", "secrets:abs:namespace", "-d",
                    dir_ + "/out"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(cluster_->Count("test", kSet), kRecords);
}

// A secret that does not fit its option (here the password as a port number) is reported by the
// reference; CLI11's own message would quote the value.
TEST_F(SecretAgentToolsIT, SecretThatDoesNotFitItsOptionIsNotEchoed) {
  auto b = Backup({"-p", "secrets:abs:password", "--sa-address", AgentAddress(), "-d", dir_ + "/out"});
  EXPECT_EQ(b.exit_code, 2) << b.err;
  EXPECT_NE(b.err.find("--port"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("secrets:abs:password"), std::string::npos) << b.err;
  ExpectNoSecret(b.all());
  auto r = Restore({"--batch-size", "secrets:abs:password", "--sa-address", AgentAddress(), "-d", dir_});
  EXPECT_EQ(r.exit_code, 2) << r.err;  // a usage error
  EXPECT_NE(r.err.find("--batch-size"), std::string::npos) << r.err;
  ExpectNoSecret(r.all());
}

// An encryption key from the agent must be a PEM key; anything else is not taken as a file name.
TEST_F(SecretAgentToolsIT, EncryptionKeySecretThatIsNotPemIsRejected) {
  agent_->SetSecret("keys", "path-like", "/etc/some-secret-file-name");
  auto b = Backup({"-P", "secrets:abs:password", "--sa-address", AgentAddress(), "-o", dir_ + "/x.asb", "-y", "aes128",
                   "--encryption-key-file", "secrets:keys:path-like"});
  EXPECT_EQ(b.exit_code, 2) << b.err;
  EXPECT_NE(b.err.find("not a PEM key"), std::string::npos) << b.err;
  EXPECT_EQ(b.all().find("some-secret-file-name"), std::string::npos) << b.all();
  ExpectNoSecret(b.all());
}

TEST_F(SecretAgentToolsIT, MalformedReferenceIsAnOptionError) {
  auto b = Backup({"-P", "secrets:only-resource", "--sa-address", AgentAddress(), "-d", dir_ + "/out"});
  EXPECT_EQ(b.exit_code, 2) << b.err;
  EXPECT_NE(b.err.find("secrets:only-resource"), std::string::npos) << b.err;
  EXPECT_TRUE(agent_->requests().empty());
}

}  // namespace
}  // namespace aero::tools
