// S3 backend: request building, error mapping, multipart writer target, listing.
#include "storage/s3/s3_storage.h"

#include <pugixml.hpp>

#include <algorithm>
#include <ctime>
#include <map>
#include <mutex>
#include <sstream>

#include "common/base64.h"
#include "common/bytes.h"
#include "storage/http/http_client.h"
#include "storage/s3/s3_credentials.h"

namespace aero {
namespace {

constexpr const char* kPartSizeMeta = "x-amz-meta-abs-part-size";

// Everything a request needs; shared with readers/writers so they may outlive nothing but this.
struct S3Core {
  std::shared_ptr<http::Client> client;
  std::string bucket;
  std::string prefix;  // "" or "a/b"
  std::string origin;  // "https://s3.eu-west-1.amazonaws.com" or the override
  std::string base_path;  // path part of an endpoint override ("" usually)
  bool path_style = true;
  S3Credentials creds;
  StorageOptions options;

  std::string FullKey(std::string_view key) const {
    if (prefix.empty()) return std::string(key);
    if (key.empty()) return prefix;
    return prefix + "/" + std::string(key);
  }
  // URL of the bucket (key empty) or of an object; `query` must be sorted and encoded (SigV4 canonical form).
  std::string Url(const std::string& full_key, const std::string& query = "") const {
    std::string url;
    if (path_style) {
      url = origin + base_path + "/" + bucket + "/" + http::UrlEncode(full_key, true);
    } else {
      auto scheme_end = origin.find("://") + 3;
      url = origin.substr(0, scheme_end) + bucket + "." + origin.substr(scheme_end) + base_path + "/" +
            http::UrlEncode(full_key, true);
    }
    if (!query.empty()) url += "?" + query;
    return url;
  }
  // The bucket itself (listing): "endpoint/bucket?query" or "https://bucket.endpoint/?query".
  std::string BucketUrl(const std::string& query) const {
    std::string url = Url("");
    if (path_style) url.pop_back();  // drop the empty key segment after the bucket
    return url + "?" + query;
  }
  std::string Describe(const std::string& full_key) const { return "s3://" + bucket + "/" + full_key; }

  http::Request NewRequest(std::string method, std::string url) const {
    http::Request r;
    r.method = std::move(method);
    r.url = std::move(url);
    r.aws_sigv4 = "aws:amz:" + creds.region + ":s3";
    r.aws_userpwd = creds.access_key_id + ":" + creds.secret_access_key;
    // S3 requires the payload hash header with SigV4; bodies are protected by Content-MD5 instead.
    r.headers.push_back("x-amz-content-sha256: UNSIGNED-PAYLOAD");
    if (!creds.session_token.empty()) r.headers.push_back("x-amz-security-token: " + creds.session_token);
    return r;
  }

