// Opening a Storage from a URI: "s3://bucket/prefix", "azure://container/prefix", "gs://bucket/prefix",
// "file:///path" or a plain path. The CLI tools and the service map their flags / config onto
// StorageOptions and call OpenStorage(); nothing outside src/storage knows the backends.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "storage/options.h"
#include "storage/storage.h"

namespace aero {

struct StorageUri {
  enum class Kind { kLocal, kS3, kAzure, kGcs };
  Kind kind = Kind::kLocal;
  std::string bucket;  // bucket / container; empty for local
  std::string path;    // local root directory, or the prefix inside the bucket (no leading/trailing '/')
};

// kInvalidArgument for an unknown scheme, a missing bucket or a prefix with empty/"."/".." segments.
Result<StorageUri> ParseStorageUri(std::string_view uri);

// Opens the backend for `uri`. Does not contact the service (the first request does), but rejects
// incomplete settings (e.g. S3 without a region anywhere, GCS without a readable key file).
Result<std::unique_ptr<Storage>> OpenStorage(std::string_view uri, const StorageOptions& options);
Result<std::unique_ptr<Storage>> OpenStorage(const StorageUri& uri, const StorageOptions& options);

}  // namespace aero
