// Tests of the service's log file writer (src/app/logging.h) on the real file system: lumberjack
// rotation names, maxsize, maxbackups, maxage (by the time in rotated names, against an injected
// clock — no sleeps) and gzip compression (read back with zlib), plus SetUpLogging with a file-writer.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "app/logging.h"
#include "tests/support/temp_dir.h"

namespace aero::app {
namespace {

using std::chrono::system_clock;
using testing::ReadFile;
using testing::TempDir;

std::string Gunzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return "<cannot open " + path + ">";
  std::string out;
  char buf[4096];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

// Names in `dir`, sorted.
std::vector<std::string> List(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// 2024-10-30T07:50:59.773Z plus `plus`.
system_clock::time_point Base(std::chrono::milliseconds plus = std::chrono::milliseconds(0)) {
  return system_clock::from_time_t(1730274659) + std::chrono::milliseconds(773) + plus;
}

// A clock the test advances by hand.
struct FakeClock {
  system_clock::time_point t = Base();
  std::function<system_clock::time_point()> Fn() {
    return [this] { return t; };
  }
};

TEST(RotatingLogFile, BackupNameIsLumberjacks) {
  EXPECT_EQ(RotatingLogFile::BackupName("/var/log/abs.log", Base()), "/var/log/abs-2024-10-30T07-50-59.773.log");
  EXPECT_EQ(RotatingLogFile::BackupName("abs", Base()), "abs-2024-10-30T07-50-59.773");
  EXPECT_EQ(RotatingLogFile::BackupName("/d/x.y/abs.tar.log", Base()), "/d/x.y/abs.tar-2024-10-30T07-50-59.773.log");
}

// maxsize: a write that would pass it starts a new file; the old content is in the rotated file,
// nothing is lost, and the new file keeps the old one's mode.
TEST(RotatingLogFile, RotatesBeforeAWriteWouldPassMaxSize) {
  TempDir dir;
  FakeClock clock;
  RotationOptions o;
  o.filename = dir.File("abs.log");
  o.max_size_bytes = 20;
  o.now = clock.Fn();
  auto f = RotatingLogFile::Open(o);
  ASSERT_TRUE(f.ok()) << f.status().message();
  struct stat st {};
  ASSERT_EQ(stat(o.filename.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  chmod(o.filename.c_str(), 0640);

  ASSERT_TRUE((*f)->Write("0123456789\n").ok());  // 11 bytes
  ASSERT_TRUE((*f)->Write("abcdefgh\n").ok());    // 20: still fits
  clock.t = Base(std::chrono::milliseconds(1000));
  ASSERT_TRUE((*f)->Write("next\n").ok());  // would be 25: rotate first
  // Two rotations in the same millisecond get distinct names.
  ASSERT_TRUE((*f)->Write(std::string(30, 'x') + "\n").ok());  // larger than maxsize: a file of its own
  ASSERT_TRUE((*f)->Write("tail\n").ok());
  (*f)->WaitForMill();

  EXPECT_EQ(List(dir.path()), (std::vector<std::string>{"abs-2024-10-30T07-51-00.773.log",
                                                         "abs-2024-10-30T07-51-00.774.log",
                                                         "abs-2024-10-30T07-51-00.775.log", "abs.log"}));
  EXPECT_EQ(ReadFile(dir.File("abs-2024-10-30T07-51-00.773.log")), "0123456789\nabcdefgh\n");
  EXPECT_EQ(ReadFile(dir.File("abs-2024-10-30T07-51-00.774.log")), "next\n");
  EXPECT_EQ(ReadFile(dir.File("abs-2024-10-30T07-51-00.775.log")), std::string(30, 'x') + "\n");
  EXPECT_EQ(ReadFile(o.filename), "tail\n");
  ASSERT_EQ(stat(o.filename.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ((*f)->LastMillError(), "");

  // Re-opening appends to the existing file.
  f->reset();
  auto again = RotatingLogFile::Open(o);
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE((*again)->Write("more\n").ok());
  EXPECT_EQ(ReadFile(o.filename), "tail\nmore\n");
}

// maxbackups keeps the newest N rotated files (a file and its .gz count once); other files in the
// folder (other logs, unparsable names) are never touched.
TEST(RotatingLogFile, MaxBackupsKeepsTheNewest) {
  TempDir dir;
  FakeClock clock;
  dir.Write("abs-2024-01-01T00-00-00.000.log", "oldest\n");
  dir.Write("abs-2024-01-02T00-00-00.000.log.gz", "not really gzip");
  dir.Write("abs-notatime.log", "keep me\n");
  dir.Write("other-2024-01-01T00-00-00.000.log", "keep me too\n");
  RotationOptions o;
  o.filename = dir.File("abs.log");
  o.max_size_bytes = 10;
  o.max_backups = 2;
  o.now = clock.Fn();
  auto f = RotatingLogFile::Open(o);
  ASSERT_TRUE(f.ok());
  for (int i = 0; i < 3; ++i) {
    clock.t = Base(std::chrono::seconds(i));
    ASSERT_TRUE((*f)->Write("line " + std::to_string(i) + "...\n").ok());  // 10 bytes: each later write rotates
  }
  (*f)->WaitForMill();
  EXPECT_EQ(List(dir.path()),
            (std::vector<std::string>{"abs-2024-10-30T07-51-00.773.log", "abs-2024-10-30T07-51-01.773.log",
                                      "abs-notatime.log", "abs.log", "other-2024-01-01T00-00-00.000.log"}));
  EXPECT_EQ(ReadFile(dir.File("abs-2024-10-30T07-51-01.773.log")), "line 1...\n");
  EXPECT_EQ(ReadFile(dir.File("abs.log")), "line 2...\n");
}

// maxage deletes rotated files whose name time is older than N days (relative to the clock), both
// when the file is opened and after a rotation.
TEST(RotatingLogFile, MaxAgeDeletesOldRotatedFiles) {
  TempDir dir;
  FakeClock clock;
  const auto day = std::chrono::hours(24);
  auto name = [&](system_clock::time_point t) {
    return std::filesystem::path(RotatingLogFile::BackupName(dir.File("abs.log"), t)).filename().string();
  };
  const std::string ten_days = name(Base() - 10 * day), six_days = name(Base() - 6 * day);
  dir.Write(ten_days, "old\n");
  dir.Write(six_days + ".gz", "young\n");
  RotationOptions o;
  o.filename = dir.File("abs.log");
  o.max_size_bytes = 10;
  o.max_age_days = 7;
  o.now = clock.Fn();
  auto f = RotatingLogFile::Open(o);
  ASSERT_TRUE(f.ok());
  (*f)->WaitForMill();  // the clean-up at open
  EXPECT_EQ(List(dir.path()), (std::vector<std::string>{six_days + ".gz", "abs.log"}));

  // Two days later the six-day-old file is eight days old: the next rotation removes it.
  clock.t = Base() + 2 * day;
  ASSERT_TRUE((*f)->Write("0123456789").ok());
  ASSERT_TRUE((*f)->Write("rotate\n").ok());
  (*f)->WaitForMill();
  EXPECT_EQ(List(dir.path()), (std::vector<std::string>{name(clock.t), "abs.log"}));
}

// compress gzips every rotated file (not the live one) and removes the original.
TEST(RotatingLogFile, CompressGzipsRotatedFiles) {
  TempDir dir;
  FakeClock clock;
  RotationOptions o;
  o.filename = dir.File("service.log");
  o.max_size_bytes = 64;
  o.compress = true;
  o.max_backups = 5;
  o.now = clock.Fn();
  auto f = RotatingLogFile::Open(o);
  ASSERT_TRUE(f.ok());
  std::string first;
  for (int i = 0; i < 6; ++i) first += "line " + std::to_string(i) + "\n";  // 42 bytes
  ASSERT_TRUE((*f)->Write(first).ok());
  clock.t = Base(std::chrono::seconds(5));
  ASSERT_TRUE((*f)->Write(std::string(40, 'z') + "\n").ok());  // rotates
  (*f)->WaitForMill();
  const std::string gz = "service-2024-10-30T07-51-04.773.log.gz";
  EXPECT_EQ(List(dir.path()), (std::vector<std::string>{gz, "service.log"}));
  EXPECT_EQ(Gunzip(dir.File(gz)), first);
  EXPECT_EQ(ReadFile(o.filename), std::string(40, 'z') + "\n");
  EXPECT_EQ((*f)->LastMillError(), "");
}

TEST(RotatingLogFile, UnwritableLocationIsAnError) {
  TempDir dir;
  dir.Write("file", "x");
  RotationOptions o;
  o.filename = dir.File("file") + "/abs.log";  // a path through a regular file
  auto f = RotatingLogFile::Open(o);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("abs.log"), std::string::npos) << f.status().message();
}

// SetUpLogging with a file-writer: PLAIN lines in the file at the configured level, and maxsize /
// maxbackups / compress honoured through spdlog.
TEST(SetUpLogging, FileWriterRotatesAndCompresses) {
  TempDir dir;
  service::LoggerConfig cfg;
  cfg.level = "WARN";
  cfg.stdout_writer = false;
  service::FileLoggerConfig fw;
  fw.filename = dir.File("abs.log");
  fw.max_size_mb = 1;
  fw.max_backups = 1;
  fw.compress = true;
  cfg.file_writer = fw;
  ASSERT_TRUE(SetUpLogging(cfg).ok());
  spdlog::info("not at this level");
  const std::string filler(1000, 'f');
  for (int i = 0; i < 2200; ++i) spdlog::warn("{} {}", i, filler);  // ~2.2 MB: at least two rotations
  // Dropping the logger destroys the sink, which finishes the pending clean-up first.
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("discard"));

  std::vector<std::string> names = List(dir.path());
  ASSERT_EQ(names.size(), 2u) << ::testing::PrintToString(names);
  EXPECT_EQ(names[1], "abs.log");
  ASSERT_TRUE(names[0].rfind("abs-", 0) == 0 && names[0].size() > 7 &&
              names[0].compare(names[0].size() - 7, 7, ".log.gz") == 0)
      << names[0];
  std::string rotated = Gunzip(dir.File(names[0]));
  EXPECT_GT(rotated.size(), 900u * 1000);
  EXPECT_LE(rotated.size(), 1u << 20);
  EXPECT_EQ(rotated.find("not at this level"), std::string::npos);
  EXPECT_EQ(rotated.rfind("time=", 0), 0u);
  EXPECT_NE(rotated.find(" level=WARN msg=\""), std::string::npos);
  std::string live = ReadFile(dir.File("abs.log"));
  EXPECT_NE(live.find("2199 fff"), std::string::npos);
}

}  // namespace
}  // namespace aero::app
