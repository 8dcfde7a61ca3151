// ApiServer: routes, conventions and listeners of the REST API (api_server.h).
#include "service/api/api_server.h"

#include <httplib.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <future>
#include <limits>
#include <mutex>

#include "service/api/backup_json.h"
#include "service/api/rate_limiter.h"
#include "service/api/yaml_json.h"
#include "service/config/config_io.h"

namespace aero::service::api {

using model::ApiError;
using model::BackupOperations;
using model::BackupType;
using model::BackupTypeName;
using model::ConfigStore;
using model::EntityKind;
using model::RestoreJobId;
using model::TimeBounds;

namespace {

using ojson = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// Per-request bookkeeping shared by the pre-routing handler, the dispatcher and the logger; httplib
// runs all three for one request on the same worker thread.
constexpr size_t kWorkerThreads = 32;

thread_local Clock::time_point tls_start;
thread_local std::string tls_route;

void TextError(ApiResponse& res, int status, const std::string& message) {
  res.status = status;
  res.content_type = "text/plain; charset=utf-8";
  res.headers.emplace_back("X-Content-Type-Options", "nosniff");
  res.body = message + "\n";
}
void Error(ApiResponse& res, const ApiError& e) { TextError(res, e.http_status, e.message); }

void Json(ApiResponse& res, int status, const ojson& body) {
  res.status = status;
  res.content_type = "application/json";
  res.body = body.dump();
}

// Seam errors → HTTP (model/operations.h).
void SeamError(ApiResponse& res, const Status& st) {
  int code = 500;
  switch (st.code()) {
    case ErrorCode::kInvalidArgument: code = 400; break;
    case ErrorCode::kNotFound: code = 404; break;
    case ErrorCode::kAlreadyExists: code = 409; break;
    case ErrorCode::kUnsupported: code = 503; break;
    default: break;
  }
  TextError(res, code, st.message());
}

bool BodyIsBlank(const std::string& body) {
  return body.find_first_not_of(" \t\r\n") == std::string::npos;
}

// 400 "request body is empty" unless there is a body; true when the handler may go on.
bool RequireBody(const ApiRequest& req, ApiResponse& res) {
  if (!BodyIsBlank(req.body)) return true;
  TextError(res, 400, "request body is empty");
  return false;
}

// Decimal epoch-ms (or delay) query values: digits only.
Result<std::optional<int64_t>> QueryMs(const ApiRequest& req, const std::string& key, const std::string& what) {
  if (!req.HasQuery(key)) return std::optional<int64_t>();
  const std::string v = req.Query(key);
  if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
    return Status(ErrorCode::kInvalidArgument, what + ": " + key + " must be a non-negative integer, got \"" + v + "\"");
  }
  return std::optional<int64_t>(std::stoll(v));
}

Result<RestoreJobId> ParseJobId(const std::string& s) {
  if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) {
    return Status(ErrorCode::kInvalidArgument, "invalid job id \"" + s + "\": expected a non-negative integer");
  }
  try {
    return static_cast<RestoreJobId>(std::stoll(s));
  } catch (const std::exception&) {
    return Status(ErrorCode::kInvalidArgument, "invalid job id \"" + s + "\": out of range");
  }
}

std::string NormalizeContextPath(std::string cp) {
  while (cp.size() > 1 && cp.back() == '/') cp.pop_back();
  return cp == "/" ? std::string() : cp;
}

const char* kApiDocsHtml = R"(<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Aerospike Backup Service API</title></head>
<body>
<h1>Aerospike Backup Service REST API</h1>
<p>OpenAPI 3 document: <a href="openapi.yaml">openapi.yaml</a> | <a href="openapi.json">openapi.json</a></p>
<p>Load either file into any OpenAPI viewer (Swagger UI, Redoc) to browse the endpoints.</p>
</body>
</html>
)";

struct KindRoute {
  const char* segment;  // path segment under /v1/config
  EntityKind kind;
};
constexpr KindRoute kKinds[] = {{"clusters", EntityKind::kCluster},
                                {"storage", EntityKind::kStorage},
                                {"policies", EntityKind::kPolicy},
                                {"routines", EntityKind::kRoutine},
                                {"secret-agents", EntityKind::kSecretAgent}};

}  // namespace

struct ApiServer::Listener {
  std::unique_ptr<httplib::Server> server;
  std::unique_ptr<RateLimiter> limiter;
  std::string context_path;
  std::thread thread;
  std::future<void> finished;  // ready when listen_after_bind() returned
};

// ---- the HTTPS listener's certificate (service.https cert-file / key-file, reloaded) ----
namespace {

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += (out.empty() ? "" : "; ") + std::string(buf);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// A certificate or key file is a few KiB; anything this big is not one (and is not read whole).
constexpr size_t kMaxPemFileBytes = 1u << 20;

Result<std::string> ReadPemFile(const std::string& path, const std::string& what) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(fopen(path.c_str(), "rb"), fclose);
  if (!f) return Status(ErrorCode::kIo, what + " " + path + ": cannot open: " + std::strerror(errno));
  std::string out;
  char buf[16384];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f.get())) > 0) {
    out.append(buf, n);
    if (out.size() > kMaxPemFileBytes) {
      return Status(ErrorCode::kInvalidArgument, what + " " + path + ": larger than 1 MiB, not a PEM file");
    }
  }
  if (ferror(f.get())) return Status(ErrorCode::kIo, what + " " + path + ": read error: " + std::strerror(errno));
  return out;
}

// The passphrase of an encrypted key. Without one the callback refuses, so OpenSSL never falls
// back to prompting on the terminal.
int PassphraseCallback(char* buf, int size, int, void* user) {
  const auto* password = static_cast<const std::string*>(user);
  if (password == nullptr || password->empty() || password->size() > static_cast<size_t>(size)) return -1;
  std::memcpy(buf, password->data(), password->size());
  return static_cast<int>(password->size());
}

