// Azure Blob backend (ABS azure-storage, asbackup --azure-*): shared-key or SAS authentication, or an
// Azure AD service principal (client secret); block-blob uploads in blocks (Put Block + Put Block List)
// with Content-MD5 per block and the whole-blob MD5 stored as the blob's Content-MD5, which whole reads
// verify; ranged reads; List Blobs with markers.
#pragma once

#include <memory>
#include <string>

#include "storage/options.h"
#include "storage/storage.h"

namespace aero {

Result<std::unique_ptr<Storage>> OpenAzureStorage(const std::string& container, const std::string& prefix,
                                                  const StorageOptions& options);

namespace storage {
// Shared Key signature of one request (exposed for tests): the Authorization header value
// "SharedKey <account>:<base64 HMAC-SHA256>" over the canonical string Azure documents.
std::string AzureSharedKeyAuthorization(const std::string& account, const std::string& key_base64,
                                        const std::string& method, const std::string& url_path_and_query,
                                        const std::vector<std::string>& headers, uint64_t content_length);
}  // namespace storage

}  // namespace aero
