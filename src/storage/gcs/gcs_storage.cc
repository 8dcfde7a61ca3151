// Google Cloud Storage backend: service-account OAuth2 (JWT bearer grant), JSON API resumable uploads,
// ranged media downloads, listing with page tokens, delete.
#include "storage/gcs/gcs_storage.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <mutex>
#include <sstream>

#include "common/base64.h"
#include "storage/http/http_client.h"
#include "storage/object_io.h"

namespace aero {
namespace {

using json = nlohmann::json;
constexpr uint64_t kChunkQuantum = 256 * 1024;  // resumable chunks must be multiples of 256 KiB
constexpr const char* kScope = "https://www.googleapis.com/auth/devstorage.read_write";

// A string field of a JSON object, or "" when absent or not a string (never throws on odd replies).
std::string StrField(const nlohmann::json& j, const char* name) {
  if (!j.is_object()) return "";
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string Base64Url(std::string_view bytes) {
  std::string s = Base64Encode(bytes);
  for (char& c : s) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

Result<std::string> SignRs256(const std::string& pem, std::string_view data) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!key) return Status(ErrorCode::kInvalidArgument, "GCS service-account private_key is not a readable PEM key");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t len = 0;
  std::string sig;
  bool ok = EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  if (!ok) return Status(ErrorCode::kInternal, "RS256 signing of the GCS token request failed");
  return sig;
}

struct GcsError {
  std::string message;
  std::string reason;
};

GcsError ParseError(const http::Response& r) {
  GcsError e;
  auto j = json::parse(r.body, nullptr, false);
  if (j.is_object() && j.contains("error")) {
    const auto& err = j["error"];
    if (err.is_object()) {
      e.message = StrField(err, "message");
      if (err.contains("errors") && err["errors"].is_array() && !err["errors"].empty() && err["errors"][0].is_object()) {
        e.reason = StrField(err["errors"][0], "reason");
      }
    } else if (err.is_string()) {  // OAuth2 token endpoint errors
      e.reason = err.get<std::string>();
      e.message = StrField(j, "error_description");
    }
  } else if (!r.body.empty()) {
    e.message = r.body.substr(0, 300);
  }
  return e;
}

Status ToStatus(const http::Response& r, const std::string& what, int attempts) {
  GcsError e = ParseError(r);
  return http::ErrorReplyStatus(r.status, what, e.reason, e.message, attempts);
}

int64_t ParseRfc3339(const std::string& s) {
  std::tm tm{};
  if (!strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// The JSON API sends int64 fields as decimal strings ("size": "123").
Result<uint64_t> JsonU64(const json& j, const char* name, const std::string& what) {
  uint64_t v = 0;
  if (j.contains(name)) {
    if (j[name].is_string() && http::ParseUint(j[name].get<std::string>(), &v)) return v;
    if (j[name].is_number_unsigned()) return j[name].get<uint64_t>();
  }
  return Status(ErrorCode::kProtocol, what + ": missing or bad \"" + name + "\" in the reply");
}

// OAuth2 access tokens for a service account, cached until 5 minutes before expiry.
class TokenSource {
 public:
  TokenSource(std::shared_ptr<http::Client> client, std::string email, std::string pem, std::string token_uri)
      : client_(std::move(client)), email_(std::move(email)), pem_(std::move(pem)), token_uri_(std::move(token_uri)) {}

  Result<std::string> Token() {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (!token_.empty() && now < refresh_at_) return token_;
    int64_t iat = static_cast<int64_t>(std::time(nullptr));
    json header = {{"alg", "RS256"}, {"typ", "JWT"}};
    json claims = {{"iss", email_}, {"scope", kScope}, {"aud", token_uri_}, {"iat", iat}, {"exp", iat + 3600}};
    std::string signing_input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
    ABS_ASSIGN_OR_RETURN(std::string sig, SignRs256(pem_, signing_input));
    std::string body = "grant_type=" + http::UrlEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") +
                       "&assertion=" + signing_input + "." + Base64Url(sig);
    http::Request req;
    req.method = "POST";
    req.url = token_uri_;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    req.body = body;
    std::string what = "GCS token request to " + token_uri_;
    int attempts = 0;
    ABS_ASSIGN_OR_RETURN(http::Response r, client_->Perform(req, nullptr, &attempts));
    if (r.status != 200) {
      Status s = ToStatus(r, what, attempts);
      return Status(r.status == 400 || r.status == 401 ? ErrorCode::kAuth : s.code(), s.message());
    }
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string()) {
      return Status(ErrorCode::kProtocol, what + ": no access_token in the reply");
    }
    token_ = j["access_token"].get<std::string>();
    int64_t expires = j.contains("expires_in") && j["expires_in"].is_number() ? j["expires_in"].get<int64_t>() : 3600;
    refresh_at_ = now + std::chrono::seconds(std::max<int64_t>(expires - 300, 30));
    return token_;
  }
  // After a 401: the token was revoked or expired early.
  void Invalidate() {
    std::lock_guard<std::mutex> lock(mu_);
    token_.clear();
  }

 private:
  std::shared_ptr<http::Client> client_;
  std::string email_, pem_, token_uri_;
  std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point refresh_at_;
};

struct GcsCore {
  std::shared_ptr<http::Client> client;
  std::shared_ptr<TokenSource> tokens;
  std::string bucket;
  std::string prefix;
  std::string endpoint;  // "https://storage.googleapis.com" (no trailing '/')
  uint64_t chunk_size = 0;
  StorageOptions options;

  std::string FullKey(std::string_view key) const {
    if (prefix.empty()) return std::string(key);
    if (key.empty()) return prefix;
    return prefix + "/" + std::string(key);
  }
  std::string Describe(const std::string& full) const { return "gs://" + bucket + "/" + full; }
  std::string ObjectUrl(const std::string& full) const {
    return endpoint + "/storage/v1/b/" + http::UrlEncode(bucket) + "/o/" + http::UrlEncode(full);
  }
  // ABS configs spell classes "Standard", "Nearline", ...; the JSON API names them in upper case.
  std::string StorageClass(ObjectClass c) const {
    std::string sc = c == ObjectClass::kMetadata ? options.gcs.storage_class.metadata : options.gcs.storage_class.data;
    std::transform(sc.begin(), sc.end(), sc.begin(), [](unsigned char ch) { return std::toupper(ch); });
    return sc;
  }

  // One authorized request with retries; a 401 refreshes the token once. Non-2xx (other than the
  // statuses in `accept`) becomes a Status with Google's error message.
  Result<http::Response> Send(http::Request req, const std::string& what, std::vector<long> accept = {}) const {
    for (int auth_try = 0;; ++auth_try) {
      http::Request r = req;
      ABS_ASSIGN_OR_RETURN(std::string token, tokens->Token());
      r.headers.push_back("Authorization: Bearer " + token);
      int attempts = 0;
      ABS_ASSIGN_OR_RETURN(http::Response resp, client->Perform(r, nullptr, &attempts));
      if (resp.status == 401 && auth_try == 0) {
        tokens->Invalidate();
        continue;
      }
      if (resp.status / 100 == 2 || std::find(accept.begin(), accept.end(), resp.status) != accept.end()) return resp;
      return ToStatus(resp, what, attempts);
    }
  }

  Result<json> GetMetadata(const std::string& full) const {
    http::Request req;
    req.url = ObjectUrl(full);
    std::string what = "GCS objects.get " + Describe(full);
    ABS_ASSIGN_OR_RETURN(http::Response r, Send(req, what));
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_object()) return Status(ErrorCode::kProtocol, what + ": reply is not a JSON object");
    return j;
  }
};

// Resumable upload: chunks of chunk_size bytes (a multiple of 256 KiB); the final request carries the
// total size and X-Goog-Hash: md5=..., and the md5Hash Google reports back is compared with ours.
class GcsWriter : public OutputStream {
 public:
  GcsWriter(std::shared_ptr<const GcsCore> core, std::string full, std::string storage_class)
      : core_(std::move(core)), key_(std::move(full)), storage_class_(std::move(storage_class)) {}
  ~GcsWriter() override {
    if (!session_.empty() && !done_) {
      http::Request req;  // cancels the session; best effort
      req.method = "DELETE";
      req.url = session_;
      (void)core_->client->PerformOnce(req);
    }
  }

