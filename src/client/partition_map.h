// Pure parsing and bookkeeping for cluster tending (wire-protocol.md §2.3, §2.6, §3.3): the
// `replicas` value, the `peers-*` value, server versions, and the per-namespace partition map
// with the regime rules. No I/O here, so all of it is unit-tested directly.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "client/policy.h"
#include "common/status.h"

namespace aero::client {

constexpr int kMaxReplicaColumns = 3;

// One namespace entry of a `replicas` reply. columns[i][pid] = this node holds replica i of pid.
struct ReplicasEntry {
  std::string ns;
  uint32_t regime = 0;
  int n_columns = 0;  // as announced (may exceed the columns kept)
  std::vector<std::vector<bool>> columns;  // at most kMaxReplicaColumns
};

// Parses "ns:regime,n,b64,b64;ns2:..." (and the regime-less `replicas-all` form "ns:n,b64...").
Result<std::vector<ReplicasEntry>> ParseReplicas(std::string_view value);

struct Peer {
  std::string node_id;
  std::string tls_name;
  std::vector<Host> endpoints;
};
struct PeersInfo {
  int64_t generation = 0;
  uint16_t default_port = 3000;
  std::vector<Peer> peers;
};
// Parses "gen,port,[[ID,tls,[a,b:p,[v6],[v6]:p]],...]". Empty port = 3000.
Result<PeersInfo> ParsePeers(std::string_view value);

// "8.1.2.0" -> {8,1,2,0}; at least 3 numeric components.
Result<std::array<int, 4>> ParseVersion(std::string_view build);
bool VersionAtLeast(const std::array<int, 4>& v, int a, int b, int c, int d = 0);

// Partition owners of one namespace. owner[pid][column] is a node index of the snapshot or -1.
struct NamespaceMap {
  int n_columns = 0;
  bool strong_consistency = false;  // some node reported regime != 0
  std::vector<std::array<int16_t, kMaxReplicaColumns>> owner = std::vector<std::array<int16_t, kMaxReplicaColumns>>(
      4096, std::array<int16_t, kMaxReplicaColumns>{-1, -1, -1});
  std::vector<uint32_t> regime = std::vector<uint32_t>(4096, 0);

  // Node for a partition and replica attempt (SEQUENCE: replica % columns, skipping empty slots).
  int Node(int pid, int replica) const;
};

// Builds a partition map from the replicas replies of all nodes, applying §3.3: a node's claim is
// taken when its regime >= the stored regime; a displaced node is reported so the tender re-reads
// its replicas (its information is older).
class PartitionMapBuilder {
 public:
  void Apply(int node_index, const std::vector<ReplicasEntry>& entries);
  const std::map<std::string, NamespaceMap>& namespaces() const { return maps_; }
  std::map<std::string, NamespaceMap> Take() { return std::move(maps_); }
  const std::set<int>& displaced() const { return displaced_; }
  // Number of partitions whose claim was ignored because of an older regime.
  size_t stale_claims() const { return stale_; }

 private:
  std::map<std::string, NamespaceMap> maps_;
  std::set<int> displaced_;
  size_t stale_ = 0;
};

}  // namespace aero::client