// "CN=...,O=..., serial 0A1B" for log lines.
std::string Describe(X509* cert) {
  std::string out = "subject ";
  char name[512];
  X509_NAME_oneline(X509_get_subject_name(cert), name, sizeof name);
  out += name;
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      out += std::string(", serial ") + hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  return out;
}

// SHA-256 over both files' contents: what the watcher last looked at, without keeping key bytes.
std::string ContentDigest(const std::string& cert_pem, const std::string& key_pem) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  const uint64_t cert_size = cert_pem.size();  // so moving bytes from one file to the other is a change
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), &cert_size, sizeof cert_size) != 1 ||
      EVP_DigestUpdate(ctx.get(), cert_pem.data(), cert_pem.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), key_pem.data(), key_pem.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) {
    ERR_clear_error();
    return cert_pem + key_pem;  // cannot happen with a working libcrypto; still a faithful "state"
  }
  return std::string(reinterpret_cast<const char*>(md), len);
}

}  // namespace

// A certificate chain and its private key, checked to belong together. Immutable once built;
// handshakes take references (SSL_use_cert_and_key up-refs), so a replaced pair is freed safely.
struct CertPair {
  X509* leaf = nullptr;
  STACK_OF(X509)* chain = nullptr;  // the certificates after the leaf in cert-file (may be empty)
  EVP_PKEY* key = nullptr;
  std::string description;  // Describe(leaf)
  CertPair() = default;
  CertPair(const CertPair&) = delete;
  CertPair& operator=(const CertPair&) = delete;
  ~CertPair() {
    X509_free(leaf);
    sk_X509_pop_free(chain, X509_free);
    EVP_PKEY_free(key);
  }
};

namespace {

// Parses cert-file's chain and key-file's key (decrypted with `password` when encrypted) and
// checks that the key is the leaf's. Errors name the file and what is wrong, never the password.
Result<std::shared_ptr<const CertPair>> ParseCertPair(const std::string& cert_pem, const std::string& key_pem,
                                                      const std::string& cert_file, const std::string& key_file,
                                                      const std::string& password) {
  ERR_clear_error();
  auto pair = std::make_shared<CertPair>();
  pair->chain = sk_X509_new_null();
  if (pair->chain == nullptr) return Status(ErrorCode::kInternal, "out of memory");
  {
    std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())),
                                            BIO_free);
    pair->leaf = bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr;
    if (pair->leaf == nullptr) {
      return Status(ErrorCode::kInvalidArgument,
                    "cert-file " + cert_file + ": no PEM certificate could be read: " + OpenSslErrors());
    }
    for (;;) {
      X509* next = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
      if (next == nullptr) {
        // The end of the file ends the chain; anything else is a broken (e.g. half-written) entry.
        unsigned long e = ERR_peek_last_error();
        if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
          ERR_clear_error();
          break;
        }
        return Status(ErrorCode::kInvalidArgument,
                      "cert-file " + cert_file + ": certificate " + std::to_string(sk_X509_num(pair->chain) + 2) +
                          " of the chain cannot be read: " + OpenSslErrors());
      }
      if (sk_X509_push(pair->chain, next) <= 0) {
        X509_free(next);
        return Status(ErrorCode::kInternal, "out of memory");
      }
    }
  }
  {
    std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())),
                                            BIO_free);
    pair->key = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, PassphraseCallback,
                                              const_cast<std::string*>(&password))
                    : nullptr;
    if (pair->key == nullptr) {
      return Status(ErrorCode::kInvalidArgument,
                    "key-file " + key_file +
                        ": no PEM private key could be read (an encrypted key needs the right key-file-password): " +
                        OpenSslErrors());
    }
  }
  if (X509_check_private_key(pair->leaf, pair->key) != 1) {
    ERR_clear_error();
    return Status(ErrorCode::kInvalidArgument,
                  "key-file " + key_file + " does not match the certificate in cert-file " + cert_file);
  }
  pair->description = Describe(pair->leaf);
  return std::shared_ptr<const CertPair>(std::move(pair));
}

}  // namespace

// Holds the HTTPS listener's current pair: every new TLS connection gets it from the certificate
// callback, and a thread re-reads both files every interval, swapping in a changed pair that is
// valid. It looks at the files' contents (a digest), not mtimes, so a same-second rewrite counts and
// an unchanged file is not parsed again; a replacement that failed is logged once, not every poll.
class ApiServer::CertWatcher {
 public:
  CertWatcher(std::string cert_file, std::string key_file, std::string password, std::chrono::milliseconds interval)
      : cert_file_(std::move(cert_file)),
        key_file_(std::move(key_file)),
        password_(std::move(password)),
        interval_(interval) {}
  ~CertWatcher() { Stop(); }
  CertWatcher(const CertWatcher&) = delete;
  CertWatcher& operator=(const CertWatcher&) = delete;

  // The first pair; an error when it cannot be loaded (the listener must not start without one).
  Status LoadInitial() {
    ABS_ASSIGN_OR_RETURN(std::string cert, ReadPemFile(cert_file_, "cert-file"));
    ABS_ASSIGN_OR_RETURN(std::string key, ReadPemFile(key_file_, "key-file"));
    ABS_ASSIGN_OR_RETURN(auto pair, ParseCertPair(cert, key, cert_file_, key_file_, password_));
    seen_ = ContentDigest(cert, key);
    std::lock_guard<std::mutex> lk(pair_mu_);
    current_ = std::move(pair);
    return Status::Ok();
  }

  std::shared_ptr<const CertPair> Current() const {
    std::lock_guard<std::mutex> lk(pair_mu_);
    return current_;
  }

  // From now on every handshake on `ctx` presents the current pair. The watcher must outlive ctx.
  void Install(SSL_CTX& ctx) { SSL_CTX_set_cert_cb(&ctx, &CertWatcher::OnHandshake, this); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }

