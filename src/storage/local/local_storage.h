// Local-disk backend (ABS local-storage): objects are files under a root directory.
// Writes go to a hidden temporary file in the target directory, are fsync'ed, renamed over the final
// name and the directory fsync'ed, so a crash or error never leaves a truncated file under the real name.
// Files are created 0600 and directories 0700 (as ABS 3.7 does). Where the file system supports user
// extended attributes, the CRC-32C of each file is stored in "user.abs.crc32c" and checked on whole reads
// (files of earlier versions carry an MD5 in "user.abs.md5", still checked).
#pragma once

#include <memory>
#include <string>

#include "storage/options.h"
#include "storage/storage.h"

namespace aero {

// Temporary files start with this prefix and are never listed.
inline constexpr std::string_view kLocalTempPrefix = ".abs-tmp-";

class LocalStorage : public Storage {
 public:
  // `root` need not exist yet; it is created on the first write.
  LocalStorage(std::string root, StorageOptions options);

  std::string Describe() const override { return root_; }
  Result<std::unique_ptr<OutputStream>> NewWriter(std::string_view key, const WriteOptions& options = {}) override;
  Result<std::unique_ptr<InputStream>> NewReader(std::string_view key, ByteRange range = {}) override;
  Result<std::vector<ObjectInfo>> List(std::string_view dir, ListMode mode = ListMode::kRecursive) override;
  Result<ObjectInfo> Stat(std::string_view key) override;
  Status Delete(std::string_view key) override;
  Status DeleteDirectory(std::string_view dir) override;

 private:
  std::string PathOf(std::string_view key) const;
  // Removes now-empty directories from `dir` up to (not including) the root.
  void PruneEmptyParents(std::string dir) const;

  std::string root_;
  StorageOptions options_;
};

}  // namespace aero
