// Backup file names and size-based splitting, as asbackup does it in directory mode (asb-format.md
// §13.1): DIR/<ns or prefix>_<NNNNN>.asb with one counter shared by all workers (printf %05 — so
// test_00000.asb ... test_99999.asb, test_100000.asb), and a new file once the bytes committed to
// the current one (after compression and encryption) reach --file-limit.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aero {

// "<prefix>_<NNNNN>.asb" (no directory).
std::string AsbFileName(std::string_view prefix, uint64_t number);
// The number in a name AsbFileName(prefix, n) produced; nullopt for any other name.
std::optional<uint64_t> ParseAsbFileNumber(std::string_view file_name, std::string_view prefix);
// What asrestore takes from a directory: names longer than 4 bytes ending in ".asb".
bool IsAsbFileName(std::string_view file_name);
// asbackup's default resume-state file name in a directory: "<prefix>.asb.state".
std::string AsbStateFileName(std::string_view prefix);
// "dir/name" with exactly one '/' between them (dir may be empty, or end with '/').
std::string JoinPath(std::string_view dir, std::string_view name);

// Hands out file paths DIR/<prefix>_<NNNNN>.asb from one counter; safe to share between workers.
class AsbFileNamer {
 public:
  AsbFileNamer(std::string dir, std::string prefix, uint64_t first_number = 0)
      : dir_(std::move(dir)), prefix_(std::move(prefix)), next_(first_number) {}
  std::string NextPath() { return JoinPath(dir_, AsbFileName(prefix_, next_.fetch_add(1))); }
  uint64_t files_named() const { return next_.load(); }
  const std::string& dir() const { return dir_; }
  const std::string& prefix() const { return prefix_; }

 private:
  std::string dir_;
  std::string prefix_;
  std::atomic<uint64_t> next_;
};

// When to start a new file: asbackup checks before each record whether the bytes already committed
// to the current file have reached the limit; files therefore overshoot by up to one record plus
// the compressor's buffered tail. limit 0 = never split.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(uint64_t limit_bytes = 0) : limit_(limit_bytes) {}
  // asbackup's -F/--file-limit is in MiB (default 250).
  static FileSizeLimit FromMiB(uint64_t mib) { return FileSizeLimit(mib << 20); }
  uint64_t limit_bytes() const { return limit_; }
  // committed_bytes: what reached storage so far (the storage stream's BytesWritten()).
  bool ShouldRoll(uint64_t committed_bytes) const { return limit_ != 0 && committed_bytes >= limit_; }

 private:
  uint64_t limit_;
};

// Directory-mode output in one object: hands out DIR/<prefix>_<NNNNN>.asb paths and says when the
// current file is full. One instance is shared by all workers of a backup (the counter is atomic);
// each worker asks ShouldRoll() with its own file's committed bytes before writing a record.
class FileRoller {
 public:
  FileRoller(std::string dir, std::string prefix, uint64_t limit_bytes, uint64_t first_number = 0)
      : namer_(std::move(dir), std::move(prefix), first_number), limit_(limit_bytes) {}
  std::string NextPath() { return namer_.NextPath(); }
  bool ShouldRoll(uint64_t committed_bytes) const { return limit_.ShouldRoll(committed_bytes); }
  uint64_t files_named() const { return namer_.files_named(); }
  uint64_t limit_bytes() const { return limit_.limit_bytes(); }

 private:
  AsbFileNamer namer_;
  FileSizeLimit limit_;
};

// backup-go's directory mode keeps sindexes and UDFs in "metadata_<ns>_<k>.asb" files (a reserved
// prefix); a restore that applies metadata last recognises them by name.
inline bool IsBackupGoMetadataFileName(std::string_view file_name) {
  return file_name.substr(0, 9) == "metadata_" && IsAsbFileName(file_name);
}

}  // namespace aero
