// Azure Blob backend: Shared Key / SAS / Azure AD auth, block uploads, ranged reads, listing.
#include "storage/azure/azure_storage.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>

#include "common/base64.h"
#include "storage/http/http_client.h"
#include "storage/object_io.h"

namespace aero {
namespace {

constexpr const char* kApiVersion = "2021-08-06";

// A string field of a JSON object, or "" when absent or not a string (never throws on odd replies).
std::string StrField(const nlohmann::json& j, const char* name) {
  if (!j.is_object()) return "";
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string HttpDateNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

int64_t ParseHttpDate(const char* s) {
  std::tm tm{};
  if (!s || !strptime(s, "%a, %d %b %Y %H:%M:%S", &tm)) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// Azure AD client-credentials token, cached until 5 minutes before it expires.
class AadTokenSource {
 public:
  AadTokenSource(std::shared_ptr<http::Client> client, AzureOptions o) : client_(std::move(client)), o_(std::move(o)) {}
  Result<std::string> Token() {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    if (!token_.empty() && now < refresh_at_) return token_;
    std::string body = "grant_type=client_credentials&client_id=" + http::UrlEncode(o_.client_id) +
                       "&client_secret=" + http::UrlEncode(o_.client_secret) +
                       "&scope=" + http::UrlEncode("https://storage.azure.com/.default");
    http::Request req;
    req.method = "POST";
    req.url = o_.authority_host + "/" + http::UrlEncode(o_.tenant_id) + "/oauth2/v2.0/token";
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    req.body = body;
    std::string what = "Azure AD token request to " + req.url;
    ABS_ASSIGN_OR_RETURN(http::Response r, client_->Perform(req));
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (r.status != 200) {
      std::string msg = StrField(j, "error_description");
      if (msg.empty()) msg = StrField(j, "error");
      if (msg.empty()) msg = r.body.substr(0, 300);
      return Status(r.status == 400 || r.status == 401 ? ErrorCode::kAuth : ErrorCode::kIo,
                    what + ": HTTP " + std::to_string(r.status) + ": " + msg);
    }
    if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string()) {
      return Status(ErrorCode::kProtocol, what + ": no access_token in the reply");
    }
    token_ = j["access_token"].get<std::string>();
    int64_t expires = j.contains("expires_in") && j["expires_in"].is_number() ? j["expires_in"].get<int64_t>() : 3600;
    refresh_at_ = now + std::chrono::seconds(std::max<int64_t>(expires - 300, 30));
    return token_;
  }

 private:
  std::shared_ptr<http::Client> client_;
  AzureOptions o_;
  std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point refresh_at_;
};

struct AzureCore {
  std::shared_ptr<http::Client> client;
  std::string container;
  std::string prefix;
  std::string origin;     // "https://acct.blob.core.windows.net" / "http://127.0.0.1:10000"
  std::string base_path;  // "" or "/devstoreaccount1" (emulator path-style)
  std::string account;
  std::string account_key;
  std::string sas;  // without '?'
  std::shared_ptr<AadTokenSource> aad;
  StorageOptions options;

  std::string FullKey(std::string_view key) const {
    if (prefix.empty()) return std::string(key);
    if (key.empty()) return prefix;
    return prefix + "/" + std::string(key);
  }
  std::string Describe(const std::string& full) const { return "azure://" + container + "/" + full; }
  std::string Path(const std::string& full_key) const {
    return base_path + "/" + container + (full_key.empty() ? "" : "/" + http::UrlEncode(full_key, true));
  }

  // Builds a signed request. `query` is "a=b&c=d" (encoded), `headers` the x-ms-* and standard headers.
  Result<http::Request> NewRequest(std::string method, const std::string& path, std::string query,
                                   std::vector<std::string> headers, std::string_view body) const {
    http::Request r;
    r.method = std::move(method);
    r.body = body;
    headers.push_back("x-ms-date: " + HttpDateNow());
    headers.push_back("x-ms-version: " + std::string(kApiVersion));
    std::string full_query = query;
    if (!sas.empty()) full_query += (full_query.empty() ? "" : "&") + sas;
    r.url = origin + path + (full_query.empty() ? "" : "?" + full_query);
    if (!account_key.empty()) {
      uint64_t len = (r.method == "PUT" || r.method == "POST") ? body.size() : 0;
      headers.push_back("Authorization: " + storage::AzureSharedKeyAuthorization(account, account_key, r.method,
                                                                               path + (query.empty() ? "" : "?" + query),
                                                                               headers, len));
    } else if (aad) {
      ABS_ASSIGN_OR_RETURN(std::string token, aad->Token());
      headers.push_back("Authorization: Bearer " + token);
    }
    r.headers = std::move(headers);
    return r;
  }

  std::string Tier(ObjectClass c) const {
    return c == ObjectClass::kMetadata ? options.azure.access_tier.metadata : options.azure.access_tier.data;
  }
};

struct AzureError {
  std::string code, message;
};

AzureError ParseError(const http::Response& r) {
  AzureError e;
  pugi::xml_document doc;
  if (!r.body.empty() && doc.load_buffer(r.body.data(), r.body.size())) {
    e.code = doc.child("Error").child_value("Code");
    e.message = doc.child("Error").child_value("Message");
    auto nl = e.message.find('\n');  // Azure appends "\nRequestId:...\nTime:..."
    if (nl != std::string::npos) e.message.resize(nl);
  }
  if (e.code.empty()) {
    if (const std::string* h = r.Header("x-ms-error-code")) e.code = *h;
  }
  return e;
}

Status ToStatus(const http::Response& r, const std::string& what, int attempts) {
  AzureError e = ParseError(r);
  return http::ErrorReplyStatus(r.status, what, e.code, e.message, attempts);
}

Result<http::Response> Send(const AzureCore& core, const http::Request& req, const std::string& what) {
  int attempts = 0;
  ABS_ASSIGN_OR_RETURN(http::Response r, core.client->Perform(req, nullptr, &attempts));
  if (r.status / 100 != 2) return ToStatus(r, what, attempts);
  return r;
}

// Block IDs must all have the same length within a blob.
std::string BlockId(int number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "abs-block-%08d", number);
  return Base64Encode(buf);
}

class AzureUpload : public storage::MultipartTarget {
 public:
  AzureUpload(std::shared_ptr<const AzureCore> core, std::string full, std::string tier)
      : core_(std::move(core)), key_(std::move(full)), tier_(std::move(tier)) {}

