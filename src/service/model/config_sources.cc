// Configuration sources: local file, http(s) URL, object in backup storage (config_source.h).
#include "service/model/config_sources.h"

#include <httplib.h>

#include <fstream>
#include <sstream>

#include "secrets/secret_ref.h"
#include "service/config/config_io.h"
#include "service/model/secret_resolver.h"
#include "storage/factory.h"

namespace aero::service::model {

namespace {

constexpr size_t kMaxConfigBytes = 16u << 20;

Result<std::string> ReadLocalFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(ErrorCode::kIo, "cannot read configuration file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status(ErrorCode::kIo, "error reading configuration file " + path);
  return ss.str();
}

class LocalFileSource : public ConfigSource {
 public:
  explicit LocalFileSource(std::string path) : path_(std::move(path)) {}
  Result<std::string> Read() override { return ReadLocalFile(path_); }
  Status Write(const Config& config) override { return SaveConfigFile(config, path_); }
  std::string Describe() const override { return path_; }

 private:
  std::string path_;
};

class UrlSource : public ConfigSource {
 public:
  explicit UrlSource(std::string url) : url_(std::move(url)) {}
  Result<std::string> Read() override { return FetchUrl(url_); }
  Status Write(const Config&) override {
    return Status(ErrorCode::kUnsupported, "configuration loaded from URL " + url_ + " is read-only");
  }
  std::string Describe() const override { return url_; }

 private:
  std::string url_;
};

class StorageObjectSource : public ConfigSource {
 public:
  StorageObjectSource(std::unique_ptr<::aero::Storage> storage, std::string key)
      : storage_(std::move(storage)), key_(std::move(key)) {}
  Result<std::string> Read() override {
    auto r = storage_->ReadObject(key_, kMaxConfigBytes);
    if (!r.ok()) return r.status().WithContext("reading " + Describe());
    return r;
  }
  Status Write(const Config& config) override {
    return storage_->WriteObject(key_, ConfigToYaml(config), ::aero::WriteOptions{::aero::ObjectClass::kMetadata})
        .WithContext("writing " + Describe());
  }
  std::string Describe() const override { return storage_->Describe() + "/" + key_; }