  std::string StorageClass(ObjectClass c) const {
    return c == ObjectClass::kMetadata ? options.s3.storage_class.metadata : options.s3.storage_class.data;
  }
};

struct S3Error {
  std::string code;
  std::string message;
};

S3Error ParseError(const http::Response& r) {
  S3Error e;
  pugi::xml_document doc;
  if (!r.body.empty() && doc.load_buffer(r.body.data(), r.body.size())) {
    auto err = doc.child("Error");
    e.code = err.child_value("Code");
    e.message = err.child_value("Message");
  }
  return e;
}

// Transient: 408/429/5xx, plus S3's "RequestTimeout" (400) for a stalled upload socket.
bool IsTransient(const http::Response& r) {
  if (http::IsTransientHttpStatus(r.status)) return true;
  return r.status == 400 && ParseError(r).code == "RequestTimeout";
}

Status ToStatus(const http::Response& r, const std::string& what, int attempts) {
  S3Error e = ParseError(r);
  return http::ErrorReplyStatus(r.status, what, e.code, e.message, attempts);
}

// Sends with retries; non-2xx becomes a Status carrying S3's Code and Message.
Result<http::Response> Send(const S3Core& core, const http::Request& req, const std::string& what) {
  int attempts = 0;
  ABS_ASSIGN_OR_RETURN(http::Response r, core.client->Perform(req, IsTransient, &attempts));
  if (r.status / 100 != 2) return ToStatus(r, what, attempts);
  return r;
}

int64_t ParseHttpDate(const std::string* s) {
  if (!s) return 0;
  std::tm tm{};
  if (!strptime(s->c_str(), "%a, %d %b %Y %H:%M:%S", &tm)) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

int64_t ParseIsoDate(const char* s) {
  std::tm tm{};
  if (!strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

std::string Unquote(std::string s) {
  s.erase(std::remove(s.begin(), s.end(), '"'), s.end());
  return s;
}

class S3EtagVerifier : public storage::ContentVerifier {
 public:
  S3EtagVerifier(std::string etag, uint64_t part_size, int parts, std::string what)
      : etag_(std::move(etag)), part_size_(part_size), parts_(parts), what_(std::move(what)) {}
  void Update(std::string_view bytes) override {
    whole_.Update(bytes);
    if (parts_ == 0) return;
    while (!bytes.empty()) {
      size_t take = static_cast<size_t>(std::min<uint64_t>(bytes.size(), part_size_ - in_part_));
      part_.Update(bytes.substr(0, take));
      in_part_ += take;
      bytes.remove_prefix(take);
      if (in_part_ == part_size_) EndPart();
    }
  }
  Status Finish() override {
    std::string got;
    if (parts_ == 0) {
      got = ToHex(whole_.Final());
    } else {
      if (in_part_ > 0 || part_md5s_.empty()) EndPart();
      got = ToHex(storage::Md5::Of(part_md5s_)) + "-" + std::to_string(part_md5s_.size() / 16);
    }
    if (got == etag_) return Status::Ok();
    return Status(ErrorCode::kCorrupt, what_ + ": checksum mismatch: ETag is " + etag_ + ", data read gives " + got);
  }

 private:
  void EndPart() {
    part_md5s_ += part_.Final();
    in_part_ = 0;
  }
  std::string etag_;
  uint64_t part_size_;
  int parts_;
  std::string what_;
  storage::Md5 whole_, part_;
  uint64_t in_part_ = 0;
  std::string part_md5s_;
};

// One multipart (or single PUT) upload.
class S3Upload : public storage::MultipartTarget {
 public:
  S3Upload(std::shared_ptr<const S3Core> core, std::string full_key, std::string storage_class)
      : core_(std::move(core)), key_(std::move(full_key)), storage_class_(std::move(storage_class)) {}

  Status PutWhole(std::string_view data, const std::string& md5) override {
    http::Request req = core_->NewRequest("PUT", core_->Url(key_));
    req.body = data;
    req.headers.push_back("Content-MD5: " + Base64Encode(md5));
    req.headers.push_back("Content-Type: application/octet-stream");
    if (!storage_class_.empty()) req.headers.push_back("x-amz-storage-class: " + storage_class_);
    return Send(*core_, req, "S3 PUT " + core_->Describe(key_)).status();
  }

  Status Begin() override {
    http::Request req = core_->NewRequest("POST", core_->Url(key_, "uploads="));
    req.headers.push_back("Content-Type: application/octet-stream");
    req.headers.push_back(std::string(kPartSizeMeta) + ": " + std::to_string(core_->options.s3.min_part_size));
    if (!storage_class_.empty()) req.headers.push_back("x-amz-storage-class: " + storage_class_);
    std::string what = "S3 CreateMultipartUpload " + core_->Describe(key_);
    ABS_ASSIGN_OR_RETURN(http::Response r, Send(*core_, req, what));
    pugi::xml_document doc;
    if (doc.load_buffer(r.body.data(), r.body.size())) {
      upload_id_ = doc.child("InitiateMultipartUploadResult").child_value("UploadId");
    }
    if (upload_id_.empty()) return Status(ErrorCode::kProtocol, what + ": no UploadId in the reply");
    return Status::Ok();
  }

  Status PutPart(int number, std::string_view data, const std::string& md5) override {
    std::string query = "partNumber=" + std::to_string(number) + "&uploadId=" + http::UrlEncode(upload_id_);
    http::Request req = core_->NewRequest("PUT", core_->Url(key_, query));
    req.body = data;
    req.headers.push_back("Content-MD5: " + Base64Encode(md5));
    std::string what = "S3 UploadPart " + std::to_string(number) + " of " + core_->Describe(key_);
    ABS_ASSIGN_OR_RETURN(http::Response r, Send(*core_, req, what));
    const std::string* etag = r.Header("etag");
    if (!etag) return Status(ErrorCode::kProtocol, what + ": no ETag in the reply");
    std::lock_guard<std::mutex> lock(mu_);
    etags_[number] = *etag;
    part_md5s_[number] = md5;
    return Status::Ok();
  }

  Status Complete(int parts, const std::string& md5) override {
    std::string body = "<CompleteMultipartUpload>";
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int i = 1; i <= parts; ++i) {
        auto it = etags_.find(i);
        if (it == etags_.end()) return Status(ErrorCode::kInternal, "S3 part " + std::to_string(i) + " has no ETag");
        body += "<Part><PartNumber>" + std::to_string(i) + "</PartNumber><ETag>" + it->second + "</ETag></Part>";
      }
    }
    body += "</CompleteMultipartUpload>";
    http::Request req = core_->NewRequest("POST", core_->Url(key_, "uploadId=" + http::UrlEncode(upload_id_)));
    req.body = body;
    req.headers.push_back("Content-Type: application/xml");
    std::string what = "S3 CompleteMultipartUpload " + core_->Describe(key_);
    Result<http::Response> r = Send(*core_, req, what);
    if (!r.ok()) {
      // A retry after a lost reply finds the upload already completed (S3: NoSuchUpload; some
      // S3-compatible servers: 500): accept it if the object now there is exactly ours (same ETag).
      if (AlreadyCompleted(parts, md5)) {
        completed_ = true;
        return Status::Ok();
      }
      return r.status();
    }
    // S3 may answer 200 and still report an error in the body.
    pugi::xml_document doc;
    if (doc.load_buffer(r->body.data(), r->body.size()) && doc.child("Error")) return ToStatus(*r, what, 1);
    completed_ = true;
    return Status::Ok();
  }

  bool AlreadyCompleted(int parts, const std::string& md5) {
    http::Request req = core_->NewRequest("HEAD", core_->Url(key_));
    Result<http::Response> head = core_->client->Perform(req);
    if (!head.ok() || head->status != 200 || !head->Header("etag")) return false;
    std::string etag = Unquote(*head->Header("etag"));
    std::string multipart;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (int i = 1; i <= parts; ++i) multipart += part_md5s_[i];
    }
    // s3rver and some S3-compatible servers use the plain MD5 of the object as a multipart ETag.
    return etag == ToHex(storage::Md5::Of(multipart)) + "-" + std::to_string(parts) || etag == ToHex(md5);
  }

  void Abort() override {
    if (upload_id_.empty() || completed_) return;
    http::Request req = core_->NewRequest("DELETE", core_->Url(key_, "uploadId=" + http::UrlEncode(upload_id_)));
    (void)core_->client->PerformOnce(req);  // best effort: a lifecycle rule cleans up what remains
  }

 private:
  std::shared_ptr<const S3Core> core_;
  std::string key_;
  std::string storage_class_;
  std::string upload_id_;
  bool completed_ = false;
  std::mutex mu_;
  std::map<int, std::string> etags_;
  std::map<int, std::string> part_md5s_;
};

class S3Storage : public Storage {
 public:
  explicit S3Storage(std::shared_ptr<const S3Core> core) : core_(std::move(core)) {}

