// Google Cloud Storage backend (ABS gcp-storage, asbackup --gcp-*): service-account key -> OAuth2 token
// (RS256 JWT signed with OpenSSL, token endpoint overridable), the JSON API: resumable uploads in chunks
// (multiples of 256 KiB) with the whole-object MD5 sent in X-Goog-Hash on the final chunk and compared with
// the stored md5Hash, ranged media downloads verified against md5Hash, listing with page tokens, delete.
#pragma once

#include <memory>
#include <string>

#include "storage/options.h"
#include "storage/storage.h"

namespace aero {

Result<std::unique_ptr<Storage>> OpenGcsStorage(const std::string& bucket, const std::string& prefix,
                                                const StorageOptions& options);

}  // namespace aero