  // Wakes the thread at once and joins it.
  void Stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  // OpenSSL's certificate callback (server side: after the ClientHello, before the cipher is
  // chosen, so a new key type takes part in the choice). Certificates copied from the SSL_CTX are
  // cleared first: a key of another type than the current one must not stay selectable.
  static int OnHandshake(SSL* ssl, void* arg) {
    std::shared_ptr<const CertPair> pair = static_cast<CertWatcher*>(arg)->Current();
    if (!pair) return 0;
    SSL_certs_clear(ssl);
    if (SSL_use_cert_and_key(ssl, pair->leaf, pair->key, pair->chain, 1) != 1) {
      spdlog::error("https listener: cannot use the certificate for a handshake: {}", OpenSslErrors());
      return 0;  // fails this handshake
    }
    return 1;
  }

  void Run() {
    std::unique_lock<std::mutex> lk(mu_);
    while (!cv_.wait_for(lk, interval_, [this] { return stop_; })) {
      lk.unlock();
      Poll();
      lk.lock();
    }
  }

  void Poll() {
    Result<std::string> cert = ReadPemFile(cert_file_, "cert-file");
    Result<std::string> key = cert.ok() ? ReadPemFile(key_file_, "key-file") : Result<std::string>(cert.status());
    if (!key.ok()) {
      // Unreadable (being replaced, removed, permissions): keep serving; say so once per state.
      const std::string state = "error: " + key.status().message();
      if (state == seen_) return;
      seen_ = state;
      spdlog::error("https listener: certificate not reloaded, still serving the previous one: {}",
                    key.status().message());
      return;
    }
    const std::string state = ContentDigest(*cert, *key);
    if (state == seen_) return;
    seen_ = state;
    auto pair = ParseCertPair(*cert, *key, cert_file_, key_file_, password_);
    if (!pair.ok()) {
      spdlog::error("https listener: certificate not reloaded, still serving the previous one: {}",
                    pair.status().message());
      return;
    }
    const std::string description = (*pair)->description;
    {
      std::lock_guard<std::mutex> lk(pair_mu_);
      current_ = std::move(pair).value();
    }
    spdlog::info("https listener: certificate reloaded from {} and {}: {}", cert_file_, key_file_, description);
  }

  const std::string cert_file_, key_file_, password_;
  const std::chrono::milliseconds interval_;
  std::string seen_;  // digest (or read error) of what was last looked at; watcher thread only