  Status Write(std::string_view bytes) override {
    if (done_) return Status(ErrorCode::kInternal, core_->Describe(key_) + ": write after close");
    if (!error_.ok()) return error_;
    md5_.Update(bytes);
    written_ += bytes.size();
    buffer_.append(bytes);
    while (buffer_.size() >= core_->chunk_size) {
      Status s = SendChunk(core_->chunk_size, false);
      if (!s.ok()) return error_ = s;
    }
    return Status::Ok();
  }

  Status Close() override {
    if (done_) return Status(ErrorCode::kInternal, core_->Describe(key_) + ": closed twice");
    if (!error_.ok()) return error_;
    expected_md5_ = md5_.Final();
    Status s = SendChunk(buffer_.size(), true);
    if (!s.ok()) return error_ = s;
    return Status::Ok();
  }

  uint64_t BytesWritten() const override { return written_; }

 private:
  Status StartSession() {
    json meta = {{"name", key_}};
    if (!storage_class_.empty()) meta["storageClass"] = storage_class_;
    std::string body = meta.dump();
    http::Request req;
    req.method = "POST";
    req.url = core_->endpoint + "/upload/storage/v1/b/" + http::UrlEncode(core_->bucket) +
              "/o?uploadType=resumable&name=" + http::UrlEncode(key_);
    req.headers.push_back("Content-Type: application/json; charset=UTF-8");
    req.body = body;
    std::string what = "GCS resumable upload start " + core_->Describe(key_);
    ABS_ASSIGN_OR_RETURN(http::Response r, core_->Send(req, what));
    const std::string* loc = r.Header("location");
    if (!loc || loc->empty()) return Status(ErrorCode::kProtocol, what + ": no Location (session URI) in the reply");
    session_ = *loc;
    return Status::Ok();
  }