  Status PutWhole(std::string_view data, const std::string& md5) override {
    std::vector<std::string> h{"x-ms-blob-type: BlockBlob", "Content-MD5: " + Base64Encode(md5),
                               "Content-Type: application/octet-stream"};
    if (!tier_.empty()) h.push_back("x-ms-access-tier: " + tier_);
    ABS_ASSIGN_OR_RETURN(http::Request req, core_->NewRequest("PUT", core_->Path(key_), "", h, data));
    return Send(*core_, req, "Azure Put Blob " + core_->Describe(key_)).status();
  }
  Status Begin() override { return Status::Ok(); }  // blocks need no session
  Status PutPart(int number, std::string_view data, const std::string& md5) override {
    std::string query = "blockid=" + http::UrlEncode(BlockId(number)) + "&comp=block";
    ABS_ASSIGN_OR_RETURN(http::Request req, core_->NewRequest("PUT", core_->Path(key_), query,
                                                              {"Content-MD5: " + Base64Encode(md5)}, data));
    return Send(*core_, req, "Azure Put Block " + std::to_string(number) + " of " + core_->Describe(key_)).status();
  }
  Status Complete(int parts, const std::string& md5) override {
    std::string body = "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>";
    for (int i = 1; i <= parts; ++i) body += "<Latest>" + BlockId(i) + "</Latest>";
    body += "</BlockList>";
    // The whole-blob MD5 becomes the blob's Content-MD5 property, which readers verify.
    std::vector<std::string> h{"x-ms-blob-content-md5: " + Base64Encode(md5), "Content-Type: application/xml",
                               "x-ms-blob-content-type: application/octet-stream"};
    if (!tier_.empty()) h.push_back("x-ms-access-tier: " + tier_);
    ABS_ASSIGN_OR_RETURN(http::Request req, core_->NewRequest("PUT", core_->Path(key_), "comp=blocklist", h, body));
    return Send(*core_, req, "Azure Put Block List " + core_->Describe(key_)).status();
  }
  // Uncommitted blocks are discarded by the service (after a week) and never become visible.
  void Abort() override {}

