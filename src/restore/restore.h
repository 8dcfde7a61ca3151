// The restore engine: reads .asb backup files from a Storage (a full backup directory, then each
// incremental in order, or single files) and writes their records, secondary indexes and UDF modules
// to a cluster with asrestore's policies (backup-tools.md §2, §6; wire-protocol.md §10).
//
// One RestoreJob = one engine run. The service's restore-to-timestamp passes the full backup and then
// each incremental as ordered inputs of one job; each input is finished before the next starts, so a
// later backup's version of a record is the one that stays. Counters are atomics readable from any
// thread while the job runs (job status); Run() returns a RestoreSummary at the end. Cancellation is
// cooperative through a CancelToken.
//
// Counter identity (exact at the end of Run(), whatever happened; not in validate_only mode, where
// records are only read and counted):
//   records_read = inserted + existed + fresher + expired + skipped + failed + abandoned
// where `ignored` is the part of `failed` that --ignore-record-error let through, and `abandoned` are
// records read but never attempted because the job stopped (cancel, or an error that ends the job).
// Unparseable entities are not records: they are counted in `corrupt_entities`, with file and line
// in RestoreSummary::errors.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/cluster.h"
#include "common/cancel.h"
#include "common/clock.h"
#include "common/status.h"
#include "format/codec.h"
#include "storage/storage.h"

namespace aero::restore {

struct RestoreOptions {
  // Namespace handling (asrestore -n NS or -n SRC,DST). source empty: no check. source set, dest
  // empty: every record, sindex and the file's `# namespace` must be in source. Both set: they must be
  // in source and are written to dest (sindexes too).
  std::string source_namespace;
  std::string dest_namespace;
  // Client-side filters: only these sets / bins (empty = all). A record left with no bins is skipped.
  std::vector<std::string> set_list;
  std::vector<std::string> bin_list;

  bool unique = false;         // create only: existing records are left alone (counted `existed`)
  bool replace = false;        // replace whole records instead of merging bins
  bool no_generation = false;  // write whatever the server's generation (default: only if backup gen > server gen)
  bool ignore_record_error = false;  // count record-specific errors and bad entities, and go on
  uint32_t extra_ttl = 0;            // seconds added to expirable records' void time

  bool no_records = false;
  bool no_indexes = false;
  bool no_udfs = false;
  bool indexes_last = false;  // create sindexes after all records (default: as they are read)
  bool wait_indexes = false;  // wait until created sindexes are built

  // Parse everything (with decompression/decryption), count, write nothing; no cluster needed.
  bool validate_only = false;

  int parallel = 8;         // writer threads (concurrent write requests)
  int readers = 0;          // file reader threads; 0 = min(parallel, files of the current input)
  size_t batch_size = 128;  // records per write request
  // Batch writes need server 6.0+; "auto" checks the server version.
  enum class BatchMode { kAuto, kOn, kOff } batch_mode = BatchMode::kAuto;

  uint64_t records_per_second = 0;  // 0 = unlimited; applies to records sent for writing
  uint64_t bytes_per_second = 0;    // 0 = unlimited; bytes read from storage

  CodecOptions codec;  // must match how the backup was written

  client::Millis socket_timeout{10000};
  client::Millis total_timeout{10000};
  client::Millis info_timeout{10000};  // sindex / UDF commands and waits
  int max_retries = 5;                 // retries of transient write errors
  client::Millis retry_delay{150};     // first retry delay, doubled each time (asrestore --retry-scale-factor)