  // Sends buffer_[0, len) starting at object offset persisted_. Final: with the total size.
  Status SendChunk(uint64_t len, bool final) {
    if (session_.empty()) ABS_RETURN_IF_ERROR(StartSession());
    std::string what = "GCS resumable upload " + core_->Describe(key_);
    const uint64_t total = persisted_ + buffer_.size();
    for (int attempt = 1;; ++attempt) {
      // After a failure the server may hold fewer bytes than we sent: resend from what it has.
      uint64_t send_len = final ? buffer_.size() : len;
      http::Request req;
      req.method = "PUT";
      req.url = session_;
      req.body = std::string_view(buffer_).substr(0, send_len);
      std::string range = send_len == 0 ? "bytes */" : "bytes " + std::to_string(persisted_) + "-" +
                                                           std::to_string(persisted_ + send_len - 1) + "/";
      range += final ? std::to_string(total) : "*";
      req.headers.push_back("Content-Range: " + range);
      if (final) req.headers.push_back("X-Goog-Hash: md5=" + Base64Encode(expected_md5_));
      bool retryable = false;
      Result<http::Response> r = core_->client->PerformOnce(req, &retryable);
      if (r.ok() && !http::IsTransientHttpStatus(r->status)) return Handle(*r, len, final, what);
      if (!r.ok() && !retryable) return r.status().WithContext(what);
      Status last = r.ok() ? ToStatus(*r, what, attempt) : r.status().WithContext(what);
      if (attempt >= std::max(1, core_->options.retry.max_attempts)) {
        return Status(last.code(), last.message() + " (gave up after " + std::to_string(attempt) + " attempts)");
      }
      ABS_RETURN_IF_ERROR(core_->client->Backoff(attempt));
      // Ask the session how much it has; it may even have completed.
      ABS_ASSIGN_OR_RETURN(bool complete, QueryStatus(final ? total : 0, what));
      if (complete) return Status::Ok();
      if (!final && buffer_.size() < len) return Status::Ok();  // the chunk got through after all
      if (!final) len = std::min<uint64_t>(len, buffer_.size());
    }
  }

