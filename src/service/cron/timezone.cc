// TZif reader and POSIX-TZ rule evaluation behind TimeZone (see timezone.h).
// Format reference: RFC 8536 (TZif versions 1-4) and POSIX.1 "TZ" for the footer rule.
#include "service/cron/timezone.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "service/cron/civil.h"

namespace aero::service::cron {
namespace {

// A POSIX TZ rule date: Jn (1..365, Feb 29 never counted), n (0..365), or Mm.w.d.
struct RuleDate {
  enum Kind { kJulian1, kJulian0, kMonthWeekDay } kind = kMonthWeekDay;
  int day = 0;  // Jn / n
  int month = 0, week = 0, weekday = 0;
  int32_t time = 7200;  // seconds after local midnight, may be negative or > 24h
};

struct PosixRule {
  int32_t std_offset = 0;  // UTC offsets (local = utc + offset)
  bool has_dst = false;
  int32_t dst_offset = 0;
  RuleDate start, end;
};

// Local (wall-clock) seconds at which `d` happens in year `y`.
int64_t RuleLocalSeconds(const RuleDate& d, int y) {
  int64_t day0 = DaysFromCivil(y, 1, 1);
  int64_t days = 0;
  switch (d.kind) {
    case RuleDate::kJulian1:
      days = d.day - 1;
      if (IsLeapYear(y) && d.day >= 60) days += 1;  // Jn never counts Feb 29
      break;
    case RuleDate::kJulian0:
      days = d.day;
      break;
    case RuleDate::kMonthWeekDay: {
      int64_t first = DaysFromCivil(y, d.month, 1);
      int wd_first = WeekdayFromDays(first);
      int64_t day = first + (d.weekday - wd_first + 7) % 7 + 7 * (d.week - 1);
      int64_t last = first + DaysInMonth(y, d.month) - 1;
      while (day > last) day -= 7;  // week 5 = last such weekday
      days = day - day0;
      break;
    }
  }
  return (day0 + days) * 86400 + d.time;
}

class PosixParser {
 public:
  explicit PosixParser(std::string_view s) : s_(s) {}

  bool Parse(PosixRule* r) {
    if (!Name()) return false;
    int32_t off;
    if (!Offset(&off)) return false;
    r->std_offset = -off;  // POSIX offsets are west-positive
    if (pos_ == s_.size()) return true;
    if (!Name()) return false;
    r->has_dst = true;
    r->dst_offset = r->std_offset + 3600;
    if (pos_ < s_.size() && s_[pos_] != ',') {
      if (!Offset(&off)) return false;
      r->dst_offset = -off;
    }
    if (pos_ == s_.size()) {  // POSIX default rule (US rules since 2007)
      r->start = RuleDate{RuleDate::kMonthWeekDay, 0, 3, 2, 0, 7200};
      r->end = RuleDate{RuleDate::kMonthWeekDay, 0, 11, 1, 0, 7200};
      return true;
    }
    if (s_[pos_++] != ',' || !Date(&r->start)) return false;
    if (pos_ >= s_.size() || s_[pos_++] != ',' || !Date(&r->end)) return false;
    return pos_ == s_.size();
  }

