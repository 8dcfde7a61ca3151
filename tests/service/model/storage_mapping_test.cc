// Unit tests of the configured-storage mapping (service/model/storage_mapping.h): every ABS key
// reaches the backend's settings, and the --remote descriptor maps a storage exactly as the jobs
// do (it once had its own copy that dropped min-part-size, storage-class, s3-log-level and
// max-async-connections).
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "service/model/config_sources.h"
#include "service/model/secret_resolver.h"
#include "service/model/storage_mapping.h"

namespace aero::service::model {
namespace {

// Every field of a mapped storage, one per line, so a difference shows as a readable diff.
std::string Render(const StorageTarget& t) {
  const StorageOptions& o = t.options;
  std::ostringstream s;
  s << "uri " << static_cast<int>(t.uri.kind) << " bucket=" << t.uri.bucket << " path=" << t.uri.path << "\n"
    << "s3 region=" << o.s3.region << " endpoint=" << o.s3.endpoint_override << " profile=" << o.s3.profile
    << " path-style=" << (o.s3.force_path_style ? std::to_string(*o.s3.force_path_style) : "unset")
    << " key-id=" << o.s3.access_key_id << " secret=" << o.s3.secret_access_key << " token=" << o.s3.session_token
    << " credentials-file=" << o.s3.credentials_file << " config-file=" << o.s3.config_file << "\n"
    << "s3 min-part-size=" << o.s3.min_part_size << " upload-parallelism=" << o.s3.upload_parallelism
    << " log-level=" << o.s3.log_level << " proxy=" << o.s3.allow_system_proxy
    << " class=" << o.s3.storage_class.data << "/" << o.s3.storage_class.metadata << "\n"
    << "azure endpoint=" << o.azure.endpoint << " account=" << o.azure.account_name << " key=" << o.azure.account_key
    << " sas=" << o.azure.sas_token << " tenant=" << o.azure.tenant_id << " client=" << o.azure.client_id
    << " client-secret=" << o.azure.client_secret << " authority=" << o.azure.authority_host << "\n"
    << "azure block-size=" << o.azure.block_size << " upload-parallelism=" << o.azure.upload_parallelism
    << " tier=" << o.azure.access_tier.data << "/" << o.azure.access_tier.metadata << "\n"
    << "gcs key-file=" << o.gcs.key_file_path << " key=" << o.gcs.key_json << " endpoint=" << o.gcs.endpoint
    << " token-endpoint=" << o.gcs.token_endpoint << " chunk-size=" << o.gcs.chunk_size
    << " class=" << o.gcs.storage_class.data << "/" << o.gcs.storage_class.metadata << "\n"
    << "retry " << o.retry.max_attempts << " " << o.retry.base_delay.count() << " " << o.retry.max_delay.count()
    << " " << o.retry.multiplier << " connect-timeout=" << o.connect_timeout_ms << " io-timeout=" << o.io_timeout_ms
    << " read-chunk=" << o.read_chunk_size << " verify=" << o.verify_checksums << " page=" << o.list_page_size
    << " ca=" << o.ca_file << "\n";
  return s.str();
}

StorageClass Classes(const std::string& data, const std::string& metadata) {
  StorageClass c;
  c.data = data;
  c.metadata = metadata;
  return c;
}

Storage S3WithEveryKey() {
  S3Storage s3;
  s3.bucket = "bucket";
  s3.path = "/config/abs.yaml";
  s3.s3_region = "eu-west-1";
  s3.s3_endpoint_override = "http://127.0.0.1:9000";
  s3.s3_profile = "backup";
  s3.access_key_id = "AKID";
  s3.secret_access_key = "SECRET";
  s3.min_part_size = 16 << 20;
  s3.max_async_connections = 32;
  s3.s3_log_level = "DEBUG";
  s3.storage_class = Classes("STANDARD_IA", "STANDARD");
  return Storage{s3};
}

Storage AzureWithEveryKey() {
  AzureStorage az;
  az.endpoint = "http://127.0.0.1:10000/devstoreaccount1";
  az.container_name = "container";
  az.path = "abs.yaml";
  az.account_name = "devstoreaccount1";
  az.account_key = "a2V5";
  az.tenant_id = "tenant";
  az.client_id = "client";
  az.client_secret = "client-secret";
  az.min_part_size = 12 << 20;
  az.storage_class = Classes("Cool", "Hot");
  return Storage{az};
}

Storage GcpWithEveryKey() {
  GcpStorage g;
  g.bucket_name = "bucket";
  g.path = "abs.yaml";
  g.key_file_path = "/etc/gcp.json";
  g.key = "{\"type\":\"service_account\"}";
  g.endpoint = "http://127.0.0.1:4443";
  g.min_part_size = 24 << 20;
  g.storage_class = Classes("NEARLINE", "STANDARD");
  return Storage{g};
}

// What a backup or restore job opens for `storage` (jobs::OpenConfiguredStorage maps through this).
StorageTarget JobTarget(const Storage& storage) {
  SecretResolver no_agents;
  auto t = StorageTargetFor(storage, ResolveThrough(no_agents));
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? *t : StorageTarget{};
}

TEST(StorageMapping, TheRemoteDescriptorMapsAStorageAsTheJobsDo) {
  for (const Storage& storage : {S3WithEveryKey(), AzureWithEveryKey(), GcpWithEveryKey()}) {
    SCOPED_TRACE(storage.KindKey());
    auto remote = RemoteConfigObjectOf(storage);
    ASSERT_TRUE(remote.ok()) << remote.status().message();
    StorageTarget job = JobTarget(storage);
    // The only difference: a descriptor's `path` is the configuration object's key, not a prefix.
    EXPECT_EQ(remote->storage.uri.path, "");
    job.uri.path.clear();
    EXPECT_EQ(Render(remote->storage), Render(job));
  }
  EXPECT_EQ(RemoteConfigObjectOf(S3WithEveryKey())->key, "config/abs.yaml");
}

TEST(StorageMapping, EveryKeyReachesTheBackendSettings) {
  StorageTarget s3 = JobTarget(S3WithEveryKey());
  EXPECT_EQ(s3.uri.kind, StorageUri::Kind::kS3);
  EXPECT_EQ(s3.uri.bucket, "bucket");
  EXPECT_EQ(s3.uri.path, "config/abs.yaml");
  EXPECT_EQ(s3.options.s3.region, "eu-west-1");
  EXPECT_EQ(s3.options.s3.endpoint_override, "http://127.0.0.1:9000");
  EXPECT_EQ(s3.options.s3.profile, "backup");
  EXPECT_EQ(s3.options.s3.access_key_id, "AKID");
  EXPECT_EQ(s3.options.s3.secret_access_key, "SECRET");
  EXPECT_EQ(s3.options.s3.min_part_size, 16u << 20);
  EXPECT_EQ(s3.options.s3.upload_parallelism, 16);  // max-async-connections, capped
  EXPECT_EQ(s3.options.s3.log_level, "DEBUG");
  EXPECT_EQ(s3.options.s3.storage_class.data, "STANDARD_IA");
  EXPECT_EQ(s3.options.s3.storage_class.metadata, "STANDARD");

  StorageTarget az = JobTarget(AzureWithEveryKey());
  EXPECT_EQ(az.uri.kind, StorageUri::Kind::kAzure);
  EXPECT_EQ(az.uri.bucket, "container");
  EXPECT_EQ(az.options.azure.endpoint, "http://127.0.0.1:10000/devstoreaccount1");
  EXPECT_EQ(az.options.azure.account_name, "devstoreaccount1");
  EXPECT_EQ(az.options.azure.account_key, "a2V5");
  EXPECT_EQ(az.options.azure.tenant_id, "tenant");
  EXPECT_EQ(az.options.azure.client_id, "client");
  EXPECT_EQ(az.options.azure.client_secret, "client-secret");
  EXPECT_EQ(az.options.azure.block_size, 12u << 20);
  EXPECT_EQ(az.options.azure.access_tier.data, "Cool");
  EXPECT_EQ(az.options.azure.access_tier.metadata, "Hot");

  StorageTarget g = JobTarget(GcpWithEveryKey());
  EXPECT_EQ(g.uri.kind, StorageUri::Kind::kGcs);
  EXPECT_EQ(g.uri.bucket, "bucket");
  EXPECT_EQ(g.options.gcs.key_file_path, "/etc/gcp.json");
  EXPECT_EQ(g.options.gcs.key_json, "{\"type\":\"service_account\"}");
  EXPECT_EQ(g.options.gcs.endpoint, "http://127.0.0.1:4443");
  EXPECT_EQ(g.options.gcs.chunk_size, 24u << 20);
  EXPECT_EQ(g.options.gcs.storage_class.data, "NEARLINE");
  EXPECT_EQ(g.options.gcs.storage_class.metadata, "STANDARD");

  LocalStorage local;
  local.path = "/var/backups/";
  StorageTarget l = JobTarget(Storage{local});
  EXPECT_EQ(l.uri.kind, StorageUri::Kind::kLocal);
  EXPECT_EQ(l.uri.path, "/var/backups/");
}

// The descriptor's secret policy: a secret-agent-name cannot be resolved before the configuration
// (which defines the named agents) is loaded; a literal value next to one is fine.
TEST(StorageMapping, TheDescriptorRefusesANamedAgentForAReference) {
  S3Storage s3 = std::get<S3Storage>(S3WithEveryKey().backend);
  s3.secret_agent_name = "vault";
  EXPECT_TRUE(RemoteConfigObjectOf(Storage{s3}).ok());
  s3.secret_access_key = "secrets:aws:secret";
  auto r = RemoteConfigObjectOf(Storage{s3});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(
      r.status().message().find("remote configuration descriptor: secret-access-key: secret-agent-name \"vault\""),
      std::string::npos)
      << r.status().message();
  // The jobs know the named agents; without them the same storage names the unknown agent.
  auto job = StorageTargetFor(Storage{s3}, ResolveThrough(SecretResolver()));
  ASSERT_FALSE(job.ok());
  EXPECT_NE(job.status().message().find("s3-storage secret-access-key: secret-agent-name \"vault\" is not among"),
            std::string::npos)
      << job.status().message();
}

TEST(StorageMapping, TheDescriptorNeedsAnObjectKey) {
  S3Storage s3 = std::get<S3Storage>(S3WithEveryKey().backend);
  s3.path = "/";
  auto r = RemoteConfigObjectOf(Storage{s3});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("path (the object key) is required"), std::string::npos);
}

}  // namespace
}  // namespace aero::service::model
