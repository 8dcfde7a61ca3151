// Writer for the .asb text backup format, byte-compatible with asbackup 4.5.8 (asb-format.md §2-§9):
// "Version 3.1" header, `#` meta lines, `* i`/`* e`/`* u` global lines and `+`/`-` record lines,
// with asbackup's escaping, %.17g doubles, base64 (or `!` raw in compact mode) bytes values.
//
// The writer streams into an OutputStream (which may be a zstd/AES chain, see codec.h). Each call
// encodes one entity completely in memory and hands it to the stream with one Write(), so a failed
// encode never leaves half an entity in the file.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/record.h"
#include "common/status.h"
#include "common/stream.h"
#include "format/metadata.h"

namespace aero {

struct AsbWriterOptions {
  // asbackup --compact: raw bytes with `!` letters instead of base64 for every bytes-typed bin and
  // for bytes keys.
  bool compact = false;
};

// Encoding into a string (appends to *out); used by AsbWriter, by estimate mode and by benchmarks.
// Errors (kInvalidArgument / kUnsupported) name the record digest or the bin; *out is then left
// as it was before the call.
//
// Record notes: void_time is written as is (seconds since 2010, 0 = never expires; see
// VoidTimeFromTtl in expiry.h). Bins are written in vector order. A GEOJSON bin's wire header
// (flags, cell ids) is dropped, only the JSON text is stored. VECTOR bins and language-blob keys
// have no representation in the format and are rejected with kUnsupported.
Status EncodeRecord(const Record& record, const AsbWriterOptions& options, std::string* out);

// A record as views, e.g. straight into a scan reply buffer (the backup encodes from there without
// building a Record). Everything it points to must stay valid during EncodeRecordView.
struct BinView {
  std::string_view name;
  ParticleType type = ParticleType::kNull;
  std::string_view data;  // wire encoding, as Bin::data
};
struct RecordView {
  std::string_view ns;
  std::string_view set;  // empty = no set
  const Digest* digest = nullptr;  // required
  bool has_key = false;
  ParticleType key_type = ParticleType::kNull;
  std::string_view key_data;
  uint32_t generation = 0;
  uint32_t void_time = 0;
  const BinView* bins = nullptr;
  size_t n_bins = 0;
};
// The same bytes (and errors) as EncodeRecord of the equivalent Record. EncodeRecord is this
// function on a view of the record. On error *out is restored to its size at the call.
Status EncodeRecordView(const RecordView& record, const AsbWriterOptions& options, std::string* out);
Status EncodeSecondaryIndex(const SecondaryIndex& index, std::string* out);
Status EncodeUdf(const UdfModule& udf, std::string* out);
// "Version 3.1\n# namespace <ns>\n" and, when first_file, "# first-file\n".
void EncodeHeader(std::string_view ns, bool first_file, std::string* out);

// asbackup's token escaping: a backslash before every '\\', ' ' and '\n'.
void AppendEscaped(std::string_view token, std::string* out);
// %.17g as glibc prints it ("1.1000000000000001", "1e+21", "-0", "nan", "-nan", "inf").
void AppendDouble(double v, std::string* out);

class AsbWriter {
 public:
  // `out` is not owned and must outlive the writer.
  explicit AsbWriter(OutputStream* out, AsbWriterOptions options = {});

  // Header and meta lines; call once, first.
  Status WriteHeader(std::string_view ns, bool first_file = false);
  Status WriteSecondaryIndex(const SecondaryIndex& index);
  Status WriteUdf(const UdfModule& udf);
  Status WriteRecord(const Record& record);

  // Text bytes handed to the stream so far (before compression/encryption).
  uint64_t bytes_written() const { return bytes_written_; }
  uint64_t records_written() const { return records_written_; }

 private:
  Status Flush();

  OutputStream* out_;
  AsbWriterOptions options_;
  std::string buf_;
  uint64_t bytes_written_ = 0;
  uint64_t records_written_ = 0;
};

}  // namespace aero
