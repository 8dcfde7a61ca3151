// The whole abs-restore tool in-process against the test server (or AEROSPIKE_TEST_HOST): restore,
// JSON counters, exit status, bad-data report.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "storage/factory.h"
#include "tests/client/cluster_fixture.h"
#include "tests/restore/restore_test_util.h"
#include "tests/tools/restore_cli_test_util.h"
#include "tools/restore/restore_run.h"

namespace aero::restore {
namespace {

using tools::RunRestoreTool;
using tools::testing::ParseRestore;

// Whole tool against the in-process server (or a real one): restore, JSON counters, exit status.
TEST(RestoreCliIntegrationTest, RestoresAndReportsFailures) {
  std::unique_ptr<aero::testing::ClusterTarget> target;
  ABS_START_TARGET(target, aero::testing::ClusterTarget::Options());
  std::string set = target->UniqueSet("cli");
  aero::testing::TempDir dir;
  auto st = OpenStorage(dir.path(), StorageOptions{});
  ASSERT_TRUE(st.ok());
  aero::testing::AsbContent c;
  for (int i = 0; i < 40; ++i)
    c.records.push_back(aero::testing::MakeRecord("test", set, IntegerKey(i), {aero::testing::IntBin("v", i)}));
  c.records.push_back(aero::testing::MakeRecord("test", set, IntegerKey(99), {aero::testing::IntBin("v", 1)}, 1,
                                                aero::testing::VoidTimeIn(-50)));
  ASSERT_TRUE(aero::testing::WriteFile(**st, "d/test_00000.asb", aero::testing::EncodeAsb(c)).ok());
  std::string host = target->seeds()[0].ToString();
  auto cfg = ParseRestore({"-h", host, "-d", dir.path() + "/d", "-n", "test", "--json", "--no-progress", "-t", "4"});
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  std::ostringstream out, err;
  EXPECT_EQ(RunRestoreTool(*cfg, out, err), 0) << err.str();
  auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["read-records"], 41);
  EXPECT_EQ(j["inserted-records"], 40);
  EXPECT_EQ(j["expired-records"], 1);

  // Unique restore of the same data: everything exists, still success.
  cfg = ParseRestore({"-h", host, "-d", dir.path() + "/d", "-u", "--json", "--no-progress"});
  ASSERT_TRUE(cfg.ok());
  std::ostringstream out2, err2;
  EXPECT_EQ(RunRestoreTool(*cfg, out2, err2), 0) << err2.str();
  EXPECT_EQ(nlohmann::json::parse(out2.str())["existed-records"], 40);

  // A corrupt file: exit status 1 and file + line in the text summary.
  std::string text = aero::testing::EncodeAsb(c);
  text.insert(text.find("+ n test"), "+ q bogus\n");
  ASSERT_TRUE(aero::testing::WriteFile(**st, "bad/test_00000.asb", text).ok());
  cfg = ParseRestore({"-h", host, "-d", dir.path() + "/bad", "--no-progress"});
  ASSERT_TRUE(cfg.ok());
  std::ostringstream out3, err3;
  EXPECT_EQ(RunRestoreTool(*cfg, out3, err3), 1);
  EXPECT_NE(out3.str().find("bad/test_00000.asb: line 5"), std::string::npos) << out3.str();
  EXPECT_NE(out3.str().find("Restore FAILED"), std::string::npos) << out3.str();
}

}  // namespace
}  // namespace aero::restore
