// Public C++ API of the in-memory, protocol-compatible Aerospike test server (CE 8.1.2.0 behaviour).
// A TestCluster runs N nodes in this process, each listening on its own loopback port, sharing one
// record store; partitions are spread over the live nodes with a configurable replication factor
// and reported through `replicas`, `peers-*`, `partition-generation` like a real cluster. Tests,
// benchmarks and the demo run against it; faults can be injected from C++ or over the wire with the
// test-only info command `x-fault` (see README in this folder).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/record.h"
#include "common/status.h"

namespace aero::testserver {

struct TlsOptions {
  std::string cert_file;  // PEM server certificate (chain); empty = no TLS listener
  std::string key_file;   // PEM private key
  std::string tls_name = "abs-test";  // name reported in peers-tls-std
  bool enabled() const { return !cert_file.empty(); }
};

struct TestClusterOptions {
  int nodes = 1;
  int replication_factor = 1;
  std::vector<std::string> namespaces{"test", "bar"};
  std::string cluster_name = "local";
  // user -> password. Empty = Community Edition behaviour: every admin message answers 51.
  std::map<std::string, std::string> users;
  uint32_t session_ttl_seconds = 86400;
  TlsOptions tls;
  std::string bind_address = "127.0.0.1";
  uint16_t base_port = 0;      // 0 = an ephemeral port per node; else node i listens on base_port + i
  uint16_t tls_base_port = 0;  // same for the TLS listener (0 = ephemeral)
  int max_connections_per_node = 256;  // further connections are closed at once
  int idle_timeout_ms = 60000;          // a connection idle this long is closed
  int io_timeout_ms = 30000;            // a started read/write that stalls this long fails
  uint32_t nsup_period = 60;            // 0 forbids writes with a TTL (result 22), as the real server
  uint32_t default_ttl = 0;             // seconds; 0 = never expire
  const Clock* clock = nullptr;         // nullptr = system clock
};

// Faults of one node. Apply with TestCluster::SetFaults or over the wire:
//   x-fault:node=<ID>;drop-after-records=K;delay-ms=N;fail-writes=<code>,<count>[,<set>];
//           unavailable=<pid>[,<pid>|<a>-<b>...];scan-last-result=<code>;clear=true;down=true;up=true;down-ms=N
struct NodeFaults {
  int64_t drop_after_records = -1;     // scans: close the connection after sending K records
  int delay_ms = 0;                    // delay every reply (info and data) by this much
  int fail_writes_code = 0;            // answer this result code ...
  int fail_writes_remaining = 0;       // ... for this many writes (-1 = all) ...
  std::string fail_writes_set;         // ... whose set is this ("" = any set)
  std::set<int> unavailable_partitions;  // scans answer PARTITION_DONE/11 for these pids
  int scan_last_result = 0;            // non-zero: scans end with a LAST carrying this result
};

class TestCluster {
 public:
  static Result<std::unique_ptr<TestCluster>> Start(TestClusterOptions options);
  ~TestCluster();
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  // Stops every node and joins every thread. Idempotent.
  void Stop();

  int NodeCount() const;
  // "127.0.0.1:<port of node 0>" (the first live node).
  std::string SeedHost() const;
  uint16_t Port(int node) const;
  uint16_t TlsPort(int node) const;  // 0 without TLS
  std::string NodeId(int node) const;  // uppercase hex, as the `node` info command
  bool IsUp(int node) const;

  // Takes a node down (stops listening, drops its connections; its partitions move to the remaining
  // nodes, generations bump) and brings it back on the same port with the same node id.
  Status StopNode(int node);
  Status StartNode(int node);

  void SetFaults(int node, NodeFaults faults);
  NodeFaults Faults(int node) const;
  void ClearFaults();

  // Direct data access for seeding and assertions. Put stores the record as given (generation 0 is
  // stored as 1, last-update = now); Get returns nullopt for a missing or expired record.
  Status Put(const Record& record);
  std::optional<Record> Get(const std::string& ns, const Digest& digest) const;
  // Last update time of a record in ms since the Unix epoch, nullopt if missing.
  std::optional<uint64_t> LastUpdateMs(const std::string& ns, const Digest& digest) const;
  Status SetLastUpdateMs(const std::string& ns, const Digest& digest, uint64_t lut_ms);
  // Live records of a namespace; set "" = all sets.
  uint64_t Count(const std::string& ns, const std::string& set = "") const;
  // Removes every record of every namespace.
  void Clear();
  // Records the store has visited one by one to answer counts (Store::RecordsWalked).
  uint64_t RecordsWalked() const;
  // Every live record of a namespace, in partition order then descending digest (the scan order).
  std::vector<Record> Records(const std::string& ns) const;

  // Node index that is master of a partition in namespace-independent terms (-1 if none live).
  int MasterOf(int pid) const;

  struct Impl;

 private:
  explicit TestCluster(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Seeds `count` sample records into ns/set (keys 0..count-1 stored, bins id/name/value/payload);
// used by the executable's --sample-records and by benchmarks.
Status SeedSampleRecords(TestCluster& cluster, const std::string& ns, const std::string& set, uint64_t count,
                         size_t payload_bytes = 100);

}  // namespace aero::testserver