  // Interprets a non-transient reply to a chunk PUT.
  Status Handle(const http::Response& r, uint64_t len, bool final, const std::string& what) {
    if (r.status == 308) {
      ABS_RETURN_IF_ERROR(Advance(r, what));
      if (final) return Status(ErrorCode::kProtocol, what + ": final chunk answered 308 (upload not complete)");
      return Status::Ok();
    }
    if (r.status == 200 || r.status == 201) return Finish(r, what);
    return ToStatus(r, what, 1);
  }

  // 308 Resume Incomplete: "Range: bytes=0-N" says N+1 bytes are persisted.
  Status Advance(const http::Response& r, const std::string& what) {
    uint64_t now_persisted = 0;
    if (const std::string* range = r.Header("range")) {
      auto dash = range->find('-');
      if (dash == std::string::npos) return Status(ErrorCode::kProtocol, what + ": bad Range '" + *range + "'");
      now_persisted = std::strtoull(range->c_str() + dash + 1, nullptr, 10) + 1;
    }
    if (now_persisted < persisted_ || now_persisted > persisted_ + buffer_.size()) {
      return Status(ErrorCode::kProtocol, what + ": server holds " + std::to_string(now_persisted) +
                                              " bytes, outside what was sent (" + std::to_string(persisted_) + ".." +
                                              std::to_string(persisted_ + buffer_.size()) + ")");
    }
    buffer_.erase(0, now_persisted - persisted_);
    persisted_ = now_persisted;
    return Status::Ok();
  }

  Status Finish(const http::Response& r, const std::string& what) {
    auto j = json::parse(r.body, nullptr, false);
    if (!j.is_object()) return Status(ErrorCode::kProtocol, what + ": completion reply is not JSON");
    std::string md5_b64 = StrField(j, "md5Hash");
    if (!md5_b64.empty() && md5_b64 != Base64Encode(expected_md5_)) {
      return Status(ErrorCode::kCorrupt, what + ": stored object has md5Hash " + md5_b64 + ", sent data has " +
                                             Base64Encode(expected_md5_));
    }
    ABS_ASSIGN_OR_RETURN(uint64_t size, JsonU64(j, "size", what));
    if (size != written_) {
      return Status(ErrorCode::kCorrupt, what + ": stored object has " + std::to_string(size) + " bytes, sent " +
                                             std::to_string(written_));
    }
    done_ = true;
    buffer_.clear();
    return Status::Ok();
  }

  // Returns true if the upload turned out complete.
  Result<bool> QueryStatus(uint64_t total, const std::string& what) {
    for (int attempt = 1;; ++attempt) {
      http::Request req;
      req.method = "PUT";
      req.url = session_;
      req.headers.push_back("Content-Range: bytes */" + (total ? std::to_string(total) : std::string("*")));
      bool retryable = false;
      Result<http::Response> r = core_->client->PerformOnce(req, &retryable);
      if (r.ok() && !http::IsTransientHttpStatus(r->status)) {
        if (r->status == 308) {
          ABS_RETURN_IF_ERROR(Advance(*r, what));
          return false;
        }
        if (r->status == 200 || r->status == 201) {
          ABS_RETURN_IF_ERROR(Finish(*r, what));
          return true;
        }
        return ToStatus(*r, what + " (status query)", attempt);
      }
      if (!r.ok() && !retryable) return r.status().WithContext(what);
      if (attempt >= std::max(1, core_->options.retry.max_attempts)) {
        return r.ok() ? ToStatus(*r, what + " (status query)", attempt) : r.status().WithContext(what);
      }
      ABS_RETURN_IF_ERROR(core_->client->Backoff(attempt));
    }
  }

  std::shared_ptr<const GcsCore> core_;
  std::string key_;
  std::string storage_class_;
  std::string session_;
  std::string buffer_;  // bytes from offset persisted_ not yet acknowledged
  uint64_t persisted_ = 0;
  uint64_t written_ = 0;
  storage::Md5 md5_;
  std::string expected_md5_;
  Status error_;
  bool done_ = false;
};

class GcsStorage : public Storage {
 public:
  explicit GcsStorage(std::shared_ptr<const GcsCore> core) : core_(std::move(core)) {}

  std::string Describe() const override { return "gs://" + core_->bucket + (core_->prefix.empty() ? "" : "/" + core_->prefix); }

