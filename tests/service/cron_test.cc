// Tests of the cron expression parser and next-firing-time search, in UTC and in IANA zones
// across DST changes. Zone files come from tests/data/service/zoneinfo (a copy of tzdata 2025b)
// so results do not depend on the host's database. Expected instants were cross-checked with
// Python's zoneinfo; DST-gap/overlap mappings follow Go's time.Date (see timezone.h).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "service/cron/civil.h"
#include "service/cron/cron.h"
#include "service/cron/timezone.h"
#include "tests/support/temp_dir.h"

namespace aero::service::cron {
namespace {

const std::string kZoneDir = std::string(ABS_SERVICE_TEST_DATA) + "/zoneinfo";

// "2024-03-10T06:30:00" -> unix seconds (the string is a UTC instant).
int64_t At(const char* s) {
  CivilTime c;
  EXPECT_EQ(std::sscanf(s, "%d-%d-%dT%d:%d:%d", &c.year, &c.month, &c.day, &c.hour, &c.minute, &c.second), 6) << s;
  return FromCivil(c);
}

std::string Fmt(int64_t t) {
  CivilTime c = ToCivil(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day, c.hour, c.minute, c.second);
  return buf;
}

TimeZone Zone(const char* name) {
  auto z = TimeZone::Load(name, kZoneDir);
  EXPECT_TRUE(z.ok()) << z.status().ToString();
  return z.ok() ? *z : TimeZone::Utc();
}

std::string Next(const std::string& expr, const char* after, const TimeZone& zone = TimeZone::Utc()) {
  auto e = CronExpression::Parse(expr);
  if (!e.ok()) return "parse error: " + e.status().message();
  auto n = e->NextAfterUnix(At(after), zone);
  return n ? Fmt(*n) : "never";
}

TEST(Civil, KnownInstants) {
  EXPECT_EQ(At("1970-01-01T00:00:00"), 0);
  EXPECT_EQ(At("2024-02-29T00:00:00"), 1709164800);
  EXPECT_EQ(At("2030-01-01T00:00:00"), 1893456000);
  EXPECT_EQ(Fmt(1730611800), "2024-11-03T05:30:00");
  EXPECT_EQ(WeekdayFromDays(0), 4);                     // Thursday
  EXPECT_EQ(WeekdayFromDays(DaysFromCivil(2024, 1, 1)), 1);  // Monday
  EXPECT_EQ(WeekdayFromDays(-1), 3);
  EXPECT_EQ(DaysInMonth(2024, 2), 29);
  EXPECT_EQ(DaysInMonth(2100, 2), 28);
  EXPECT_EQ(DaysInMonth(2000, 2), 29);
}

struct Case {
  const char* expr;
  const char* after;
  const char* want;
};

TEST(Cron, NextInUtc) {
  const Case cases[] = {
      // spec examples
      {"0 0 2 * * ?", "2024-01-01T00:00:00", "2024-01-01T02:00:00"},
      {"0 0 2 * * ?", "2024-01-01T02:00:00", "2024-01-02T02:00:00"},
      {"0 0/30 * * * ?", "2024-01-01T10:15:00", "2024-01-01T10:30:00"},
      {"0 0/30 * * * ?", "2024-01-01T10:30:00", "2024-01-01T11:00:00"},
      {"0 0 3 ? * MON-FRI", "2024-01-05T03:00:00", "2024-01-08T03:00:00"},
      {"*/10 * * * * *", "2024-01-01T10:00:05", "2024-01-01T10:00:10"},
      {"*/10 * * * * *", "2024-01-01T23:59:55", "2024-01-02T00:00:00"},
      {"0 0 1 * * ?", "2024-12-31T01:00:00", "2025-01-01T01:00:00"},
      {"  0   0  1 * *  ? ", "2024-12-31T01:00:00", "2025-01-01T01:00:00"},
      // macros
      {"@yearly", "2024-03-01T00:00:00", "2025-01-01T00:00:00"},
      {"@monthly", "2024-01-31T12:00:00", "2024-02-01T00:00:00"},
      {"@weekly", "2024-01-01T00:00:00", "2024-01-07T00:00:00"},  // Sunday midnight
      {"@daily", "2024-01-01T00:00:00", "2024-01-02T00:00:00"},
      {"@hourly", "2024-01-01T10:00:00", "2024-01-01T11:00:00"},
      // L / W / # / nL
      {"0 0 0 L * ?", "2024-02-01T00:00:00", "2024-02-29T00:00:00"},
      {"0 0 0 L * ?", "2023-02-01T00:00:00", "2023-02-28T00:00:00"},
      {"0 0 0 L-2 * ?", "2024-02-01T00:00:00", "2024-02-27T00:00:00"},
      {"0 0 0 LW * ?", "2024-03-01T00:00:00", "2024-03-29T00:00:00"},  // 31st is a Sunday
      {"0 0 0 LW * ?", "2024-08-01T00:00:00", "2024-08-30T00:00:00"},  // 31st is a Saturday
      {"0 0 0 15W * ?", "2024-06-01T00:00:00", "2024-06-14T00:00:00"},  // 15th is a Saturday
      {"0 0 0 1W * ?", "2024-05-31T12:00:00", "2024-06-03T00:00:00"},   // 1st Sat -> Monday 3rd
      {"0 0 0 30W 6 ?", "2024-06-01T00:00:00", "2024-06-28T00:00:00"},  // 30th Sun, last day -> Fri
      {"0 0 0 30W * ?", "2024-09-01T00:00:00", "2024-09-30T00:00:00"},  // a Monday: itself
      {"0 0 0 31W * ?", "2024-04-01T00:00:00", "2024-05-31T00:00:00"},  // April has no 31st
      {"0 0 0 ? * 6#3", "2024-01-01T00:00:00", "2024-01-19T00:00:00"},
      {"0 0 0 ? * FRI#3", "2024-01-01T00:00:00", "2024-01-19T00:00:00"},
      {"0 0 0 ? * 6L", "2024-01-01T00:00:00", "2024-01-26T00:00:00"},
      {"0 0 0 ? * 2#5", "2024-01-02T00:00:00", "2024-01-29T00:00:00"},
      {"0 0 0 ? * 2#5", "2024-01-29T00:00:00", "2024-04-29T00:00:00"},
      {"0 0 0 ? * L", "2024-01-01T00:00:00", "2024-01-06T00:00:00"},  // lone L = Saturday
      // names, case, lists
      {"0 0 12 ? JAN,JUL SUN", "2024-01-08T00:00:00", "2024-01-14T12:00:00"},
      {"0 0 12 ? jan,jul sun", "2024-01-08T00:00:00", "2024-01-14T12:00:00"},
      {"0 0 12 ? JAN,JUL SUN", "2024-01-28T12:00:00", "2024-07-07T12:00:00"},
      {"0 0 0 1,15 * ?", "2024-01-01T00:00:00", "2024-01-15T00:00:00"},
      // steps and ranges
      {"0 5/15 * * * ?", "2024-01-01T10:50:00", "2024-01-01T11:05:00"},
      {"0 0 1-10/3 * * ?", "2024-01-01T07:00:00", "2024-01-01T10:00:00"},
      {"0 0 1-10/3 * * ?", "2024-01-01T10:00:00", "2024-01-02T01:00:00"},
      {"0 0 22-2 * * ?", "2024-01-01T02:00:00", "2024-01-01T22:00:00"},  // wrap-around range
      {"0 0 22-2 * * ?", "2024-01-01T23:00:00", "2024-01-02T00:00:00"},
      {"0 0 0 ? * FRI-MON", "2024-01-02T00:00:00", "2024-01-05T00:00:00"},
      {"30 59 23 31 12 ?", "2024-06-01T00:00:00", "2024-12-31T23:59:30"},
      // year field
      {"0 0 0 1 1 ? 2030", "2024-01-01T00:00:00", "2030-01-01T00:00:00"},
      {"0 0 0 1 1 ? 2030-2032", "2030-01-01T00:00:00", "2031-01-01T00:00:00"},
      {"0 0 0 1 1 ? 2020", "2024-01-01T00:00:00", "never"},
      {"0 0 0 * * ? *", "2024-01-01T00:00:00", "2024-01-02T00:00:00"},
      // "?" reads as "any" in every field (go-quartz)
      {"? 0 0 * * *", "2024-01-01T00:00:00", "2024-01-01T00:00:01"},
      {"0 0/59 * * * ?", "2024-01-01T00:00:00", "2024-01-01T00:59:00"},
      {"0 0 0 ? * * ?", "2024-01-01T00:00:00", "2024-01-02T00:00:00"},
      // impossible date
      {"0 0 0 30 2 ?", "2024-01-01T00:00:00", "never"},
      {"0 0 0 29 2 ?", "2024-03-01T00:00:00", "2028-02-29T00:00:00"},
  };
  for (const auto& c : cases) EXPECT_EQ(Next(c.expr, c.after), c.want) << c.expr << " after " << c.after;
}

TEST(Cron, NextAfterTimePointIgnoresSubSeconds) {
  auto e = CronExpression::Parse("* * * * * ?");
  ASSERT_TRUE(e.ok());
  auto after = std::chrono::system_clock::time_point(std::chrono::seconds(1000)) + std::chrono::milliseconds(500);
  auto n = e->NextAfter(after, TimeZone::Utc());
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(n->time_since_epoch()).count(), 1001);
}

TEST(Cron, MatchesAndText) {
  auto e = CronExpression::Parse(" 0  30 2 ? *  MON ");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->text(), "0 30 2 ? * MON");
  EXPECT_TRUE(e->Matches(CivilTime{2024, 1, 1, 2, 30, 0}));   // Monday
  EXPECT_FALSE(e->Matches(CivilTime{2024, 1, 2, 2, 30, 0}));  // Tuesday
  EXPECT_FALSE(e->Matches(CivilTime{2024, 1, 1, 2, 30, 1}));
}

