// Fake GCS JSON API + OAuth2 token endpoint for the GCS backend tests.
#include "tests/storage/fake_gcs.h"

#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include <ctime>

#include "common/base64.h"
#include "storage/http/http_client.h"
#include "storage/object_io.h"

namespace aero::testing {
namespace {

using json = nlohmann::json;

std::string GoogleError(int code, const std::string& reason, const std::string& message) {
  json e = {{"error",
             {{"code", code},
              {"message", message},
              {"errors", json::array({{{"message", message}, {"domain", "global"}, {"reason", reason}}})}}}};
  return e.dump();
}

void Fail(httplib::Response& res, int code, const std::string& reason, const std::string& message) {
  res.status = code;
  res.set_content(GoogleError(code, reason, message), "application/json; charset=UTF-8");
}

std::optional<std::string> Base64UrlDecode(std::string s) {
  for (char& c : s) {
    if (c == '-') c = '+';
    else if (c == '_') c = '/';
  }
  while (s.size() % 4) s.push_back('=');
  return Base64Decode(s);
}

bool VerifyRs256(const std::string& public_pem, const std::string& data, const std::string& sig) {
  BIO* bio = BIO_new_mem_buf(public_pem.data(), static_cast<int>(public_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
            EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

std::string NowRfc3339() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

}  // namespace

FakeGcs::FakeGcs() : server_(std::make_unique<httplib::Server>()) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, key);
  char* p = nullptr;
  long n = BIO_get_mem_data(priv, &p);
  std::string private_pem(p, static_cast<size_t>(n));
  n = BIO_get_mem_data(pub, &p);
  public_pem_.assign(p, static_cast<size_t>(n));
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  key_json_ = json{{"type", "service_account"},
                   {"project_id", "abs-test"},
                   {"private_key_id", "k1"},
                   {"private_key", private_pem},
                   {"client_email", "backup@abs-test.iam.gserviceaccount.com"},
                   {"client_id", "1"},
                   {"token_uri", "http://127.0.0.1:1/token"}}  // overridden by the test's token endpoint
                  .dump();
}

FakeGcs::~FakeGcs() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

int FakeGcs::tokens_issued() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int>(tokens_.size());
}

Status FakeGcs::Start() {
  Routes();
  port_ = server_->bind_to_any_port("127.0.0.1");
  if (port_ <= 0) return Status(ErrorCode::kIo, "fake GCS cannot bind");
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // bind_to_any_port() already listens: connections queue until the accept loop runs.
  return Status::Ok();
}

Status FakeGcs::Corrupt(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = objects_.find(name);
  if (it == objects_.end() || it->second.data.empty()) return Status(ErrorCode::kNotFound, "fake GCS: no object " + name);
  it->second.data[it->second.data.size() / 2] ^= 0x5a;
  return Status::Ok();
}

std::string FakeGcs::Metadata(const std::string& name, const Object& o) const {
  json j = {{"kind", "storage#object"},
            {"id", bucket() + "/" + name + "/" + std::to_string(o.generation)},
            {"name", name},
            {"bucket", bucket()},
            {"generation", std::to_string(o.generation)},
            {"metageneration", "1"},
            {"contentType", "application/octet-stream"},
            {"storageClass", o.storage_class.empty() ? "STANDARD" : o.storage_class},
            {"size", std::to_string(o.data.size())},
            {"md5Hash", Base64Encode(o.md5)},
            {"updated", o.updated},
            {"timeCreated", o.updated}};
  return j.dump();
}

void FakeGcs::Routes() {
  auto& s = *server_;
  s.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
    auto oauth_error = [&](const std::string& err, const std::string& desc) {
      res.status = 400;
      res.set_content(json{{"error", err}, {"error_description", desc}}.dump(), "application/json");
    };
    if (req.get_param_value("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer") {
      return oauth_error("unsupported_grant_type", "Invalid grant_type: " + req.get_param_value("grant_type"));
    }
    std::string jwt = req.get_param_value("assertion");
    auto d1 = jwt.find('.'), d2 = jwt.rfind('.');
    if (d1 == std::string::npos || d1 == d2) return oauth_error("invalid_grant", "Invalid JWT: malformed");
    auto sig = Base64UrlDecode(jwt.substr(d2 + 1));
    if (!sig || !VerifyRs256(public_pem_, jwt.substr(0, d2), *sig)) {
      return oauth_error("invalid_grant", "Invalid JWT Signature.");
    }
    auto claims_text = Base64UrlDecode(jwt.substr(d1 + 1, d2 - d1 - 1));
    auto claims = json::parse(claims_text ? *claims_text : "", nullptr, false);
    if (!claims.is_object() || claims.value("aud", "") != token_uri()) {
      return oauth_error("invalid_grant", "Invalid JWT: Failed audience check.");
    }
    if (claims.value("scope", "").find("devstorage") == std::string::npos) {
      return oauth_error("invalid_scope", "Invalid OAuth scope or ID token audience provided.");
    }
    if (claims.value("exp", int64_t{0}) < static_cast<int64_t>(std::time(nullptr))) {
      return oauth_error("invalid_grant", "Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.");
    }
    std::string token;
    {
      std::lock_guard<std::mutex> lock(mu_);
      token = "ya29.fake-" + std::to_string(next_id_++);
      tokens_[token] = true;
    }
    res.set_content(json{{"access_token", token}, {"expires_in", 3599}, {"token_type", "Bearer"}}.dump(),
                    "application/json");
  });

