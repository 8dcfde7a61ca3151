// Tests of the shared test helpers (tests/support): every other test trusts them to make folders,
// find ports, run and stop programs, wait with a deadline, make certificates, read ZIP archives
// independently, and fail, naming the peer, when a test peer is missing.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "tests/support/certs.h"
#include "tests/support/ports.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"
#include "tests/support/zip_reader.h"
#ifdef ABS_HAVE_TEST_PEERS
#include "tests/support/peers.h"
#endif

namespace aero::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---- TempDir and files ----

TEST(TempDir, MadeFreshAndRemovedWithItsContents) {
  std::string path;
  {
    TempDir a("abs-support"), b("abs-support");
    path = a.path();
    EXPECT_NE(a.path(), b.path());
    EXPECT_TRUE(fs::is_directory(a.path()));
    EXPECT_NE(fs::path(a.path()).filename().string().find("abs-support-"), std::string::npos);
    a.Write("x.txt", std::string("bin\0ary", 7));
    EXPECT_EQ(a.Read("x.txt"), std::string("bin\0ary", 7));
    EXPECT_EQ(a.File("x.txt"), a.path() + "/x.txt");
    fs::create_directories(a.path() + "/deep/er");
    a.Write("deep/er/y", "y");
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST(TempDir, UnderTmpdir) {
  TempDir outer;
  const char* old = std::getenv("TMPDIR");
  std::string saved = old ? old : "";
  ::setenv("TMPDIR", outer.path().c_str(), 1);
  TempDir inner;
  if (old) ::setenv("TMPDIR", saved.c_str(), 1); else ::unsetenv("TMPDIR");
  EXPECT_EQ(fs::path(inner.path()).parent_path().string(), outer.path());
}

TEST(Files, ReadWriteFind) {
  TempDir d;
  EXPECT_EQ(ReadFile(d.File("missing")), "");
  EXPECT_FALSE(WriteFile(d.File("no/such/dir/file"), "x"));
  ASSERT_TRUE(WriteFile(d.File("a"), "first"));
  ASSERT_TRUE(WriteFile(d.File("a"), "2"));
  EXPECT_EQ(ReadFile(d.File("a")), "2");  // replaced, not appended
  fs::create_directories(d.File("s/t"));
  ASSERT_TRUE(WriteFile(d.File("s/t/a"), ""));
  auto found = FindFiles(d.path(), "a");
  EXPECT_EQ(found.size(), 2u);
  EXPECT_TRUE(FindFiles(d.File("nowhere"), "a").empty());
}

// ---- ports ----

TEST(Ports, FreePortIsBindableAndAcceptsOnlyWhenSomeoneListens) {
  int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  EXPECT_FALSE(PortAccepts(port));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  EXPECT_TRUE(PortAccepts(port));
  ::close(fd);
}

// ---- WaitUntil ----

TEST(WaitUntil, TrueAtOnceFalseAtTheDeadlineAndWakesSoonAfterAChange) {
  auto t0 = Clock::now();
  EXPECT_TRUE(WaitUntil([] { return true; }, 10s));
  EXPECT_LT(Clock::now() - t0, 1s);

  t0 = Clock::now();
  int calls = 0;
  EXPECT_FALSE(WaitUntil([&] { return ++calls < 0; }, 300ms));
  EXPECT_GE(Clock::now() - t0, 300ms);
  EXPECT_GT(calls, 3);  // polled, with a back-off
  EXPECT_LT(calls, 300);

  std::atomic<bool> flag{false};
  std::thread setter([&] {
    std::this_thread::sleep_for(100ms);  // the other party acting later: what WaitUntil exists for
    flag = true;
  });
  t0 = Clock::now();
  EXPECT_TRUE(WaitUntil([&] { return flag.load(); }, 30s));
  EXPECT_LT(Clock::now() - t0, 10s);
  setter.join();
}

// ---- ChildProcess ----

TEST(ChildProcess, ExitCodeAndOutputInTheLog) {
  ChildProcess p;
  ASSERT_TRUE(p.Start({"sh", "-c", "echo to-out; echo to-err >&2; exit 3"}).ok());
  EXPECT_EQ(p.Wait(30s), 3);
  EXPECT_FALSE(p.running());
  EXPECT_EQ(p.exit_status(), 3);
  EXPECT_NE(p.Log().find("to-out"), std::string::npos) << p.Log();
  EXPECT_NE(p.Log().find("to-err"), std::string::npos) << p.Log();
}

TEST(ChildProcess, SeparateStdoutAppendOrTruncate) {
  TempDir d;
  ProcessOptions o;
  o.log_path = d.File("err.log");
  o.stdout_path = d.File("out.log");
  ChildProcess p;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(p.Start({"sh", "-c", "echo out$0; echo err$0 >&2", std::to_string(i)}, o).ok());
    EXPECT_EQ(p.Wait(30s), 0);
  }
  EXPECT_EQ(p.Stdout(), "out0\nout1\n");
  EXPECT_EQ(p.Log(), "err0\nerr1\n");
  o.truncate = true;
  ASSERT_TRUE(p.Start({"sh", "-c", "echo again"}, o).ok());
  EXPECT_EQ(p.Wait(30s), 0);
  EXPECT_EQ(p.Stdout(), "again\n");
  EXPECT_EQ(p.Log(), "");
}

TEST(ChildProcess, EnvironmentIsSetReplacedAndRemoved) {
  ::setenv("ABS_SUPPORT_INHERITED", "parent", 1);
  ::setenv("ABS_SUPPORT_REMOVED", "parent", 1);
  ProcessOptions o;
  o.env = {"ABS_SUPPORT_NEW=n", "ABS_SUPPORT_INHERITED=child", "ABS_SUPPORT_REMOVED"};
  ChildProcess p;
  ASSERT_TRUE(p.Start({"sh", "-c",
                       "echo \"$ABS_SUPPORT_NEW/$ABS_SUPPORT_INHERITED/${ABS_SUPPORT_REMOVED-unset}\"; "
                       "env | grep -c ABS_SUPPORT_INHERITED="},
                      o)
                  .ok());
  EXPECT_EQ(p.Wait(30s), 0);
  EXPECT_EQ(p.Log(), "n/child/unset\n1\n");  // replaced, not set twice
}

TEST(ChildProcess, MissingProgramIsAnErrorNamingIt) {
  ChildProcess p;
  Status st = p.Start({"/nonexistent/abs-no-such-program"});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/abs-no-such-program"), std::string::npos) << st.ToString();
  EXPECT_FALSE(p.running());
}

TEST(ChildProcess, SignalStopAndWaitTimeout) {
  ChildProcess p;
  ASSERT_TRUE(p.Start({"sleep", "60"}).ok());
  EXPECT_FALSE(p.Exited());
  EXPECT_EQ(p.Signal(SIGTERM, 30s), 128 + SIGTERM);
  ASSERT_TRUE(p.Start({"sleep", "60"}).ok());
  auto t0 = Clock::now();
  EXPECT_EQ(p.Wait(200ms), -1);  // still running at the deadline: killed
  EXPECT_LT(Clock::now() - t0, 20s);
  EXPECT_FALSE(p.running());
  ASSERT_TRUE(p.Start({"sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.05; done"}).ok());
  ASSERT_TRUE(p.WaitForOutput("never printed", 300ms).code() == ErrorCode::kTimeout);
  EXPECT_EQ(p.Stop(), 0);
}

TEST(ChildProcess, DestructorKillsARunningChild) {
  pid_t pid;
  {
    ChildProcess p;
    ASSERT_TRUE(p.Start({"sleep", "60"}).ok());
    pid = p.pid();
  }
  EXPECT_NE(::kill(pid, 0), 0);  // reaped: the pid no longer exists
}

TEST(ChildProcess, WaitForLineAndOutput) {
  ChildProcess p;
  ASSERT_TRUE(p.Start({"sh", "-c", "echo starting; sleep 0.2; echo 'seed 127.0.0.1:4321'; sleep 60"}).ok());
  auto line = p.WaitForLine(std::regex("^seed 127\\.0\\.0\\.1:[0-9]+$"), 30s);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(*line, "seed 127.0.0.1:4321");
  EXPECT_TRUE(p.WaitForOutput("starting", 1s).ok());
}

TEST(ChildProcess, WaitsFailEarlyWhenTheChildExits) {
  ChildProcess p;
  ASSERT_TRUE(p.Start({"sh", "-c", "echo the-reason; exit 4"}).ok());
  auto t0 = Clock::now();
  Status st = p.WaitForPort(FreeLoopbackPort(), 60s);
  EXPECT_LT(Clock::now() - t0, 30s);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("exited (status 4)"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("the-reason"), std::string::npos) << st.ToString();
  ASSERT_TRUE(p.Start({"sh", "-c", "echo last words; exit 5"}).ok());
  EXPECT_TRUE(p.WaitForOutput("last words", 60s).ok());  // printed right before the exit: still found
  EXPECT_EQ(p.Wait(30s), 5);
}

TEST(ChildProcess, WaitForPortSeesAListener) {
  int port = FreeLoopbackPort();
  ChildProcess p;
  ASSERT_TRUE(p.Start({"python3", "-c",
                       "import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1'," + std::to_string(port) +
                           "))\ns.listen()\ntime.sleep(60)"})
                  .ok());
  Status st = p.WaitForPort(port, 30s);
  EXPECT_TRUE(st.ok()) << st.ToString();
}

// ---- RunCommand ----

TEST(RunCommand, OutputExitCodeTimeoutAndMissingProgram) {
  auto r = RunCommand({"sh", "-c", "printf out; printf err >&2; exit 7"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->exit_code, 7);
  EXPECT_EQ(r->out, "out");
  EXPECT_EQ(r->err, "err");
  EXPECT_EQ(r->all(), "outerr");
  CommandOptions o;
  o.timeout = 200ms;
  auto slow = RunCommand({"sleep", "60"}, o);
  ASSERT_TRUE(slow.ok());
  EXPECT_EQ(slow->exit_code, -1);
  EXPECT_NE(slow->err.find("did not exit"), std::string::npos);
  EXPECT_FALSE(RunCommand({"/nonexistent/abs-no-such-program"}).ok());
}

// ---- certificates ----

TEST(Certs, SelfSignedWithNamesAndACaSignedLeaf) {
  auto self = TestCert::Make(CertSpec{});
  ASSERT_TRUE(self.ok()) << self.status().ToString();
  EXPECT_EQ(X509_verify(self->cert(), self->key()), 1);
  EXPECT_EQ(X509_check_ip_asc(self->cert(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ca(self->cert()), 1);

  CertSpec ca_spec;
  ca_spec.common_name = "abs-test-ca";
  ca_spec.key_usage = "critical,keyCertSign,cRLSign";
  ca_spec.subject_alt_names = "";
  auto ca = TestCert::Make(ca_spec);
  ASSERT_TRUE(ca.ok());
  CertSpec leaf_spec;
  leaf_spec.basic_constraints = "CA:FALSE";
  leaf_spec.subject_alt_names = "DNS:node1.abs.test";
  leaf_spec.rsa = true;
  leaf_spec.serial = 42;
  auto leaf = TestCert::Make(leaf_spec, &*ca);
  ASSERT_TRUE(leaf.ok());
  EXPECT_EQ(X509_verify(leaf->cert(), ca->key()), 1);
  EXPECT_NE(X509_verify(leaf->cert(), leaf->key()), 1);
  EXPECT_EQ(X509_check_host(leaf->cert(), "node1.abs.test", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ca(leaf->cert()), 0);
  EXPECT_EQ(ASN1_INTEGER_get(X509_get0_serialNumber(leaf->cert())), 42);
  EXPECT_EQ(EVP_PKEY_get_base_id(leaf->key()), EVP_PKEY_RSA);

  // An encrypted key reads back only with its passphrase.
  std::string pem = leaf->KeyPem("pass-phrase");
  EXPECT_NE(pem.find("ENCRYPTED"), std::string::npos);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* back = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, const_cast<char*>("pass-phrase"));
  BIO_free(bio);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(EVP_PKEY_eq(back, leaf->key()), 1);
  EVP_PKEY_free(back);

  TempDir d;
  ASSERT_TRUE(WriteSelfSignedCert(d.File("c.pem"), d.File("k.pem")).ok());
  EXPECT_NE(d.Read("c.pem").find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(d.Read("k.pem").find("BEGIN PRIVATE KEY"), std::string::npos);
}

// ---- the independent ZIP reader ----

TEST(ZipReader, ReadsWhatZipfileWroteAndRejectsADamagedEntry) {
  TempDir d;
  const std::string path = d.File("made-by-python.zip");
  auto made = RunCommand({"python3", "-c",
                          "import sys,zipfile\n"
                          "with zipfile.ZipFile(sys.argv[1], 'w') as z:\n"
                          "  z.writestr('a.txt', 'hello hello hello hello')\n"
                          "  z.writestr('empty', b'')\n",
                          path});
  ASSERT_TRUE(made.ok() && made->exit_code == 0) << (made.ok() ? made->err : made.status().ToString());
  std::string zip = ReadFile(path);
  auto entries = ReadZipWithPython(zip);
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].name, "a.txt");
  EXPECT_EQ((*entries)[0].data, "hello hello hello hello");
  EXPECT_EQ((*entries)[0].size, 23u);
  EXPECT_EQ((*entries)[1].name, "empty");
  EXPECT_EQ((*entries)[1].data, "");

  size_t at = zip.find("hello");  // stored: the content is in the clear
  ASSERT_NE(at, std::string::npos);
  zip[at] = 'j';
  auto bad = ReadZipWithPython(zip);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("a.txt"), std::string::npos) << bad.status().ToString();
  EXPECT_FALSE(ReadZipWithPython("PK not a zip").ok());
}

// ---- missing peers ----

#ifdef ABS_HAVE_TEST_PEERS
// A missing Node.js peer fails the start naming the peer and how to install it.
TEST(Peers, MissingPeerNamesItAndTheFix) {
  TempDir empty;
  ::setenv("ABS_TEST_NODE_DIR", empty.path().c_str(), 1);
  EXPECT_EQ(NodeDir(), empty.path());
  S3rverPeer s3;
  Status st = s3.Start();
  EXPECT_EQ(st.code(), ErrorCode::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("s3rver"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("bash scripts/setup.sh"), std::string::npos) << st.ToString();
  AzuritePeer az;
  st = az.Start();
  EXPECT_EQ(st.code(), ErrorCode::kNotFound) << st.ToString();
  EXPECT_NE(st.message().find("azurite"), std::string::npos) << st.ToString();
  EXPECT_NE(st.message().find("bash scripts/setup.sh"), std::string::npos) << st.ToString();
  ::unsetenv("ABS_TEST_NODE_DIR");
  EXPECT_EQ(fs::path(NodeDir()).filename(), "node");
}
#endif

}  // namespace
}  // namespace aero::testing
