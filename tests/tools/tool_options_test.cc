// Unit tests of the pieces both tools share (src/tools/common): list splitting, asbackup's
// local-time format, storage locations, codec flags, hosts, progress formatting, the reporter,
// machine lines and signals. More of common/ (reporter styles, machine-line formatting, exit codes):
// tools_common_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>

#include "tests/support/temp_dir.h"
#include "tools/common/codec_options.h"
#include "tools/common/connection_options.h"
#include "tools/common/machine_lines.h"
#include "tools/common/output_options.h"
#include "tools/common/progress.h"
#include "tools/common/signals.h"
#include "tools/common/storage_options.h"
#include "tools/common/values.h"

namespace aero::tools {
namespace {

TEST(ToolOptions, SplitList) {
  EXPECT_EQ(SplitList("a,b , c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(SplitList("\"x y\",'z'"), (std::vector<std::string>{"x y", "z"}));
  EXPECT_TRUE(SplitList("").empty());
  EXPECT_EQ(SplitList(",a,,"), (std::vector<std::string>{"a"}));
}

TEST(ToolOptions, LocalTimeFormats) {
  setenv("TZ", "UTC", 1);
  tzset();
  int64_t now = 1704110400000;  // 2024-01-01T12:00:00Z
  EXPECT_EQ(*ParseLocalTime("2024-01-01_12:00:00", now), 1704110400000);
  EXPECT_EQ(*ParseLocalTime("2024-01-01", now), 1704067200000);
  EXPECT_EQ(*ParseLocalTime("13:30:15", now), 1704067200000 + (13 * 3600 + 30 * 60 + 15) * 1000ll);
  setenv("TZ", "CET-1", 1);  // one hour east of UTC, no DST rule
  tzset();
  EXPECT_EQ(*ParseLocalTime("2024-01-01_12:00:00", now), 1704110400000 - 3600000);
  setenv("TZ", "UTC", 1);
  tzset();
  for (const char* bad : {"", "2024-01-01 12:00:00", "2024-13-01", "24:00:00", "2024-01-01_12:00", "yesterday",
                          "2024-01-01_12:00:00x"}) {
    auto r = ParseLocalTime(bad, now);
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(ToolOptions, StorageLocations) {
  auto a = FileLocation("s3://bucket/dir/sub/f.asb");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->root, "s3://bucket/dir/sub");
  EXPECT_EQ(a->key, "f.asb");
  auto b = FileLocation("f.asb");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->root, ".");
  EXPECT_EQ(b->key, "f.asb");
  auto c = FileLocation("/abs/f.asb");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->root, "/abs");
  auto d = FileLocation("/f.asb");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->root, "/");
  EXPECT_FALSE(FileLocation("s3://bucket").ok());
  EXPECT_FALSE(FileLocation("s3://bucket/").ok());
  EXPECT_FALSE(FileLocation("dir/").ok());
  EXPECT_EQ(FileLocation("-").status().code(), ErrorCode::kUnsupported);
  auto e = DirectoryLocation("gs://b/p");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->root, "gs://b/p");
  EXPECT_EQ(e->key, "");
}

TEST(ToolOptions, CodecFlags) {
  CodecFlags f;
  EXPECT_TRUE(CodecOptionsOf(f).ok());
  f.compress = "ZSTD";
  f.compression_level = 5;
  auto o = CodecOptionsOf(f);
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->compression, CompressionMode::kZstd);
  EXPECT_EQ(o->compression_level, 5);
  f = {};
  f.compression_level = 3;
  EXPECT_NE(CodecOptionsOf(f).status().message().find("--compress"), std::string::npos);
  f = {};
  f.compress = "lz4";
  EXPECT_FALSE(CodecOptionsOf(f).ok());
  f = {};
  f.encrypt = "aes256";
  EXPECT_NE(CodecOptionsOf(f).status().message().find("key"), std::string::npos);
  f.key_file = std::string(ABS_TEST_DATA_DIR) + "/backup/test_key.pem";
  auto k = CodecOptionsOf(f);
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->encryption, EncryptionMode::kAes256);
  EXPECT_FALSE(k->key_material.empty());
  f.encrypt.clear();
  EXPECT_FALSE(CodecOptionsOf(f).ok()) << "a key without --encrypt";
  f.encrypt = "aes128";
  f.key_file.clear();
  f.key_env = "ABS_TEST_NO_SUCH_VARIABLE";
  EXPECT_NE(CodecOptionsOf(f).status().message().find("ABS_TEST_NO_SUCH_VARIABLE"), std::string::npos);
}

