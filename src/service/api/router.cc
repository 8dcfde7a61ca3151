// Route table matching (router.h).
#include "service/api/router.h"

#include <algorithm>

namespace aero::service::api {

namespace {
std::vector<std::string> Split(const std::string& path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    out.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return out;  // "/a/b" -> {"", "a", "b"}; "/" -> {"", ""}
}

bool IsParam(const std::string& seg) { return seg.size() > 2 && seg.front() == '{' && seg.back() == '}'; }

// Number of literal segments matched, or -1 when the pattern does not match.
int MatchPattern(const std::string& pattern, const std::vector<std::string>& path,
                 std::map<std::string, std::string>* params) {
  auto pat = Split(pattern);
  if (pat.size() != path.size()) return -1;
  int literals = 0;
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < pat.size(); ++i) {
    if (IsParam(pat[i])) {
      if (path[i].empty()) return -1;
      out[pat[i].substr(1, pat[i].size() - 2)] = path[i];
    } else if (pat[i] == path[i]) {
      ++literals;
    } else {
      return -1;
    }
  }
  if (params) *params = std::move(out);
  return literals;
}
}  // namespace

void Router::Add(std::string method, std::string pattern, RouteHandler handler) {
  routes_.push_back(Route{std::move(method), std::move(pattern), std::move(handler)});
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  const std::string want = method == "HEAD" ? "GET" : method;
  auto segs = Split(path);
  Match m;
  int best_same = -1, best_any = -1;
  for (const auto& r : routes_) {
    std::map<std::string, std::string> params;
    int score = MatchPattern(r.pattern, segs, &params);
    if (score < 0) continue;
    if (score > best_any) {
      best_any = score;
      m.allowed.clear();
    }
    if (score == best_any && std::find(m.allowed.begin(), m.allowed.end(), r.method) == m.allowed.end()) {
      m.allowed.push_back(r.method);
    }
    if (r.method == want && score > best_same) {
      best_same = score;
      m.route = &r;
      m.params = std::move(params);
    }
  }
  if (best_any < 0) {
    m.kind = MatchKind::kNotFound;
  } else if (m.route && best_same == best_any) {
    m.kind = MatchKind::kFound;
  } else if (m.route) {
    // A less specific pattern accepts this method (e.g. GET /x/{name} vs POST /x/apply): use it.
    m.kind = MatchKind::kFound;
  } else {
    m.kind = MatchKind::kMethodNotAllowed;
  }
  return m;
}

}  // namespace aero::service::api