  // Every storage call needs a token this fake issued.
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    // The token endpoint, and resumable session URIs (the session id is the credential, as at Google).
    if (req.path == "/token" || req.has_param("upload_id")) return httplib::Server::HandlerResponse::Unhandled;
    std::string auth = req.get_header_value("Authorization");
    std::lock_guard<std::mutex> lock(mu_);
    if (!auth.starts_with("Bearer ") || !tokens_.count(auth.substr(7))) {
      res.status = 401;
      res.set_content(GoogleError(401, "required", "Anonymous caller does not have storage.objects.get access."),
                      "application/json; charset=UTF-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  auto check_bucket = [this](const std::string& b, httplib::Response& res) {
    if (b == bucket()) return true;
    Fail(res, 404, "notFound", "The specified bucket does not exist.");
    return false;
  };

  s.Get(R"(/storage/v1/b/([^/]+)/o/(.+))", [this, check_bucket](const httplib::Request& req, httplib::Response& res) {
    if (!check_bucket(req.matches[1], res)) return;
    std::string name = req.matches[2];
    std::lock_guard<std::mutex> lock(mu_);
    auto it = objects_.find(name);
    if (it == objects_.end()) return Fail(res, 404, "notFound", "No such object: " + bucket() + "/" + name);
    const Object& o = it->second;
    if (req.has_param("ifGenerationMatch") && req.get_param_value("ifGenerationMatch") != std::to_string(o.generation)) {
      return Fail(res, 412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold.");
    }
    if (req.get_param_value("alt") != "media") {
      res.set_content(Metadata(name, o), "application/json; charset=UTF-8");
      return;
    }
    res.set_header("x-goog-hash", "md5=" + Base64Encode(o.md5));
    res.set_header("x-goog-generation", std::to_string(o.generation));
    std::string range = req.get_header_value("Range");
    if (range.starts_with("bytes=")) {
      uint64_t a = std::stoull(range.substr(6));
      if (a >= o.data.size()) {
        return Fail(res, 416, "requestedRangeNotSatisfiable", "The requested range cannot be satisfied.");
      }
      // cpp-httplib itself cuts the range out of a 200 reply and answers 206 with Content-Range.
    }
    res.set_content(o.data, "application/octet-stream");
  });

  s.Get(R"(/storage/v1/b/([^/]+)/o)", [this, check_bucket](const httplib::Request& req, httplib::Response& res) {
    if (!check_bucket(req.matches[1], res)) return;
    std::string prefix = req.get_param_value("prefix");
    std::string delim = req.get_param_value("delimiter");
    std::string token = req.get_param_value("pageToken");
    std::lock_guard<std::mutex> lock(mu_);
    // Flatten into a sorted sequence of entries (objects, and prefixes when a delimiter is given).
    std::vector<std::pair<std::string, bool>> entries;  // name, is_prefix
    std::string last_prefix;
    for (const auto& [name, o] : objects_) {
      if (!name.starts_with(prefix)) continue;
      if (!delim.empty()) {
        auto d = name.find(delim, prefix.size());
        if (d != std::string::npos) {
          std::string p = name.substr(0, d + delim.size());
          if (p != last_prefix) entries.emplace_back(p, true);
          last_prefix = p;
          continue;
        }
      }
      entries.emplace_back(name, false);
    }
    size_t start = 0;
    if (!token.empty()) {
      auto decoded = Base64Decode(token);
      if (!decoded) return Fail(res, 400, "invalid", "Invalid page token.");
      while (start < entries.size() && entries[start].first <= *decoded) ++start;
    }
    json out = {{"kind", "storage#objects"}};
    json items = json::array(), prefixes = json::array();
    size_t i = start;
    size_t page = req.has_param("maxResults") ? std::stoul(req.get_param_value("maxResults"))
                                               : static_cast<size_t>(page_size_);
    for (; i < entries.size() && i < start + page; ++i) {
      if (entries[i].second) prefixes.push_back(entries[i].first);
      else items.push_back(json::parse(Metadata(entries[i].first, objects_.at(entries[i].first))));
    }
    if (!items.empty()) out["items"] = items;
    if (!prefixes.empty()) out["prefixes"] = prefixes;
    if (i < entries.size()) out["nextPageToken"] = Base64Encode(entries[i - 1].first);
    res.set_content(out.dump(), "application/json; charset=UTF-8");
  });

  s.Delete(R"(/storage/v1/b/([^/]+)/o/(.+))", [this, check_bucket](const httplib::Request& req, httplib::Response& res) {
    if (!check_bucket(req.matches[1], res)) return;
    std::string name = req.matches[2];
    std::lock_guard<std::mutex> lock(mu_);
    if (!objects_.erase(name)) return Fail(res, 404, "notFound", "No such object: " + bucket() + "/" + name);
    res.status = 204;
  });

  s.Post(R"(/upload/storage/v1/b/([^/]+)/o)", [this, check_bucket](const httplib::Request& req, httplib::Response& res) {
    if (!check_bucket(req.matches[1], res)) return;
    if (req.get_param_value("uploadType") != "resumable") {
      return Fail(res, 400, "invalid", "Only uploadType=resumable is implemented by this fake.");
    }
    auto meta = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
    if (!meta.is_object()) return Fail(res, 400, "parseError", "Parse Error");
    std::string name = req.has_param("name") ? req.get_param_value("name") : meta.value("name", "");
    if (name.empty()) return Fail(res, 400, "required", "Required");
    std::string sc = meta.value("storageClass", "");
    if (!sc.empty() && sc != "STANDARD" && sc != "NEARLINE" && sc != "COLDLINE" && sc != "ARCHIVE") {
      return Fail(res, 400, "invalid", "Invalid argument: storageClass " + sc);
    }
    std::lock_guard<std::mutex> lock(mu_);
    std::string id = "upl-" + std::to_string(next_id_++);
    sessions_[id] = Session{name, meta.value("storageClass", ""), "", ""};
    // Absolute session URI on the host the client used (which may be a proxy in front of us).
    res.set_header("Location", "http://" + req.get_header_value("Host") + "/upload/storage/v1/b/" + bucket() +
                                   "/o?uploadType=resumable&name=" + http::UrlEncode(name) + "&upload_id=" + id);
    res.status = 200;
  });

  auto session_put = [this](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.get_param_value("upload_id");
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return Fail(res, 404, "notFound", "No such upload session.");
    Session& sess = it->second;
    if (!sess.result.empty()) {  // Google answers a completed session with the object again
      res.status = 200;
      res.set_content(sess.result, "application/json; charset=UTF-8");
      return;
    }
    std::string cr = req.get_header_value("Content-Range");
    if (!cr.starts_with("bytes ")) return Fail(res, 400, "invalid", "Missing or bad Content-Range.");
    std::string spec = cr.substr(6);
    auto slash = spec.find('/');
    std::string range = spec.substr(0, slash), total_s = spec.substr(slash + 1);
    if (range != "*") {
      uint64_t a = std::stoull(range), b = std::stoull(range.substr(range.find('-') + 1));
      if (b + 1 - a != req.body.size()) return Fail(res, 400, "invalid", "Content-Range does not match the body size.");
      if (a > sess.data.size()) return Fail(res, 400, "invalid", "Upload offset is past the persisted data.");
      // Overlapping resend: keep what we have, append the rest.
      sess.data.resize(a);
      sess.data += req.body;
      if (total_s == "*" && req.body.size() % (256 * 1024) != 0) {
        return Fail(res, 400, "invalid", "Non-final chunk size must be a multiple of 256 KiB.");
      }
    }
    if (total_s == "*") {
      res.status = 308;
      if (!sess.data.empty()) res.set_header("Range", "bytes=0-" + std::to_string(sess.data.size() - 1));
      return;
    }
    uint64_t total = std::stoull(total_s);
    if (total != sess.data.size()) {
      res.status = 308;  // not everything arrived yet
      if (!sess.data.empty()) res.set_header("Range", "bytes=0-" + std::to_string(sess.data.size() - 1));
      return;
    }
    std::string hash = req.get_header_value("X-Goog-Hash");
    if (hash.starts_with("md5=") && hash.substr(4) != Base64Encode(storage::Md5::Of(sess.data))) {
      sessions_.erase(it);
      return Fail(res, 400, "invalid", "Provided MD5 hash \"" + hash.substr(4) +
                                           "\" doesn't match calculated MD5 hash.");
    }
    Object o{sess.data, next_generation_++, sess.storage_class, NowRfc3339(), storage::Md5::Of(sess.data)};
    objects_[sess.name] = o;
    sess.result = Metadata(sess.name, o);
    sess.data.clear();
    res.status = 200;
    res.set_content(sess.result, "application/json; charset=UTF-8");
  };
  s.Put(R"(/upload/storage/v1/b/([^/]+)/o)", session_put);
  s.Delete(R"(/upload/storage/v1/b/([^/]+)/o)", [this](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu_);
    sessions_.erase(req.get_param_value("upload_id"));
    res.status = 499;  // what Google answers to a cancelled upload
  });
}

}  // namespace aero::testing