TEST(ToolOptions, HostsAndPolicy) {
  ConnectionFlags f;
  f.hosts = "10.0.0.1,10.0.0.2:3100,h3:tlsname:4333";
  f.port = 3200;
  f.tls_name = "dflt";
  auto h = SeedHosts(f);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  ASSERT_EQ(h->size(), 3u);
  EXPECT_EQ((*h)[0].port, 3200);
  EXPECT_EQ((*h)[0].tls_name, "dflt");
  EXPECT_EQ((*h)[1].port, 3100);
  EXPECT_EQ((*h)[2].tls_name, "tlsname");
  f.auth_mode = "EXTERNAL";
  EXPECT_EQ(ClientPolicyOf(f).status().code(), ErrorCode::kUnsupported);
  f.auth_mode = "internal";
  f.password_given = true;  // -P without a value and without -U: refused before any prompt
  EXPECT_NE(ClientPolicyOf(f).status().message().find("--user"), std::string::npos);
  f.password_given = false;
  f.password = "pw";
  EXPECT_NE(ClientPolicyOf(f).status().message().find("--user"), std::string::npos);
  f.user = "u";
  setenv("ABS_TEST_TLS_PW", "secret", 1);
  f.tls_keyfile_password = "env:ABS_TEST_TLS_PW";
  auto p = ClientPolicyOf(f);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->tls.key_password, "secret");
  EXPECT_EQ(p->user, "u");
  EXPECT_EQ(p->password, "pw");
  f.hosts = "";
  EXPECT_FALSE(SeedHosts(f).ok());
}

TEST(ToolOptions, ProgressFormatting) {
  EXPECT_EQ(ProgressBar(50, 10), "[#####.....]  50.0%");
  EXPECT_EQ(ProgressBar(150, 4), "[####] 100.0%");
  EXPECT_EQ(ProgressBar(-1, 4), "[  ? ]");
  EXPECT_EQ(FormatDuration(3723), "1h02m03s");
  EXPECT_EQ(FormatDuration(65), "1m05s");
  EXPECT_EQ(FormatDuration(-1), "?");
  EXPECT_EQ(FormatBytes(512), "512 B");
  EXPECT_EQ(FormatBytes(1536), "1.5 KiB");
}

TEST(ToolOptions, ReporterCallsAndStops) {
  std::atomic<int> calls{0};
  {
    ProgressReporter r([&] { return "x" + std::to_string(++calls); }, ProgressStyle::kLines, std::chrono::milliseconds(5),
                       nullptr);
    r.Stop();
  }
  EXPECT_GE(calls.load(), 1) << "Stop prints the final line";
}

TEST(ToolOptions, OutputHelpers) {
  OutputFlags f;
  f.no_progress = true;
  EXPECT_EQ(StartProgress(f, [](bool) { return std::string(); }, std::cerr), nullptr);
  aero::testing::TempDir dir("abs-machine");
  std::string path = dir.File("machine.txt");
  f.machine = path;
  std::atomic<int> calls{0};
  auto r = StartProgress(f, [&](bool terminal) {
    EXPECT_FALSE(terminal);
    ++calls;
    return std::string("ignored");
  }, std::cerr);
  ASSERT_NE(r, nullptr);
  r->Stop();
  EXPECT_GE(calls.load(), 1);
  ASSERT_TRUE(AppendMachineLine(path, "SUMMARY:1:2:3:4:5").ok());
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "SUMMARY:1:2:3:4:5");
  EXPECT_EQ(AppendMachineLine("/nonexistent-dir/x/y", "A").code(), ErrorCode::kIo);
  EXPECT_TRUE(AppendMachineLine("", "A").ok());
}

TEST(ToolOptions, SignalCancels) {
  CancelToken token;
  {
    SignalCanceller c(token);
    ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
    EXPECT_TRUE(token.WaitFor(std::chrono::seconds(5)));
  }
  EXPECT_NE(token.reason().find("SIGTERM"), std::string::npos);
}

}  // namespace
}  // namespace aero::tools
