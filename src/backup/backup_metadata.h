// The `metadata.yaml` file written last into a backup's folder: the completion marker and the
// catalogue entry a restore-to-timestamp lists and reads (abs-behaviour.md §1.3). Field names are
// ABS's; the reader accepts both the ABS 2.0 form (zero fields omitted, no `finished`) and the
// newest form (all fields, `from` = 0001-01-01T00:00:00Z when zero). We add `to`, `type` and
// `options` (the settings the backup ran with); ABS readers ignore keys they do not know.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "format/codec.h"
#include "storage/storage.h"

namespace aero::backup {

inline constexpr std::string_view kMetadataFileName = "metadata.yaml";

struct BackupMetadata {
  std::string ns;
  int64_t created_unix_ms = 0;   // run start
  int64_t finished_unix_ms = 0;  // namespace completion; a file without it reads as created + 1 ms
  int64_t from_unix_ms = 0;      // lower modification-time bound (0 = none: a full backup)
  int64_t to_unix_ms = 0;        // upper bound (0 = none)
  bool incremental = false;      // written as `type: incremental|full`; absent = (from != 0)
  uint64_t record_count = 0;
  uint64_t byte_count = 0;  // bytes stored (after compression and encryption)
  uint64_t file_count = 0;
  uint64_t secondary_index_count = 0;
  uint64_t udf_count = 0;
  CompressionMode compression = CompressionMode::kNone;
  EncryptionMode encryption = EncryptionMode::kNone;
  std::map<std::string, std::string> options;  // informational: "parallel" -> "4", "sets" -> "a,b", ...

  bool operator==(const BackupMetadata&) const = default;
};

// The newest ABS form (every field present) plus our additions.
std::string EmitMetadataYaml(const BackupMetadata& m);
// kCorrupt naming the problem for YAML that is not a mapping, misses `created`/`namespace`, or has
// a field of the wrong type; unknown keys are ignored.
Result<BackupMetadata> ParseMetadataYaml(std::string_view text);

// One completed backup found in storage: the folder holding `metadata.yaml` and what it says.
struct BackupEntry {
  std::string dir;  // key of the folder ("" = the root)
  BackupMetadata metadata;
};
struct BackupListing {
  std::vector<BackupEntry> backups;   // sorted by created time, then folder
  std::vector<std::string> problems;  // unreadable / corrupt metadata files, one message each
};
// Finds every `metadata.yaml` under `dir` (any depth) and parses it: what a restore-to-timestamp or
// retention pass lists. Listing errors fail; a bad metadata file is reported in `problems` and
// skipped (that folder is not a usable backup).
Result<BackupListing> ListBackups(Storage& storage, std::string_view dir);

// RFC 3339 in UTC with millisecond precision: "2024-01-01T12:00:00.123Z"; 0 -> "0001-01-01T00:00:00Z".
std::string FormatRfc3339Ms(int64_t unix_ms);
// Accepts "Z" or "+hh:mm"/"-hh:mm" offsets and any number of fraction digits (truncated to ms);
// "0001-01-01T00:00:00Z" (Go's zero time) -> 0.
Result<int64_t> ParseRfc3339Ms(std::string_view text);

}  // namespace aero::backup