  std::string Describe() const override { return "s3://" + core_->bucket + (core_->prefix.empty() ? "" : "/" + core_->prefix); }

  Result<std::unique_ptr<OutputStream>> NewWriter(std::string_view key, const WriteOptions& options) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = core_->FullKey(key);
    auto target = std::make_unique<S3Upload>(core_, full, core_->StorageClass(options.object_class));
    return std::unique_ptr<OutputStream>(new storage::PartWriter(std::move(target), core_->options.s3.min_part_size,
                                                                 core_->options.s3.upload_parallelism,
                                                                 core_->Describe(full)));
  }

  Result<std::unique_ptr<InputStream>> NewReader(std::string_view key, ByteRange range) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = core_->FullKey(key);
    ABS_ASSIGN_OR_RETURN(http::Response head, Head(full));
    ABS_ASSIGN_OR_RETURN(uint64_t size, http::UintHeader(head, "content-length", "S3 HEAD " + core_->Describe(full)));
    std::string etag = head.Header("etag") ? *head.Header("etag") : "";
    if (range.offset > size) {
      return Status(ErrorCode::kInvalidArgument, core_->Describe(full) + ": range starts at " +
                                                     std::to_string(range.offset) + ", past the end (" + std::to_string(size) + " bytes)");
    }
    uint64_t end = range.length ? std::min(size, range.offset + *range.length) : size;
    std::unique_ptr<storage::ContentVerifier> verifier;
    if (range.whole() && core_->options.verify_checksums) {
      uint64_t part_size = 0;
      if (const std::string* p = head.Header(kPartSizeMeta)) part_size = std::strtoull(p->c_str(), nullptr, 10);
      verifier = storage::NewS3EtagVerifier(Unquote(etag), part_size, core_->Describe(full));
    }
    auto core = core_;
    auto fetch = [core, full, etag](uint64_t offset, uint64_t length) -> Result<std::string> {
      http::Request req = core->NewRequest("GET", core->Url(full));
      req.headers.push_back("Range: bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
      // The object must not change between chunks.
      if (!etag.empty()) req.headers.push_back("If-Match: " + etag);
      req.max_response_bytes = length + 1;
      req.expected_response_bytes = length;
      ABS_ASSIGN_OR_RETURN(http::Response r, Send(*core, req, "S3 GET " + core->Describe(full)));
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
      // Sorted parameter names: SigV4's canonical query string.
      std::string query;
      if (!token.empty()) query += "continuation-token=" + http::UrlEncode(token) + "&";
      if (mode == ListMode::kChildren) query += "delimiter=%2F&";
      query += "list-type=2";
      if (core_->options.list_page_size > 0) query += "&max-keys=" + std::to_string(core_->options.list_page_size);
      query += "&prefix=" + http::UrlEncode(list_prefix);
      http::Request req = core_->NewRequest("GET", core_->BucketUrl(query));
      std::string what = "S3 ListObjectsV2 " + core_->Describe(list_prefix);
      ABS_ASSIGN_OR_RETURN(http::Response r, Send(*core_, req, what));
      pugi::xml_document doc;
      if (!doc.load_buffer(r.body.data(), r.body.size())) return Status(ErrorCode::kProtocol, what + ": unparsable XML");
      auto root = doc.child("ListBucketResult");
      if (!root) return Status(ErrorCode::kProtocol, what + ": no ListBucketResult");
      for (auto c : root.children("Contents")) {
        std::string key = c.child_value("Key");
        if (key.size() <= list_prefix.size() || key.compare(0, list_prefix.size(), list_prefix) != 0) continue;
        uint64_t size = 0;
        if (!http::ParseUint(c.child_value("Size"), &size)) {
          return Status(ErrorCode::kProtocol, what + ": bad Size for " + key);
        }
        out.push_back(ObjectInfo{Relative(key), size, false, ParseIsoDate(c.child_value("LastModified"))});
      }
      for (auto p : root.children("CommonPrefixes")) {
        std::string key = p.child_value("Prefix");
        while (!key.empty() && key.back() == '/') key.pop_back();
        out.push_back(ObjectInfo{Relative(key), 0, true, 0});
      }
      std::string truncated = root.child_value("IsTruncated");
      token = root.child_value("NextContinuationToken");
      if (truncated != "true" || token.empty()) break;
    }
    std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Result<ObjectInfo> Stat(std::string_view key) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = core_->FullKey(key);
    ABS_ASSIGN_OR_RETURN(http::Response head, Head(full));
    ABS_ASSIGN_OR_RETURN(uint64_t size, http::UintHeader(head, "content-length", "S3 HEAD " + core_->Describe(full)));
    return ObjectInfo{std::string(key), size, false, ParseHttpDate(head.Header("last-modified"))};
  }