  Result<std::unique_ptr<OutputStream>> NewWriter(std::string_view key, const WriteOptions& options) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    return std::unique_ptr<OutputStream>(
        new GcsWriter(core_, core_->FullKey(key), core_->StorageClass(options.object_class)));
  }

  Result<std::unique_ptr<InputStream>> NewReader(std::string_view key, ByteRange range) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = core_->FullKey(key);
    ABS_ASSIGN_OR_RETURN(json meta, core_->GetMetadata(full));
    ABS_ASSIGN_OR_RETURN(uint64_t size, JsonU64(meta, "size", "GCS objects.get " + core_->Describe(full)));
    std::string generation = meta.contains("generation") && meta["generation"].is_string()
                                 ? meta["generation"].get<std::string>() : "";
    if (range.offset > size) {
      return Status(ErrorCode::kInvalidArgument, core_->Describe(full) + ": range starts at " +
                                                     std::to_string(range.offset) + ", past the end (" +
                                                     std::to_string(size) + " bytes)");
    }
    uint64_t end = range.length ? std::min(size, range.offset + *range.length) : size;
    std::unique_ptr<storage::ContentVerifier> verifier;
    if (range.whole() && core_->options.verify_checksums) {
      auto raw = Base64Decode(StrField(meta, "md5Hash"));
      if (raw && raw->size() == 16) verifier = storage::NewMd5Verifier(*raw, core_->Describe(full));
    }
    auto core = core_;
    auto fetch = [core, full, generation](uint64_t offset, uint64_t length) -> Result<std::string> {
      http::Request req;
      req.url = core->ObjectUrl(full) + "?alt=media";
      // Pin the generation so a concurrent overwrite cannot mix two objects in one read.
      if (!generation.empty()) req.url += "&ifGenerationMatch=" + generation;
      req.headers.push_back("Range: bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
      req.max_response_bytes = length + 1;
      req.expected_response_bytes = length;
      ABS_ASSIGN_OR_RETURN(http::Response r, core->Send(req, "GCS media download " + core->Describe(full)));
      return std::move(r.body);
    };
    return std::unique_ptr<InputStream>(new storage::RangedReader(range.offset, end, core_->options.read_chunk_size,
                                                                  fetch, std::move(verifier), core_->Describe(full)));
  }

  Result<std::vector<ObjectInfo>> List(std::string_view dir, ListMode mode) override {
    ABS_RETURN_IF_ERROR(ValidateKey(dir, true));
    std::string list_prefix = core_->FullKey(dir);
    if (!list_prefix.empty()) list_prefix += "/";
    std::vector<ObjectInfo> out;
    std::string token;
    for (;;) {
      http::Request req;
      req.url = core_->endpoint + "/storage/v1/b/" + http::UrlEncode(core_->bucket) + "/o?prefix=" +
                http::UrlEncode(list_prefix);
      if (mode == ListMode::kChildren) req.url += "&delimiter=%2F";
      if (!token.empty()) req.url += "&pageToken=" + http::UrlEncode(token);
      if (core_->options.list_page_size > 0) req.url += "&maxResults=" + std::to_string(core_->options.list_page_size);
      std::string what = "GCS objects.list " + core_->Describe(list_prefix);
      ABS_ASSIGN_OR_RETURN(http::Response r, core_->Send(req, what));
      auto j = json::parse(r.body, nullptr, false);
      if (!j.is_object()) return Status(ErrorCode::kProtocol, what + ": reply is not a JSON object");
      if (j.contains("items") && j["items"].is_array()) {
        for (const auto& item : j["items"]) {
          std::string name = StrField(item, "name");
          if (name.size() <= list_prefix.size() || name.compare(0, list_prefix.size(), list_prefix) != 0) continue;
          ABS_ASSIGN_OR_RETURN(uint64_t size, JsonU64(item, "size", what));
          out.push_back(ObjectInfo{Relative(name), size, false, ParseRfc3339(StrField(item, "updated"))});
        }
      }
      if (j.contains("prefixes") && j["prefixes"].is_array()) {
        for (const auto& p : j["prefixes"]) {
          if (!p.is_string()) continue;
          std::string name = p.get<std::string>();
          while (!name.empty() && name.back() == '/') name.pop_back();
          out.push_back(ObjectInfo{Relative(name), 0, true, 0});
        }
      }
      token = StrField(j, "nextPageToken");
      if (token.empty()) break;
    }
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Result<ObjectInfo> Stat(std::string_view key) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = core_->FullKey(key);
    ABS_ASSIGN_OR_RETURN(json meta, core_->GetMetadata(full));
    ABS_ASSIGN_OR_RETURN(uint64_t size, JsonU64(meta, "size", "GCS objects.get " + core_->Describe(full)));
    return ObjectInfo{std::string(key), size, false, ParseRfc3339(StrField(meta, "updated"))};
  }

