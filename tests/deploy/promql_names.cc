// PromQL metric-name extraction and exposition sample names (promql_names.h).
#include "promql_names.h"

#include <cctype>

namespace aero::deploytest {
namespace {

bool IdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'; }
bool IdentChar(char c) { return IdentStart(c) || std::isdigit(static_cast<unsigned char>(c)); }

// Words that are never metric names where they stand (a metric could be called `sum`, but none is).
const std::set<std::string>& Keywords() {
  static const std::set<std::string> k = {
      "sum",    "min",        "max",         "avg",    "group",  "stddev",   "stdvar", "count",     "count_values",
      "bottomk", "topk",      "quantile",    "limitk", "limit_ratio", "by", "without", "on",        "ignoring",
      "group_left", "group_right", "bool",   "and",    "or",     "unless",   "offset", "atan2",     "inf",
      "nan"};
  return k;
}
// Keywords followed by a parenthesised list of label names.
bool TakesLabelList(const std::string& w) {
  return w == "by" || w == "without" || w == "on" || w == "ignoring" || w == "group_left" || w == "group_right";
}

// Index just past the bracketed group that opens at `i` (`{`, `[` or `(`), skipping quoted strings.
size_t SkipGroup(std::string_view s, size_t i) {
  const char open = s[i];
  const char close = open == '{' ? '}' : open == '[' ? ']' : ')';
  int depth = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      for (++i; i < s.size() && s[i] != c; ++i) {
        if (s[i] == '\\' && c != '`') ++i;
      }
      continue;
    }
    if (c == open) ++depth;
    if (c == close && --depth == 0) return i + 1;
  }
  return s.size();
}

}  // namespace

std::set<std::string> PromqlMetricNames(std::string_view s) {
  std::set<std::string> out;
  size_t i = 0;
  bool label_list_next = false;  // after by/without/on/...: the next (...) holds label names
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"' || c == '\'' || c == '`') {
      for (++i; i < s.size() && s[i] != c; ++i) {
        if (s[i] == '\\' && c != '`') ++i;
      }
      ++i;
    } else if (c == '{' || c == '[') {
      i = SkipGroup(s, i);
    } else if (c == '(' && label_list_next) {
      i = SkipGroup(s, i);
      label_list_next = false;
    } else if (c == '$') {  // Grafana variable: $name or ${name}
      ++i;
      if (i < s.size() && s[i] == '{') {
        i = SkipGroup(s, i);
      } else {
        while (i < s.size() && IdentChar(s[i])) ++i;
      }
    } else if (std::isdigit(static_cast<unsigned char>(c)) || (c == '.' && i + 1 < s.size() && std::isdigit(s[i + 1]))) {
      while (i < s.size() && (std::isalnum(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;  // 1.5e3, 0x1f, 5m
    } else if (IdentStart(c)) {
      size_t start = i;
      while (i < s.size() && IdentChar(s[i])) ++i;
      std::string word(s.substr(start, i - start));
      size_t j = i;
      while (j < s.size() && std::isspace(static_cast<unsigned char>(s[j]))) ++j;
      const bool call = j < s.size() && s[j] == '(';
      if (TakesLabelList(word)) {
        label_list_next = true;
      } else if (!call && Keywords().count(word) == 0) {
        out.insert(word);
      }
    } else {
      ++i;
    }
  }
  return out;
}

std::set<std::string> ExposedSampleNames(std::string_view text) {
  std::set<std::string> out;
  size_t p = 0;
  while (p < text.size()) {
    size_t eol = text.find('\n', p);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(p, eol - p);
    p = eol + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t end = 0;
    while (end < line.size() && IdentChar(line[end])) ++end;
    if (end > 0) out.insert(std::string(line.substr(0, end)));
  }
  return out;
}

}  // namespace aero::deploytest