  Status Delete(std::string_view key) override {
    ABS_RETURN_IF_ERROR(ValidateKey(key));
    std::string full = core_->FullKey(key);
    http::Request req = core_->NewRequest("DELETE", core_->Url(full));
    Result<http::Response> r = Send(*core_, req, "S3 DELETE " + core_->Describe(full));
    if (!r.ok() && r.status().code() != ErrorCode::kNotFound) return r.status();
    return Status::Ok();
  }

  // DeleteObjects: up to 1000 keys per request instead of one DELETE per object (retention removes
  // whole backups).
  Status DeleteDirectory(std::string_view dir) override {
    ABS_RETURN_IF_ERROR(ValidateKey(dir, true));
    ABS_ASSIGN_OR_RETURN(auto objects, List(dir, ListMode::kRecursive));
    for (size_t start = 0; start < objects.size(); start += 1000) {
      std::string body = "<Delete><Quiet>true</Quiet>";
      for (size_t i = start; i < std::min(objects.size(), start + 1000); ++i) {
        pugi::xml_document key_doc;  // escapes &, <, > in key names
        key_doc.append_child("Key").text().set(core_->FullKey(objects[i].key).c_str());
        std::ostringstream os;
        key_doc.save(os, "", pugi::format_raw | pugi::format_no_declaration);
        body += "<Object>" + os.str() + "</Object>";
      }
      body += "</Delete>";
      http::Request req = core_->NewRequest("POST", core_->BucketUrl("delete="));
      req.body = body;
      req.headers.push_back("Content-MD5: " + Base64Encode(storage::Md5::Of(body)));
      req.headers.push_back("Content-Type: application/xml");
      std::string what = "S3 DeleteObjects under " + core_->Describe(core_->FullKey(dir));
      ABS_ASSIGN_OR_RETURN(http::Response r, Send(*core_, req, what));
      pugi::xml_document doc;
      if (!doc.load_buffer(r.body.data(), r.body.size())) return Status(ErrorCode::kProtocol, what + ": unparsable XML");
      if (doc.child("Error")) return ToStatus(r, what, 1);
      // Quiet mode lists only the failures.
      for (auto e : doc.child("DeleteResult").children("Error")) {
        return Status(ErrorCode::kIo, what + ": " + e.child_value("Key") + ": " + e.child_value("Code") + ": " +
                                          e.child_value("Message"));
      }
    }
    return Status::Ok();
  }

