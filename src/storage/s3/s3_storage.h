// S3 and S3-compatible backend (ABS s3-storage, asbackup --s3-*): SigV4 signing by libcurl
// (CURLOPT_AWS_SIGV4), path-style or virtual-hosted addressing, multipart uploads with configurable part
// size and parallelism, ListObjectsV2 with continuation, ranged GETs. Integrity: every PUT carries
// Content-MD5 (S3 rejects a body that does not match); whole-object reads are checked against the ETag
// (MD5 of the object, or for multipart uploads MD5 of the part MD5s, using the part size stored in
// x-amz-meta-abs-part-size).
#pragma once

#include <memory>
#include <string>

#include "storage/object_io.h"
#include "storage/options.h"
#include "storage/storage.h"

namespace aero {

Result<std::unique_ptr<Storage>> OpenS3Storage(const std::string& bucket, const std::string& prefix,
                                               const StorageOptions& options);

namespace storage {
// Verifier for an S3 ETag: plain MD5 (32 hex) or multipart "<hex>-<parts>" given the part size
// (0 = unknown). Returns null when the ETag cannot be checked (e.g. SSE-KMS objects).
std::unique_ptr<ContentVerifier> NewS3EtagVerifier(const std::string& etag, uint64_t part_size, std::string what);
}  // namespace storage

}  // namespace aero
