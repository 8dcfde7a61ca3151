// libcurl client with a handle pool, bounded transfers and retry with full-jitter backoff.
#include "storage/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <thread>

namespace aero::http {
namespace {

// curl_global_init is not thread-safe; do it once before the first handle.
void GlobalInitOnce() {
  static const bool done = [] {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return true;
  }();
  (void)done;
}

struct Transfer {
  Response* response;
  std::string_view body;
  size_t sent = 0;
  size_t max_bytes;
  bool too_big = false;
};

size_t OnWrite(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  if (t->response->body.size() + n > t->max_bytes) {
    t->too_big = true;
    return 0;  // makes curl fail with CURLE_WRITE_ERROR
  }
  t->response->body.append(data, n);
  return n;
}

size_t OnRead(char* buf, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = std::min(size * nmemb, t->body.size() - t->sent);
  std::memcpy(buf, t->body.data() + t->sent, n);
  t->sent += n;
  return n;
}

// Rewinds the upload when curl has to resend it (e.g. after a redirect or an auth round trip).
int OnSeek(void* user, curl_off_t offset, int origin) {
  auto* t = static_cast<Transfer*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<size_t>(offset) > t->body.size()) return CURL_SEEKFUNC_FAIL;
  t->sent = static_cast<size_t>(offset);
  return CURL_SEEKFUNC_OK;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * nmemb;
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();  // a new response (after 100 Continue or a redirect)
    return n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  t->response->headers[name] = std::string(value);
  return n;
}

// Aborts a transfer in progress when the caller's cancellation flag is set.
int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* cancel = static_cast<const std::atomic<bool>*>(user);
  return cancel && cancel->load() ? 1 : 0;
}

bool IsTransientCurlCode(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool IsTransientHttpStatus(long status) {
  return status == 408 || status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

Client::Client(ClientOptions options) : options_(std::move(options)) { GlobalInitOnce(); }

Client::~Client() {
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* Client::AcquireHandle() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      curl_easy_reset(static_cast<CURL*>(h));  // keeps the connection cache
      return h;
    }
  }
  return curl_easy_init();
}

void Client::ReleaseHandle(void* handle) {
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(handle);
}

Status Client::CheckCancelled() const {
  if (options_.cancel && options_.cancel->load()) return Status(ErrorCode::kCancelled, "storage operation cancelled");
  return Status::Ok();
}

Status Client::Backoff(int retry) const {
  const RetryOptions& r = options_.retry;
  double cap = std::min<double>(static_cast<double>(r.max_delay.count()),
                                static_cast<double>(r.base_delay.count()) * std::pow(r.multiplier, retry - 1));
  thread_local std::mt19937_64 rng{std::random_device{}()};
  auto wait = std::chrono::milliseconds(static_cast<int64_t>(std::uniform_real_distribution<double>(0, cap)(rng)));
  // Sleep in short slices so a cancellation is noticed promptly.
  auto until = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < until) {
    ABS_RETURN_IF_ERROR(CheckCancelled());
    auto left = until - std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(left, std::chrono::milliseconds(50)));
  }
  return CheckCancelled();
}