TEST(Cron, InvalidExpressions) {
  const char* bad[] = {
      "",                       // empty
      "0 0 * * *",              // 5 fields
      "0 0 0 * * ? * 1",        // 8 fields
      "0 0 25 * * ?",           // hour range
      "60 * * * * ?",           // second range
      "0 60 * * * ?",           // minute range
      "0 0 0 5 * MON",          // both day fields specific
      "0 0 0 ? * 8",            // dow range
      "0 0 0 ? * 0",            // dow starts at 1 (= Sunday)
      "0 0 0 ? * MON#6",        // nth > 5
      "0 0 0 L-31 * ?",         // L offset
      "0 0 0 32W * ?",          // W day
      "0 0 0 * 13 ?",           // month range
      "0 0 0 * FOO ?",          // bad name
      "0 0 0 L-0 * ?",          // L-n needs n >= 1
      "0 0 0 * * * 1969",       // year below 1970
      "0 */0 * * * ?",          // zero step
      "0 0/61 * * * ?",         // step larger than the field's largest value
      "0 0/60 * * * ?",
      "0 0 0 1,,2 * ?",         // empty list entry
      "a b c d e f",            // garbage
      "@every 1h",              // unsupported macro
      "@annually",              // not in go-quartz
      "@midnight",
      "0 0 0 0 * ?",            // day 0
      "0 0 0 1-32 * ?",
      "0 0 0 ? * MON-",
      "0 0 0 ? * #3",
  };
  for (const char* b : bad) {
    auto e = CronExpression::Parse(b);
    EXPECT_FALSE(e.ok()) << "accepted: \"" << b << "\"";
    if (!e.ok()) {
      EXPECT_EQ(e.status().code(), ErrorCode::kInvalidArgument);
    }
  }
}

