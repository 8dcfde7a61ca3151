// The abs-test-server executable as a real process (start, seed address on stdout, sample data,
// SIGTERM shutdown), and robustness of the server against malformed input over real sockets.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <random>
#include <regex>

#include "raw_client.h"
#include "test_util.h"
#include "testserver/test_cluster.h"
#include "tests/support/process.h"

namespace aero::testserver {
namespace {

using aero::testing::ChildProcess;
using testing::RawClient;

TEST(Executable, StartsSeedsAndStopsOnSigterm) {
  ChildProcess p;
  Status st = p.Start({ABS_TEST_SERVER_BIN, "--nodes", "2", "--sample-records", "500", "--replication-factor", "2"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto line = p.WaitForLine(std::regex("^seed 127\\.0\\.0\\.1:[0-9]+$"), std::chrono::seconds(10));
  ASSERT_TRUE(line.ok()) << "no seed line printed: " << line.status().ToString();
  const std::string& seed = *line;
  uint16_t port = static_cast<uint16_t>(std::stoi(seed.substr(seed.rfind(':') + 1)));
  RawClient c;
  ASSERT_TRUE(c.Connect(port).ok());
  EXPECT_EQ(c.Info("build"), "8.1.2.0");
  auto ns = proto::ParseKeyValues(c.Info("namespace/test"));
  EXPECT_EQ(ns["objects"], "500");  // RF 2 on 2 nodes: every node holds every record
  EXPECT_NE(c.Info("peers-clear-std").find(",["), std::string::npos);
  EXPECT_EQ(p.Signal(SIGTERM, std::chrono::seconds(10)), 0);
}

TEST(Executable, RejectsBadArguments) {
  ChildProcess p;
  Status st = p.Start({ABS_TEST_SERVER_BIN, "--user", "nocolon"});
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(p.Wait(std::chrono::seconds(10)), 2) << p.Log();
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