  mutable std::mutex pair_mu_;
  std::shared_ptr<const CertPair> current_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

ApiServer::ApiServer(ConfigStore& store, BackupOperations& ops, metrics::Registry& registry,
                     metrics::AbsMetrics& metrics, std::string version)
    : store_(store), ops_(ops), registry_(registry), metrics_(metrics), version_(std::move(version)) {
  auto j = YamlToJson(kOpenApiYaml);
  openapi_json_ = j.ok() ? j->dump() : std::string("{}");
  if (!j.ok()) spdlog::error("embedded OpenAPI document does not parse: {}", j.status().message());
  RegisterRoutes();
}

ApiServer::~ApiServer() { Stop(); }

std::vector<std::string> ApiServer::RouteList() const {
  std::vector<std::string> out;
  for (const auto& r : router_.routes()) out.push_back(r.method + " " + r.pattern);
  return out;
}

void ApiServer::RegisterRoutes() {
  RegisterSystemRoutes();
  RegisterConfigRoutes();
  RegisterBackupRoutes();
}

// ---- system routes (#1–#6) ----
void ApiServer::RegisterSystemRoutes() {
  router_.Add("GET", "/", [](const ApiRequest&, ApiResponse& res) { res.status = 200; });
  auto ok = [](const ApiRequest&, ApiResponse& res) {
    res.status = 200;
    res.content_type = "text/plain; charset=utf-8";
    res.body = "Ok";
  };
  router_.Add("GET", "/health", ok);
  router_.Add("GET", "/ready", ok);
  router_.Add("GET", "/version", [this](const ApiRequest&, ApiResponse& res) {
    res.status = 200;
    res.content_type = "text/plain; charset=utf-8";
    res.body = version_;
  });
  router_.Add("GET", "/metrics", [this](const ApiRequest&, ApiResponse& res) {
    res.status = 200;
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    res.body = registry_.Exposition();
  });
  auto html = [](const ApiRequest&, ApiResponse& res) {
    res.status = 200;
    res.content_type = "text/html; charset=utf-8";
    res.body = kApiDocsHtml;
  };
  router_.Add("GET", "/api-docs/", html);
  router_.Add("GET", "/api-docs/index.html", html);
  router_.Add("GET", "/api-docs/openapi.yaml", [](const ApiRequest&, ApiResponse& res) {
    res.status = 200;
    res.content_type = "application/yaml";
    res.body = kOpenApiYaml;
  });
  auto json_doc = [this](const ApiRequest&, ApiResponse& res) {
    res.status = 200;
    res.content_type = "application/json";
    res.body = openapi_json_;
  };
  router_.Add("GET", "/api-docs/openapi.json", json_doc);
  router_.Add("GET", "/api-docs/doc.json", json_doc);  // where ABS's swagger UI finds its document
}

// ---- configuration routes (#7–#19) ----
void ApiServer::RegisterConfigRoutes() {
  router_.Add("GET", "/v1/config", [this](const ApiRequest&, ApiResponse& res) {
    Json(res, 200, ConfigToJson(store_.Snapshot(), /*redacted=*/true));
  });
  router_.Add("PUT", "/v1/config", [this](const ApiRequest& req, ApiResponse& res) {
    if (!RequireBody(req, res)) return;
    auto parsed = ParseConfigJson(req.body);
    if (!parsed.ok()) return TextError(res, 400, parsed.status().message());
    for (const auto& w : parsed->warnings) spdlog::warn("PUT /v1/config: ABS 2.0 form converted: {}", w.ToString());
    ApiError e = store_.ReplaceAll(std::move(parsed->config));
    if (!e.ok()) return Error(res, e);
    res.status = 200;
  });
  router_.Add("POST", "/v1/config/apply", [this](const ApiRequest&, ApiResponse& res) {
    ApiError e = store_.Reload();
    if (!e.ok()) return Error(res, e);
    res.status = 200;
  });

  for (const auto& k : kKinds) {
    const std::string base = std::string("/v1/config/") + k.segment;
    const EntityKind kind = k.kind;
    router_.Add("GET", base, [this, kind](const ApiRequest&, ApiResponse& res) {
      Json(res, 200, store_.GetCollection(kind));
    });
    router_.Add("GET", base + "/{name}", [this, kind](const ApiRequest& req, ApiResponse& res) {
      auto e = store_.GetEntity(kind, req.Param("name"));
      if (!e.ok()) return TextError(res, 404, e.status().message());
      Json(res, 200, *e);
    });
    router_.Add("POST", base + "/{name}", [this, kind](const ApiRequest& req, ApiResponse& res) {
      if (!RequireBody(req, res)) return;
      ApiError e = store_.AddEntity(kind, req.Param("name"), req.body);
      if (!e.ok()) return Error(res, e);
      res.status = 201;
    });
    router_.Add("PUT", base + "/{name}", [this, kind](const ApiRequest& req, ApiResponse& res) {
      if (!RequireBody(req, res)) return;
      ApiError e = store_.UpdateEntity(kind, req.Param("name"), req.body);
      if (!e.ok()) return Error(res, e);
      res.status = 200;
    });
    router_.Add("DELETE", base + "/{name}", [this, kind](const ApiRequest& req, ApiResponse& res) {
      ApiError e = store_.DeleteEntity(kind, req.Param("name"));
      if (!e.ok()) return Error(res, e);
      res.status = 204;
    });
  }
  // Connectivity probe for a cluster body (intermediate ABS 3.x builds): the body is read as POST
  // /v1/config/clusters/{name} reads it, validated alone, then connected to. Registered before the
  // collection routes' {name} patterns; the more literal pattern wins anyway (router.h).
  router_.Add("POST", "/v1/config/clusters/check-connectivity", [this](const ApiRequest& req, ApiResponse& res) {
    if (!RequireBody(req, res)) return;
    std::vector<ConfigIssue> warnings;
    auto cluster = ClusterFromJson(req.body, &warnings);
    if (!cluster.ok()) return TextError(res, 400, cluster.status().message());
    for (const auto& w : warnings) spdlog::warn("check-connectivity: ABS 2.0 form converted: {}", w.ToString());
    // "[secret]" (a redacted GET answer sent back) names no stored value here: refused, not sent.
    if (Status st = RestoreRedactedSecrets(*cluster, nullptr); !st.ok()) return TextError(res, 400, st.message());
    Config alone;
    alone.clusters.emplace("check-connectivity", *cluster);
    if (Status st = CheckConfig(alone); !st.ok()) return TextError(res, 400, st.message());
    if (!cluster_probe_) {
      return TextError(res, 503, "cluster connectivity check not available: no cluster client in this build");
    }
    Status st = cluster_probe_(*cluster);
    if (!st.ok()) {
      spdlog::info("check-connectivity: {}", st.message());
      return TextError(res, 500, "cluster connectivity check failed: " + st.message());
    }
    res.status = 200;
  });

  for (bool disable : {false, true}) {
    router_.Add("PUT", std::string("/v1/config/routines/{name}/") + (disable ? "disable" : "enable"),
                [this, disable](const ApiRequest& req, ApiResponse& res) {
                  ApiError e = store_.SetRoutineDisabled(req.Param("name"), disable);
                  if (!e.ok()) return Error(res, e);
                  // Disabling also cancels running backups of the routine (ABS 3.x).
                  if (disable) {
                    Status st = ops_.CancelBackups(req.Param("name"));
                    if (!st.ok() && st.code() != ErrorCode::kUnsupported) {
                      spdlog::warn("routine \"{}\" disabled, but cancelling its running backups failed: {}",
                                   req.Param("name"), st.message());
                    }
                  }
                  res.status = 204;
                });
  }
}

// ---- backup and restore routes (#20–#35), all through BackupOperations ----
void ApiServer::RegisterBackupRoutes() {
  auto routine_exists = [this](const std::string& name) { return store_.Snapshot().routines.count(name) > 0; };
  auto not_found = [](ApiResponse& res, const std::string& name) {
    TextError(res, 404, "routine \"" + name + "\" not found");
  };
  auto bounds = [](const ApiRequest& req) -> Result<TimeBounds> {
    TimeBounds b;
    ABS_ASSIGN_OR_RETURN(b.from_ms, QueryMs(req, "from", "invalid query param time bounds"));
    ABS_ASSIGN_OR_RETURN(b.to_ms, QueryMs(req, "to", "invalid query param time bounds"));
    if (b.from_ms && b.to_ms && *b.from_ms > *b.to_ms) {
      return Status(ErrorCode::kInvalidArgument, "invalid query param time bounds: from is after to");
    }
    return b;
  };

  for (BackupType type : {BackupType::kFull, BackupType::kIncremental}) {
    const std::string base = std::string("/v1/backups/") + BackupTypeName(type);
    router_.Add("GET", base, [this, type, bounds](const ApiRequest& req, ApiResponse& res) {
      auto b = bounds(req);
      if (!b.ok()) return TextError(res, 400, b.status().message());
      ojson out = ojson::object();
      for (const auto& [name, _] : store_.Snapshot().routines) {
        auto list = ops_.ListBackups(name, type, *b);
        if (!list.ok()) return SeamError(res, list.status());
        ojson arr = ojson::array();
        for (const auto& d : *list) arr.push_back(BackupDetailsToJson(d));
        out[name] = std::move(arr);
      }
      Json(res, 200, out);
    });
    router_.Add("GET", base + "/{name}",
                [this, type, bounds, routine_exists, not_found](const ApiRequest& req, ApiResponse& res) {
                  const std::string& name = req.Param("name");
                  auto b = bounds(req);
                  if (!b.ok()) return TextError(res, 400, b.status().message());
                  if (!routine_exists(name)) return not_found(res, name);
                  auto list = ops_.ListBackups(name, type, *b);
                  if (!list.ok()) return SeamError(res, list.status());
                  ojson arr = ojson::array();
                  for (const auto& d : *list) arr.push_back(BackupDetailsToJson(d));
                  Json(res, 200, arr);
                });
  }

  auto trigger = [this, routine_exists, not_found](BackupType type) {
    return [this, type, routine_exists, not_found](const ApiRequest& req, ApiResponse& res) {
      const std::string& name = req.Param("name");
      auto delay = QueryMs(req, "delay", "invalid delay");
      if (!delay.ok()) return TextError(res, 400, delay.status().message());
      if (!routine_exists(name)) return not_found(res, name);
      // ABS 3.5+: at least 50 ms, so an immediate trigger is not lost by the scheduler.
      auto ms = std::chrono::milliseconds(std::max<int64_t>(50, delay->value_or(0)));
      Status st = ops_.TriggerBackup(name, type, ms);
      if (!st.ok()) return SeamError(res, st);
      res.status = 202;
    };
  };
  router_.Add("POST", "/v1/backups/full/{name}", trigger(BackupType::kFull));
  router_.Add("POST", "/v1/backups/incremental/{name}", trigger(BackupType::kIncremental));
  router_.Add("POST", "/v1/backups/schedule/{name}", trigger(BackupType::kFull));  // deprecated alias
  // Deprecated alias of incremental on-demand (intermediate ABS 3.x builds).
  router_.Add("POST", "/v1/backups/schedule/incremental/{name}", trigger(BackupType::kIncremental));

  router_.Add("GET", "/v1/backups/currentBackup/{name}",
              [this, routine_exists, not_found](const ApiRequest& req, ApiResponse& res) {
                const std::string& name = req.Param("name");
                if (!routine_exists(name)) return not_found(res, name);
                auto st = ops_.CurrentBackups(name);
                if (!st.ok()) return SeamError(res, st.status());
                Json(res, 200, RoutineStateToJson(*st));
              });
  router_.Add("POST", "/v1/backups/cancel/{name}",
              [this, routine_exists, not_found](const ApiRequest& req, ApiResponse& res) {
                const std::string& name = req.Param("name");
                if (!routine_exists(name)) return not_found(res, name);
                Status st = ops_.CancelBackups(name);
                if (!st.ok()) return SeamError(res, st);
                res.status = 202;
              });

  // Named references of a restore request must exist in the running configuration.
  auto check_refs = [this](const std::string& dest, const std::string& src, const std::string& agent) -> Status {
    Config c = store_.Snapshot();
    if (!dest.empty() && !c.clusters.count(dest)) {
      return Status(ErrorCode::kInvalidArgument, "cluster \"" + dest + "\" not found");
    }
    if (!src.empty() && !c.storage.count(src)) {
      return Status(ErrorCode::kInvalidArgument, "storage \"" + src + "\" not found");
    }
    if (!agent.empty() && !c.secret_agents.count(agent)) {
      return Status(ErrorCode::kInvalidArgument, "secret agent \"" + agent + "\" not found");
    }
    return Status::Ok();
  };
  auto job_id = [](ApiResponse& res, RestoreJobId id) {
    res.status = 202;
    res.content_type = "application/json";
    res.body = std::to_string(id);
  };
  auto restore = [this, check_refs, job_id](const ApiRequest& req, ApiResponse& res) {
    if (!RequireBody(req, res)) return;
    auto r = ParseRestoreRequest(req.body);
    if (!r.ok()) return TextError(res, 400, r.status().message());
    if (Status st = check_refs(r->destination_name, r->source_name, r->secret_agent_name); !st.ok()) {
      return TextError(res, 400, st.message());
    }
    auto id = ops_.Restore(*r);
    if (!id.ok()) return SeamError(res, id.status());
    job_id(res, *id);
  };
  router_.Add("POST", "/v1/restore/full", restore);
  router_.Add("POST", "/v1/restore/incremental", restore);
  router_.Add("POST", "/v1/restore/timestamp", [this, check_refs, job_id](const ApiRequest& req, ApiResponse& res) {
    if (!RequireBody(req, res)) return;
    auto r = ParseRestoreTimestampRequest(req.body);
    if (!r.ok()) return TextError(res, 400, r.status().message());
    if (Status st = check_refs(r->destination_name, r->source_name, r->secret_agent_name); !st.ok()) {
      return TextError(res, 400, st.message());
    }
    // The routine may be unknown here only when both source and destination are given (cross-region DR).
    const bool overrides = (r->source || !r->source_name.empty()) && (r->destination || !r->destination_name.empty());
    if (!overrides && !store_.Snapshot().routines.count(r->routine)) {
      return TextError(res, 404, "routine \"" + r->routine + "\" not found");
    }
    auto id = ops_.RestoreByTime(*r);
    if (!id.ok()) return SeamError(res, id.status());
    job_id(res, *id);
  });
  router_.Add("GET", "/v1/restore/status/{jobId}", [this](const ApiRequest& req, ApiResponse& res) {
    auto id = ParseJobId(req.Param("jobId"));
    if (!id.ok()) return TextError(res, 400, id.status().message());
    auto st = ops_.RestoreStatus(*id);
    if (!st.ok()) return SeamError(res, st.status());
    Json(res, 200, RestoreJobStatusToJson(*st));
  });
  router_.Add("GET", "/v1/restore/jobs", [this](const ApiRequest& req, ApiResponse& res) {
    auto filter = ParseRestoreJobFilter(req.Query("from"), req.Query("to"), req.Query("status"));
    if (!filter.ok()) return TextError(res, 400, filter.status().message());
    auto jobs = ops_.RestoreJobs();
    if (!jobs.ok()) return SeamError(res, jobs.status());
    ojson out = ojson::object();
    for (const auto& [id, s] : *jobs) {
      if (filter->Matches(s)) out[std::to_string(id)] = RestoreJobStatusToJson(s);
    }
    Json(res, 200, out);
  });
  router_.Add("POST", "/v1/restore/cancel/{jobId}", [this](const ApiRequest& req, ApiResponse& res) {
    auto id = ParseJobId(req.Param("jobId"));
    if (!id.ok()) return TextError(res, 400, id.status().message());
    Status st = ops_.CancelRestore(*id);
    if (!st.ok()) return SeamError(res, st);
    res.status = 202;
  });
  router_.Add("GET", "/v1/retrieve/configuration/{name}/{timestamp}",
              [this, routine_exists, not_found](const ApiRequest& req, ApiResponse& res) {
                const std::string& name = req.Param("name");
                const std::string& ts = req.Param("timestamp");
                if (ts.size() > 18 || ts.find_first_not_of("0123456789") != std::string::npos) {
                  return TextError(res, 400, "invalid timestamp \"" + ts + "\": expected epoch milliseconds");
                }
                if (!routine_exists(name)) return not_found(res, name);
                auto files = ops_.RetrieveConfiguration(name, std::stoll(ts));
                if (!files.ok()) return SeamError(res, files.status());
                res.status = 200;
                res.content_type = "application/zip";
                res.headers.emplace_back("Content-Disposition", "attachment; filename=\"archive.zip\"");
                res.body = ZipStore(*files);
              });
}

// ---- listeners ----
ListenerTimeouts TimeoutsFor(const ListenerConfig& cfg) {
  using std::chrono::milliseconds;
  ListenerTimeouts t;
  // httplib applies one timeout to every single socket read (header and body alike) and has no
  // whole-request deadline. Go's ReadHeaderTimeout (`timeout`) is the shorter of the two in every
  // sane configuration, and it is what stops a client that sends half a header and stalls, so the
  // per-read timeout is the smaller positive one. 0 means "not set" in Go (header timeout falls back
  // to read-timeout, read-timeout to none); we never read without a timeout, so both 0 → default.
  const int64_t header = cfg.EffectiveTimeoutMs();
  const int64_t read = cfg.EffectiveReadTimeoutMs();
  int64_t per_read = 0;
  if (header > 0 && read > 0) per_read = std::min(header, read);
  else if (header > 0) per_read = header;
  else if (read > 0) per_read = read;
  else per_read = kDefaultHttpReadTimeoutMs;
  t.read = milliseconds(per_read);
  const int64_t write = cfg.EffectiveWriteTimeoutMs();
  t.write = milliseconds(write > 0 ? write : kDefaultHttpWriteTimeoutMs);
  // Go: idle-timeout 0 → read-timeout. httplib counts the keep-alive wait in whole seconds (rounded
  // up here) and holds a worker thread per waiting connection, so idle clients could starve the
  // pool for ABS's default 120 s: the wait is capped at kMaxKeepAliveSeconds.
  int64_t idle = cfg.EffectiveIdleTimeoutMs();
  if (idle <= 0) idle = per_read;
  const int64_t idle_s = std::max<int64_t>(1, (idle + 999) / 1000);
  t.keep_alive_seconds = std::min<int64_t>(idle_s, kMaxKeepAliveSeconds);
  t.idle_capped = cfg.idle_timeout_ms.has_value() && idle_s > kMaxKeepAliveSeconds;
  return t;
}

Status ApiServer::AddListener(std::unique_ptr<httplib::Server> server, const ListenerConfig& cfg, int port,
                              const std::string& scheme) {
  const std::string address = cfg.EffectiveAddress();
  const RateLimit rate = cfg.EffectiveRate();
  auto limiter = RateLimiter::Create(rate.EffectiveTps(), rate.EffectiveSize(), rate.white_list.value_or(
                                                                                      std::vector<std::string>{}));
  if (!limiter.ok()) return limiter.status().WithContext(scheme + " listener rate.white-list");

  auto l = std::make_unique<Listener>();
  l->server = std::move(server);
  l->limiter = std::move(limiter).value();
  l->context_path = NormalizeContextPath(cfg.EffectiveContextPath());
  httplib::Server& s = *l->server;
  RateLimiter* lim = l->limiter.get();
  const std::string cp = l->context_path;

  // httplib's default also sets SO_REUSEPORT, which would let a second service instance bind the same
  // port silently; keep only SO_REUSEADDR (fast restart) so a port in use is an error.
  s.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_payload_max_length(kMaxBodyBytes);
  const ListenerTimeouts t = TimeoutsFor(cfg);
  s.set_read_timeout(t.read);
  s.set_write_timeout(t.write);
  s.new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  s.set_keep_alive_timeout(t.keep_alive_seconds);
  if (t.idle_capped) {
    spdlog::warn("{} listener: idle-timeout {} ms is served as {} s (keep-alive connections hold a worker thread)",
                 scheme, *cfg.idle_timeout_ms, t.keep_alive_seconds);
  }

  s.set_pre_routing_handler([this, lim](const httplib::Request& req, httplib::Response& res) {
    tls_start = Clock::now();
    tls_route = "unmatched";
    // RFC 9112 §6.3: a request with neither Content-Length nor Transfer-Encoding has no body. httplib
    // 0.11 would instead read until the peer closes (so `curl -X POST .../apply` hung for the read
    // timeout); declaring the empty body fixes that. The Request object is httplib's mutable local.
    auto& mreq = const_cast<httplib::Request&>(req);
    if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) {
      mreq.set_header("Content-Length", "0");
    }
    // ABS reads every body as JSON whatever the Content-Type. httplib would treat form types itself
    // (413 above 8 KiB for x-www-form-urlencoded, `curl -d`'s default; multipart parsed away), so
    // they are relabelled as JSON before the body is read.
    const std::string ct = req.get_header_value("Content-Type");
    if (ct.rfind("application/x-www-form-urlencoded", 0) == 0 || ct.rfind("multipart/form-data", 0) == 0) {
      mreq.headers.erase("Content-Type");
      mreq.set_header("Content-Type", "application/json");
    }
    if (lim->Allow(req.remote_addr)) return httplib::Server::HandlerResponse::Unhandled;
    metrics_.http_rate_limited_total.Get().Inc();
    res.status = 429;
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content("Too Many Requests\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  });

  auto dispatch = [this, cp](const httplib::Request& hreq, httplib::Response& hres) {
    ApiResponse res;
    std::string path = hreq.path;
    bool inside = cp.empty() || path == cp ||
                  (path.size() > cp.size() && path.compare(0, cp.size(), cp) == 0 && path[cp.size()] == '/');
    Router::Match m;
    if (inside) {
      path = path.substr(cp.size());
      if (path.empty()) path = "/";
      m = router_.Find(hreq.method, path);
    }
    if (m.kind == Router::MatchKind::kNotFound) {
      TextError(res, 404, "404 page not found");
    } else if (m.kind == Router::MatchKind::kMethodNotAllowed) {
      std::string allow;
      for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
      if (std::find(m.allowed.begin(), m.allowed.end(), "GET") != m.allowed.end()) allow += ", HEAD";
      res.headers.emplace_back("Allow", allow);
      TextError(res, 405, "Method Not Allowed");
    } else {
      tls_route = m.route->pattern;
      ApiRequest req;
      req.method = hreq.method;
      req.path = path;
      req.route = m.route->pattern;
      req.params = std::move(m.params);
      for (const auto& [k, v] : hreq.params) req.query.emplace(k, v);
      req.body = hreq.body;
      req.remote_addr = hreq.remote_addr;
      try {
        m.route->handler(req, res);
      } catch (const std::exception& e) {
        spdlog::error("{} {}: unexpected exception: {}", hreq.method, hreq.path, e.what());
        res = ApiResponse{};
        TextError(res, 500, std::string("internal error: ") + e.what());
      }
    }
    hres.status = res.status;
    for (const auto& [k, v] : res.headers) hres.set_header(k, v);
    if (!res.body.empty() || !res.content_type.empty()) {
      hres.set_content(res.body, res.content_type.empty() ? "text/plain; charset=utf-8" : res.content_type.c_str());
    }
  };
  for (const char* pattern : {".*"}) {
    s.Get(pattern, dispatch);
    s.Post(pattern, dispatch);
    s.Put(pattern, dispatch);
    s.Delete(pattern, dispatch);
    s.Patch(pattern, dispatch);
    s.Options(pattern, dispatch);
  }
  // httplib-generated errors (413 body too large, 400 malformed request) get ABS-style text bodies.
  s.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string msg = res.status == 413 ? "request body too large"
                      : res.status == 400 ? "bad request"
                                          : "HTTP status " + std::to_string(res.status);
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(msg + "\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  }));
  // Metrics are recorded before the response is written (post-routing runs for every response,
  // including 404/405/413/429), so a client never sees /metrics lag behind its own requests.
  s.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    double secs = std::chrono::duration<double>(Clock::now() - tls_start).count();
    const std::string route = tls_route.empty() ? std::string("unmatched") : tls_route;
    metrics_.http_requests_total.WithLabels({req.method, route, std::to_string(res.status)}).Inc();
    metrics_.http_request_duration_seconds.WithLabels({req.method, route}).Observe(secs);
  });
  s.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    double secs = std::chrono::duration<double>(Clock::now() - tls_start).count();
    spdlog::debug("http {} {} from {} -> {} in {:.3f} ms", req.method, req.path, req.remote_addr, res.status,
                  secs * 1000);
  });
  if (!s.is_valid()) {
    return Status(ErrorCode::kInvalidArgument, scheme + " listener: server could not be set up (TLS certificate/key?)");
  }
  if (!s.bind_to_port(address, port)) {
    return Status(ErrorCode::kIo, scheme + " listener: cannot bind " + address + ":" + std::to_string(port));
  }
  endpoints_.push_back(scheme + "://" + address + ":" + std::to_string(port) + (cp.empty() ? "" : cp));
  std::promise<void> done;
  l->finished = done.get_future();
  l->thread = std::thread([srv = l->server.get(), done = std::move(done)]() mutable {
    srv->listen_after_bind();
    done.set_value();
  });
  listeners_.push_back(std::move(l));
  return Status::Ok();
}

