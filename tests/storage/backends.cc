// Backend fixtures: local temp dir, s3rver, azurite and the fake GCS, with their corruption hooks.
#include "tests/storage/backends.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "storage/factory.h"
#include "tests/storage/fake_gcs.h"
#include "tests/support/peers.h"
#include "tests/support/temp_dir.h"

namespace aero::testing {

namespace {

// Flips one byte of the first file under `dir` (recursively) containing `needle`. kNotFound if none.
Status CorruptFileContaining(const std::string& dir, const std::string& needle) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string data = ReadFile(it->path().string());
    auto pos = data.find(needle);
    if (pos == std::string::npos) continue;
    std::fstream f(it->path(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(pos + needle.size() / 2));
    char c = static_cast<char>(data[pos + needle.size() / 2] ^ 0x5a);
    f.write(&c, 1);
    return f ? Status::Ok() : Status(ErrorCode::kIo, "cannot rewrite " + it->path().string());
  }
  return Status(ErrorCode::kNotFound, "no file under " + dir + " contains the marker");
}

}  // namespace

StorageOptions TestOptions() {
  StorageOptions o;
  o.retry.max_attempts = 4;
  o.retry.base_delay = std::chrono::milliseconds(5);
  o.retry.max_delay = std::chrono::milliseconds(40);
  o.connect_timeout_ms = 3000;
  o.io_timeout_ms = 10000;
  o.read_chunk_size = 1 << 20;
  o.s3.min_part_size = 5 << 20;
  o.s3.upload_parallelism = 3;
  o.azure.block_size = 256 << 10;
  o.azure.upload_parallelism = 3;
  o.gcs.chunk_size = 256 << 10;
  return o;
}

namespace {

class LocalBackend : public Backend {
 public:
  std::string name() const override { return "local"; }
  Result<std::unique_ptr<Storage>> Open(const std::string& prefix, StorageOptions options, int) override {
    return OpenStorage(dir_.path() + "/" + prefix, options);
  }
  int upstream_port() const override { return 0; }
  Status Corrupt(const std::string& prefix, const std::string&, const std::string& marker) override {
    return CorruptFileContaining(dir_.path() + "/" + prefix, marker);
  }
  int throttle_status() const override { return 0; }
  std::string throttle_body() const override { return ""; }
  std::string denied_body() const override { return ""; }
  std::string denied_message() const override { return ""; }
  std::string content_type() const override { return ""; }
  uint64_t part_size() const override { return 1 << 20; }

 private:
  TempDir dir_;
};

class S3Backend : public Backend {
 public:
  Status Start() { return peer_.Start(); }
  std::string name() const override { return "s3"; }
  Result<std::unique_ptr<Storage>> Open(const std::string& prefix, StorageOptions o, int port) override {
    o.s3.region = "us-east-1";
    o.s3.access_key_id = "S3RVER";
    o.s3.secret_access_key = "S3RVER";
    o.s3.endpoint_override = "http://127.0.0.1:" + std::to_string(port ? port : peer_.port);
    return OpenStorage("s3://" + peer_.bucket + "/" + prefix, o);
  }
  int upstream_port() const override { return peer_.port; }
  Status Corrupt(const std::string&, const std::string&, const std::string& marker) override {
    return CorruptFileContaining(peer_.data_dir(), marker);
  }
  int throttle_status() const override { return 503; }
  std::string throttle_body() const override {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request "
           "rate.</Message></Error>";
  }
  std::string denied_body() const override {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Access Denied by "
           "bucket policy</Message></Error>";
  }
  std::string denied_message() const override { return "AccessDenied: Access Denied by bucket policy"; }
  std::string content_type() const override { return "application/xml"; }
  uint64_t part_size() const override { return 5 << 20; }

