// Streaming reader for .asb backup files (asb-format.md §15 checklist): header, `#` meta lines, then
// `* i` / `* e` / `* u` global lines and `+`/`-` records, one entity at a time.
//
// Memory is bounded whatever the file size: a fixed read buffer (256 KiB) plus the entity being returned;
// tokens, values and whole entities larger than the configured limits are rejected instead of
// allocated. Every malformed input gives a kCorrupt Status "<file>: line L (byte B): <what>";
// the reader never stops silently: a file that ends inside an entity (truncated record, missing final
// LF) is an error, and only an end of file exactly between entities is a clean end. Errors of the
// underlying stream (zstd, AES, storage) are returned with the file name added.
//
// Accepted: versions 3.0 (legacy: no unescaping, no global lines), 3.1 and 3.2; the `X` base64 string
// forms; `!` raw forms on any bytes letter and on `B` keys; doubles as asbackup (`%.17g`, nan, inf)
// and backup-go (`NaN`, `+Inf`, `E`) write them; global lines anywhere between records.
// Rejected: `U` (LDT) bins, bad base64, lengths over the limits or past EOF, generation or bin count
// above 65535, void time above 2^32-1, integer overflow, unknown line letters.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/record.h"
#include "common/status.h"
#include "common/stream.h"
#include "format/metadata.h"

namespace aero {

struct AsbReaderOptions {
  // Largest length-prefixed payload (string/blob/list/map value as stored, UDF module) accepted.
  uint64_t max_value_bytes = 256ull << 20;
  // Largest escaped token (namespace, set, bin name, index name, context, numbers).
  size_t max_token_bytes = 64 << 10;
  // Largest entity (a record with all its bins, a UDF): the sum of its tokens and values as stored.
  // Servers cap records at 8 MiB by default (128 MiB at most), so this only stops corrupt input.
  uint64_t max_entity_bytes = 512ull << 20;
  // Decode ordinary records (no escapes, nothing malformed, all in the buffer) with the fast path;
  // anything else goes to the general parser, which alone produces errors. false = the general
  // parser for everything (tests compare the two).
  bool fast_path = true;
};

struct AsbHeader {
  std::string version;            // "3.0", "3.1" or "3.2"
  std::optional<std::string> ns;  // from "# namespace", unescaped
  bool first_file = false;        // "# first-file" present
};

enum class AsbEntityKind { kRecord, kSecondaryIndex, kUdf };

// One entity. Only the member named by `kind` is meaningful; the others keep stale contents from
// earlier calls (the reader reuses their buffers).
struct AsbEntity {
  AsbEntityKind kind = AsbEntityKind::kRecord;
  uint64_t line = 0;  // line the entity starts on (1-based)
  Record record;      // GEOJSON bins come back as [flags 0][ncells 0 0][JSON]
  SecondaryIndex sindex;
  UdfModule udf;
};

class AsbReader {
 public:
  // `in` is not owned and must outlive the reader. `file_name` is only used in messages.
  AsbReader(InputStream* in, std::string file_name, AsbReaderOptions options = {});
  ~AsbReader();
  AsbReader(const AsbReader&) = delete;
  AsbReader& operator=(const AsbReader&) = delete;

  // Reads the header and meta lines (Next() does this first if it was not called).
  Result<AsbHeader> ReadHeader();
  // Reads the next entity into *entity. Returns false at a clean end of file. After an error every
  // later call returns the same error.
  Result<bool> Next(AsbEntity* entity);

  const std::string& file_name() const { return file_name_; }
  uint64_t line() const;            // current line, 1-based
  uint64_t bytes_consumed() const;  // decoded text bytes consumed so far

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
  std::string file_name_;
};

}  // namespace aero
