// Internal state of a test cluster shared by its nodes: options, the record store, topology
// (which node holds which partition in which role), generations, faults, UDF modules, secondary
// index definitions and login sessions. All members are guarded by their own mutexes so the
// per-connection threads of every node can use them concurrently.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/cancel.h"
#include "common/clock.h"
#include "testserver/store.h"
#include "testserver/test_cluster.h"

namespace aero::testserver {

struct NodeSlot {
  uint64_t id = 0;
  uint16_t port = 0;
  uint16_t tls_port = 0;
  bool up = false;
  int64_t partition_generation = 0;
};

struct SindexDef {
  std::string ns, name, set, bin, type, indextype, context, exp;
};

struct UdfModule {
  std::string content;  // decoded file bytes
  std::string type = "LUA";
};

class ClusterState {
 public:
  explicit ClusterState(TestClusterOptions opts);

  const TestClusterOptions& options() const { return opts_; }
  Store& store() { return store_; }
  int64_t NowMs() const { return clock_->NowUnixMillis(); }
  CancelToken& stopping() { return stopping_; }

  // ---- topology ----
  int node_count() const { return static_cast<int>(slots_.size()); }
  NodeSlot Slot(int node) const;
  void SetSlotPorts(int node, uint16_t port, uint16_t tls_port);
  // Marks a node up/down and recomputes partition ownership; bumps generations.
  void SetUp(int node, bool up);
  // Marks every node up at cluster start, with generations 0.
  void StartAll();
  // Replica list of a partition (node indexes, master first); empty if no node is live.
  std::vector<int> Replicas(int pid) const;
  // Role of node in pid: 0 master, 1.. prole, -1 not held.
  int Role(int node, int pid) const;
  int64_t PeersGeneration() const;
  int LiveCount() const;
  int EffectiveReplicationFactor() const;
  int NodeIndexById(uint64_t id) const;

  // ---- faults ----
  NodeFaults Faults(int node) const;
  void SetFaults(int node, NodeFaults f);
  // Consumes one injected write failure for a write to `set` on node; 0 if none applies.
  int TakeWriteFailure(int node, const std::string& set);

  // ---- udf / sindex ----
  std::mutex meta_mu;
  std::map<std::string, UdfModule> udfs;
  std::vector<SindexDef> sindexes;

  // ---- security ----
  bool security_enabled() const { return !credentials_.empty(); }
  // Credential (bcrypt) of a user, empty if unknown.
  std::string Credential(const std::string& user) const;
  // Creates a session; returns the token.
  std::string NewSession(const std::string& user);
  // 0 if valid, 66 expired, 65 unknown.
  int CheckSession(const std::string& user, const std::string& token) const;

  std::string cluster_key() const;
  int64_t start_ms() const { return start_ms_; }

  // Node up/down requests arriving over the wire (x-fault down/up); set by TestCluster, which runs
  // them on its control thread (a node cannot stop itself from one of its own connection threads).
  std::function<void(int node, bool up, int after_ms)> control;

  Status InitSecurity();

 private:
  void RecomputeLocked();

  TestClusterOptions opts_;
  const Clock* clock_;
  int64_t start_ms_ = 0;
  Store store_;
  CancelToken stopping_;

  mutable std::mutex topo_mu_;
  std::vector<NodeSlot> slots_;
  std::vector<std::vector<int8_t>> roles_;  // [node][pid] role or -1
  std::vector<std::vector<int>> replicas_;  // [pid] node list
  int64_t peers_generation_ = 0;
  std::string cluster_key_;

  mutable std::mutex fault_mu_;
  std::vector<NodeFaults> faults_;

  mutable std::mutex sec_mu_;
  std::map<std::string, std::string> credentials_;  // user -> bcrypt string
  struct Session {
    std::string user;
    int64_t expires_ms = 0;
  };
  std::map<std::string, Session> sessions_;
};

// bcrypt with Aerospike's fixed salt (wire-protocol.md §11.2).
Result<std::string> HashPassword(const std::string& password);

}  // namespace aero::testserver