 private:
  std::unique_ptr<::aero::Storage> storage_;
  std::string key_;
};

bool IsUrl(const std::string& s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

// The descriptor's secret policy: a cloud key is literal, or a secrets: reference fetched through
// the descriptor's inline secret-agent. A secret-agent-name cannot be used: the named agents are
// defined in the configuration this descriptor leads to, which is not loaded yet.
Result<std::string> DescriptorSecret(const StorageSecretField& f) {
  const std::string where = "remote configuration descriptor: " + std::string(f.key);
  if (f.value && secrets::IsSecretRef(*f.value) && !f.secret_agent && f.secret_agent_name) {
    return Status(ErrorCode::kInvalidArgument,
                  where + ": secret-agent-name \"" + *f.secret_agent_name +
                      "\" cannot be resolved before the configuration is loaded; give an inline secret-agent");
  }
  return SecretResolver().Resolve(f.value, where, f.secret_agent, std::nullopt);
}

// The object key of the config: descriptor `path`, without a leading '/'.
Result<std::string> KeyOf(const std::optional<std::string>& path) {
  std::string key = path.value_or("");
  while (!key.empty() && key.front() == '/') key.erase(0, 1);
  if (key.empty()) {
    return Status(ErrorCode::kInvalidArgument, "remote configuration descriptor: path (the object key) is required");
  }
  return key;
}

Result<std::unique_ptr<ConfigSource>> FromDescriptor(const Storage& s, const std::string& descriptor_path) {
  if (const auto* local = std::get_if<LocalStorage>(&s.backend)) {
    if (IsUrl(local->path)) return std::unique_ptr<ConfigSource>(new UrlSource(local->path));
    if (local->path.empty()) {
      return Status(ErrorCode::kInvalidArgument, descriptor_path + ": local-storage.path is required");
    }
    return std::unique_ptr<ConfigSource>(new LocalFileSource(local->path));
  }
  ABS_ASSIGN_OR_RETURN(auto object, RemoteConfigObjectOf(s));
  auto storage = OpenStorage(object.storage.uri, object.storage.options);
  if (!storage.ok()) return storage.status().WithContext("remote configuration " + descriptor_path);
  return std::unique_ptr<ConfigSource>(new StorageObjectSource(std::move(storage).value(), object.key));
}

}  // namespace

Result<RemoteConfigObject> RemoteConfigObjectOf(const Storage& descriptor) {
  if (std::holds_alternative<LocalStorage>(descriptor.backend)) {
    return Status(ErrorCode::kInvalidArgument,
                  "remote configuration descriptor: local-storage names a file or URL, not a storage object");
  }
  RemoteConfigObject object;
  ABS_ASSIGN_OR_RETURN(object.storage, StorageTargetFor(descriptor, DescriptorSecret));
  // The descriptor's `path` is the configuration object's key: the storage is the bucket's root.
  object.storage.uri.path.clear();
  std::optional<std::string> path;
  if (const auto* s3 = std::get_if<S3Storage>(&descriptor.backend)) path = s3->path;
  if (const auto* az = std::get_if<AzureStorage>(&descriptor.backend)) path = az->path;
  if (const auto* g = std::get_if<GcpStorage>(&descriptor.backend)) path = g->path;
  ABS_ASSIGN_OR_RETURN(object.key, KeyOf(path));
  return object;
}

Result<std::string> FetchUrl(const std::string& url) {
  // Split "scheme://host[:port]" from the path for httplib's client.
  size_t scheme_end = url.find("://");
  size_t path_start = url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  std::string origin = path_start == std::string::npos ? url : url.substr(0, path_start);
  std::string path = path_start == std::string::npos ? "/" : url.substr(path_start);
  httplib::Client client(origin);
  if (!client.is_valid()) return Status(ErrorCode::kInvalidArgument, "invalid configuration URL " + url);
  client.set_connection_timeout(std::chrono::seconds(10));
  client.set_read_timeout(std::chrono::seconds(30));
  client.set_write_timeout(std::chrono::seconds(30));
  client.set_follow_location(true);
  size_t received = 0;
  std::string body;
  auto res = client.Get(path, [&](const char* data, size_t n) {
    received += n;
    if (received > kMaxConfigBytes) return false;
    body.append(data, n);
    return true;
  });
  if (!res) {
    if (received > kMaxConfigBytes) {
      return Status(ErrorCode::kInvalidArgument, "configuration at " + url + " is larger than 16 MiB");
    }
    return Status(ErrorCode::kNetwork, "cannot fetch configuration from " + url + ": " + httplib::to_string(res.error()));
  }
  if (res->status != 200) {
    return Status(ErrorCode::kIo, "cannot fetch configuration from " + url + ": HTTP status " +
                                      std::to_string(res->status));
  }
  return body;
}

Result<std::unique_ptr<ConfigSource>> OpenConfigSource(const std::string& location, bool remote) {
  if (location.empty()) return Status(ErrorCode::kInvalidArgument, "--config is required");
  if (!remote) {
    if (IsUrl(location)) return std::unique_ptr<ConfigSource>(new UrlSource(location));
    return std::unique_ptr<ConfigSource>(new LocalFileSource(location));
  }
  // --remote: the file (or URL) holds a storage descriptor.
  auto text = IsUrl(location) ? FetchUrl(location) : ReadLocalFile(location);
  if (!text.ok()) return text.status();
  auto storage = StorageFromYaml(*text);
  if (!storage.ok()) return storage.status().WithContext("remote configuration descriptor " + location);
  return FromDescriptor(*storage, location);
}

}  // namespace aero::service::model
