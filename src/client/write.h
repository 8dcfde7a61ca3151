// Record writes and reads for restores (wire-protocol.md §10): whole-record put with exists and
// generation policies, TTL from an absolute void time, send-key, durable delete, retries of
// transient errors; a batch put (BATCH_INDEX, per-row results); single-record get and delete.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "client/cluster.h"
#include "client/errors.h"
#include "common/cancel.h"
#include "common/record.h"
#include "common/status.h"

namespace aero::client {

enum class ExistsAction { kUpdate, kReplace, kCreateOnly, kReplaceOnly, kUpdateOnly };
enum class GenerationPolicy { kNone, kEqual, kGreater };

struct WritePolicy {
  ExistsAction exists = ExistsAction::kUpdate;
  GenerationPolicy generation = GenerationPolicy::kNone;  // compares with Record::generation
  bool send_key = true;         // send the user key when the record has one
  bool durable_delete = false;
  uint32_t extra_ttl = 0;       // seconds added to the void time before the expiry check (asrestore)
  Millis socket_timeout{10000};
  Millis total_timeout{10000};  // also sent as the server-side transaction timeout
  int max_retries = 2;          // retries of transient errors
  Millis retry_delay{50};       // doubled after each retry
};

// Largest TTL a server accepts (10 years, wire-protocol.md §10.3); larger values fail with PARAMETER (4).
inline constexpr uint32_t kMaxTtl = 315360000;

// TTL to send for a record with an absolute void time (§10.3), as asrestore computes it:
// void_time 0 → 0xFFFFFFFF (never expire); otherwise extra_ttl is added to the void time first, then
// void_time + extra_ttl <= now → nullopt (expired: do not write; so a record that expired less than
// extra_ttl ago is restored), else void_time + extra_ttl - now. A TTL above kMaxTtl is an error
// (kInvalidArgument), not clamped: asrestore sends it and the server rejects the record with
// PARAMETER (4); we report it without sending. The result is never 0 or a special value
// (0xFFFFFFFD..0xFFFFFFFE). `now_unix` is Unix seconds.
Result<std::optional<uint32_t>> TtlFromVoidTime(uint32_t void_time, int64_t now_unix, uint32_t extra_ttl = 0);

struct WriteResult {
  bool expired = false;      // the record had expired: nothing was sent
  uint32_t generation = 0;   // new generation on the server
  uint32_t void_time = 0;    // new void time on the server
  int attempts = 0;
};

// Builds the write request (exposed for byte comparisons with captured requests).
Result<std::string> BuildWriteRequest(const Record& rec, const WritePolicy& policy, uint32_t ttl);

// Writes a whole record. Server refusals are Status kServer with server_code(); use
// ClassifyStatus() (errors.h) to tell exists/generation/record/permanent/transient apart.
// `now_unix` (Unix seconds) is the reference time for the TTL; 0 = the system clock.
Result<WriteResult> Put(Cluster& cluster, const Record& rec, const WritePolicy& policy, int64_t now_unix = 0,
                        const CancelToken* cancel = nullptr);

// Per-row outcome of a batch put, in input order.
struct BatchRowResult {
  Status status;        // OK or the row's server error
  bool expired = false; // not sent: already expired
};

// Batch put (§10.6): rows grouped by master node, one BATCH_INDEX request per node (at most
// max_rows_per_request rows). Rows of a node whose request failed as a whole get that error.
// Needs servers 6.0+ ("batch-any").
Result<std::vector<BatchRowResult>> BatchPut(Cluster& cluster, const std::vector<Record>& records,
                                             const WritePolicy& policy, int64_t now_unix = 0,
                                             size_t max_rows_per_request = 5000, const CancelToken* cancel = nullptr);

struct ReadPolicy {
  Millis socket_timeout{10000};
  Millis total_timeout{10000};
  int max_retries = 2;
};

// Reads a record by digest (all bins or the named ones). nullopt = not found. The returned record has
// ns/set/digest/generation/void_time and the bins; its key only if the server returned it.
Result<std::optional<Record>> Get(Cluster& cluster, const std::string& ns, const std::string& set, const Digest& digest,
                                  const std::vector<std::string>& bins = {}, const ReadPolicy& policy = {});

// Deletes a record by digest; returns false if it did not exist.
Result<bool> Delete(Cluster& cluster, const std::string& ns, const std::string& set, const Digest& digest,
                    bool durable = false, const ReadPolicy& policy = {});

}  // namespace aero::client