  Status Delete(std::string_view key) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = core_->FullKey(key);
    http::Request req;
    req.method = "DELETE";
    req.url = core_->ObjectUrl(full);
    Result<http::Response> r = core_->Send(req, "GCS objects.delete " + core_->Describe(full));
    if (!r.ok() && r.status().code() != ErrorCode::kNotFound) return r.status();
    return Status::Ok();
  }

 private:
  std::string Relative(const std::string& full) const {
    size_t skip = core_->prefix.empty() ? 0 : core_->prefix.size() + 1;
    return full.substr(std::min(skip, full.size()));
  }
  std::shared_ptr<const GcsCore> core_;
};

}  // namespace

Result<std::unique_ptr<Storage>> OpenGcsStorage(const std::string& bucket, const std::string& prefix,
                                                const StorageOptions& options) {
  const GcsOptions& o = options.gcs;
  std::string key_text = o.key_json;
  std::string key_source = "gcp-storage key";
  if (key_text.empty()) {
    std::string path = o.key_file_path;
    if (path.empty()) {
      const char* env = std::getenv("GOOGLE_APPLICATION_CREDENTIALS");
      if (env) path = env;
    }
    if (path.empty()) {
      return Status(ErrorCode::kAuth, "no GCS credentials: set key-file-path, key, or GOOGLE_APPLICATION_CREDENTIALS "
                                      "(the metadata server is not supported)");
    }
    std::ifstream in(path);
    if (!in) return Status(ErrorCode::kInvalidArgument, "cannot read GCS key file " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    key_text = ss.str();
    key_source = path;
  }
  auto key = json::parse(key_text, nullptr, false);
  if (!key.is_object()) return Status(ErrorCode::kInvalidArgument, key_source + ": not a JSON object");
  if (StrField(key, "type") != "service_account") {
    return Status(ErrorCode::kInvalidArgument, key_source + ": only \"type\": \"service_account\" keys are supported");
  }
  std::string email = StrField(key, "client_email");
  std::string pem = StrField(key, "private_key");
  if (email.empty() || pem.empty()) {
    return Status(ErrorCode::kInvalidArgument, key_source + ": client_email or private_key missing");
  }
  std::string token_uri = o.token_endpoint;
  if (token_uri.empty()) token_uri = StrField(key, "token_uri");
  if (token_uri.empty()) token_uri = "https://oauth2.googleapis.com/token";
  if (o.chunk_size == 0) return Status(ErrorCode::kInvalidArgument, "GCS chunk size must be > 0");

  auto core = std::make_shared<GcsCore>();
  core->bucket = bucket;
  core->prefix = prefix;
  core->options = options;
  core->endpoint = o.endpoint.empty() ? "https://storage.googleapis.com" : o.endpoint;
  while (!core->endpoint.empty() && core->endpoint.back() == '/') core->endpoint.pop_back();
  core->chunk_size = (o.chunk_size + kChunkQuantum - 1) / kChunkQuantum * kChunkQuantum;
  http::ClientOptions co;
  co.connect_timeout_ms = options.connect_timeout_ms;
  co.io_timeout_ms = options.io_timeout_ms;
  co.ca_file = options.ca_file;
  co.retry = options.retry;
  co.cancel = options.cancel;
  core->client = std::make_shared<http::Client>(co);
  core->tokens = std::make_shared<TokenSource>(core->client, email, pem, token_uri);
  return std::unique_ptr<Storage>(new GcsStorage(std::move(core)));
}

}  // namespace aero
