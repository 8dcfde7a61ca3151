// The abs-restore executable as a real process against the test server (or AEROSPIKE_TEST_HOST):
// exit statuses, the JSON summary on stdout, and SIGINT cancelling a running restore.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "storage/factory.h"
#include "tests/client/cluster_fixture.h"
#include "tests/restore/restore_test_util.h"

extern char** environ;

namespace aero::restore {
namespace {

// A child process with its stdout and stderr on pipes.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    int out[2], err[2];
    if (::pipe(out) != 0 || ::pipe(err) != 0) return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
  }
  ~Child() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      int st;
      ::waitpid(pid_, &st, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
  }
  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Reads both pipes until `pred(stderr so far)` holds, both pipes end, or the timeout.
  bool PumpUntil(const std::function<bool(const std::string&)>& pred, std::chrono::milliseconds timeout) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (!pred(err_)) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
      int n = ::poll(fds, 2, static_cast<int>(left.count()));
      if (n <= 0) return false;
      bool open = false;
      open |= Drain(fds[0], out_fd_, out_);
      open |= Drain(fds[1], err_fd_, err_);
      if (!open) return pred(err_);
    }
    return true;
  }
  // Reads to the end and waits for the exit; returns the exit status (-1 on a signal/timeout).
  int Wait(std::chrono::milliseconds timeout) {
    PumpUntil([](const std::string&) { return false; }, timeout);
    int st = 0;
    if (::waitpid(pid_, &st, 0) != pid_) return -1;
    reaped_ = true;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  static bool Drain(const pollfd& p, int& fd, std::string& into) {
    if (fd < 0) return false;
    if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fd);
        fd = -1;
        return false;
      }
      into.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  pid_t pid_ = -1;
  bool reaped_ = false;
  int out_fd_ = -1, err_fd_ = -1;
  std::string out_, err_;
};

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
  std::unique_ptr<aero::testing::ClusterTarget> target_;
  aero::testing::TempDir dir_;
  std::unique_ptr<Storage> storage_;
  std::string host_;
};

TEST_F(RestoreProcessTest, RestoresAndExitsZero) {
  std::string set = target_->UniqueSet("proc");
  WriteRecords("ok/test_00000.asb", set, 200);
  Child child({ABS_RESTORE_BIN, "-h", host_, "-d", dir_.path() + "/ok", "--json", "--no-progress"});
  ASSERT_TRUE(child.started());
  EXPECT_EQ(child.Wait(std::chrono::seconds(60)), 0) << child.err();
  auto j = nlohmann::json::parse(child.out());
  EXPECT_EQ(j["status"], "success");
  EXPECT_EQ(j["inserted-records"], 200);
}

TEST_F(RestoreProcessTest, UsageErrorExitsTwo) {
  Child child({ABS_RESTORE_BIN, "-d", "/a", "-i", "/b.asb"});
  ASSERT_TRUE(child.started());
  EXPECT_EQ(child.Wait(std::chrono::seconds(30)), 2);
  EXPECT_NE(child.err().find("exactly one of"), std::string::npos) << child.err();
}

TEST_F(RestoreProcessTest, SigintCancelsARunningRestore) {
  std::string set = target_->UniqueSet("sigint");
  WriteRecords("slow/test_00000.asb", set, 5000);
  // 1000 records/s: about 5 s in total, so the interrupt lands in the middle.
  Child child({ABS_RESTORE_BIN, "-h", host_, "-d", dir_.path() + "/slow", "--records-per-second", "1000",
               "--batch-size", "50", "--json", "--progress"});
  ASSERT_TRUE(child.started());
  // Wait until the progress bar shows records, then interrupt.
  bool progressed = child.PumpUntil(
      [](const std::string& err) { return err.find(" records (") != std::string::npos && err.find("] ") != std::string::npos; },
      std::chrono::seconds(30));
  ASSERT_TRUE(progressed) << child.err();
  ASSERT_EQ(::kill(child.pid(), SIGINT), 0);
  EXPECT_EQ(child.Wait(std::chrono::seconds(30)), 1) << child.err();
  auto j = nlohmann::json::parse(child.out());
  EXPECT_EQ(j["status"], "canceled");
  EXPECT_LT(j["inserted-records"].get<uint64_t>(), 5000u);
  uint64_t read = j["read-records"];
  uint64_t accounted = j["inserted-records"].get<uint64_t>() + j["abandoned-records"].get<uint64_t>() +
                       j["failed-records"].get<uint64_t>() + j["skipped-records"].get<uint64_t>() +
                       j["expired-records"].get<uint64_t>() + j["existed-records"].get<uint64_t>() +
                       j["fresher-records"].get<uint64_t>();
  EXPECT_EQ(read, accounted);
  EXPECT_NE(child.err().find("SIGINT"), std::string::npos) << child.err();
}

}  // namespace
}  // namespace aero::restore