  const Clock* clock = nullptr;  // "now" for expiry; nullptr = system clock
};

// Live counters; every field may be read from another thread at any time.
struct RestoreCounters {
  std::atomic<uint64_t> records_read{0};
  std::atomic<uint64_t> records_inserted{0};
  std::atomic<uint64_t> records_existed{0};   // unique: the record was already there
  std::atomic<uint64_t> records_fresher{0};   // generation check: the server's record is newer
  std::atomic<uint64_t> records_expired{0};   // void time (+ extra TTL) already passed
  std::atomic<uint64_t> records_skipped{0};   // set/bin filters, no-records
  std::atomic<uint64_t> records_failed{0};    // write errors and bad records (reasons in the summary)
  std::atomic<uint64_t> records_ignored{0};   // part of failed that ignore_record_error let through
  std::atomic<uint64_t> records_abandoned{0}; // read but not attempted because the job stopped
  std::atomic<uint64_t> corrupt_entities{0};  // unparseable backup data (file + line in the summary)
  std::atomic<uint64_t> bytes_read{0};        // bytes read from storage (as stored: compressed/encrypted)
  std::atomic<uint64_t> bytes_total{0};       // size of all input files (progress)
  std::atomic<uint64_t> files_total{0};
  std::atomic<uint64_t> files_done{0};
  std::atomic<uint64_t> sindexes_read{0};
  std::atomic<uint64_t> sindexes_restored{0};
  std::atomic<uint64_t> sindexes_skipped{0};  // no-indexes or set filter
  std::atomic<uint64_t> udfs_read{0};
  std::atomic<uint64_t> udfs_restored{0};
  std::atomic<uint64_t> udfs_skipped{0};
};

// A plain copy of the counters.
struct RestoreStats {
  uint64_t records_read = 0, records_inserted = 0, records_existed = 0, records_fresher = 0, records_expired = 0,
           records_skipped = 0, records_failed = 0, records_ignored = 0, records_abandoned = 0, corrupt_entities = 0,
           bytes_read = 0, bytes_total = 0, files_total = 0, files_done = 0, sindexes_read = 0,
           sindexes_restored = 0, sindexes_skipped = 0, udfs_read = 0, udfs_restored = 0, udfs_skipped = 0;
  // read == inserted + existed + fresher + expired + skipped + failed + abandoned
  bool Balanced() const {
    return records_read == records_inserted + records_existed + records_fresher + records_expired + records_skipped +
                               records_failed + records_abandoned;
  }
};

struct RestoreSummary {
  // OK only if every input was read completely and nothing failed (exit status 0). Otherwise the
  // first error that stopped the job, or a kServer/kCorrupt summary of what was counted as failed.
  Status status;
  bool cancelled = false;
  RestoreStats stats;
  // Failed records by reason ("RECORD_TOO_BIG (13)", "namespace mismatch", ...).
  std::map<std::string, uint64_t> failures;
  // Messages of individual problems (corrupt lines with file and line, first failed records), at most 100.
  std::vector<std::string> errors;
  uint64_t errors_dropped = 0;  // messages beyond the first 100
  // Things the restore interpreted rather than took literally (e.g. a sindex set `null` read as
  // "no set"); not failures. At most 100, like errors.
  std::vector<std::string> notes;
  std::chrono::milliseconds duration{0};
};

// One backup file to restore.
struct InputFile {
  std::string key;  // storage key
  uint64_t size = 0;
};

// Resolves one input: a key naming a file is that file; otherwise (or "") a directory whose *.asb
// children (not recursive) are taken in key order. kNotFound when there is nothing to restore.
Result<std::vector<InputFile>> ResolveInput(Storage& storage, const std::string& input);

class RestoreJob {
 public:
  // `cluster` may be null only with validate_only. `storage` is not owned and must outlive Run().
  // `inputs`: storage keys of directories or files, restored in this order.
  RestoreJob(RestoreOptions options, std::shared_ptr<client::Cluster> cluster, Storage* storage,
             std::vector<std::string> inputs);
  ~RestoreJob();
  RestoreJob(const RestoreJob&) = delete;
  RestoreJob& operator=(const RestoreJob&) = delete;

  // Runs the whole restore on the calling thread (with worker threads it joins before returning).
  // `cancel` may be null. Call once.
  RestoreSummary Run(const CancelToken* cancel = nullptr);

  // Live counters (safe from any thread, during and after Run()).
  const RestoreCounters& counters() const { return counters_; }
  RestoreStats Snapshot() const;

 private:
  class Impl;
  friend class Impl;
  RestoreOptions options_;
  std::shared_ptr<client::Cluster> cluster_;
  Storage* storage_;
  std::vector<std::string> inputs_;
  RestoreCounters counters_;
  std::unique_ptr<Impl> impl_;
};

// Checks option combinations as asrestore does (unique excludes replace and no-generation,
// encryption needs key material, parallel and batch size in range, namespace pairs, ...).
Status ValidateOptions(const RestoreOptions& options);

}  // namespace aero::restore
