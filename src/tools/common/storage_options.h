// The storage backend options of both tools (--s3-*, --azure-*, --gcp-*, --storage-max-retries)
// and how a -d/-o/-i argument becomes a storage root plus a key under it. The upload options
// (part, block and chunk sizes, uploads in flight) only exist for abs-backup.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "storage/options.h"
#include "storage/storage.h"

namespace aero::tools {

struct StorageFlags {
  std::string s3_region, s3_profile, s3_endpoint_override, s3_log_level;
  uint64_t s3_min_part_size_mib = 5;
  int s3_max_async_uploads = 16;
  int s3_max_async_downloads = 32;
  int s3_connect_timeout_ms = 10000;
  bool s3_allow_system_proxy = false;
  std::string azure_account_name, azure_account_key, azure_tenant_id, azure_client_id, azure_client_secret,
      azure_endpoint, azure_sas_token;
  uint64_t azure_block_size_mib = 5;
  std::string gcp_key_path, gcp_endpoint_override;
  uint64_t gcp_chunk_size_mib = 8;
  int storage_max_retries = 5;
};
// `uploads`: also the options that only matter when writing (abs-backup).
void AddStorageOptions(CLI::App& app, StorageFlags& flags, bool uploads);
// Rejects unresolved "secrets:" values (see AddSecretAgentOptions).
Result<StorageOptions> StorageOptionsOf(const StorageFlags& flags);

// A directory (-d) or file (-o/-i) argument as a storage root plus a key under it:
// "s3://b/dir/f.asb" as file -> root "s3://b/dir", key "f.asb"; "/x/dir" as directory -> root
// "/x/dir", key "". "-" (stdin/stdout) is not supported and is an error.
struct StorageLocation {
  std::string root;  // URI or local path handed to OpenStorage
  std::string key;   // "" for a directory
};
Result<StorageLocation> DirectoryLocation(const std::string& path);
Result<StorageLocation> FileLocation(const std::string& path);
Result<std::unique_ptr<Storage>> OpenStorageAt(const std::string& root, const StorageFlags& flags);

}  // namespace aero::tools
