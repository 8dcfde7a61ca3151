// Partition scans for backups (wire-protocol.md §8): all partitions or a range/list, resumable per
// partition from the last digest seen, with set/bin/time filters, records-per-second and
// max-records; unfinished partitions are retried on another replica after a map refresh and, if
// they never finish, reported as an error naming them. Nodes are scanned in parallel by a bounded
// number of workers that deliver records to a caller-supplied sink.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "client/cluster.h"
#include "common/bounded_queue.h"
#include "common/cancel.h"
#include "common/record.h"
#include "common/status.h"
#include "protocol/message.h"

namespace aero::client {

// Progress of one partition; persisting (pid, done, digest) is enough to resume a scan.
struct PartitionState {
  uint16_t pid = 0;
  bool done = false;
  bool has_digest = false;  // last_digest is valid: resume strictly after it
  Digest last_digest{};
  uint32_t attempts = 0;  // rounds in which the partition was sent to a node and did not finish
  uint32_t replica = 0;   // replica index to try next (advanced after a failure)
  uint64_t records = 0;   // records delivered from this partition by this client
  std::string last_error; // why the last attempt did not finish it
};

// The set of partitions a scan covers and their progress. Thread-safe: workers update it while the
// caller may take snapshots (e.g. to persist resume state).
class ScanState {
 public:
  static ScanState AllPartitions();
  // `count` partitions starting at `begin` (begin + count <= 4096).
  static Result<ScanState> Range(int begin, int count);
  // Explicit list (each pid < 4096, no duplicates).
  static Result<ScanState> List(const std::vector<int>& pids);
  // Restores persisted progress (pids must be distinct and < 4096).
  static Result<ScanState> FromSnapshot(std::vector<PartitionState> parts);

  ScanState(const ScanState& o);
  ScanState& operator=(const ScanState& o);
  ScanState(ScanState&& o) noexcept;

  std::vector<PartitionState> Snapshot() const;
  size_t size() const { return parts_.size(); }
  size_t pending() const;
  std::vector<int> PendingPids() const;

 private:
  friend class ScanRunner;
  ScanState() = default;
  mutable std::mutex mu_;
  std::vector<PartitionState> parts_;
};

struct ScanPolicy {
  std::string ns;
  // No sets = the whole namespace. One set = SET field; several = OR of set_name() == s.
  std::vector<std::string> sets;
  std::vector<std::string> bins;  // empty = all bins
  bool no_bins = false;           // metadata + key only
  // Last-update-time window in nanoseconds since the Unix epoch: >= after, < before (0 = unbounded).
  int64_t modified_after_ns = 0;
  int64_t modified_before_ns = 0;
  bool no_ttl_only = false;  // only records that never expire: ttl() == -1 (asbackup --no-ttl-only)
  // Extra filter expression (raw msgpack) ANDed with the above.
  std::string filter_exp;
  uint32_t records_per_second = 0;  // cluster-wide; split across the nodes of a round
  uint64_t max_records = 0;         // 0 = no limit
  // Server-side socket timeout (field 9) and the client's idle timeout for each reply chunk.
  Millis socket_timeout{30000};
  Millis total_timeout{0};  // 0 = none
  int max_rounds = 5;       // rounds before unfinished partitions become an error
  Millis retry_delay{200};
  size_t max_parallel_nodes = 0;  // 0 = one worker per node
};

// Sink for scanned records, called from worker threads (concurrently when several nodes are
// scanned). Return OK to accept the record (the caller may move from it); any error cancels the
// scan and is returned by Scan(). A sink may block to apply back-pressure.
using RecordSink = std::function<Status(Record& record)>;

// Sink for records as the parsed reply messages, for consumers that encode straight from the wire
// bytes (the backup): no Record is built. `msg` and everything `fields` points to are valid only
// during the call; `fields` were validated as MsgToRecord validates them. Same contract as
// RecordSink otherwise.
using MsgSink = std::function<Status(const proto::MsgView& msg, const proto::RecordFields& fields)>;

// A sink pushing into a bounded queue; blocks while it is full. The queue being closed, or `cancel`
// (if given) being cancelled while the sink waits for room, ends the scan with kCancelled.
RecordSink QueueSink(BoundedQueue<Record>& queue, const CancelToken* cancel = nullptr);

struct ScanStats {
  uint64_t records = 0;
  uint32_t rounds = 0;
  uint64_t partitions_retried = 0;  // partition attempts that had to be repeated
  std::vector<std::string> sub_errors;  // node-level errors that were retried
};

// Builds the scan request for one node (exposed for byte comparisons with captured requests).
// `resume` partitions carrying a digest go into DIGEST_ARRAY, the others into PID_ARRAY.
std::string BuildScanRequest(const ScanPolicy& policy, const std::vector<const PartitionState*>& parts,
                             uint64_t task_id, uint32_t node_rps, uint64_t node_max_records);

// Runs the scan until every pending partition of `state` is done (or max_records is reached).
// On return `state` holds the progress, also after an error or a cancel.
Result<ScanStats> Scan(Cluster& cluster, const ScanPolicy& policy, ScanState& state, const RecordSink& sink,
                       const CancelToken* cancel = nullptr);
// The same scan delivering messages instead of Records.
Result<ScanStats> ScanMessages(Cluster& cluster, const ScanPolicy& policy, ScanState& state, const MsgSink& sink,
                               const CancelToken* cancel = nullptr);

}  // namespace aero::client