// ---- TLS settings of the HTTPS listener (service.https, ABS 3.7 on Go's crypto/tls) ----
namespace {

// Go's crypto/tls never lets TLS 1.3 suites be chosen; these names only make sense there.
bool IsTls13Suite(const std::string& name) {
  return name == "TLS_AES_128_GCM_SHA256" || name == "TLS_AES_256_GCM_SHA384" ||
         name == "TLS_CHACHA20_POLY1305_SHA256" || name == "TLS_AES_128_CCM_SHA256" ||
         name == "TLS_AES_128_CCM_8_SHA256";
}

// `request` without a CA: ask for a certificate and accept whatever is presented (Go's
// RequestClientCert). The verification result is ignored on purpose.
int AcceptAnyCertificate(int, X509_STORE_CTX*) { return 1; }

}  // namespace

Status ConfigureTls(SSL_CTX& ctx, const HttpsServerConfig& h) {
  ERR_clear_error();
  const std::string min_version = h.EffectiveMinVersion();
  int proto = 0;
  if (min_version == "1.2") proto = TLS1_2_VERSION;
  else if (min_version == "1.3") proto = TLS1_3_VERSION;
  else return Status(ErrorCode::kInvalidArgument, "min-version must be 1.2 or 1.3, got \"" + min_version + "\"");
  if (SSL_CTX_set_min_proto_version(&ctx, proto) != 1) {
    return Status(ErrorCode::kInvalidArgument, "min-version " + min_version + ": " + OpenSslErrors());
  }

  // cipher-suites hold Go (IANA) names such as TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256; OpenSSL knows
  // them as ECDHE-RSA-AES128-GCM-SHA256. OpenSSL's own names are accepted as well.
  if (h.cipher_suites && !h.cipher_suites->empty()) {
    std::string tls12, tls13;
    for (const std::string& name : *h.cipher_suites) {
      if (IsTls13Suite(name)) {
        tls13 += (tls13.empty() ? "" : ":") + name;
        continue;
      }
      std::string openssl_name = OPENSSL_cipher_name(name.c_str());
      if (openssl_name == "(NONE)") openssl_name = name;
      // Each name alone must select exactly that cipher, so a typo is an error, not a silent no-op.
      SSL_CTX* probe = SSL_CTX_new(TLS_server_method());
      bool known = probe && SSL_CTX_set_cipher_list(probe, openssl_name.c_str()) == 1 &&
                   openssl_name.find_first_of(":!+@ ") == std::string::npos;
      if (probe) SSL_CTX_free(probe);
      ERR_clear_error();
      if (!known) {
        return Status(ErrorCode::kInvalidArgument, "cipher-suites: unknown or unsupported cipher suite \"" + name + "\"");
      }
      tls12 += (tls12.empty() ? "" : ":") + openssl_name;
    }
    // TLS 1.2 suites restrict TLS 1.2 as in Go. Go cannot restrict TLS 1.3 at all; OpenSSL can, so
    // TLS 1.3 names, when listed, restrict TLS 1.3 (a list with only 1.2 names leaves 1.3 as is).
    if (!tls12.empty() && SSL_CTX_set_cipher_list(&ctx, tls12.c_str()) != 1) {
      return Status(ErrorCode::kInvalidArgument, "cipher-suites: " + OpenSslErrors());
    }
    if (!tls13.empty() && SSL_CTX_set_ciphersuites(&ctx, tls13.c_str()) != 1) {
      return Status(ErrorCode::kInvalidArgument, "cipher-suites: " + OpenSslErrors());
    }
  }

  const std::string mode = h.EffectiveClientAuth();
  if (h.client_ca_file) {
    if (SSL_CTX_load_verify_locations(&ctx, h.client_ca_file->c_str(), nullptr) != 1) {
      return Status(ErrorCode::kInvalidArgument,
                    "client-ca-file " + *h.client_ca_file + " cannot be loaded: " + OpenSslErrors());
    }
    // The CA names sent in the CertificateRequest, so clients pick the right certificate.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(h.client_ca_file->c_str())) {
      SSL_CTX_set_client_CA_list(&ctx, names);
    }
    ERR_clear_error();
  }
  if (mode == "none") {
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_NONE, nullptr);
  } else if (mode == "request") {
    // With a CA: a presented certificate must verify (Go's VerifyClientCertIfGiven); without: any.
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER, h.client_ca_file ? nullptr : AcceptAnyCertificate);
  } else if (mode == "require-and-verify") {
    if (!h.client_ca_file) {
      return Status(ErrorCode::kInvalidArgument, "client-auth require-and-verify needs client-ca-file");
    }
    SSL_CTX_set_verify(&ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  } else {
    return Status(ErrorCode::kInvalidArgument,
                  "client-auth must be none, request or require-and-verify, got \"" + mode + "\"");
  }
  return Status::Ok();
}