 private:
  bool Name() {
    if (pos_ < s_.size() && s_[pos_] == '<') {
      size_t close = s_.find('>', pos_);
      if (close == std::string_view::npos || close - pos_ < 4) return false;
      pos_ = close + 1;
      return true;
    }
    size_t start = pos_;
    while (pos_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    return pos_ - start >= 3;
  }
  bool Number(int* v, int max_digits) {
    size_t start = pos_;
    int n = 0;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_])) && pos_ - start < size_t(max_digits)) {
      n = n * 10 + (s_[pos_] - '0');
      ++pos_;
    }
    *v = n;
    return pos_ > start;
  }
  // [+-]hh[:mm[:ss]] -> seconds; hours up to 167 (RFC 8536 extension for rule times).
  bool Offset(int32_t* out) {
    int sign = 1;
    if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) sign = s_[pos_++] == '-' ? -1 : 1;
    int h = 0, m = 0, sec = 0;
    if (!Number(&h, 3) || h > 167) return false;
    if (pos_ < s_.size() && s_[pos_] == ':') {
      ++pos_;
      if (!Number(&m, 2) || m > 59) return false;
      if (pos_ < s_.size() && s_[pos_] == ':') {
        ++pos_;
        if (!Number(&sec, 2) || sec > 59) return false;
      }
    }
    *out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }
  bool Date(RuleDate* d) {
    if (pos_ >= s_.size()) return false;
    if (s_[pos_] == 'J') {
      ++pos_;
      d->kind = RuleDate::kJulian1;
      if (!Number(&d->day, 3) || d->day < 1 || d->day > 365) return false;
    } else if (s_[pos_] == 'M') {
      ++pos_;
      d->kind = RuleDate::kMonthWeekDay;
      if (!Number(&d->month, 2) || d->month < 1 || d->month > 12) return false;
      if (pos_ >= s_.size() || s_[pos_++] != '.' || !Number(&d->week, 1) || d->week < 1 || d->week > 5) return false;
      if (pos_ >= s_.size() || s_[pos_++] != '.' || !Number(&d->weekday, 1) || d->weekday > 6) return false;
    } else {
      d->kind = RuleDate::kJulian0;
      if (!Number(&d->day, 3) || d->day > 365) return false;
    }
    d->time = 7200;
    if (pos_ < s_.size() && s_[pos_] == '/') {
      ++pos_;
      if (!Offset(&d->time)) return false;
    }
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

uint32_t Be32(const unsigned char* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
int64_t Be64(const unsigned char* p) {
  return static_cast<int64_t>((uint64_t(Be32(p)) << 32) | Be32(p + 4));
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

Result<std::string> ReadSmallFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kNotFound, "cannot open time zone file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string data = ss.str();
  if (data.size() > (1 << 20)) return Status(ErrorCode::kInvalidArgument, "time zone file too large: " + path);
  return data;
}

}  // namespace

struct TimeZone::Impl {
  std::string name;
  int32_t initial_offset = 0;
  std::vector<int64_t> transitions;      // UTC seconds, ascending
  std::vector<int32_t> offsets;          // offset in effect from transitions[i]
  bool has_rule = false;
  PosixRule rule;
  int32_t min_offset = 0, max_offset = 0;

  int32_t RuleOffset(int64_t t) const {
    if (!rule.has_dst) return rule.std_offset;
    int year = ToCivil(t + rule.std_offset).year;
    int32_t best_off = rule.std_offset;
    int64_t best_at = INT64_MIN;
    for (int y = year - 1; y <= year + 1; ++y) {
      int64_t start = RuleLocalSeconds(rule.start, y) - rule.std_offset;
      int64_t end = RuleLocalSeconds(rule.end, y) - rule.dst_offset;
      if (start <= t && start > best_at) best_at = start, best_off = rule.dst_offset;
      if (end <= t && end > best_at) best_at = end, best_off = rule.std_offset;
    }
    return best_off;
  }

  int32_t OffsetAt(int64_t t) const {
    if (transitions.empty()) return has_rule ? RuleOffset(t) : initial_offset;
    if (t < transitions.front()) return initial_offset;
    if (has_rule && t >= transitions.back()) return RuleOffset(t);
    auto it = std::upper_bound(transitions.begin(), transitions.end(), t);
    return offsets[static_cast<size_t>(it - transitions.begin()) - 1];
  }
};

TimeZone TimeZone::Utc() {
  static const std::shared_ptr<const Impl> utc = [] {
    auto impl = std::make_shared<Impl>();
    impl->name = "UTC";
    return impl;
  }();
  return TimeZone(utc);
}

const std::string& TimeZone::name() const { return impl_->name; }
int32_t TimeZone::OffsetAt(int64_t unix_seconds) const { return impl_->OffsetAt(unix_seconds); }
int32_t TimeZone::MinOffset() const { return impl_->min_offset; }
int32_t TimeZone::MaxOffset() const { return impl_->max_offset; }

int64_t TimeZone::FromLocal(int64_t local_seconds) const {
  int32_t off1 = OffsetAt(local_seconds);
  int64_t utc = local_seconds - off1;
  int32_t off2 = OffsetAt(utc);
  return off2 == off1 ? utc : local_seconds - off2;
}

Result<TimeZone> TimeZone::FromTzif(std::string_view name, std::string_view bytes) {
  auto bad = [&](const std::string& why) {
    return Status(ErrorCode::kCorrupt, "time zone \"" + std::string(name) + "\": " + why);
  };
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  size_t size = bytes.size();
  if (size < 44 || bytes.substr(0, 4) != "TZif") return bad("not a TZif file");
  char version = bytes[4];
  auto counts = [&](size_t at, uint32_t c[6]) {
    for (int i = 0; i < 6; ++i) c[i] = Be32(p + at + 20 + 4 * i);
  };
  uint32_t c[6];  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  counts(0, c);
  size_t v1_len = size_t(c[3]) * 5 + size_t(c[4]) * 6 + c[5] + size_t(c[2]) * 8 + c[1] + c[0];
  size_t at = 44;
  int time_size = 4;
  if (version >= '2') {
    at = 44 + v1_len;
    if (at + 44 > size || bytes.substr(at, 4) != "TZif") return bad("truncated version-2 header");
    counts(at, c);
    at += 44;
    time_size = 8;
  }
  uint32_t leapcnt = c[2], timecnt = c[3], typecnt = c[4], charcnt = c[5];
  if (typecnt == 0) return bad("no local time types");
  if (leapcnt != 0) return bad("leap-second (\"right/\") zone files are not supported");
  size_t need = size_t(timecnt) * (time_size + 1) + size_t(typecnt) * 6 + charcnt + c[1] + c[0];
  if (at + need > size) return bad("truncated data block");
  auto impl = std::make_shared<Impl>();
  impl->name = std::string(name);
  const unsigned char* times = p + at;
  const unsigned char* idx = times + size_t(timecnt) * time_size;
  const unsigned char* types = idx + timecnt;
  std::vector<int32_t> type_off(typecnt);
  for (uint32_t i = 0; i < typecnt; ++i) {
    int32_t off = static_cast<int32_t>(Be32(types + 6 * i));
    if (off < -25 * 3600 || off > 26 * 3600) return bad("implausible UTC offset");
    type_off[i] = off;
  }
  impl->transitions.reserve(timecnt);
  impl->offsets.reserve(timecnt);
  for (uint32_t i = 0; i < timecnt; ++i) {
    int64_t t = time_size == 8 ? Be64(times + 8 * i) : static_cast<int32_t>(Be32(times + 4 * i));
    if (idx[i] >= typecnt) return bad("transition refers to a missing type");
    if (!impl->transitions.empty() && t <= impl->transitions.back()) return bad("transitions out of order");
    impl->transitions.push_back(t);
    impl->offsets.push_back(type_off[idx[i]]);
  }
  impl->initial_offset = type_off[0];
  if (version >= '2') {
    size_t foot = at + need;
    if (foot < size && bytes[foot] == '\n') {
      size_t end = bytes.find('\n', foot + 1);
      if (end == std::string_view::npos) return bad("unterminated footer");
      std::string_view tz = bytes.substr(foot + 1, end - foot - 1);
      if (!tz.empty()) {
        if (!PosixParser(tz).Parse(&impl->rule)) return bad("cannot parse footer rule \"" + std::string(tz) + "\"");
        impl->has_rule = true;
      }
    }
  }
  int32_t lo = impl->initial_offset, hi = impl->initial_offset;
  for (int32_t o : type_off) lo = std::min(lo, o), hi = std::max(hi, o);
  if (impl->has_rule) {
    lo = std::min({lo, impl->rule.std_offset, impl->rule.has_dst ? impl->rule.dst_offset : impl->rule.std_offset});
    hi = std::max({hi, impl->rule.std_offset, impl->rule.has_dst ? impl->rule.dst_offset : impl->rule.std_offset});
  }
  impl->min_offset = lo;
  impl->max_offset = hi;
  return TimeZone(std::move(impl));
}

Result<TimeZone> TimeZone::Load(std::string_view name, const std::string& zoneinfo_dir) {
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front()))) name.remove_prefix(1);
  while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back()))) name.remove_suffix(1);
  if (name.empty() || EqualsIgnoreCase(name, "UTC")) return Utc();
  if (EqualsIgnoreCase(name, "Local")) {
    const char* tz = std::getenv("TZ");
    std::string path = "/etc/localtime";
    if (tz != nullptr && *tz != '\0') {
      std::string v = tz[0] == ':' ? tz + 1 : tz;
      if (!v.empty() && v[0] == '/') path = v;
      else if (!v.empty() && v.find("..") == std::string::npos && std::ifstream(zoneinfo_dir + "/" + v)) path = zoneinfo_dir + "/" + v;
    }
    auto data = ReadSmallFile(path);
    if (!data.ok()) return Utc();  // no local zone configured: the host runs on UTC
    auto zone = FromTzif("Local", *data);
    if (!zone.ok()) return zone.status().WithContext("local time zone " + path);
    return zone;
  }
  std::string n(name);
  bool chars_ok = !n.empty() && std::all_of(n.begin(), n.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '/' || ch == '_' || ch == '-' || ch == '+';
  });
  if (!chars_ok || n.find('/') == std::string::npos || n.front() == '/' || n.back() == '/' ||
      n.find("//") != std::string::npos || n.find("..") != std::string::npos) {
    return Status(ErrorCode::kInvalidArgument,
                  "invalid time zone \"" + n + "\": use UTC, Local or an IANA name such as America/New_York");
  }
  auto data = ReadSmallFile(zoneinfo_dir + "/" + n);
  if (!data.ok()) return Status(ErrorCode::kInvalidArgument, "unknown time zone \"" + n + "\"");
  return FromTzif(n, *data);
}

Status TimeZone::Validate(std::string_view name, const std::string& zoneinfo_dir) {
  auto zone = Load(name, zoneinfo_dir);
  return zone.ok() ? Status::Ok() : zone.status();
}

}  // namespace aero::service::cron