Result<Response> Client::PerformOnce(const Request& request, bool* retryable) {
  if (retryable) *retryable = false;
  ABS_RETURN_IF_ERROR(CheckCancelled());
  CURL* h = static_cast<CURL*>(AcquireHandle());
  if (!h) return Status(ErrorCode::kInternal, "curl_easy_init failed");
  Response response;
  Transfer t{&response, request.body, 0, request.max_response_bytes};
  curl_slist* headers = nullptr;
  for (const auto& hdr : request.headers) headers = curl_slist_append(headers, hdr.c_str());
  // No "Expect: 100-continue" round trip: bodies are small enough to resend.
  headers = curl_slist_append(headers, "Expect:");
  char errbuf[CURL_ERROR_SIZE] = {0};

  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options_.connect_timeout_ms));
  // Stall detection instead of a total deadline: big transfers may take long, but never stand still.
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, std::max(1L, static_cast<long>((options_.io_timeout_ms + 999) / 1000)));
  // Larger socket buffers than libcurl's 16/64 KiB defaults: fewer callbacks on multi-MiB parts.
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 1024L * 1024);
  if (request.expected_response_bytes) response.body.reserve(request.expected_response_bytes);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnWrite);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  if (options_.cancel) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, options_.cancel);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  if (!options_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (!options_.allow_system_proxy) curl_easy_setopt(h, CURLOPT_PROXY, "");
  if (options_.verbose) curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
  if (!request.aws_sigv4.empty()) {
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, request.aws_sigv4.c_str());
    curl_easy_setopt(h, CURLOPT_USERPWD, request.aws_userpwd.c_str());
  }
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, &t);
    curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, OnSeek);
    curl_easy_setopt(h, CURLOPT_SEEKDATA, &t);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method == "POST") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  } else if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  CURLcode code = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    // A failed transfer may leave the connection in an unknown state; do not reuse the handle.
    curl_easy_cleanup(h);
    std::string what = request.method + " " + request.url + ": ";
    if (t.too_big) return Status(ErrorCode::kProtocol, what + "response body larger than " +
                                                           std::to_string(request.max_response_bytes) + " bytes");
    what += errbuf[0] ? errbuf : curl_easy_strerror(code);
    if (code == CURLE_ABORTED_BY_CALLBACK) return Status(ErrorCode::kCancelled, what);
    if (retryable) *retryable = IsTransientCurlCode(code);
    if (code == CURLE_OPERATION_TIMEDOUT) return Status(ErrorCode::kTimeout, what);
    return Status(ErrorCode::kNetwork, what);
  }
  ReleaseHandle(h);
  response.status = status;
  return response;
}

Result<Response> Client::Perform(const Request& request, const RetryClassifier& transient, int* attempts) {
  const int max_attempts = std::max(1, options_.retry.max_attempts);
  for (int attempt = 1;; ++attempt) {
    if (attempts) *attempts = attempt;
    bool retryable = false;
    Result<Response> r = PerformOnce(request, &retryable);
    bool again;
    if (r.ok()) {
      again = transient ? transient(*r) : IsTransientHttpStatus(r->status);
    } else {
      again = retryable;
    }
    if (!again || attempt >= max_attempts) {
      if (!r.ok() && again) return r.status().WithContext("after " + std::to_string(attempt) + " attempts");
      return r;
    }
    ABS_RETURN_IF_ERROR(Backoff(attempt));
  }
}

bool ParseUint(std::string_view text, uint64_t* out) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

Status ErrorReplyStatus(int http_status, const std::string& what, const std::string& error_code,
                        const std::string& message, int attempts) {
  std::string msg = what + ": HTTP " + std::to_string(http_status);
  if (!error_code.empty()) msg += " " + error_code;
  if (!message.empty()) msg += ": " + message;
  if (attempts > 1) msg += " (after " + std::to_string(attempts) + " attempts)";
  ErrorCode code = ErrorCode::kIo;
  if (http_status == 404) code = ErrorCode::kNotFound;
  else if (http_status == 401 || http_status == 403) code = ErrorCode::kAuth;
  else if (http_status == 400) code = ErrorCode::kInvalidArgument;
  else if (http_status == 408 || http_status == 504) code = ErrorCode::kTimeout;
  return Status(code, msg);
}

Result<uint64_t> UintHeader(const Response& r, const std::string& lower_name, const std::string& what) {
  const std::string* h = r.Header(lower_name);
  uint64_t v = 0;
  if (!h || !ParseUint(*h, &v)) {
    return Status(ErrorCode::kProtocol, what + ": reply has " + (h ? "a bad " + lower_name + " '" + *h + "'" : "no " + lower_name));
  }
  return v;
}

std::string UrlEncode(std::string_view s, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string UrlDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else if (s[i] == '+') {
      out.push_back(' ');
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

void SplitUrl(std::string_view url, std::string* origin, std::string* path) {
  auto scheme = url.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  auto slash = url.find('/', start);
  if (slash == std::string_view::npos) {
    *origin = std::string(url);
    path->clear();
  } else {
    *origin = std::string(url.substr(0, slash));
    *path = std::string(url.substr(slash));
  }
  while (!path->empty() && path->back() == '/') path->pop_back();
}

}  // namespace aero::http
