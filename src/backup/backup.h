// The backup engine: one namespace of a cluster into .asb files on a Storage, full or incremental,
// as the service and the abs-backup tool run it.
//
// Pipeline (README.md in this folder): `parallel` partition-slice scans; their worker threads encode
// each record and append it to a ~64 KiB chunk of its writer (a partition always goes to the same
// writer, so its records stay in scan order); chunks go through one bounded queue per writer; each
// writer compresses, encrypts and stores its own file chain. Memory is bounded by the queue
// capacities whatever the data size.
//
// Publication: a backup exists only once `metadata.yaml` is written, last, after every data file was
// closed successfully. On failure or cancel nothing is published; the files already committed and a
// resume state (committed files + per-partition progress) stay behind unless the request says to
// delete them, and a run with `resume = true` completes the backup exactly.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup_metadata.h"
#include "backup/partition_filter.h"
#include "client/cluster.h"
#include "common/cancel.h"
#include "common/clock.h"
#include "common/status.h"
#include "format/codec.h"
#include "storage/storage.h"

namespace aero::backup {

struct BackupRequest {
  std::string ns;  // required

  // ---- where ----
  // Directory mode: files <output_dir>/<file_prefix>_<NNNNN>.asb ("" = the storage root).
  std::string output_dir;
  // Single-file mode when set: every writer's output goes to this one key (parallel_write forced to
  // 1, no file limit). output_dir is then only used for the default state/metadata keys.
  std::string output_file;
  std::string file_prefix;  // empty = the namespace
  // Keys of the completion marker and of the resume state; empty = defaults:
  // <output_dir>/metadata.yaml and <output_dir>/<file_prefix>.asb.state.
  std::string metadata_key;
  std::string state_key;
  bool write_metadata = true;
  // Delete *.asb files, metadata and state under output_dir first (asbackup -r). Otherwise a
  // directory already holding any of them is refused (kAlreadyExists), unless resuming.
  bool remove_existing = false;

  // ---- what ----
  std::vector<std::string> sets;  // empty = all sets
  std::vector<std::string> bins;  // empty = all bins
  bool no_bins = false;
  bool no_records = false;
  bool no_indexes = false;
  bool no_udfs = false;
  // Incremental window on the last-update time, ms since the Unix epoch: >= after, < before
  // (0 = unbounded). A backup with modified_after set is recorded as incremental.
  int64_t modified_after_unix_ms = 0;
  int64_t modified_before_unix_ms = 0;
  bool no_ttl_only = false;  // only records that never expire (asbackup --no-ttl-only)
  std::vector<PartitionFilter> partitions;  // empty = all (or node_list)
  std::vector<std::string> node_list;       // exclusive with partitions
  std::string filter_exp;                   // raw msgpack filter expression ANDed with the above
  uint64_t max_records = 0;                 // approximate cap, 0 = all

  // ---- how ----
  int parallel = 1;        // concurrent partition-slice scans, 1..1024
  int parallel_write = 0;  // file writers (each owns a file chain); 0 = same as parallel
  uint32_t records_per_second = 0;          // server-side scan throttle, split over the scans; 0 = off
  uint64_t bandwidth_bytes_per_second = 0;  // cap on bytes stored per second, all writers; 0 = off
  uint64_t file_limit_bytes = 250ull << 20; // roll to a new file at this many stored bytes; 0 = never
  bool compact = false;                     // asbackup --compact
  CodecOptions codec;                       // compression / encryption
  // Ask the cluster for set object counts to estimate the total for progress (one info round trip
  // per node; false = total unknown).
  bool estimate_total = true;
  size_t queue_chunks = 4;                  // per-writer queue capacity, in chunks of <= ~64 KiB
  client::Millis socket_timeout{10000};
  client::Millis total_timeout{0};
  int max_retries = 5;  // scan rounds before unfinished partitions fail the backup
  client::Millis retry_delay{200};