 private:
  std::shared_ptr<const AzureCore> core_;
  std::string key_;
  std::string tier_;
};

class AzureStorage : public Storage {
 public:
  explicit AzureStorage(std::shared_ptr<const AzureCore> core) : core_(std::move(core)) {}

  std::string Describe() const override {
    return "azure://" + core_->container + (core_->prefix.empty() ? "" : "/" + core_->prefix);
  }

  Result<std::unique_ptr<OutputStream>> NewWriter(std::string_view key, const WriteOptions& options) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = core_->FullKey(key);
    auto target = std::make_unique<AzureUpload>(core_, full, core_->Tier(options.object_class));
    return std::unique_ptr<OutputStream>(new storage::PartWriter(std::move(target), core_->options.azure.block_size,
                                                                 core_->options.azure.upload_parallelism,
                                                                 core_->Describe(full)));
  }

  Result<std::unique_ptr<InputStream>> NewReader(std::string_view key, ByteRange range) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = core_->FullKey(key);
    ABS_ASSIGN_OR_RETURN(http::Response head, Head(full));
    ABS_ASSIGN_OR_RETURN(uint64_t size,
                         http::UintHeader(head, "content-length", "Azure Get Blob Properties " + core_->Describe(full)));
    std::string etag = head.Header("etag") ? *head.Header("etag") : "";
    if (range.offset > size) {
      return Status(ErrorCode::kInvalidArgument, core_->Describe(full) + ": range starts at " +
                                                     std::to_string(range.offset) + ", past the end (" +
                                                     std::to_string(size) + " bytes)");
    }
    uint64_t end = range.length ? std::min(size, range.offset + *range.length) : size;
    std::unique_ptr<storage::ContentVerifier> verifier;
    if (range.whole() && core_->options.verify_checksums) {
      if (const std::string* m = head.Header("content-md5")) {
        auto raw = Base64Decode(*m);
        if (raw && raw->size() == 16) verifier = storage::NewMd5Verifier(*raw, core_->Describe(full));
      }
    }
    auto core = core_;
    auto fetch = [core, full, etag](uint64_t offset, uint64_t length) -> Result<std::string> {
      std::vector<std::string> h{"x-ms-range: bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1)};
      if (!etag.empty()) h.push_back("If-Match: " + etag);  // the blob must not change between chunks
      ABS_ASSIGN_OR_RETURN(http::Request req, core->NewRequest("GET", core->Path(full), "", h, {}));
      req.max_response_bytes = length + 1;
      req.expected_response_bytes = length;
      ABS_ASSIGN_OR_RETURN(http::Response r, Send(*core, req, "Azure Get Blob " + core->Describe(full)));
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
    std::string marker;
    for (;;) {
      std::string query = "comp=list";
      if (mode == ListMode::kChildren) query += "&delimiter=%2F";
      if (!marker.empty()) query += "&marker=" + http::UrlEncode(marker);
      if (core_->options.list_page_size > 0) query += "&maxresults=" + std::to_string(core_->options.list_page_size);
      query += "&prefix=" + http::UrlEncode(list_prefix) + "&restype=container";
      std::string what = "Azure List Blobs " + core_->Describe(list_prefix);
      ABS_ASSIGN_OR_RETURN(http::Request req, core_->NewRequest("GET", core_->Path(""), query, {}, {}));
      ABS_ASSIGN_OR_RETURN(http::Response r, Send(*core_, req, what));
      pugi::xml_document doc;
      if (!doc.load_buffer(r.body.data(), r.body.size())) return Status(ErrorCode::kProtocol, what + ": unparsable XML");
      auto root = doc.child("EnumerationResults");
      if (!root) return Status(ErrorCode::kProtocol, what + ": no EnumerationResults");
      auto blobs = root.child("Blobs");
      for (auto b : blobs.children("Blob")) {
        std::string name = b.child_value("Name");
        if (name.size() <= list_prefix.size() || name.compare(0, list_prefix.size(), list_prefix) != 0) continue;
        auto props = b.child("Properties");
        uint64_t size = 0;
        if (!http::ParseUint(props.child_value("Content-Length"), &size)) {
          return Status(ErrorCode::kProtocol, what + ": bad Content-Length for " + name);
        }
        out.push_back(ObjectInfo{Relative(name), size, false, ParseHttpDate(props.child_value("Last-Modified"))});
      }
      for (auto p : blobs.children("BlobPrefix")) {
        std::string name = p.child_value("Name");
        while (!name.empty() && name.back() == '/') name.pop_back();
        out.push_back(ObjectInfo{Relative(name), 0, true, 0});
      }
      marker = root.child_value("NextMarker");
      if (marker.empty()) break;
    }
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Result<ObjectInfo> Stat(std::string_view key) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = core_->FullKey(key);
    ABS_ASSIGN_OR_RETURN(http::Response head, Head(full));
    ABS_ASSIGN_OR_RETURN(uint64_t size,
                         http::UintHeader(head, "content-length", "Azure Get Blob Properties " + core_->Describe(full)));
    const std::string* lm = head.Header("last-modified");
    return ObjectInfo{std::string(key), size, false, ParseHttpDate(lm ? lm->c_str() : nullptr)};
  }

  Status Delete(std::string_view key) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = core_->FullKey(key);
    ABS_ASSIGN_OR_RETURN(http::Request req, core_->NewRequest("DELETE", core_->Path(full), "", {}, {}));
    Result<http::Response> r = Send(*core_, req, "Azure Delete Blob " + core_->Describe(full));
    if (!r.ok() && r.status().code() != ErrorCode::kNotFound) return r.status();
    return Status::Ok();
  }