Status ApiServer::Start(const ServiceConfig& service) {
  HttpServerConfig http = service.http.value_or(HttpServerConfig{});
  if (!http.IsDisabled()) {
    Status st = AddListener(std::make_unique<httplib::Server>(), http, http.EffectivePort(), "http");
    if (!st.ok()) {
      Stop();
      return st;
    }
  }
  if (service.https && !service.https->IsDisabled()) {
    const HttpsServerConfig& h = *service.https;
    if (!h.cert_file || !h.key_file) {
      Stop();
      return Status(ErrorCode::kInvalidArgument, "service.https: cert-file and key-file are required");
    }
    std::string password = h.key_file_password.value_or("");
    if (password.rfind(kSecretRefPrefix, 0) == 0) {
      Stop();
      return Status(ErrorCode::kUnsupported,
                    "service.https.key-file-password: an unresolved secrets: reference (the caller resolves it through the Secret Agent)");
    }
    // The pair is loaded and checked here (errors name the file); the context starts with it and
    // the watcher's certificate callback hands every handshake the current one.
    auto watcher = std::make_unique<CertWatcher>(*h.cert_file, *h.key_file, password, cert_poll_interval_);
    if (Status st = watcher->LoadInitial(); !st.ok()) {
      Stop();
      return st.WithContext("https listener");
    }
    // The CA is not given to httplib's constructor: ConfigureTls sets the verification mode itself.
    std::shared_ptr<const CertPair> first = watcher->Current();
    auto server = std::make_unique<httplib::SSLServer>(first->leaf, first->key, nullptr);
    if (!server->is_valid() || server->ssl_context() == nullptr) {
      Stop();
      return Status(ErrorCode::kInvalidArgument, "https listener: cannot set up a TLS context with cert-file " +
                                                     *h.cert_file + " / key-file " + *h.key_file + ": " +
                                                     OpenSslErrors());
    }
    watcher->Install(*server->ssl_context());
    if (Status st = ConfigureTls(*server->ssl_context(), h); !st.ok()) {
      Stop();
      return st.WithContext("https listener");
    }
    Status st = AddListener(std::move(server), h, h.EffectivePort(), "https");
    if (!st.ok()) {
      Stop();
      return st;
    }
    cert_watcher_ = std::move(watcher);  // before any later failure: the running context points at it
    cert_watcher_->Start();
  }
  if (listeners_.empty()) {
    return Status(ErrorCode::kInvalidArgument, "no listener enabled (service.http and service.https are disabled)");
  }
  return Status::Ok();
}

void ApiServer::Stop() {
  if (cert_watcher_) cert_watcher_->Stop();
  for (auto& l : listeners_) {
    // httplib ignores stop() until its accept loop has started, so repeat it until the loop is gone.
    while (l->finished.valid() && l->finished.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
      l->server->stop();
    }
    if (l->thread.joinable()) l->thread.join();
  }
  listeners_.clear();
  cert_watcher_.reset();  // after the listeners: their SSL_CTX's certificate callback points at it
  endpoints_.clear();
}

}  // namespace aero::service::api