 private:
  S3rverPeer peer_;
};

class AzureBackend : public Backend {
 public:
  explicit AzureBackend(bool sas) : sas_(sas) {}
  Status Start() { return peer_.Start(); }
  std::string name() const override { return sas_ ? "azure_sas" : "azure"; }
  Result<std::unique_ptr<Storage>> Open(const std::string& prefix, StorageOptions o, int port) override {
    if (sas_) {
      o.azure.sas_token = "?" + peer_.AccountSas();
    } else {
      o.azure.account_name = AzuritePeer::kAccount;
      o.azure.account_key = AzuritePeer::kKey;
    }
    o.azure.endpoint = "http://127.0.0.1:" + std::to_string(port ? port : peer_.port) + "/" + AzuritePeer::kAccount;
    return OpenStorage("azure://" + peer_.container + "/" + prefix, o);
  }
  int upstream_port() const override { return peer_.port; }
  Status Corrupt(const std::string&, const std::string&, const std::string& marker) override {
    return CorruptFileContaining(peer_.data_dir(), marker);
  }
  int throttle_status() const override { return 503; }
  std::string throttle_body() const override {
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>ServerBusy</Code><Message>Ingress is over the "
           "account limit.</Message></Error>";
  }
  std::string denied_body() const override {
    return "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>AuthorizationPermissionMismatch</Code><Message>This "
           "request is not authorized to perform this operation using this permission.</Message></Error>";
  }
  std::string denied_message() const override { return "AuthorizationPermissionMismatch: This request is not authorized"; }
  std::string content_type() const override { return "application/xml"; }
  uint64_t part_size() const override { return 256 << 10; }

 private:
  bool sas_;
  AzuritePeer peer_;
};

class GcsBackend : public Backend {
 public:
  Status Start() { return fake_.Start(); }
  std::string name() const override { return "gcs"; }
  Result<std::unique_ptr<Storage>> Open(const std::string& prefix, StorageOptions o, int port) override {
    std::string origin = "http://127.0.0.1:" + std::to_string(port ? port : upstream_port());
    o.gcs.key_json = fake_.key_json();
    o.gcs.endpoint = origin;
    o.gcs.token_endpoint = fake_.token_uri();  // the token endpoint is always reached directly
    return OpenStorage("gs://" + fake_.bucket() + "/" + prefix, o);
  }
  int upstream_port() const override { return std::stoi(fake_.endpoint().substr(fake_.endpoint().rfind(':') + 1)); }
  Status Corrupt(const std::string& prefix, const std::string& key, const std::string&) override {
    return fake_.Corrupt(prefix + "/" + key);
  }
  int throttle_status() const override { return 429; }
  std::string throttle_body() const override {
    return R"({"error":{"code":429,"message":"The rate of change requests to the object is too high.","errors":[{"message":"The rate of change requests to the object is too high.","domain":"usageLimits","reason":"rateLimitExceeded"}]}})";
  }
  std::string denied_body() const override {
    return R"({"error":{"code":403,"message":"backup@abs-test.iam.gserviceaccount.com does not have storage.objects.create access to the Google Cloud Storage object.","errors":[{"message":"denied","domain":"global","reason":"forbidden"}]}})";
  }
  std::string denied_message() const override { return "does not have storage.objects.create access"; }
  std::string content_type() const override { return "application/json; charset=UTF-8"; }
  uint64_t part_size() const override { return 256 << 10; }

 private:
  FakeGcs fake_;
};

std::mutex g_mu;
std::map<std::string, std::unique_ptr<Backend>> g_backends;

}  // namespace

Result<Backend*> GetBackend(const std::string& name) {
  std::lock_guard<std::mutex> lock(g_mu);
  auto it = g_backends.find(name);
  if (it != g_backends.end()) return it->second.get();
  std::unique_ptr<Backend> b;
  Status s;
  if (name == "local") {
    b = std::make_unique<LocalBackend>();
  } else if (name == "s3") {
    auto p = std::make_unique<S3Backend>();
    s = p->Start();
    b = std::move(p);
  } else if (name == "azure" || name == "azure_sas") {
    auto p = std::make_unique<AzureBackend>(name == "azure_sas");
    s = p->Start();
    b = std::move(p);
  } else if (name == "gcs") {
    auto p = std::make_unique<GcsBackend>();
    s = p->Start();
    b = std::move(p);
  }
  if (!b) return Status(ErrorCode::kInvalidArgument, "no test backend named " + name);
  if (!s.ok()) return s.WithContext("cannot start the " + name + " backend");
  return (g_backends[name] = std::move(b)).get();
}

void ShutdownBackends() {
  std::lock_guard<std::mutex> lock(g_mu);
  g_backends.clear();
}

}  // namespace aero::testing
