// The abs-restore executable as a real process against the test server (or AEROSPIKE_TEST_HOST):
// exit statuses, the JSON summary on stdout, and SIGINT cancelling a running restore.
#include <signal.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "storage/factory.h"
#include "tests/client/cluster_fixture.h"
#include "tests/restore/restore_test_util.h"
#include "tests/support/process.h"
#include "tests/support/wait.h"

namespace aero::restore {
namespace {

using aero::testing::ChildProcess;
using aero::testing::ProcessOptions;

class RestoreProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ABS_START_TARGET(target_, aero::testing::ClusterTarget::Options());
    auto st = OpenStorage(dir_.path(), StorageOptions{});
    ASSERT_TRUE(st.ok());
    storage_ = std::move(*st);
    host_ = target_->seeds()[0].ToString();
  }
  void WriteRecords(const std::string& key, const std::string& set, int n) {
    aero::testing::AsbContent c;
    for (int i = 0; i < n; ++i)
      c.records.push_back(aero::testing::MakeRecord("test", set, IntegerKey(i), {aero::testing::IntBin("v", i)}));
    ASSERT_TRUE(aero::testing::WriteFile(*storage_, key, aero::testing::EncodeAsb(c)).ok());
  }
  // abs-restore's stdout (the JSON summary) and stderr, in files of their own (empty at each start).
  ProcessOptions Outputs() const {
    ProcessOptions o(out_.File("stderr.txt"));
    o.stdout_path = out_.File("stdout.txt");
    o.truncate = true;
    return o;
  }
  std::unique_ptr<aero::testing::ClusterTarget> target_;
  aero::testing::TempDir dir_;
  aero::testing::TempDir out_{"abs-restore-out"};
  std::unique_ptr<Storage> storage_;
  std::string host_;
};

TEST_F(RestoreProcessTest, RestoresAndExitsZero) {
  std::string set = target_->UniqueSet("proc");
  WriteRecords("ok/test_00000.asb", set, 200);
  ChildProcess child;
  Status st = child.Start({ABS_RESTORE_BIN, "-h", host_, "-d", dir_.path() + "/ok", "--json", "--no-progress"}, Outputs());
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(child.Wait(std::chrono::seconds(60)), 0) << child.Log();
  auto j = nlohmann::json::parse(child.Stdout());
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["inserted-records"], 200);
}

TEST_F(RestoreProcessTest, UsageErrorExitsTwo) {
  ChildProcess child;
  Status st = child.Start({ABS_RESTORE_BIN, "-d", "/a", "-i", "/b.asb"}, Outputs());
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(child.Wait(std::chrono::seconds(30)), 2);
  EXPECT_NE(child.Log().find("exactly one of"), std::string::npos) << child.Log();
}

TEST_F(RestoreProcessTest, SigintCancelsARunningRestore) {
  std::string set = target_->UniqueSet("sigint");
  WriteRecords("slow/test_00000.asb", set, 5000);
  // 1000 records/s: about 5 s in total, so the interrupt lands in the middle.
  ChildProcess child;
  Status st = child.Start({ABS_RESTORE_BIN, "-h", host_, "-d", dir_.path() + "/slow", "--records-per-second", "1000",
                           "--batch-size", "50", "--json", "--progress"},
                          Outputs());
  ASSERT_TRUE(st.ok()) << st.ToString();
  // Wait until the progress bar shows records, then interrupt.
  auto progressed = [&] {
    std::string err = child.Log();
    return err.find(" records (") != std::string::npos && err.find("] ") != std::string::npos;
  };
  ASSERT_TRUE(aero::testing::WaitUntil([&] { return progressed() || child.Exited(); }, std::chrono::seconds(30)) &&
              progressed())
      << child.Log();
  ASSERT_EQ(::kill(child.pid(), SIGINT), 0);
  EXPECT_EQ(child.Wait(std::chrono::seconds(30)), 1) << child.Log();
  auto j = nlohmann::json::parse(child.Stdout());
  EXPECT_EQ(j["status"], "canceled");
  EXPECT_LT(j["inserted-records"].get<uint64_t>(), 5000u);
  uint64_t read = j["read-records"];
  uint64_t accounted = j["inserted-records"].get<uint64_t>() + j["abandoned-records"].get<uint64_t>() +
                       j["failed-records"].get<uint64_t>() + j["skipped-records"].get<uint64_t>() +
                       j["expired-records"].get<uint64_t>() + j["existed-records"].get<uint64_t>() +
                       j["fresher-records"].get<uint64_t>();
  EXPECT_EQ(read, accounted);
  EXPECT_NE(child.Log().find("SIGINT"), std::string::npos) << child.Log();
}

}  // namespace
}  // namespace aero::restore