 private:
  Result<http::Response> Head(const std::string& full) {
    std::string what = "Azure Get Blob Properties " + core_->Describe(full);
    ABS_ASSIGN_OR_RETURN(http::Request req, core_->NewRequest("HEAD", core_->Path(full), "", {}, {}));
    Result<http::Response> r = Send(*core_, req, what);
    if (!r.ok() && r.status().code() == ErrorCode::kNotFound) return Status(ErrorCode::kNotFound, what + ": no such blob");
    return r;
  }
  std::string Relative(const std::string& full) const {
    size_t skip = core_->prefix.empty() ? 0 : core_->prefix.size() + 1;
    return full.substr(std::min(skip, full.size()));
  }

  std::shared_ptr<const AzureCore> core_;
};

}  // namespace

namespace storage {
std::string AzureSharedKeyAuthorization(const std::string& account, const std::string& key_base64,
                                        const std::string& method, const std::string& url_path_and_query,
                                        const std::vector<std::string>& headers, uint64_t content_length) {
  std::map<std::string, std::string> std_headers, ms_headers;
  for (const auto& h : headers) {
    auto colon = h.find(':');
    if (colon == std::string::npos) continue;
    std::string name = Lower(h.substr(0, colon));
    std::string value = h.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    (name.starts_with("x-ms-") ? ms_headers : std_headers)[name] = value;
  }
  auto get = [&](const char* n) {
    auto it = std_headers.find(n);
    return it == std_headers.end() ? std::string() : it->second;
  };
  std::string s = method + "\n" + get("content-encoding") + "\n" + get("content-language") + "\n" +
                  (content_length ? std::to_string(content_length) : "") + "\n" + get("content-md5") + "\n" +
                  get("content-type") + "\n" + get("date") + "\n" + get("if-modified-since") + "\n" +
                  get("if-match") + "\n" + get("if-none-match") + "\n" + get("if-unmodified-since") + "\n" +
                  get("range") + "\n";
  for (const auto& [n, v] : ms_headers) s += n + ":" + v + "\n";
  std::string path = url_path_and_query, query;
  if (auto q = path.find('?'); q != std::string::npos) {
    query = path.substr(q + 1);
    path.resize(q);
  }
  s += "/" + account + path;
  std::map<std::string, std::string> params;
  size_t start = 0;
  while (start < query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string kv = query.substr(start, amp - start);
    auto eq = kv.find('=');
    std::string name = Lower(http::UrlDecode(kv.substr(0, eq)));
    std::string value = eq == std::string::npos ? "" : http::UrlDecode(kv.substr(eq + 1));
    auto& slot = params[name];
    slot = slot.empty() ? value : slot + "," + value;
    start = amp + 1;
  }
  for (const auto& [n, v] : params) s += "\n" + n + ":" + v;
  auto key = Base64Decode(key_base64);
  std::string k = key ? *key : std::string();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()), reinterpret_cast<const unsigned char*>(s.data()), s.size(),
       mac, &mac_len);
  return "SharedKey " + account + ":" + Base64Encode(std::string(reinterpret_cast<char*>(mac), mac_len));
}
}  // namespace storage

