// Resume state of an unfinished backup: what is safely in storage (committed files and their
// counts) and, per partition, where the next run must start (done, or after the last digest that
// reached a committed file). Portable JSON, unlike asbackup's native-endian binary dump.
//
// The state only ever describes committed data: a record counts as backed up once the file holding
// it was closed successfully. Resuming from it therefore loses nothing and duplicates nothing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client/scan.h"
#include "common/status.h"

namespace aero::backup {

struct CommittedFile {
  std::string key;  // storage key
  uint64_t records = 0;
  uint64_t bytes = 0;  // stored bytes
  bool operator==(const CommittedFile&) const = default;
};

struct BackupState {
  static constexpr int kVersion = 1;
  std::string ns;
  // What the data was selected with: a resume must use the same (checked field by field).
  std::string fingerprint;
  int64_t created_unix_ms = 0;
  uint64_t next_file_number = 0;
  uint64_t records = 0;
  uint64_t bytes = 0;
  uint64_t sindexes = 0;  // already in a committed file (0 = write them again)
  uint64_t udfs = 0;
  bool metadata_written = false;  // sindexes/UDFs are in a committed file
  std::vector<CommittedFile> files;
  // Every selected partition: done, or resume after last_digest when has_digest.
  std::vector<client::PartitionState> partitions;
};

std::string EmitStateJson(const BackupState& s);
// kCorrupt naming the problem for malformed input.
Result<BackupState> ParseStateJson(std::string_view text);

}  // namespace aero::backup
