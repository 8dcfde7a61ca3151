// Cluster metadata a backup/restore needs (wire-protocol.md §2): namespaces, sets with object
// counts, namespace info, secondary indexes (list/create/wait), UDF modules (list/get/put),
// server version and edition, truncate.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "client/cluster.h"
#include "common/cancel.h"
#include "common/status.h"

namespace aero::client {

Result<std::vector<std::string>> Namespaces(Cluster& cluster);

// `namespace/<ns>` of one node (any node when node is null) as key -> value.
// A namespace the node does not have is kNotFound.
Result<std::map<std::string, std::string>> NamespaceInfo(Cluster& cluster, const std::string& ns,
                                                         const std::shared_ptr<Node>& node = nullptr);

struct SetInfo {
  std::string ns;
  std::string set;
  uint64_t objects = 0;     // estimated distinct records in the cluster (sum over nodes / replication)
  uint64_t tombstones = 0;  // same estimate for tombstones
  std::map<std::string, std::string> properties;  // first node's raw properties
};
// Sets of a namespace with cluster-wide object estimates: sum over nodes / effective replication factor.
Result<std::vector<SetInfo>> Sets(Cluster& cluster, const std::string& ns);
// Estimated records in a namespace (sets empty) or in the given sets.
Result<uint64_t> EstimateRecords(Cluster& cluster, const std::string& ns, const std::vector<std::string>& sets = {});

struct SindexInfo {
  std::string ns;
  std::string name;
  std::string set;         // empty = whole namespace
  std::string bin;         // empty for expression / set indexes
  std::string type;        // numeric | string | blob | geo2dsphere (lower case)
  std::string index_type;  // default | list | mapkeys | mapvalues | set (lower case)
  std::string context;     // base64 msgpack CDT context, empty = none
  std::string expression;  // base64 msgpack expression (8.1 expression index), empty = none
  std::string state;       // RW, WO, ...
  bool operator==(const SindexInfo&) const = default;
};
// Parses a `sindex-list` value in the 8.1, 6.x–8.0 and 5.x forms.
Result<std::vector<SindexInfo>> ParseSindexList(std::string_view value);
Result<std::vector<SindexInfo>> ListSindexes(Cluster& cluster, const std::string& ns);
// The sindex-create command for an index: the old syntax (valid 5.x–8.x); the 8.1 syntax for
// expression indexes.
std::string SindexCreateCommand(const SindexInfo& index);
// Creates an index (an identical existing index is fine: 8.1 answers ok).
Status CreateSindex(Cluster& cluster, const SindexInfo& index);
// Polls every node (`sindex/<ns>/<name>`) until load_pct=100 or the timeout.
Status WaitSindexBuilt(Cluster& cluster, const std::string& ns, const std::string& name, Millis timeout,
                       const CancelToken* cancel = nullptr);

struct UdfInfo {
  std::string name;
  std::string hash;
  std::string type;  // LUA
};
Result<std::vector<UdfInfo>> ListUdfs(Cluster& cluster);
// Module source (decoded bytes).
Result<std::string> GetUdf(Cluster& cluster, const std::string& name);
// Registers a module and waits until every node lists it (or the timeout).
Status PutUdf(Cluster& cluster, const std::string& name, const std::string& content, Millis timeout = Millis(10000),
              const CancelToken* cancel = nullptr);

struct ServerVersion {
  std::string version;  // "8.1.2.0"
  std::string edition;  // "Aerospike Community Edition"
  bool enterprise() const { return edition.find("Enterprise") != std::string::npos || edition.find("Federal") != std::string::npos; }
};
Result<ServerVersion> GetServerVersion(Cluster& cluster);

// `cluster-stable:namespace=<ns>` on every node: the cluster key when every node reports the same
// stable key (no migrations); an error naming the node otherwise. Same key before and after a backup
// = the cluster did not change.
Result<std::string> StableClusterKey(Cluster& cluster, const std::string& ns);

// Deletes all records of a set (set empty: the whole namespace) on the cluster.
Status Truncate(Cluster& cluster, const std::string& ns, const std::string& set);

}  // namespace aero::client
