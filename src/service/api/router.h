// The REST route table: method + path pattern ("/v1/config/routines/{name}/enable") → handler.
//
// Why our own table instead of httplib's regex routes: ABS answers 405 (not 404) for a wrong method on
// a known path, every route carries the context-path prefix, the metrics need the route pattern (not
// the raw path) as a label, and the route list is printed for the OpenAPI coverage test.
// Matching: segment by segment; a "{param}" segment matches one non-empty segment; when several
// patterns match, the one with the most literal segments wins (so "/apply" beats "/{name}").
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace aero::service::api {

struct ApiRequest {
  std::string method;
  std::string path;                                    // without the context path
  std::string route;                                   // matched pattern, e.g. "/v1/config/clusters/{name}"
  std::map<std::string, std::string> params;           // path parameters
  std::multimap<std::string, std::string> query;       // decoded query parameters
  std::string body;
  std::string remote_addr;
  bool HasQuery(const std::string& key) const { return query.count(key) > 0; }
  std::string Query(const std::string& key) const {
    auto it = query.find(key);
    return it == query.end() ? std::string() : it->second;
  }
  const std::string& Param(const std::string& key) const {
    static const std::string kEmpty;
    auto it = params.find(key);
    return it == params.end() ? kEmpty : it->second;
  }
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type;                             // empty = none (empty bodies)
  std::vector<std::pair<std::string, std::string>> headers;
};

using RouteHandler = std::function<void(const ApiRequest&, ApiResponse&)>;

struct Route {
  std::string method;   // "GET", "POST", "PUT", "DELETE"
  std::string pattern;  // "/v1/config/clusters/{name}"
  RouteHandler handler;
};

class Router {
 public:
  void Add(std::string method, std::string pattern, RouteHandler handler);

  enum class MatchKind { kFound, kNotFound, kMethodNotAllowed };
  struct Match {
    MatchKind kind = MatchKind::kNotFound;
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;  // methods of the path, for 405's Allow header
  };
  // `path` is the request path with the context path already removed. HEAD matches GET routes.
  Match Find(const std::string& method, const std::string& path) const;

  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace aero::service::api