 private:
  Result<http::Response> Head(const std::string& full) {
    http::Request req = core_->NewRequest("HEAD", core_->Url(full));
    std::string what = "S3 HEAD " + core_->Describe(full);
    Result<http::Response> r = Send(*core_, req, what);
    if (!r.ok() && r.status().code() == ErrorCode::kNotFound) {
      return Status(ErrorCode::kNotFound, what + ": no such object");
    }
    return r;
  }

  std::string Relative(const std::string& full_key) const {
    size_t skip = core_->prefix.empty() ? 0 : core_->prefix.size() + 1;
    return full_key.substr(std::min(skip, full_key.size()));
  }

  std::shared_ptr<const S3Core> core_;
};

}  // namespace

namespace storage {
std::unique_ptr<ContentVerifier> NewS3EtagVerifier(const std::string& etag, uint64_t part_size, std::string what) {
  auto dash = etag.find('-');
  std::string hex = etag.substr(0, dash);
  std::string raw;
  if (hex.size() != 32 || !FromHex(hex, raw)) return nullptr;
  if (dash == std::string::npos) return std::make_unique<S3EtagVerifier>(etag, 0, 0, std::move(what));
  uint64_t parts = 0;
  if (!http::ParseUint(std::string_view(etag).substr(dash + 1), &parts) || parts == 0 || parts > 10000 ||
      part_size == 0) {
    return nullptr;  // not a multipart ETag we can check (e.g. another tool's upload, part size unknown)
  }  // multipart upload by another tool: part size unknown
  return std::make_unique<S3EtagVerifier>(etag, part_size, static_cast<int>(parts), std::move(what));
}
}  // namespace storage

Result<std::unique_ptr<Storage>> OpenS3Storage(const std::string& bucket, const std::string& prefix,
                                               const StorageOptions& options) {
  auto core = std::make_shared<S3Core>();
  core->bucket = bucket;
  core->prefix = prefix;
  core->options = options;
  ABS_ASSIGN_OR_RETURN(core->creds, ResolveS3Credentials(options.s3));
  if (options.s3.min_part_size < (5ull << 20)) {
    return Status(ErrorCode::kInvalidArgument, "S3 min-part-size " + std::to_string(options.s3.min_part_size) +
                                                   " is below the S3 minimum of 5 MiB");
  }
  if (options.s3.upload_parallelism < 1) return Status(ErrorCode::kInvalidArgument, "S3 upload parallelism must be >= 1");
  // The configured endpoint, else one from the environment or the profile (s3_credentials.h).
  const std::string endpoint = !options.s3.endpoint_override.empty() ? options.s3.endpoint_override : core->creds.endpoint;
  const std::string endpoint_what =
      !options.s3.endpoint_override.empty() ? "s3-endpoint-override" : "S3 endpoint from " + core->creds.endpoint_source;
  if (!endpoint.empty()) {
    if (endpoint.find("://") == std::string::npos) {
      return Status(ErrorCode::kInvalidArgument, endpoint_what + " '" + endpoint + "' must be a URL (http://host:port)");
    }
    http::SplitUrl(endpoint, &core->origin, &core->base_path);
    core->path_style = options.s3.force_path_style.value_or(true);
  } else {
    core->origin = "https://s3." + core->creds.region + ".amazonaws.com";
    core->path_style = options.s3.force_path_style.value_or(false);
  }
  http::ClientOptions co;
  co.connect_timeout_ms = options.connect_timeout_ms;
  co.io_timeout_ms = options.io_timeout_ms;
  co.ca_file = options.ca_file;
  co.allow_system_proxy = options.s3.allow_system_proxy;
  co.verbose = options.s3.log_level == "DEBUG" || options.s3.log_level == "TRACE";
  co.retry = options.retry;
  co.cancel = options.cancel;
  core->client = std::make_shared<http::Client>(co);
  return std::unique_ptr<Storage>(new S3Storage(std::move(core)));
}

}  // namespace aero
