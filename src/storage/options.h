// Settings for every storage backend in one struct, so the CLI tools (asbackup-style --s3-*/--azure-*/--gcp-*
// flags) and the service (ABS local-storage / s3-storage / azure-storage / gcp-storage objects) can map their
// own names onto it. Only the part matching the URI scheme is used by OpenStorage().
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace aero {

// Transient failures (timeouts, resets, HTTP 408/429/5xx, throttling codes) are retried up to
// max_attempts times in total; the n-th retry waits a random time in [0, min(max_delay, base*mult^n)]
// ("full jitter"), so many writers hitting the same throttled bucket spread out.
struct RetryOptions {
  int max_attempts = 5;
  std::chrono::milliseconds base_delay{200};
  std::chrono::milliseconds max_delay{10000};
  double multiplier = 2.0;
};

// ABS `storage-class: {data, metadata}`: S3 storage class, Azure access tier or GCS storage class
// for data files and for metadata files. Empty = the bucket/container default.
struct StorageClassOptions {
  std::string data;
  std::string metadata;
};

struct S3Options {
  std::string region;             // s3-region / --s3-region; else AWS_REGION, AWS_DEFAULT_REGION, profile region
  std::string endpoint_override;  // s3-endpoint-override / --s3-endpoint-override ("http://127.0.0.1:9000")
  std::string profile;            // s3-profile / --s3-profile; else AWS_PROFILE, else "default"
  // Path-style addressing (endpoint/bucket/key). Unset: on with an endpoint override (as ABS does), else
  // virtual-hosted style (bucket.s3.region.amazonaws.com).
  std::optional<bool> force_path_style;
  // Static credentials (ABS access-key-id / secret-access-key); empty = environment, then shared files.
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  // Shared files; empty = AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE, else ~/.aws/credentials, ~/.aws/config.
  std::string credentials_file;
  std::string config_file;
  uint64_t min_part_size = 5ull << 20;  // min-part-size / --s3-min-part-size (MiB there); >= 5 MiB
  int upload_parallelism = 4;           // parts in flight per writer (--s3-max-async-uploads caps it)
  std::string log_level;                // s3-log-level; DEBUG/TRACE turn on libcurl's verbose trace
  bool allow_system_proxy = false;      // --s3-allow-system-proxy: honour http(s)_proxy variables
  StorageClassOptions storage_class;    // x-amz-storage-class
};

struct AzureOptions {
  // Blob service URL (azure-storage `endpoint`): "https://<account>.blob.core.windows.net" or an emulator
  // URL such as "http://127.0.0.1:10000/devstoreaccount1". Empty = https://<account_name>.blob.core.windows.net.
  std::string endpoint;
  std::string account_name;  // shared-key auth with account_key
  std::string account_key;   // base64, as the portal shows it
  std::string sas_token;     // SAS auth: the query string ("sv=...&sig=..."), with or without leading '?'
  // Azure AD service principal (client-secret flow).
  std::string tenant_id;
  std::string client_id;
  std::string client_secret;
  std::string authority_host = "https://login.microsoftonline.com";
  uint64_t block_size = 5ull << 20;  // min-part-size / --azure-block-size
  int upload_parallelism = 4;        // blocks in flight per writer
  StorageClassOptions access_tier;   // Hot / Cool / Cold / Archive
};

struct GcsOptions {
  std::string key_file_path;  // key-file-path / --gcp-key-path: service-account JSON
  std::string key_json;       // key: the same JSON inline
  std::string endpoint;       // endpoint / --gcp-endpoint-override; empty = https://storage.googleapis.com
  std::string token_endpoint;  // OAuth2 token URL; empty = the key file's token_uri
  uint64_t chunk_size = 8ull << 20;  // min-part-size / --gcp-chunk-size; rounded up to 256 KiB multiples
  StorageClassOptions storage_class;  // STANDARD / NEARLINE / COLDLINE / ARCHIVE
};

struct StorageOptions {
  S3Options s3;
  AzureOptions azure;
  GcsOptions gcs;
  RetryOptions retry;
  int connect_timeout_ms = 10000;  // --s3-connect-timeout
  // A request during which no byte moves for this long fails with kTimeout (and is retried).
  int io_timeout_ms = 60000;
  uint64_t read_chunk_size = 8ull << 20;  // ranged GET size for streaming reads
  bool verify_checksums = true;           // verify stored checksums at the end of whole-object reads
  int list_page_size = 0;                 // objects per listing request; 0 = the service default (1000)
  std::string ca_file;                    // CA bundle for TLS; empty = system default
  // Set to true from another thread to make blocking operations give up with kCancelled.
  const std::atomic<bool>* cancel = nullptr;
};

}  // namespace aero