TEST(Cron, ErrorMessagesNameTheProblem) {
  auto five = CronExpression::Parse("0 2 * * *");
  ASSERT_FALSE(five.ok());
  EXPECT_NE(five.status().message().find("got 5"), std::string::npos) << five.status().message();
  EXPECT_NE(five.status().message().find("\"0 0 2 * * *\""), std::string::npos) << five.status().message();
  auto hour = CronExpression::Parse("0 0 25 * * ?");
  ASSERT_FALSE(hour.ok());
  EXPECT_NE(hour.status().message().find("hour: 25 is out of range 0-23"), std::string::npos)
      << hour.status().message();
  auto both = CronExpression::Parse("0 0 0 5 * MON");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("cannot both be specified"), std::string::npos);
  EXPECT_TRUE(ValidateCronExpression("0 0 1 * * ?").ok());
  EXPECT_FALSE(ValidateCronExpression("0 0 1 * *").ok());
}

// ---- time zones ----

TEST(TimeZone, LoadRules) {
  EXPECT_TRUE(TimeZone::Load("UTC", kZoneDir).ok());
  EXPECT_TRUE(TimeZone::Load("utc", kZoneDir).ok());
  EXPECT_TRUE(TimeZone::Load("Local", kZoneDir).ok());
  EXPECT_TRUE(TimeZone::Load("LOCAL", kZoneDir).ok());
  EXPECT_TRUE(TimeZone::Load("America/New_York", kZoneDir).ok());
  EXPECT_FALSE(TimeZone::Load("america/new_york", kZoneDir).ok());  // IANA names are case-sensitive
  EXPECT_FALSE(TimeZone::Load("EST", kZoneDir).ok());               // abbreviation
  EXPECT_FALSE(TimeZone::Load("EST5EDT", kZoneDir).ok());           // POSIX TZ string
  EXPECT_FALSE(TimeZone::Load("America/Nowhere", kZoneDir).ok());
  EXPECT_FALSE(TimeZone::Load("../zoneinfo/America/New_York", kZoneDir).ok());
  EXPECT_FALSE(TimeZone::Load("/etc/passwd", kZoneDir).ok());
  // Like ABS: surrounding blanks are trimmed and an empty value means UTC.
  EXPECT_EQ(TimeZone::Load("", kZoneDir)->name(), "UTC");
  EXPECT_EQ(TimeZone::Load("  America/New_York ", kZoneDir)->name(), "America/New_York");
  auto bad = TimeZone::Load("America/Nowhere", kZoneDir);
  EXPECT_NE(bad.status().message().find("America/Nowhere"), std::string::npos);
}