Result<std::unique_ptr<Storage>> OpenAzureStorage(const std::string& container, const std::string& prefix,
                                                  const StorageOptions& options) {
  const AzureOptions& o = options.azure;
  auto core = std::make_shared<AzureCore>();
  core->container = container;
  core->prefix = prefix;
  core->options = options;
  core->account = o.account_name;
  std::string endpoint = o.endpoint;
  if (endpoint.empty()) {
    if (o.account_name.empty()) {
      return Status(ErrorCode::kInvalidArgument, "Azure storage needs an endpoint or an account name");
    }
    endpoint = "https://" + o.account_name + ".blob.core.windows.net";
  }
  if (endpoint.find("://") == std::string::npos) {
    return Status(ErrorCode::kInvalidArgument, "Azure endpoint '" + endpoint + "' must be a URL");
  }
  http::SplitUrl(endpoint, &core->origin, &core->base_path);
  http::ClientOptions co;
  co.connect_timeout_ms = options.connect_timeout_ms;
  co.io_timeout_ms = options.io_timeout_ms;
  co.ca_file = options.ca_file;
  co.retry = options.retry;
  co.cancel = options.cancel;
  core->client = std::make_shared<http::Client>(co);
  if (!o.account_key.empty()) {
    if (o.account_name.empty()) return Status(ErrorCode::kInvalidArgument, "Azure account-key needs account-name");
    auto key = Base64Decode(o.account_key);
    if (!key || key->empty()) return Status(ErrorCode::kInvalidArgument, "Azure account-key is not valid base64");
    core->account_key = o.account_key;
  } else if (!o.sas_token.empty()) {
    core->sas = o.sas_token[0] == '?' ? o.sas_token.substr(1) : o.sas_token;
  } else if (!o.tenant_id.empty() || !o.client_id.empty() || !o.client_secret.empty()) {
    if (o.tenant_id.empty() || o.client_id.empty() || o.client_secret.empty()) {
      return Status(ErrorCode::kInvalidArgument, "Azure AD auth needs tenant-id, client-id and client-secret together");
    }
    core->aad = std::make_shared<AadTokenSource>(core->client, o);
  } else {
    return Status(ErrorCode::kAuth,
                  "no Azure credentials: set account-name + account-key, a SAS token, or tenant-id + client-id + "
                  "client-secret");
  }
  if (o.block_size == 0 || o.block_size > (4000ull << 20)) {
    return Status(ErrorCode::kInvalidArgument, "Azure block size must be between 1 byte and 4000 MiB");
  }
  if (o.upload_parallelism < 1) return Status(ErrorCode::kInvalidArgument, "Azure upload parallelism must be >= 1");
  return std::unique_ptr<Storage>(new AzureStorage(std::move(core)));
}

}  // namespace aero