  // ---- resume ----
  bool resume = false;  // continue from the state at state_key (same request otherwise)
  // On failure/cancel: true = keep committed files + write the resume state; false = delete the
  // files this run committed (nothing of the attempt remains).
  bool keep_state_on_failure = true;
  std::chrono::milliseconds state_save_interval{10000};  // also saved after file commits at most this often

  // ---- identity ----
  // Run start recorded as `created` (the service passes the shared run time); 0 = now.
  int64_t created_unix_ms = 0;
  std::map<std::string, std::string> extra_metadata_options;  // copied into metadata `options`
  const Clock* clock = nullptr;  // nullptr = system clock
};

// Live counters of a running backup, safe to read from any thread while it runs.
class BackupProgress {
 public:
  std::atomic<uint64_t> records_read{0};     // records received from the scans
  std::atomic<uint64_t> records_written{0};  // records encoded into files (committed or not)
  std::atomic<uint64_t> bytes_written{0};    // bytes handed to storage (after compression/encryption)
  std::atomic<uint64_t> files_committed{0};
  std::atomic<uint64_t> sindexes{0};
  std::atomic<uint64_t> udfs{0};
  std::atomic<uint64_t> estimated_records{0};  // from set object counts; 0 = unknown
  std::atomic<uint64_t> records_at_start{0};   // already in storage from an earlier attempt (resume)
  std::atomic<int64_t> start_unix_ms{0};
  std::atomic<bool> finished{false};

  struct View {
    uint64_t records = 0;  // records_at_start + records_written
    uint64_t bytes = 0;
    uint64_t files = 0;
    uint64_t estimated_records = 0;
    double elapsed_seconds = 0;
    double records_per_second = 0;  // this run's rate
    double bytes_per_second = 0;
    double percent = -1;            // -1 = unknown
    double eta_seconds = -1;        // -1 = unknown (shown once 1 % is done)
  };
  View Take(int64_t now_unix_ms) const;
};

struct BackupSummary {
  std::string ns;
  bool incremental = false;
  bool resumed = false;
  uint64_t records = 0;  // in the backup (all attempts)
  uint64_t bytes = 0;    // stored bytes of the data files
  uint64_t text_bytes = 0;  // this run: .asb text before compression/encryption
  uint64_t files = 0;
  uint64_t sindexes = 0;
  uint64_t udfs = 0;
  std::vector<std::string> file_keys;
  std::string metadata_key;  // empty when write_metadata is false
  int64_t created_unix_ms = 0;
  int64_t start_unix_ms = 0;  // this attempt
  int64_t end_unix_ms = 0;
  int64_t from_unix_ms = 0;
  int64_t to_unix_ms = 0;
  uint64_t scan_rounds = 0;          // max over the slices
  uint64_t partitions_retried = 0;   // partition attempts repeated after node/connection failures
  double duration_seconds() const { return static_cast<double>(end_unix_ms - start_unix_ms) / 1000.0; }
};

// Runs one backup to completion, failure or cancel. Returns kCancelled when `cancel` fired; any
// other error names what failed (the resume state key is appended when one was written).
Result<BackupSummary> RunBackup(client::Cluster& cluster, Storage& storage, const BackupRequest& request,
                                CancelToken& cancel, BackupProgress* progress = nullptr);

// asbackup -e: scans up to `samples` records through the real encoder and codec (nothing stored)
// and extrapolates with the namespace/set object count.
struct BackupEstimate {
  uint64_t sampled_records = 0;
  double mean_record_bytes = 0;      // .asb text per record
  double compression_ratio = 1;      // text bytes / stored bytes of the sample
  uint64_t estimated_records = 0;
  uint64_t estimated_bytes = 0;      // stored bytes for the whole backup
};
Result<BackupEstimate> EstimateBackup(client::Cluster& cluster, const BackupRequest& request, uint64_t samples,
                                      CancelToken& cancel);

// Checks a request without touching cluster or storage; kInvalidArgument naming the problem.
Status ValidateRequest(const BackupRequest& request);

// The default keys derived from the request.
std::string MetadataKeyOf(const BackupRequest& request);
std::string StateKeyOf(const BackupRequest& request);

}  // namespace aero::backup