TEST(TimeZone, RejectsDamagedFiles) {
  const std::string good = aero::testing::ReadFile(kZoneDir + "/America/New_York");
  ASSERT_GT(good.size(), 100u);
  EXPECT_TRUE(TimeZone::FromTzif("ny", good).ok());
  EXPECT_FALSE(TimeZone::FromTzif("x", "").ok());
  EXPECT_FALSE(TimeZone::FromTzif("x", "not a tz file at all, not at all, not at all, no").ok());
  for (size_t cut : {size_t(44), size_t(60), good.size() / 2, good.size() - 30}) {
    // Cutting anywhere must give an error or (footer only) a still-consistent zone, never a crash.
    auto z = TimeZone::FromTzif("cut", good.substr(0, cut));
    if (cut < good.size() / 2 + 1) {
      EXPECT_FALSE(z.ok()) << cut;
    }
  }
}

TEST(TimeZone, Offsets) {
  TimeZone ny = Zone("America/New_York");
  EXPECT_EQ(ny.OffsetAt(At("2024-01-15T12:00:00")), -5 * 3600);
  EXPECT_EQ(ny.OffsetAt(At("2024-07-15T12:00:00")), -4 * 3600);
  EXPECT_EQ(ny.OffsetAt(At("2024-03-10T06:59:59")), -5 * 3600);
  EXPECT_EQ(ny.OffsetAt(At("2024-03-10T07:00:00")), -4 * 3600);
  // Beyond the last listed transition (2037): the footer rule EST5EDT,M3.2.0,M11.1.0 applies.
  EXPECT_EQ(ny.OffsetAt(At("2040-07-01T16:00:00")), -4 * 3600);
  EXPECT_EQ(ny.OffsetAt(At("2040-12-01T16:00:00")), -5 * 3600);
  EXPECT_EQ(ny.OffsetAt(At("2040-03-11T06:59:59")), -5 * 3600);
  EXPECT_EQ(ny.OffsetAt(At("2040-03-11T07:00:00")), -4 * 3600);
  TimeZone syd = Zone("Australia/Sydney");
  EXPECT_EQ(syd.OffsetAt(At("2024-01-15T01:00:00")), 11 * 3600);
  EXPECT_EQ(syd.OffsetAt(At("2024-07-15T02:00:00")), 10 * 3600);
  EXPECT_EQ(syd.OffsetAt(At("2045-01-15T01:00:00")), 11 * 3600);  // southern-hemisphere rule
  EXPECT_EQ(syd.OffsetAt(At("2045-07-15T01:00:00")), 10 * 3600);
  TimeZone kol = Zone("Asia/Kolkata");
  EXPECT_EQ(kol.OffsetAt(At("2024-07-15T03:30:00")), 5 * 3600 + 1800);
  EXPECT_EQ(TimeZone::Utc().OffsetAt(At("2024-07-15T03:30:00")), 0);
  EXPECT_LE(ny.MinOffset(), -5 * 3600);
  EXPECT_GE(ny.MaxOffset(), -4 * 3600);
}

