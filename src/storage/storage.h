// The storage interface every backend implements (local disk, S3, Azure Blob, GCS), after pgBackRest's
// storage layer: backup and restore write and read through this and never know where the bytes go.
//
// Keys are relative paths under the storage root ("routine/backup/1700000000/ns/file.asb"): no leading
// '/', no empty, "." or ".." segments. Directories are implicit: they exist while objects live under them.
//
// Contracts shared by all backends:
//  - NewWriter() returns a stream whose bytes become visible under the key only when Close() returns OK;
//    destroying it without Close() abandons the upload and removes any temporary/partial object, so a
//    reader sees either the whole object or nothing.
//  - Checksums are sent with uploads where the backend checks them, and whole-object reads verify the
//    stored checksum at end of stream (a mismatch fails Read() with kCorrupt).
//  - Transient failures (timeouts, resets, 5xx, throttling) are retried with backoff and jitter inside
//    the backend; the Status a caller sees is final and carries the backend's own message.
//  - A Storage may be used from several threads at once (the parallel file writers of a backup do);
//    each stream it returns belongs to one thread at a time, and keeps alive what it needs (a stream may
//    outlive the Storage object that made it).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/stream.h"

namespace aero {

// One entry of a listing or a Stat().
struct ObjectInfo {
  std::string key;            // relative to the storage root; for directories, without trailing '/'
  uint64_t size = 0;          // bytes (0 for directories)
  bool is_directory = false;  // only in non-recursive listings
  int64_t mtime_unix_ms = 0;  // last modification, 0 if the backend did not say
};

// A byte range of an object. length unset = to the end.
struct ByteRange {
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  bool whole() const { return offset == 0 && !length; }
};

// Which storage class / access tier applies (ABS `storage-class: {data, metadata}`).
enum class ObjectClass { kData, kMetadata };

struct WriteOptions {
  ObjectClass object_class = ObjectClass::kData;
};

enum class ListMode {
  kRecursive,  // every object under the directory, at any depth
  kChildren,   // objects directly under it plus one entry per immediate sub-directory
};

class Storage {
 public:
  virtual ~Storage() = default;

  // Where this storage points, for messages: "/var/backups", "s3://bucket/prefix", ...
  virtual std::string Describe() const = 0;

  // Streaming upload of `key` (replacing any existing object once Close() succeeds).
  virtual Result<std::unique_ptr<OutputStream>> NewWriter(std::string_view key,
                                                          const WriteOptions& options = {}) = 0;
  // Streaming download of `key`, optionally a byte range. kNotFound if the object does not exist.
  virtual Result<std::unique_ptr<InputStream>> NewReader(std::string_view key, ByteRange range = {}) = 0;
  // Objects under directory `dir` ("" = the whole root), sorted by key.
  virtual Result<std::vector<ObjectInfo>> List(std::string_view dir, ListMode mode = ListMode::kRecursive) = 0;
  // Size and time of one object; kNotFound if absent.
  virtual Result<ObjectInfo> Stat(std::string_view key) = 0;
  // Removes one object. Removing an absent object is OK (object stores cannot tell the difference).
  virtual Status Delete(std::string_view key) = 0;
  // Removes every object under `dir` (and the directory itself where directories are real).
  virtual Status DeleteDirectory(std::string_view dir);

  // Helpers built on the above.
  // Writes a small object (metadata) in one go; published atomically.
  Status WriteObject(std::string_view key, std::string_view bytes, const WriteOptions& options = {});
  // Reads a whole object into memory (checksum verified); refuses objects above max_bytes.
  Result<std::string> ReadObject(std::string_view key, uint64_t max_bytes = 64ull << 20);
  // true / false, or an error other than "not found".
  Result<bool> Exists(std::string_view key);
};

// Checks a relative key or directory (directories may be ""); kInvalidArgument naming the problem.
Status ValidateKey(std::string_view key, bool allow_empty = false);

}  // namespace aero
