// URI parsing and backend selection.
#include "storage/factory.h"

#include "storage/azure/azure_storage.h"
#include "storage/gcs/gcs_storage.h"
#include "storage/local/local_storage.h"
#include "storage/s3/s3_storage.h"

namespace aero {

Result<StorageUri> ParseStorageUri(std::string_view uri) {
  StorageUri out;
  auto sep = uri.find("://");
  if (sep == std::string_view::npos) {
    if (uri.empty()) return Status(ErrorCode::kInvalidArgument, "empty storage path");
    out.path = std::string(uri);
    return out;
  }
  std::string scheme(uri.substr(0, sep));
  std::string_view rest = uri.substr(sep + 3);
  if (scheme == "file") {
    if (rest.empty() || rest.front() != '/') {
      return Status(ErrorCode::kInvalidArgument, "file URI '" + std::string(uri) + "' must be file:///absolute/path");
    }
    out.path = std::string(rest);
    return out;
  }
  if (scheme == "s3") {
    out.kind = StorageUri::Kind::kS3;
  } else if (scheme == "azure" || scheme == "az") {
    out.kind = StorageUri::Kind::kAzure;
  } else if (scheme == "gs" || scheme == "gcs") {
    out.kind = StorageUri::Kind::kGcs;
  } else {
    return Status(ErrorCode::kInvalidArgument,
                  "unsupported storage scheme '" + scheme + "' in '" + std::string(uri) + "' (use s3://, azure://, gs:// or a path)");
  }
  auto slash = rest.find('/');
  out.bucket = std::string(rest.substr(0, slash));
  if (out.bucket.empty()) return Status(ErrorCode::kInvalidArgument, "no bucket/container in '" + std::string(uri) + "'");
  std::string_view prefix = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  ABS_RETURN_IF_ERROR(ValidateKey(prefix, true).WithContext("prefix of '" + std::string(uri) + "'"));
  out.path = std::string(prefix);
  return out;
}

Result<std::unique_ptr<Storage>> OpenStorage(const StorageUri& uri, const StorageOptions& options) {
  switch (uri.kind) {
    case StorageUri::Kind::kLocal:
      return std::unique_ptr<Storage>(new LocalStorage(uri.path, options));
    case StorageUri::Kind::kS3:
      return OpenS3Storage(uri.bucket, uri.path, options);
    case StorageUri::Kind::kAzure:
      return OpenAzureStorage(uri.bucket, uri.path, options);
    case StorageUri::Kind::kGcs:
      return OpenGcsStorage(uri.bucket, uri.path, options);
  }
  return Status(ErrorCode::kInternal, "unknown storage kind");
}

Result<std::unique_ptr<Storage>> OpenStorage(std::string_view uri, const StorageOptions& options) {
  ABS_ASSIGN_OR_RETURN(StorageUri parsed, ParseStorageUri(uri));
  return OpenStorage(parsed, options);
}

}  // namespace aero
