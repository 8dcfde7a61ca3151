// The storage backend options (see storage_options.h).
#include "tools/common/storage_options.h"

#include <algorithm>
#include <utility>

#include "storage/factory.h"
#include "tools/common/secret_options.h"

namespace aero::tools {

void AddStorageOptions(CLI::App& app, StorageFlags& f, bool uploads) {
  const char* g = "Storage";
  app.add_option("--s3-region", f.s3_region, "S3 region")->group(g);
  app.add_option("--s3-profile", f.s3_profile, "AWS profile")->group(g);
  app.add_option("--s3-endpoint-override", f.s3_endpoint_override, "S3 endpoint URL")->group(g);
  app.add_option("--s3-log-level", f.s3_log_level, "S3 log level (DEBUG/TRACE: HTTP trace)")->group(g);
  app.add_option("--s3-connect-timeout", f.s3_connect_timeout_ms, "Connect timeout (ms)")->group(g)->capture_default_str();
  app.add_flag("--s3-allow-system-proxy", f.s3_allow_system_proxy, "Honour http(s)_proxy")->group(g);
  app.add_option("--s3-max-async-downloads", f.s3_max_async_downloads, "Parallel downloads")->group(g)->capture_default_str();
  if (uploads) {
    app.add_option("--s3-min-part-size", f.s3_min_part_size_mib, "Multipart part size (MiB, 5..5120)")
        ->group(g)
        ->capture_default_str()
        ->check(CLI::Range(5, 5120));
    app.add_option("--s3-max-async-uploads", f.s3_max_async_uploads, "Parts in flight per file")
        ->group(g)
        ->capture_default_str();
    app.add_option("--azure-block-size", f.azure_block_size_mib, "Azure block size (MiB)")->group(g)->capture_default_str();
    app.add_option("--gcp-chunk-size", f.gcp_chunk_size_mib, "GCS upload chunk (MiB)")->group(g)->capture_default_str();
  }
  app.add_option("--azure-account-name", f.azure_account_name, "Azure storage account")->group(g);
  app.add_option("--azure-account-key", f.azure_account_key, "Azure account key")->group(g);
  app.add_option("--azure-sas-token", f.azure_sas_token, "Azure SAS token")->group(g);
  app.add_option("--azure-tenant-id", f.azure_tenant_id, "Azure AD tenant")->group(g);
  app.add_option("--azure-client-id", f.azure_client_id, "Azure AD client id")->group(g);
  app.add_option("--azure-client-secret", f.azure_client_secret, "Azure AD client secret")->group(g);
  app.add_option("--azure-endpoint", f.azure_endpoint, "Azure blob endpoint URL")->group(g);
  app.add_option("--gcp-key-path", f.gcp_key_path, "GCS service-account key file")->group(g);
  app.add_option("--gcp-endpoint-override", f.gcp_endpoint_override, "GCS endpoint URL")->group(g);
  app.add_option("--storage-max-retries", f.storage_max_retries, "Attempts per storage request")
      ->group(g)
      ->capture_default_str();
}

Result<StorageOptions> StorageOptionsOf(const StorageFlags& f) {
  for (const auto& [value, option] :
       {std::pair<const std::string&, const char*>{f.s3_region, "--s3-region"},
        {f.s3_profile, "--s3-profile"},
        {f.s3_endpoint_override, "--s3-endpoint-override"},
        {f.s3_log_level, "--s3-log-level"},
        {f.azure_account_name, "--azure-account-name"},
        {f.azure_account_key, "--azure-account-key"},
        {f.azure_tenant_id, "--azure-tenant-id"},
        {f.azure_client_id, "--azure-client-id"},
        {f.azure_client_secret, "--azure-client-secret"},
        {f.azure_endpoint, "--azure-endpoint"},
        {f.azure_sas_token, "--azure-sas-token"},
        {f.gcp_key_path, "--gcp-key-path"},
        {f.gcp_endpoint_override, "--gcp-endpoint-override"}}) {
    ABS_RETURN_IF_ERROR(RejectUnresolvedSecret(value, option));
  }
  StorageOptions o;
  o.s3.region = f.s3_region;
  o.s3.profile = f.s3_profile;
  o.s3.endpoint_override = f.s3_endpoint_override;
  o.s3.log_level = f.s3_log_level;
  o.s3.allow_system_proxy = f.s3_allow_system_proxy;
  if (f.s3_min_part_size_mib < 5 || f.s3_min_part_size_mib > 5120)
    return Status(ErrorCode::kInvalidArgument, "--s3-min-part-size must be 5..5120 MiB");
  o.s3.min_part_size = f.s3_min_part_size_mib << 20;
  if (f.s3_max_async_uploads < 1) return Status(ErrorCode::kInvalidArgument, "--s3-max-async-uploads must be >= 1");
  o.s3.upload_parallelism = std::min(f.s3_max_async_uploads, 16);
  if (f.s3_connect_timeout_ms <= 0) return Status(ErrorCode::kInvalidArgument, "--s3-connect-timeout must be positive");
  o.connect_timeout_ms = f.s3_connect_timeout_ms;
  o.azure.account_name = f.azure_account_name;
  o.azure.account_key = f.azure_account_key;
  o.azure.sas_token = f.azure_sas_token;
  o.azure.tenant_id = f.azure_tenant_id;
  o.azure.client_id = f.azure_client_id;
  o.azure.client_secret = f.azure_client_secret;
  o.azure.endpoint = f.azure_endpoint;
  o.azure.block_size = f.azure_block_size_mib << 20;
  o.gcs.key_file_path = f.gcp_key_path;
  o.gcs.endpoint = f.gcp_endpoint_override;
  o.gcs.chunk_size = f.gcp_chunk_size_mib << 20;
  if (f.storage_max_retries < 1) return Status(ErrorCode::kInvalidArgument, "--storage-max-retries must be >= 1");
  o.retry.max_attempts = f.storage_max_retries;
  return o;
}

Result<StorageLocation> DirectoryLocation(const std::string& path) {
  if (path.empty()) return Status(ErrorCode::kInvalidArgument, "empty directory");
  if (path == "-") return Status(ErrorCode::kUnsupported, "'-' (stdin/stdout) is not supported; give a directory or file");
  return StorageLocation{path, ""};
}

Result<StorageLocation> FileLocation(const std::string& path) {
  if (path.empty()) return Status(ErrorCode::kInvalidArgument, "empty file name");
  if (path == "-") return Status(ErrorCode::kUnsupported, "'-' (stdin/stdout) is not supported; give a file name");
  size_t scheme = path.find("://");
  size_t slash = path.rfind('/');
  // The bucket part of a URI is never the file name.
  size_t min_slash = scheme == std::string::npos ? 0 : path.find('/', scheme + 3);
  if (slash == std::string::npos || (scheme != std::string::npos && (min_slash == std::string::npos || slash <= min_slash))) {
    if (scheme != std::string::npos)
      return Status(ErrorCode::kInvalidArgument, "'" + path + "' names no file inside the bucket");
    return StorageLocation{".", path};
  }
  std::string name = path.substr(slash + 1);
  if (name.empty()) return Status(ErrorCode::kInvalidArgument, "'" + path + "' ends with '/': a file name is needed");
  std::string root = slash == 0 ? "/" : path.substr(0, slash);
  return StorageLocation{root, name};
}

Result<std::unique_ptr<Storage>> OpenStorageAt(const std::string& root, const StorageFlags& flags) {
  ABS_ASSIGN_OR_RETURN(StorageOptions o, StorageOptionsOf(flags));
  auto st = OpenStorage(root, o);
  if (!st.ok()) return st.status().WithContext("storage '" + root + "'");
  return st;
}

}  // namespace aero::tools
