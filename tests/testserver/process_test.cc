// The abs-test-server executable as a real process (start, seed address on stdout, sample data,
// SIGTERM shutdown), and robustness of the server against malformed input over real sockets.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <regex>
#include <thread>

#include "raw_client.h"
#include "test_util.h"
#include "testserver/test_cluster.h"

extern char** environ;

namespace aero::testserver {
namespace {

using testing::RawClient;

// Runs the executable with stdout on a pipe; kills it on destruction if still running.
class Process {
 public:
  explicit Process(std::vector<std::string> args) {
    int fds[2];
    if (::pipe(fds) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    std::vector<char*> argv;
    args.insert(args.begin(), ABS_TEST_SERVER_BIN);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, ABS_TEST_SERVER_BIN, &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~Process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (out_ >= 0) ::close(out_);
  }
  // Reads stdout until a line matching re arrives (bounded by timeout).
  std::string WaitForLine(const std::regex& re, int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      size_t nl;
      while ((nl = buf_.find('\n')) != std::string::npos) {
        std::string line = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        if (std::regex_search(line, re)) return line;
      }
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char tmp[512];
      ssize_t n = ::read(out_, tmp, sizeof tmp);
      if (n <= 0) break;
      buf_.append(tmp, static_cast<size_t>(n));
    }
    return "";
  }
  // Sends a signal and waits (bounded) for the exit status.
  int Terminate(int sig, int timeout_ms = 10000) {
    ::kill(pid_, sig);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1;
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buf_;
};

TEST(Executable, StartsSeedsAndStopsOnSigterm) {
  Process p({"--nodes", "2", "--sample-records", "500", "--replication-factor", "2"});
  ASSERT_TRUE(p.started());
  std::string seed = p.WaitForLine(std::regex("^seed 127\\.0\\.0\\.1:[0-9]+$"));
  ASSERT_FALSE(seed.empty()) << "no seed line printed";
  uint16_t port = static_cast<uint16_t>(std::stoi(seed.substr(seed.rfind(':') + 1)));
  RawClient c;
  ASSERT_TRUE(c.Connect(port).ok());
  EXPECT_EQ(c.Info("build"), "8.1.2.0");
  auto ns = proto::ParseKeyValues(c.Info("namespace/test"));
  EXPECT_EQ(ns["objects"], "500");  // RF 2 on 2 nodes: every node holds every record
  EXPECT_NE(c.Info("peers-clear-std").find(",["), std::string::npos);
  EXPECT_EQ(p.Terminate(SIGTERM), 0);
}

TEST(Executable, RejectsBadArguments) {
  Process p({"--user", "nocolon"});
  ASSERT_TRUE(p.started());
  EXPECT_EQ(p.Terminate(0), 2);  // signal 0: just wait for the exit
}

// Malformed protos must never crash or wedge the server: each gets an error reply or a closed
// connection, and the server keeps serving new connections.
TEST(Robustness, GarbageInput) {
  auto c = TestCluster::Start(TestClusterOptions{});
  ASSERT_TRUE(c.ok());
  uint16_t port = (*c)->Port(0);
  std::mt19937 rng(12345);
  auto bytes = [&](size_t n) {
    std::string s(n, '\0');
    for (auto& ch : s) ch = static_cast<char>(rng());
    return s;
  };
  std::string valid = testing::BuildWrite(testing::WriteSpec{});
  for (int i = 0; i < 300; ++i) {
    RawClient cl;
    ASSERT_TRUE(cl.Connect(port).ok());
    std::string msg;
    switch (i % 4) {
      case 0:  // random body under a valid header of a random type
        msg = bytes(rng() % 200);
        {
          std::string h;
          proto::PutProtoHeader(h, static_cast<uint8_t>(1 + rng() % 4), msg.size());
          msg = h + msg;
        }
        break;
      case 1: {  // a valid write with random bytes flipped (sizes and counts included)
        msg = valid;
        for (int k = 0; k < 3; ++k) msg[8 + rng() % (msg.size() - 8)] = static_cast<char>(rng());
        break;
      }
      case 2:  // a truncated valid message with an honest header
        msg = valid.substr(8, rng() % (valid.size() - 8));
        {
          std::string h;
          proto::PutProtoHeader(h, proto::kMessage, msg.size());
          msg = h + msg;
        }
        break;
      default:  // completely random bytes
        msg = bytes(8 + rng() % 64);
    }
    (void)cl.Send(msg);  // the server may already have closed the socket
    cl.ShutdownWrite();  // a short body then ends in EOF instead of waiting for the I/O timeout
    auto t0 = std::chrono::steady_clock::now();
    (void)cl.ReadProto(5000);  // an error reply or a closed connection
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(4)) << "case " << i;
  }
  RawClient ok;
  ASSERT_TRUE(ok.Connect(port).ok());
  EXPECT_EQ(ok.Info("status"), "ok");
}

}  // namespace
}  // namespace aero::testserver
