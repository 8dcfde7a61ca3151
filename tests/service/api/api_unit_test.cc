// Unit tests of the REST API building blocks that need no process: token-bucket rate limiting
// (IPv6 /64 sharing, white-list CIDRs, refill), route matching (404/405/specificity), listener
// timeouts, the JSON shapes of the backup/restore seam structs, and the ZIP writer read back by
// Python's zipfile.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <random>

#include "service/api/api_server.h"
#include "service/api/backup_json.h"
#include "service/api/rate_limiter.h"
#include "service/api/router.h"
#include "service/config/config_io.h"
#include "tests/support/zip_reader.h"

namespace aero::service::api {
namespace {

using Clock = RateLimiter::Clock;
using model::BackupDetails;
using model::RestoreJobState;
using model::RestoreJobStatus;
using model::RunningJob;
using model::TimePoint;

TEST(RateLimiter, BurstThenRefill) {
  auto rl = RateLimiter::Create(2, 3, {});
  ASSERT_TRUE(rl.ok());
  auto t0 = Clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE((*rl)->AllowAt("10.0.0.1", t0));
  EXPECT_TRUE((*rl)->AllowAt("10.0.0.1", t0));
  EXPECT_TRUE((*rl)->AllowAt("10.0.0.1", t0));
  EXPECT_FALSE((*rl)->AllowAt("10.0.0.1", t0));
  EXPECT_TRUE((*rl)->AllowAt("10.0.0.2", t0));  // another client has its own budget
  EXPECT_TRUE((*rl)->AllowAt("10.0.0.1", t0 + std::chrono::milliseconds(500)));  // 2/s refills one
  EXPECT_FALSE((*rl)->AllowAt("10.0.0.1", t0 + std::chrono::milliseconds(500)));
}

TEST(RateLimiter, Ipv6ClientsShareA64) {
  auto rl = RateLimiter::Create(1, 1, {});
  ASSERT_TRUE(rl.ok());
  auto t = Clock::time_point{} + std::chrono::hours(1);
  EXPECT_TRUE((*rl)->AllowAt("2001:db8:1:2::1", t));
  EXPECT_FALSE((*rl)->AllowAt("2001:db8:1:2:ffff::9", t));  // same /64
  EXPECT_TRUE((*rl)->AllowAt("2001:db8:1:3::1", t));        // other /64
  EXPECT_EQ(RateLimiter::KeyFor("2001:db8:1:2:abcd::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(RateLimiter::KeyFor("::ffff:10.1.2.3"), "10.1.2.3");  // IPv4-mapped counts as IPv4
}

TEST(RateLimiter, WhiteList) {
  auto t = Clock::time_point{} + std::chrono::hours(1);
  auto rl = RateLimiter::Create(1, 1, {"10.0.0.0/8", "fd00::/8", "192.168.1.7"});
  ASSERT_TRUE(rl.ok());
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE((*rl)->AllowAt("10.200.3.4", t));
    EXPECT_TRUE((*rl)->AllowAt("fd12::1", t));
    EXPECT_TRUE((*rl)->AllowAt("192.168.1.7", t));
  }
  EXPECT_TRUE((*rl)->AllowAt("192.168.1.8", t));
  EXPECT_FALSE((*rl)->AllowAt("192.168.1.8", t));
  auto all = RateLimiter::Create(1, 1, {"0.0.0.0/0"});
  ASSERT_TRUE(all.ok());
  for (int i = 0; i < 5; ++i) EXPECT_TRUE((*all)->AllowAt("8.8.8.8", t));
  auto bad = RateLimiter::Create(1, 1, {"10.0.0.0/33"});
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("10.0.0.0/33"), std::string::npos);
  EXPECT_FALSE(RateLimiter::Create(1, 1, {"not-an-ip"}).ok());
}

TEST(Router, MatchesParamsAndMethods) {
  Router r;
  int hit = 0;
  r.Add("GET", "/v1/config/routines/{name}", [&](const ApiRequest&, ApiResponse&) { hit = 1; });
  r.Add("PUT", "/v1/config/routines/{name}/enable", [&](const ApiRequest&, ApiResponse&) { hit = 2; });
  r.Add("POST", "/v1/config/apply", [&](const ApiRequest&, ApiResponse&) { hit = 3; });
  r.Add("GET", "/v1/config/{x}", [&](const ApiRequest&, ApiResponse&) { hit = 4; });
  r.Add("GET", "/", [&](const ApiRequest&, ApiResponse&) { hit = 5; });

  auto m = r.Find("GET", "/v1/config/routines/daily");
  ASSERT_EQ(m.kind, Router::MatchKind::kFound);
  EXPECT_EQ(m.params["name"], "daily");
  EXPECT_EQ(r.Find("HEAD", "/v1/config/routines/daily").kind, Router::MatchKind::kFound);
  auto wrong = r.Find("DELETE", "/v1/config/routines/daily");
  EXPECT_EQ(wrong.kind, Router::MatchKind::kMethodNotAllowed);
  EXPECT_EQ(wrong.allowed, std::vector<std::string>{"GET"});
  EXPECT_EQ(r.Find("GET", "/v1/config/routines/").kind, Router::MatchKind::kNotFound);  // empty segment
  EXPECT_EQ(r.Find("GET", "/v1/config/routines/a/b").kind, Router::MatchKind::kNotFound);
  // The literal pattern wins for its method; other methods fall back to the parameter pattern.
  auto apply = r.Find("POST", "/v1/config/apply");
  ASSERT_EQ(apply.kind, Router::MatchKind::kFound);
  EXPECT_EQ(apply.route->pattern, "/v1/config/apply");
  auto get_apply = r.Find("GET", "/v1/config/apply");
  ASSERT_EQ(get_apply.kind, Router::MatchKind::kFound);
  EXPECT_EQ(get_apply.route->pattern, "/v1/config/{x}");
  EXPECT_EQ(r.Find("GET", "/").kind, Router::MatchKind::kFound);
  EXPECT_EQ(r.Find("GET", "/x").kind, Router::MatchKind::kNotFound);
}

// service.http timeouts → httplib: the per-read timeout is the smaller positive of timeout and
// read-timeout, 0 means "unset" (never "no timeout"), the keep-alive wait is whole seconds, capped.
TEST(ListenerTimeouts, MapsAbsSettingsToHttplib) {
  using std::chrono::milliseconds;
  service::ListenerConfig defaults;
  auto t = TimeoutsFor(defaults);
  EXPECT_EQ(t.read, milliseconds(5000));   // header timeout 5 s < read-timeout 30 s
  EXPECT_EQ(t.write, milliseconds(60000));
  EXPECT_EQ(t.keep_alive_seconds, kMaxKeepAliveSeconds);  // 120 s default, capped
  EXPECT_FALSE(t.idle_capped);                            // only set values are reported

  service::ListenerConfig c;
  c.timeout_ms = 1500;
  c.read_timeout_ms = 800;
  c.write_timeout_ms = 2500;
  c.idle_timeout_ms = 1200;
  t = TimeoutsFor(c);
  EXPECT_EQ(t.read, milliseconds(800));
  EXPECT_EQ(t.write, milliseconds(2500));
  EXPECT_EQ(t.keep_alive_seconds, 2);  // 1.2 s rounds up
  EXPECT_FALSE(t.idle_capped);

  c.timeout_ms = 0;        // Go: header timeout falls back to read-timeout
  c.write_timeout_ms = 0;  // never unbounded
  c.idle_timeout_ms = 0;   // Go: idle falls back to the read timeout
  t = TimeoutsFor(c);
  EXPECT_EQ(t.read, milliseconds(800));
  EXPECT_EQ(t.write, milliseconds(60000));
  EXPECT_EQ(t.keep_alive_seconds, 1);

  c.read_timeout_ms = 0;
  c.idle_timeout_ms = 600000;
  t = TimeoutsFor(c);
  EXPECT_EQ(t.read, milliseconds(30000));
  EXPECT_EQ(t.keep_alive_seconds, kMaxKeepAliveSeconds);
  EXPECT_TRUE(t.idle_capped);
}

TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

TEST(BackupJson, Rfc3339) {
  EXPECT_EQ(FormatRfc3339(At(0)), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(At(1710422008983)), "2024-03-14T13:13:28.983Z");
  EXPECT_EQ(FormatRfc3339(TimePoint(std::chrono::nanoseconds(1710422008969623010LL))),
            "2024-03-14T13:13:28.96962301Z");
}

TEST(BackupJson, DetailsAndJobShapes) {
  BackupDetails d;
  d.created = At(1710422008983);
  d.ns = "test";
  d.record_count = 10;
  d.key = "daily/backup/1710422008983/data/test";
  nlohmann::json j = nlohmann::json::parse(BackupDetailsToJson(d).dump());
  EXPECT_EQ(j["timestamp"], 1710422008983LL);
  EXPECT_EQ(j["finished"], "2024-03-14T13:13:28.984Z");  // pre-3.4 metadata: created + 1 ms
  EXPECT_EQ(j["byte-count"], 0);                          // counters always present (3.x)
  EXPECT_FALSE(j.contains("from"));
  EXPECT_EQ(j["compression"], "NONE");

  RestoreJobStatus s;
  s.status = RestoreJobState::kSuccess;
  RunningJob r;
  r.total_records = 200;
  r.done_records = 50;
  r.start_time = At(1000);
  r.finish_time = At(11000);
  s.current_job = r;
  nlohmann::json sj = nlohmann::json::parse(RestoreJobStatusToJson(s).dump());
  EXPECT_EQ(sj["status"], "success");
  EXPECT_EQ(sj["errors-in-doubt"], 0);
  EXPECT_FALSE(sj.contains("error"));
  EXPECT_EQ(sj["current-job"]["percentage-done"], 25);
  EXPECT_EQ(sj["current-job"]["duration"], 10);
  EXPECT_FALSE(sj["current-job"].contains("estimated-end-time"));  // finished
}

TEST(BackupJson, RestoreRequestForms) {
  auto ok = ParseRestoreRequest(R"({"destination-name":"c","source-name":"s","backup-data-path":"r/backup/1/data/ns",
      "policy":{"no-generation":"true","bandwidth":"64","namespace":{"source":"a","destination":"b"}}})");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->policy.no_generation, std::optional<bool>(true));
  EXPECT_EQ(ok->policy.bandwidth, std::optional<int64_t>(64));
  EXPECT_EQ(ok->policy.ns->destination, "b");
  auto missing = ParseRestoreRequest(R"({"policy":{}})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("destination or destination-name"), std::string::npos);
  EXPECT_NE(missing.status().message().find("source or source-name"), std::string::npos);
  EXPECT_FALSE(ParseRestoreRequest(R"({"destination-name":"c","source-name":"s","backup-data-path":"/abs"})").ok());
  EXPECT_FALSE(ParseRestoreRequest("[]").ok());
  auto ts = ParseRestoreTimestampRequest(R"({"routine":"r","time":"1710671632452","disable-reordering":true})");
  ASSERT_TRUE(ts.ok()) << ts.status().message();
  EXPECT_EQ(ts->time_ms, 1710671632452LL);
  EXPECT_TRUE(ts->disable_reordering);
  auto comp = ParseRestoreTimestampRequest(R"({"routine":"r","time":1710671632452,"policy":{"compression":{"mode":"ZSTD"}}})");
  EXPECT_FALSE(comp.ok());
}

TEST(BackupJson, JobFilter) {
  auto f = ParseRestoreJobFilter("", "", "!failure,Canceled");
  ASSERT_TRUE(f.ok());
  RestoreJobStatus s;
  s.status = RestoreJobState::kFailure;
  EXPECT_FALSE(f->Matches(s));
  s.status = RestoreJobState::kSuccess;
  EXPECT_TRUE(f->Matches(s));
  auto done = ParseRestoreJobFilter("", "", "done");
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->Matches(s));
  auto window = ParseRestoreJobFilter("2000", "3000", "");
  ASSERT_TRUE(window.ok());
  RunningJob r;
  r.start_time = At(2500);
  s.current_job = r;
  EXPECT_TRUE(window->Matches(s));
  s.current_job->start_time = At(3500);
  EXPECT_FALSE(window->Matches(s));
  EXPECT_FALSE(ParseRestoreJobFilter("x", "", "").ok());
  EXPECT_FALSE(ParseRestoreJobFilter("5", "4", "").ok());
  EXPECT_FALSE(ParseRestoreJobFilter("", "", "weird").ok());
}

TEST(BackupJson, ZipLayout) {
  std::string zip = ZipStore({{"aerospike_0.conf", "service {}\n"}, {"aerospike_1.conf", "x"}});
  ASSERT_GT(zip.size(), 22u);
  EXPECT_EQ(zip.substr(0, 4), std::string("PK\x03\x04", 4));
  EXPECT_EQ(zip.substr(zip.size() - 22, 4), std::string("PK\x05\x06", 4));
  EXPECT_EQ(static_cast<uint8_t>(zip[zip.size() - 22 + 10]), 2);  // entries in the directory
  EXPECT_NE(zip.find("aerospike_1.conf"), std::string::npos);
}

// The archive read back by an independent reader (Python's zipfile): names in order, contents byte
// for byte and every CRC-32 (testzip), for text, empty, binary, large, nested and non-ASCII entries.
TEST(BackupJson, ZipReadBackByPythonZipfile) {
  std::string binary;
  for (int round = 0; round < 4; ++round)
    for (int b = 0; b < 256; ++b) binary.push_back(static_cast<char>(b));
  std::string large(300 * 1024, '\0');
  std::mt19937 rng(7);
  for (auto& c : large) c = static_cast<char>(rng());
  const std::vector<std::pair<std::string, std::string>> files = {
      {"aerospike_0.conf", "service {\n  cluster-name abs\n}\n"},
      {"empty.conf", ""},
      {"binary.bin", binary},
      {"large.bin", large},
      {"node-BB9/aerospike 1.conf", std::string("nul\0inside", 11)},
      {"n\xc5\x93ud-\xc3\xa9t\xc3\xa9.conf", "UTF-8 name"},
  };
  auto entries = testing::ReadZipWithPython(ZipStore(files));
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), files.size());
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& e = (*entries)[i];
    EXPECT_EQ(e.name, files[i].first) << "entry " << i;
    EXPECT_TRUE(e.data == files[i].second) << e.name << ": content differs (" << e.data.size() << " bytes read back)";
    EXPECT_EQ(e.size, files[i].second.size()) << e.name;
    const auto* bytes = reinterpret_cast<const Bytef*>(files[i].second.data());
    EXPECT_EQ(e.crc, crc32(0L, bytes, static_cast<uInt>(files[i].second.size()))) << e.name;
    EXPECT_EQ(e.compress_type, 0) << e.name << " is stored";
  }
  auto none = testing::ReadZipWithPython(ZipStore({}));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());
}

}  // namespace
}  // namespace aero::service::api
