// Unit tests of src/tools/common pieces that had no direct test before they got one home: how the
// progress reporter draws in each style and when it calls, the machine-line formatter and writer,
// and the parse-error -> exit-status mapping both tools use.
#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "tools/common/exit_codes.h"
#include "tools/common/machine_lines.h"
#include "tools/common/progress.h"
#include "tools/common/secret_options.h"

namespace aero::tools {
namespace {

// A reporter whose interval never elapses draws exactly one line: the final one at Stop().
std::string FinalOnly(ProgressStyle style) {
  std::ostringstream out;
  ProgressReporter r([] { return std::string("12 rec"); }, style, std::chrono::hours(1), &out);
  r.Stop();
  return out.str();
}

TEST(ProgressReporterTest, FinalLineInEachStyle) {
  EXPECT_EQ(FinalOnly(ProgressStyle::kLines), "12 rec\n");
  EXPECT_EQ(FinalOnly(ProgressStyle::kTerminal), "\r12 rec\x1b[K\n");
  EXPECT_EQ(FinalOnly(ProgressStyle::kPadded), "\r12 rec   \n");
}

TEST(ProgressReporterTest, DrawsEveryIntervalThenTheFinalLineOnce) {
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  std::ostringstream out;  // read only after Stop() joined the reporter thread
  ProgressReporter r(
      [&] {
        std::lock_guard<std::mutex> lock(mu);
        ++calls;
        cv.notify_all();
        return "n" + std::to_string(calls);
      },
      ProgressStyle::kTerminal, std::chrono::milliseconds(1), &out);
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return calls >= 3; }));
  }
  r.Stop();
  r.Stop();  // a second Stop draws nothing more
  int total = calls;
  std::string expected;
  for (int i = 1; i < total; ++i) expected += "\rn" + std::to_string(i) + "\x1b[K";
  expected += "\rn" + std::to_string(total) + "\x1b[K\n";
  EXPECT_EQ(out.str(), expected);
}

TEST(ProgressReporterTest, WithoutAStreamOnlyCalls) {
  int calls = 0;
  {
    ProgressReporter r([&] { return std::to_string(++calls); }, ProgressStyle::kLines, std::chrono::hours(1), nullptr);
  }  // the destructor stops it
  EXPECT_EQ(calls, 1);
}

TEST(MachineLinesTest, Formats) {
  EXPECT_EQ(MachineLine("SUMMARY", {1, 2, 3}), "SUMMARY:1:2:3");
  EXPECT_EQ(MachineLine("ESTIMATE", {18446744073709551615ull, 0}), "ESTIMATE:18446744073709551615:0");
  EXPECT_EQ(MachineLine("X", {}), "X");
  EXPECT_EQ(MachineProgressLines(45.9, 65), (std::vector<std::string>{"PROGRESS:45", "REMAINING:1m05s"}));
  EXPECT_EQ(MachineProgressLines(0, -1), (std::vector<std::string>{"PROGRESS:0"}));
  EXPECT_EQ(MachineProgressLines(-1, 3723), (std::vector<std::string>{"REMAINING:1h02m03s"}));
  EXPECT_TRUE(MachineProgressLines(-1, -1).empty());
}

TEST(MachineLinesTest, AppendsLinesInOrderAndNamesTheFileOnFailure) {
  aero::testing::TempDir tmp("abs-machine-order");
  const std::string path = tmp.File("machine.txt");
  ASSERT_TRUE(AppendMachineLine(path, "PROGRESS:1").ok());
  ASSERT_TRUE(AppendMachineLine(path, "PROGRESS:2").ok());
  EXPECT_EQ(aero::testing::ReadFile(path), "PROGRESS:1\nPROGRESS:2\n");

  Status dir = AppendMachineLine(tmp.path(), "A");  // a directory cannot be appended to
  EXPECT_EQ(dir.code(), ErrorCode::kIo);
  EXPECT_NE(dir.message().find("cannot open the machine-readable output"), std::string::npos) << dir.ToString();
  Status full = AppendMachineLine("/dev/full", "A");  // opens, but the write cannot be flushed
  EXPECT_EQ(full.code(), ErrorCode::kIo);
  EXPECT_NE(full.message().find("cannot write the machine-readable output /dev/full"), std::string::npos)
      << full.ToString();
}

// The exit status of what CLI11 throws while parsing `args`.
int ExitOfParse(std::vector<std::string> args, bool secret_agent_down = false) {
  CLI::App app{"test"};
  int value = 0;
  app.add_option("-w", value, "A number");
  app.set_version_flag("--version", "t 1");
  if (secret_agent_down)  // what the Secret Agent group throws when the agent cannot be reached
    app.add_flag_callback("--fail-agent", [] { throw SecretOptionError("agent down", 1); });
  std::vector<const char*> argv{"tool"};
  for (const auto& a : args) argv.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(argv.size()), argv.data());
  } catch (const CLI::ParseError& e) {
    return ExitCodeOf(e);
  }
  return -1;  // parsed
}

TEST(ExitCodesTest, ParseErrorsMapOntoTheToolsStatuses) {
  EXPECT_EQ(kExitOk, 0);
  EXPECT_EQ(kExitFailed, 1);
  EXPECT_EQ(kExitBadOptions, 2);
  EXPECT_EQ(ExitOfParse({"-w", "3"}), -1);
  EXPECT_EQ(ExitOfParse({"--help"}), kExitOk);
  EXPECT_EQ(ExitOfParse({"--version"}), kExitOk);
  EXPECT_EQ(ExitOfParse({"--bogus"}), kExitBadOptions);  // CLI11's own code would be 109
  EXPECT_EQ(ExitOfParse({"-w", "x"}), kExitBadOptions);
  EXPECT_EQ(ExitOfParse({"stray"}), kExitBadOptions);
  EXPECT_EQ(ExitOfParse({"--fail-agent"}, true), kExitFailed);
  EXPECT_EQ(ExitCodeOf(SecretOptionError("bad reference", 2)), kExitBadOptions);
  EXPECT_EQ(ExitCodeOf(SecretOptionError("agent down", 1)), kExitFailed);
}

}  // namespace
}  // namespace aero::tools
