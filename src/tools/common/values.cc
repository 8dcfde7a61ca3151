// Lists and local times on the command line (see values.h).
#include "tools/common/values.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace aero::tools {

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string item = Trim(text.substr(pos, comma - pos));
    if (item.size() >= 2 && ((item.front() == '"' && item.back() == '"') || (item.front() == '\'' && item.back() == '\'')))
      item = item.substr(1, item.size() - 2);
    if (!item.empty()) out.push_back(item);
    pos = comma + 1;
  }
  return out;
}

Result<int64_t> ParseLocalTime(std::string_view text, int64_t now_unix_ms) {
  auto bad = [&] {
    return Status(ErrorCode::kInvalidArgument, "time '" + std::string(text) +
                                                   "' is not YYYY-MM-DD_HH:MM:SS, YYYY-MM-DD or HH:MM:SS");
  };
  std::tm tm{};
  std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  char tail = 0;
  time_t now = static_cast<time_t>(now_unix_ms / 1000);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d_%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &tail) == 6 &&
      s.size() == 19) {
  } else if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3 && s.size() == 10) {
    h = mi = se = 0;
  } else if (std::sscanf(s.c_str(), "%2d:%2d:%2d%c", &h, &mi, &se, &tail) == 3 && s.size() == 8) {
    std::tm today{};
    localtime_r(&now, &today);
    y = today.tm_year + 1900;
    mo = today.tm_mon + 1;
    d = today.tm_mday;
  } else {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970 || h < 0 || mi < 0 || se < 0)
    return bad();
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  tm.tm_isdst = -1;
  time_t t = std::mktime(&tm);
  if (t == static_cast<time_t>(-1)) return bad();
  return static_cast<int64_t>(t) * 1000;
}

}  // namespace aero::tools