TEST(TimeZone, FromLocalLikeGo) {
  TimeZone ny = Zone("America/New_York");
  EXPECT_EQ(ny.FromLocal(At("2024-07-15T12:00:00")), At("2024-07-15T16:00:00"));
  EXPECT_EQ(ny.FromLocal(At("2024-03-10T02:30:00")), At("2024-03-10T06:30:00"));  // gap -> 01:30 EST
  EXPECT_EQ(ny.FromLocal(At("2024-11-03T01:30:00")), 1730611800);                 // overlap -> EDT (first)
  TimeZone ber = Zone("Europe/Berlin");
  EXPECT_EQ(ber.FromLocal(At("2024-03-31T02:30:00")), 1711848600);  // gap -> 03:30 CEST
  EXPECT_EQ(ber.FromLocal(At("2024-10-27T02:30:00")), 1729992600);  // overlap -> CET (second)
}

TEST(Cron, NextAcrossDstNewYork) {
  TimeZone ny = Zone("America/New_York");
  const Case cases[] = {
      {"0 0 12 * * ?", "2024-07-15T00:00:00", "2024-07-15T16:00:00"},
      {"0 0 12 * * ?", "2024-01-15T00:00:00", "2024-01-15T17:00:00"},
      // spring forward 2024-03-10 02:00 EST -> 03:00 EDT
      {"0 0 3 * * ?", "2024-03-09T12:00:00", "2024-03-10T07:00:00"},
      {"0 30 2 * * ?", "2024-03-09T12:00:00", "2024-03-10T06:30:00"},  // missing 02:30 -> 01:30 EST
      {"0 30 2 * * ?", "2024-03-10T06:30:00", "2024-03-11T06:30:00"},
      {"0 0/30 * * * ?", "2024-03-10T06:30:00", "2024-03-10T07:00:00"},  // 01:30 EST -> 03:00 EDT
      // fall back 2024-11-03 02:00 EDT -> 01:00 EST
      {"0 30 1 * * ?", "2024-11-02T12:00:00", "2024-11-03T05:30:00"},  // once, at 01:30 EDT
      {"0 30 1 * * ?", "2024-11-03T05:30:00", "2024-11-04T06:30:00"},
      {"0 0/30 * * * ?", "2024-11-03T05:30:00", "2024-11-03T07:00:00"},
      {"0 0 0 * * ?", "2024-11-02T12:00:00", "2024-11-03T04:00:00"},
      {"0 0 0 * * ?", "2024-11-03T04:00:00", "2024-11-04T05:00:00"},
      // beyond the transitions listed in the file
      {"0 0 3 * * ?", "2040-03-10T12:00:00", "2040-03-11T07:00:00"},
      {"0 0 12 1 7 ?", "2039-12-01T00:00:00", "2040-07-01T16:00:00"},
  };
  for (const auto& c : cases) EXPECT_EQ(Next(c.expr, c.after, ny), c.want) << c.expr << " after " << c.after;
}

TEST(Cron, NextAcrossDstElsewhere) {
  TimeZone ber = Zone("Europe/Berlin");
  EXPECT_EQ(Next("0 30 2 * * ?", "2024-03-30T12:00:00", ber), "2024-03-31T01:30:00");
  EXPECT_EQ(Next("0 30 2 * * ?", "2024-10-26T12:00:00", ber), "2024-10-27T01:30:00");
  EXPECT_EQ(Next("0 30 2 * * ?", "2024-10-27T01:30:00", ber), "2024-10-28T01:30:00");
  TimeZone syd = Zone("Australia/Sydney");
  EXPECT_EQ(Next("0 0 12 * * ?", "2024-01-14T12:00:00", syd), "2024-01-15T01:00:00");
  EXPECT_EQ(Next("0 0 12 * * ?", "2024-07-14T12:00:00", syd), "2024-07-15T02:00:00");
  TimeZone kol = Zone("Asia/Kolkata");
  EXPECT_EQ(Next("0 0 9 * * ?", "2024-07-15T00:00:00", kol), "2024-07-15T03:30:00");
  EXPECT_EQ(Next("0 0 9 * * ?", "2024-07-15T03:30:00", kol), "2024-07-16T03:30:00");
}

