// The configured-storage → StorageUri + StorageOptions mapping (storage_mapping.h).
#include "service/model/storage_mapping.h"

#include <algorithm>

namespace aero::service::model {

namespace {

// A `path` as a prefix inside the bucket: no leading or trailing '/'.
std::string Prefix(const std::optional<std::string>& path) {
  std::string s = path.value_or("");
  while (!s.empty() && s.front() == '/') s.erase(s.begin());
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

StorageClassOptions ClassesOf(const std::optional<StorageClass>& c) {
  StorageClassOptions o;
  if (c) {
    o.data = c->data.value_or("");
    o.metadata = c->metadata.value_or("");
  }
  return o;
}

Status MapS3(const S3Storage& s, const StorageSecretFn& secret, StorageTarget& t) {
  t.uri.kind = StorageUri::Kind::kS3;
  t.uri.bucket = s.bucket;
  t.uri.path = Prefix(s.path);
  S3Options& o = t.options.s3;
  o.region = s.s3_region;
  o.endpoint_override = s.s3_endpoint_override.value_or("");
  o.profile = s.s3_profile.value_or("");
  ABS_ASSIGN_OR_RETURN(o.access_key_id,
                       secret({"s3-storage", "access-key-id", s.access_key_id, s.secret_agent, s.secret_agent_name}));
  ABS_ASSIGN_OR_RETURN(o.secret_access_key, secret({"s3-storage", "secret-access-key", s.secret_access_key,
                                                    s.secret_agent, s.secret_agent_name}));
  o.min_part_size = static_cast<uint64_t>(s.EffectiveMinPartSize());
  if (s.max_async_connections && *s.max_async_connections > 0) {
    o.upload_parallelism = std::min(*s.max_async_connections, 16);
  }
  o.log_level = s.EffectiveLogLevel();
  o.storage_class = ClassesOf(s.storage_class);
  return Status::Ok();
}

Status MapAzure(const AzureStorage& a, const StorageSecretFn& secret, StorageTarget& t) {
  t.uri.kind = StorageUri::Kind::kAzure;
  t.uri.bucket = a.container_name;
  t.uri.path = Prefix(a.path);
  AzureOptions& o = t.options.azure;
  o.endpoint = a.endpoint;
  o.account_name = a.account_name.value_or("");
  ABS_ASSIGN_OR_RETURN(o.account_key,
                       secret({"azure-storage", "account-key", a.account_key, a.secret_agent, a.secret_agent_name}));
  o.tenant_id = a.tenant_id.value_or("");
  o.client_id = a.client_id.value_or("");
  ABS_ASSIGN_OR_RETURN(o.client_secret, secret({"azure-storage", "client-secret", a.client_secret, a.secret_agent,
                                                a.secret_agent_name}));
  o.block_size = static_cast<uint64_t>(a.EffectiveMinPartSize());
  o.access_tier = ClassesOf(a.storage_class);
  return Status::Ok();
}

Status MapGcp(const GcpStorage& g, const StorageSecretFn& secret, StorageTarget& t) {
  t.uri.kind = StorageUri::Kind::kGcs;
  t.uri.bucket = g.bucket_name;
  t.uri.path = Prefix(g.path);
  GcsOptions& o = t.options.gcs;
  o.key_file_path = g.key_file_path.value_or("");
  ABS_ASSIGN_OR_RETURN(o.key_json, secret({"gcp-storage", "key", g.key, g.secret_agent, g.secret_agent_name}));
  o.endpoint = g.endpoint.value_or("");
  o.chunk_size = static_cast<uint64_t>(g.EffectiveMinPartSize());
  o.storage_class = ClassesOf(g.storage_class);
  return Status::Ok();
}

}  // namespace

StorageSecretFn ResolveThrough(const SecretResolver& secrets) {
  return [&secrets](const StorageSecretField& f) {
    return secrets.Resolve(f.value, std::string(f.backend) + " " + std::string(f.key), f.secret_agent,
                           f.secret_agent_name);
  };
}

Result<StorageTarget> StorageTargetFor(const Storage& storage, const StorageSecretFn& secret) {
  StorageTarget t;
  if (const auto* l = std::get_if<LocalStorage>(&storage.backend)) {
    t.uri.kind = StorageUri::Kind::kLocal;
    t.uri.path = l->path;
  } else if (const auto* s = std::get_if<S3Storage>(&storage.backend)) {
    ABS_RETURN_IF_ERROR(MapS3(*s, secret, t));
  } else if (const auto* a = std::get_if<AzureStorage>(&storage.backend)) {
    ABS_RETURN_IF_ERROR(MapAzure(*a, secret, t));
  } else if (const auto* g = std::get_if<GcpStorage>(&storage.backend)) {
    ABS_RETURN_IF_ERROR(MapGcp(*g, secret, t));
  }
  return t;
}

}  // namespace aero::service::model
