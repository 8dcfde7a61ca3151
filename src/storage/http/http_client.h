// A small libcurl client shared by the cloud backends: one request at a time per call, keep-alive
// connections reused through a pool of easy handles, every transfer bounded by a connect timeout and a
// "no byte moved for io_timeout" stall limit, and a retry loop with exponential backoff and full jitter
// for transient failures (connection errors, timeouts, and responses the caller classifies as retryable).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/options.h"

namespace aero::http {

struct Request {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;             // fully encoded
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;       // sent for PUT/POST; must outlive the call (retries resend it)
  // AWS SigV4 signing by libcurl: "aws:amz:<region>:s3" and "<access key>:<secret>".
  std::string aws_sigv4;
  std::string aws_userpwd;
  size_t max_response_bytes = 64u << 20;  // a longer body fails the request (kProtocol)
  size_t expected_response_bytes = 0;     // reserve this much for the body (ranged GETs)
};

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased; last value wins
  std::string body;
  const std::string* Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

struct ClientOptions {
  int connect_timeout_ms = 10000;
  int io_timeout_ms = 60000;
  std::string ca_file;
  bool allow_system_proxy = false;
  bool verbose = false;
  RetryOptions retry;
  const std::atomic<bool>* cancel = nullptr;
};

// Says whether a completed HTTP response is a transient failure worth another attempt.
using RetryClassifier = std::function<bool(const Response&)>;
// Default: 408, 429, 500, 502, 503, 504.
bool IsTransientHttpStatus(long status);

class Client {
 public:
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // One attempt. Transport failures come back as kNetwork/kTimeout statuses; any HTTP status is a Response.
  // `*retryable` (if given) tells whether a transport failure is transient.
  Result<Response> PerformOnce(const Request& request, bool* retryable = nullptr);

  // Attempts until success, a non-transient outcome, cancellation or options.retry.max_attempts.
  // A final transient HTTP response is returned as a Response (the caller turns it into a Status with
  // the backend's message); `*attempts` (if given) receives how many attempts were made.
  Result<Response> Perform(const Request& request, const RetryClassifier& transient = nullptr,
                           int* attempts = nullptr);

  // Waits the backoff before retry number `retry` (1-based); kCancelled if cancelled meanwhile.
  Status Backoff(int retry) const;
  Status CheckCancelled() const;
  const ClientOptions& options() const { return options_; }

 private:
  void* AcquireHandle();
  void ReleaseHandle(void* handle);

  ClientOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // CURL* kept for connection reuse
};

// Strict decimal parse of a whole string (no sign, no spaces, no overflow); false otherwise.
bool ParseUint(std::string_view text, uint64_t* out);
// The named header as a decimal number; kProtocol naming `what` if it is missing or not a number.
Result<uint64_t> UintHeader(const Response& r, const std::string& lower_name, const std::string& what);

// The Status for a non-2xx reply, shared by the cloud backends:
// "<what>: HTTP <status> <error_code>: <message> (after N attempts)", with an ErrorCode from the HTTP
// status (404 not found, 401/403 auth, 400 invalid argument, 408/504 timeout, else i/o).
Status ErrorReplyStatus(int http_status, const std::string& what, const std::string& error_code,
                        const std::string& message, int attempts);

// Percent-encodes everything outside RFC 3986 unreserved characters; keeps '/' when keep_slash.
std::string UrlEncode(std::string_view s, bool keep_slash = false);
std::string UrlDecode(std::string_view s);
// Splits "scheme://host:port/path" into origin ("scheme://host:port") and path ("/path", may be "").
void SplitUrl(std::string_view url, std::string* origin, std::string* path);

}  // namespace aero::http