TEST(Cron, EverySecondInZoneIsStillOneSecondApart) {
  // The search scans a window of wall-clock time; make sure dense schedules stay exact.
  TimeZone ny = Zone("America/New_York");
  auto e = CronExpression::Parse("* * * * * ?");
  ASSERT_TRUE(e.ok());
  int64_t t = At("2024-07-15T12:00:00");
  for (int i = 0; i < 5; ++i) {
    auto n = e->NextAfterUnix(t, ny);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, t + 1);
    t = *n;
  }
}

}  // namespace
}  // namespace aero::service::cron

namespace aero::service::cron {
namespace {

TEST(CronRobustness, RandomExpressionsNeverCrashOrHang) {
  const char kChars[] = "0123456789*?/-,LW#@ JANFEBMONSUNxyz";
  uint64_t seed = 88172645463325252ull;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string expr;
    int len = static_cast<int>(next() % 30);
    for (int k = 0; k < len; ++k) expr += kChars[next() % (sizeof kChars - 1)];
    auto e = CronExpression::Parse(expr);
    if (!e.ok()) continue;
    ++accepted;
    auto n = e->NextAfterUnix(At("2024-01-01T00:00:00"), TimeZone::Utc());
    if (n) {
      EXPECT_GT(*n, At("2024-01-01T00:00:00")) << expr;
    }
  }
  // Structured random expressions: every accepted one must fire on a time it matches.
  const char* fields[][8] = {{"*", "0", "5/15", "1-10", "*/7", "59", "0,30", "?"},
                             {"*", "0", "5/15", "1-10", "*/7", "59", "0,30", "?"},
                             {"*", "0", "22-2", "1-10/3", "*/5", "23", "0,12", "?"},
                             {"*", "?", "L", "15W", "1,15", "LW", "L-3", "31"},
                             {"*", "2", "JAN-MAR", "*/4", "12", "FEB", "1,6", "?"},
                             {"?", "*", "MON-FRI", "6#3", "2L", "SUN", "1,7", "L"}};
  const TimeZone ny = Zone("America/New_York");
  const TimeZone utc = TimeZone::Utc();
  for (int i = 0; i < 400; ++i) {
    std::string expr;
    for (int f = 0; f < 6; ++f) expr += std::string(f ? " " : "") + fields[f][next() % 8];
    auto e = CronExpression::Parse(expr);
    if (!e.ok()) continue;
    ++accepted;
    int64_t after = At("2024-01-01T00:00:00") + static_cast<int64_t>(next() % (400LL * 86400));
    for (const TimeZone* zone : {&utc, &ny}) {
      auto n = e->NextAfterUnix(after, *zone);
      if (!n) continue;
      EXPECT_GT(*n, after) << expr;
      // The instant's wall-clock time matches, unless it came from a DST gap.
      int64_t local = zone->ToLocal(*n);
      if (zone->FromLocal(local) == *n && zone->OffsetAt(*n) == zone->OffsetAt(*n - 7200)) {
        EXPECT_TRUE(e->Matches(ToCivil(local))) << expr << " at " << Fmt(*n);
      }
    }
  }
  EXPECT_GT(accepted, 100);
}

}  // namespace
}  // namespace aero::service::cron

namespace aero::service::cron {
namespace {

TEST(Cron, HourlyForAYearInNewYork) {
  // 2024 has 366 * 24 = 8784 wall-clock hours. Spring forward: local 02:00 does not exist and
  // maps (like Go) onto 01:00 EST, an instant that already fired, so one firing fewer. Fall back:
  // local 01:00 occurs twice but fires once (first occurrence), so that day has a 2-hour gap.
  TimeZone ny = Zone("America/New_York");
  auto e = CronExpression::Parse("0 0 * * * ?");
  ASSERT_TRUE(e.ok());
  int64_t t = ny.FromLocal(At("2024-01-01T00:00:00")) - 1;
  const int64_t end = ny.FromLocal(At("2025-01-01T00:00:00"));
  int fired = 0;
  int64_t longest_gap = 0;
  while (true) {
    auto n = e->NextAfterUnix(t, ny);
    ASSERT_TRUE(n.has_value());
    if (*n >= end) break;
    ASSERT_GT(*n, t);
    if (fired > 0) longest_gap = std::max(longest_gap, *n - t);
    t = *n;
    ++fired;
  }
  EXPECT_EQ(fired, 8784 - 1);
  EXPECT_EQ(longest_gap, 2 * 3600);  // across the repeated hour
}

}  // namespace
}  // namespace aero::service::cron
