// Cron expression parser and next-fire-time search (see cron.h for the accepted syntax).
#include "service/cron/cron.h"

#include <algorithm>
#include <cctype>
#include <limits>

namespace aero::service::cron {
namespace {

constexpr const char* kMonthNames[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                       "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr const char* kDayNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> SplitWs(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t start = i;
    while (i < s.size() && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

bool ParseUint(const std::string& s, int* out) {
  if (s.empty() || s.size() > 6) return false;
  int v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// One numeric field (all but the day-field specials): fills `bits` with allowed values.
struct FieldSpec {
  const char* name;
  int min, max;
  const char* const* names = nullptr;  // value min+i is names[i]
  int name_count = 0;
};

class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, std::string* err) : spec_(spec), err_(err) {}

  bool Value(const std::string& tok, int* out) {
    if (ParseUint(tok, out)) {
      if (*out < spec_.min || *out > spec_.max) {
        return Fail(tok + " is out of range " + std::to_string(spec_.min) + "-" + std::to_string(spec_.max));
      }
      return true;
    }
    std::string up = Upper(tok);
    for (int i = 0; i < spec_.name_count; ++i) {
      if (up == spec_.names[i]) {
        *out = spec_.min + i;
        return true;
      }
    }
    return Fail("\"" + tok + "\" is not a valid value");
  }

  // Sets bit (value - bias) for every value the field allows.
  bool Parse(const std::string& field, std::vector<bool>* allowed) {
    allowed->assign(spec_.max - spec_.min + 1, false);
    for (const std::string& item : Split(field, ',')) {
      if (item.empty()) return Fail("empty list entry in \"" + field + "\"");
      int lo = spec_.min, hi = spec_.max, step = 1;
      std::string base = item;
      size_t slash = item.find('/');
      if (slash != std::string::npos) {
        base = item.substr(0, slash);
        std::string st = item.substr(slash + 1);
        if (!ParseUint(st, &step) || step < 1) return Fail("step \"" + st + "\" must be a positive number");
        if (step > spec_.max) return Fail("step " + st + " is larger than " + std::to_string(spec_.max));
      }
      bool wrap = false;
      if (base == "*") {
        // whole range
      } else if (size_t dash = base.find('-'); dash != std::string::npos) {
        if (!Value(base.substr(0, dash), &lo) || !Value(base.substr(dash + 1), &hi)) return false;
        wrap = lo > hi;
      } else {
        if (base.empty()) return Fail("missing value before \"/\" in \"" + item + "\"");
        if (!Value(base, &lo)) return false;
        hi = slash != std::string::npos ? spec_.max : lo;  // "a/n" runs to the end of the range
      }
      int span = spec_.max - spec_.min + 1;
      int count = wrap ? (hi + span - lo) + 1 : hi - lo + 1;
      for (int k = 0; k < count; k += step) {
        int v = lo + k;
        if (v > spec_.max) v -= span;
        (*allowed)[v - spec_.min] = true;
      }
    }
    return true;
  }

  bool Fail(const std::string& why) {
    *err_ = std::string(spec_.name) + ": " + why;
    return false;
  }

 private:
  const FieldSpec& spec_;
  std::string* err_;
};

uint64_t ToMask(const std::vector<bool>& v, int bias) {
  uint64_t m = 0;
  for (size_t i = 0; i < v.size(); ++i)
    if (v[i]) m |= uint64_t{1} << (i + bias);
  return m;
}

// Smallest set bit >= from, or -1.
int NextBit(uint64_t mask, int from) {
  if (from >= 64) return -1;
  uint64_t m = mask & (~uint64_t{0} << from);
  return m == 0 ? -1 : __builtin_ctzll(m);
}

const FieldSpec kSecond{"second", 0, 59};
const FieldSpec kMinute{"minute", 0, 59};
const FieldSpec kHour{"hour", 0, 23};
const FieldSpec kDom{"day-of-month", 1, 31};
const FieldSpec kMonth{"month", 1, 12, kMonthNames, 12};
const FieldSpec kDow{"day-of-week", 1, 7, kDayNames, 7};
const FieldSpec kYear{"year", CronExpression::kMinYear, CronExpression::kMaxYear};

}  // namespace

Result<CronExpression> CronExpression::Parse(std::string_view text) {
  std::vector<std::string> tokens = SplitWs(text);
  std::string normalised;
  for (const auto& t : tokens) normalised += (normalised.empty() ? "" : " ") + t;
  auto fail = [&](const std::string& why) {
    return Status(ErrorCode::kInvalidArgument, "invalid cron expression \"" + normalised + "\": " + why);
  };
  if (tokens.empty()) return Status(ErrorCode::kInvalidArgument, "empty cron expression");
  std::vector<std::string> fields = tokens;
  if (tokens.size() == 1 && tokens[0][0] == '@') {
    static const std::pair<const char*, const char*> kMacros[] = {
        {"@yearly", "0 0 0 1 1 *"}, {"@monthly", "0 0 0 1 * *"}, {"@weekly", "0 0 0 * * 1"},
        {"@daily", "0 0 0 * * *"},  {"@hourly", "0 0 * * * *"}};
    bool found = false;
    for (const auto& [macro, expansion] : kMacros) {
      if (tokens[0] == macro) {
        fields = SplitWs(expansion);
        found = true;
      }
    }
    if (!found) return fail("unknown macro (supported: @yearly @monthly @weekly @daily @hourly)");
  } else if (tokens.size() == 5) {
    return fail("expected 6 or 7 fields (second minute hour day-of-month month day-of-week [year]), got 5; "
                "classic 5-field cron is not supported, add a seconds field, e.g. \"0 " + normalised + "\"");
  } else if (tokens.size() != 6 && tokens.size() != 7) {
    return fail("expected 6 or 7 fields (second minute hour day-of-month month day-of-week [year]), got " +
                std::to_string(tokens.size()));
  }

  CronExpression e;
  e.text_ = normalised;
  std::string err;
  std::vector<bool> allowed;
  auto simple = [&](const FieldSpec& spec, const std::string& f, uint64_t* mask, int bias) {
    // go-quartz reads "?" as "any value" in every field, so ABS configs may carry it anywhere.
    if (!FieldParser(spec, &err).Parse(f == "?" ? "*" : f, &allowed)) return false;
    *mask = ToMask(allowed, bias);
    return true;
  };
  if (!simple(kSecond, fields[0], &e.seconds_, 0) || !simple(kMinute, fields[1], &e.minutes_, 0) ||
      !simple(kHour, fields[2], &e.hours_, 0) || !simple(kMonth, fields[4], &e.months_, 1)) {
    return fail(err);
  }

  // Day of month.
  const std::string dom = Upper(fields[3]);
  const bool dom_any = dom == "*" || dom == "?";
  if (dom_any) {
    e.dom_kind_ = DomKind::kAny;
  } else if (dom == "L") {
    e.dom_kind_ = DomKind::kLast;
  } else if (dom.rfind("L-", 0) == 0) {
    int n;
    // L-31 could never fire (go-quartz accepts it); reject it rather than schedule nothing.
    if (!ParseUint(dom.substr(2), &n) || n < 1 || n > 30) {
      return fail("day-of-month: \"" + fields[3] + "\": L-n needs n in 1-30");
    }
    e.dom_kind_ = DomKind::kLast;
    e.dom_arg_ = n;
  } else if (dom == "LW") {
    e.dom_kind_ = DomKind::kLastWeekday;
  } else if (dom.size() > 1 && dom.back() == 'W') {
    int n;
    if (!ParseUint(dom.substr(0, dom.size() - 1), &n) || n < 1 || n > 31) {
      return fail("day-of-month: \"" + fields[3] + "\": nW needs a day 1-31");
    }
    e.dom_kind_ = DomKind::kNearestWeekday;
    e.dom_arg_ = n;
  } else {
    if (!FieldParser(kDom, &err).Parse(fields[3], &allowed)) return fail(err);
    e.dom_kind_ = DomKind::kSet;
    e.dom_ = ToMask(allowed, 1);
  }

  // Day of week (1 = Sunday in the syntax, 0 = Sunday inside).
  const std::string dow = Upper(fields[5]);
  const bool dow_any = dow == "*" || dow == "?";
  FieldParser dow_parser(kDow, &err);
  if (dow_any) {
    e.dow_kind_ = DowKind::kAny;
  } else if (dow == "L") {
    e.dow_kind_ = DowKind::kSet;
    e.dow_ = uint64_t{1} << 6;  // Quartz: a lone L is Saturday
  } else if (dow.size() > 1 && dow.back() == 'L') {
    int d;
    if (!dow_parser.Value(dow.substr(0, dow.size() - 1), &d)) return fail(err);
    e.dow_kind_ = DowKind::kLastOf;
    e.dow_arg_ = d - 1;
  } else if (size_t hash = dow.find('#'); hash != std::string::npos) {
    int d, k;
    if (!dow_parser.Value(dow.substr(0, hash), &d)) return fail(err);
    if (!ParseUint(dow.substr(hash + 1), &k) || k < 1 || k > 5) {
      return fail("day-of-week: \"" + fields[5] + "\": n#k needs k in 1-5");
    }
    e.dow_kind_ = DowKind::kNth;
    e.dow_arg_ = d - 1;
    e.dow_nth_ = k;
  } else {
    if (!dow_parser.Parse(fields[5], &allowed)) return fail(err);
    e.dow_kind_ = DowKind::kSet;
    e.dow_ = ToMask(allowed, 0);
  }
  if (!dom_any && !dow_any) {
    return fail("day-of-month and day-of-week cannot both be specified; use \"?\" in one of them");
  }

  if (fields.size() == 7 && fields[6] != "*" && fields[6] != "?") {
    if (!FieldParser(kYear, &err).Parse(fields[6], &e.years_)) return fail(err);
  }
  return e;
}

bool CronExpression::DayMatches(int year, int month, int day) const {
  const int last = DaysInMonth(year, month);
  switch (dom_kind_) {
    case DomKind::kAny:
      break;
    case DomKind::kSet:
      if (!(dom_ >> day & 1)) return false;
      break;
    case DomKind::kLast:
      if (day != last - dom_arg_) return false;
      break;
    case DomKind::kLastWeekday: {
      int wd = WeekdayFromDays(DaysFromCivil(year, month, last));
      int target = wd == 0 ? last - 2 : wd == 6 ? last - 1 : last;
      if (day != target) return false;
      break;
    }
    case DomKind::kNearestWeekday: {
      if (dom_arg_ > last) return false;
      int n = dom_arg_;
      int wd = WeekdayFromDays(DaysFromCivil(year, month, n));
      int target = n;
      if (wd == 6) target = n == 1 ? 3 : n - 1;        // Saturday: Friday, or Monday the 3rd
      else if (wd == 0) target = n == last ? n - 2 : n + 1;  // Sunday: Monday, or Friday before
      if (day != target) return false;
      break;
    }
  }
  const int wd = WeekdayFromDays(DaysFromCivil(year, month, day));
  switch (dow_kind_) {
    case DowKind::kAny:
      return true;
    case DowKind::kSet:
      return (dow_ >> wd & 1) != 0;
    case DowKind::kLastOf:
      return wd == dow_arg_ && day + 7 > last;
    case DowKind::kNth:
      return wd == dow_arg_ && (day - 1) / 7 + 1 == dow_nth_;
  }
  return false;
}

bool CronExpression::Matches(const CivilTime& c) const {
  if (c.year < kMinYear || c.year > kMaxYear) return false;
  if (!years_.empty() && !years_[c.year - kMinYear]) return false;
  return (months_ >> c.month & 1) && DayMatches(c.year, c.month, c.day) && (hours_ >> c.hour & 1) &&
         (minutes_ >> c.minute & 1) && (seconds_ >> c.second & 1);
}

std::optional<int64_t> CronExpression::NextLocalAtOrAfter(int64_t local) const {
  if (months_ == 0 || seconds_ == 0 || minutes_ == 0 || hours_ == 0) return std::nullopt;
  CivilTime c = ToCivil(local);
  if (c.year < kMinYear) c = CivilTime{kMinYear, 1, 1, 0, 0, 0};
  auto next_day = [&] {
    c.hour = c.minute = c.second = 0;
    if (++c.day > DaysInMonth(c.year, c.month)) {
      c.day = 1;
      if (++c.month > 12) c.month = 1, ++c.year;
    }
  };
  // Every iteration moves c strictly forward, and the year bound ends the search.
  while (true) {
    if (c.year > kMaxYear) return std::nullopt;
    if (!years_.empty() && !years_[c.year - kMinYear]) {
      int y = c.year + 1;
      while (y <= kMaxYear && !years_[y - kMinYear]) ++y;
      if (y > kMaxYear) return std::nullopt;
      c = CivilTime{y, 1, 1, 0, 0, 0};
      continue;
    }
    if (!(months_ >> c.month & 1)) {
      int m = NextBit(months_, c.month + 1);
      if (m < 0 || m > 12) c = CivilTime{c.year + 1, NextBit(months_, 1), 1, 0, 0, 0};
      else c = CivilTime{c.year, m, 1, 0, 0, 0};
      continue;
    }
    if (!DayMatches(c.year, c.month, c.day)) {
      next_day();
      continue;
    }
    if (!(hours_ >> c.hour & 1)) {
      int h = NextBit(hours_, c.hour + 1);
      if (h < 0) next_day();
      else c.hour = h, c.minute = 0, c.second = 0;
      continue;
    }
    if (!(minutes_ >> c.minute & 1)) {
      int m = NextBit(minutes_, c.minute + 1);
      if (m < 0) {
        c.minute = 0, c.second = 0;
        int h = NextBit(hours_, c.hour + 1);
        if (h < 0) next_day();
        else c.hour = h;
      } else {
        c.minute = m, c.second = 0;
      }
      continue;
    }
    if (!(seconds_ >> c.second & 1)) {
      int s = NextBit(seconds_, c.second + 1);
      if (s >= 0) {
        c.second = s;
        return FromCivil(c);
      }
      c.second = 0;
      int m = NextBit(minutes_, c.minute + 1);
      if (m >= 0) {
        c.minute = m;
        continue;
      }
      c.minute = 0;
      int h = NextBit(hours_, c.hour + 1);
      if (h < 0) next_day();
      else c.hour = h;
      continue;
    }
    return FromCivil(c);
  }
}

std::optional<int64_t> CronExpression::NextAfterUnix(int64_t after, const TimeZone& zone) const {
  // A wall-clock time L maps to L - offset for one of the zone's offsets, so only L in
  // (after + min_offset, ...] can land after `after`, and once L - max_offset passes the best
  // instant found nothing later can beat it.
  std::optional<int64_t> best;
  int64_t local = after + zone.MinOffset() + 1;
  while (true) {
    std::optional<int64_t> m = NextLocalAtOrAfter(local);
    if (!m) break;
    if (best && *m - zone.MaxOffset() > *best) break;
    int64_t utc = zone.FromLocal(*m);
    if (utc > after && (!best || utc < *best)) best = utc;
    local = *m + 1;
  }
  return best;
}

std::optional<std::chrono::system_clock::time_point> CronExpression::NextAfter(
    std::chrono::system_clock::time_point after, const TimeZone& zone) const {
  auto secs = std::chrono::floor<std::chrono::seconds>(after.time_since_epoch()).count();
  auto next = NextAfterUnix(secs, zone);
  if (!next) return std::nullopt;
  return std::chrono::system_clock::time_point(std::chrono::seconds(*next));
}

Status ValidateCronExpression(std::string_view text) {
  auto e = CronExpression::Parse(text);
  return e.ok() ? Status::Ok() : e.status();
}

}  // namespace aero::service::cron
