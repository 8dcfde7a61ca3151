// The cluster view of the client: seed validation, peer discovery, the per-namespace partition
// map and a tend thread that keeps them current (wire-protocol.md §3); per-node bounded
// connection pools with authentication of every new socket (§11); info requests (§2).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client/connection.h"
#include "client/partition_map.h"
#include "client/policy.h"
#include "client/tls.h"
#include "common/cancel.h"
#include "common/status.h"

namespace aero::client {

using InfoMap = std::map<std::string, std::string>;

// Session shared by all sockets of a cluster: logs in when needed (first use, expiry, 60 s before
// the TTL runs out, or after the server answered 65/66) and authenticates new sockets.
class AuthContext {
 public:
  AuthContext(std::string user, std::string credential, Millis login_timeout)
      : user_(std::move(user)), credential_(std::move(credential)), login_timeout_(login_timeout) {}
  bool enabled() const { return !user_.empty(); }
  // Authenticates a freshly opened socket (LOGIN on it first when no valid token is held).
  Status AuthenticateSocket(Connection& conn, Deadline deadline);
  // Number of successful LOGINs so far (tests check re-login).
  uint64_t logins() const { return logins_.load(); }

 private:
  Result<std::string> TokenFor(Connection& conn, Deadline deadline, bool force);
  std::string user_, credential_;
  Millis login_timeout_;
  std::mutex mu_;
  std::string token_;
  bool security_off_ = false;  // the server said 51/52: nothing to authenticate
  SteadyClock::time_point refresh_at_ = SteadyClock::time_point::max();
  std::atomic<uint64_t> logins_{0};
};

class Node {
 public:
  Node(std::string id, Host host, std::array<int, 4> version, std::shared_ptr<AuthContext> auth,
       std::shared_ptr<TlsContext> tls, const ClientPolicy& policy);
  ~Node();

  const std::string& id() const { return id_; }
  const Host& host() const { return host_; }
  const std::array<int, 4>& version() const { return version_; }
  std::string version_text() const;
  bool active() const { return active_.load(); }

  // A pooled data connection (opened and authenticated if none is idle). Waits up to the deadline
  // when max_connections_per_node are in use.
  Result<std::unique_ptr<Connection>> Acquire(Deadline deadline, const CancelToken* cancel = nullptr);
  // Returns a connection to the pool; broken ones are closed.
  void Release(std::unique_ptr<Connection> conn);
  size_t open_connections() const;

  // One info request with several commands on a pooled connection. The map holds each command as
  // echoed by the server with its value (commands a ≤7.0 server does not know are missing).
  Result<InfoMap> Info(const std::vector<std::string>& commands, Millis timeout);

  // Opens a connection without the pool (tend socket, tests).
  Result<std::unique_ptr<Connection>> OpenConnection(Deadline deadline, const CancelToken* cancel = nullptr);

 private:
  friend class Cluster;
  std::string id_;
  Host host_;
  std::array<int, 4> version_;
  std::shared_ptr<AuthContext> auth_;
  std::shared_ptr<TlsContext> tls_;
  const ClientPolicy policy_;  // a copy: a node may outlive its cluster (held by a running scan)

  mutable std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  size_t open_ = 0;

  std::atomic<bool> active_{true};
  // Tend state, touched only by the tend cycle (under Cluster::tend_mu_).
  std::unique_ptr<Connection> tend_conn_;
  int64_t partition_generation_ = -1;
  int64_t peers_generation_ = -1;
  int failures_ = 0;
  bool responded_ = false;
  bool refreshed_once_ = false;
  std::set<std::string> peer_ids_;
  std::vector<ReplicasEntry> replicas_;
};

// Performs one info request on an open connection and parses the reply.
Result<InfoMap> InfoRequest(Connection& conn, const std::vector<std::string>& commands, Deadline deadline);
// Value of a command in an info reply, or an error naming the missing command / the error value.
Result<std::string> InfoValue(const InfoMap& reply, const std::string& command, const std::string& node);

class Cluster {
 public:
  // Validates the seeds, discovers peers, builds the partition map and starts the tend thread.
  // Fails when no seed could be validated (the message lists each seed's reason).
  static Result<std::shared_ptr<Cluster>> Connect(const std::vector<Host>& seeds, const ClientPolicy& policy);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Stops and joins the tend thread and closes all connections. Idempotent.
  void Close();

  const ClientPolicy& policy() const { return policy_; }
  std::vector<std::shared_ptr<Node>> nodes() const;
  std::shared_ptr<Node> GetNode(const std::string& id) const;
  // Any active node (round robin), or an error when the cluster has none.
  Result<std::shared_ptr<Node>> AnyNode() const;

  // Partition map snapshot: nodes referenced by index from the namespace maps.
  struct PartitionSnapshot {
    std::vector<std::shared_ptr<Node>> nodes;
    std::map<std::string, NamespaceMap> namespaces;
    uint64_t version = 0;
  };
  std::shared_ptr<const PartitionSnapshot> partitions() const;
  // Node holding replica `replica` (SEQUENCE order) of a partition, or an error.
  Result<std::shared_ptr<Node>> NodeForPartition(const std::string& ns, int pid, int replica = 0) const;

  // Runs one tend cycle now (serialised with the tend thread); returns its first error.
  Status Tend();
  uint64_t tend_count() const { return tend_count_.load(); }

  // Info commands to one node / any node.
  Result<InfoMap> Info(const std::shared_ptr<Node>& node, const std::vector<std::string>& commands);
  Result<InfoMap> InfoAny(const std::vector<std::string>& commands);
  // One command on every node: node id -> value (fails on the first node error).
  Result<std::map<std::string, std::string>> InfoAll(const std::string& command);

  const std::shared_ptr<AuthContext>& auth() const { return auth_; }

 private:
  Cluster(std::vector<Host> seeds, const ClientPolicy& policy);
  Result<std::shared_ptr<Node>> ValidateHost(const Host& host, const std::string& expected_id);
  Status TendLocked();
  Status RefreshNode(Node& node);
  void RebuildPartitionMap(const std::vector<std::shared_ptr<Node>>& nodes);
  void TendLoop();
  std::string PeersCommand() const;

  std::vector<Host> seeds_;
  ClientPolicy policy_;
  std::shared_ptr<AuthContext> auth_;
  std::shared_ptr<TlsContext> tls_;

  mutable std::mutex mu_;  // guards nodes_ and partitions_
  std::vector<std::shared_ptr<Node>> nodes_;
  std::shared_ptr<const PartitionSnapshot> partitions_;
  mutable std::atomic<uint64_t> round_robin_{0};

  std::mutex tend_mu_;  // one tend cycle at a time
  std::atomic<uint64_t> tend_count_{0};
  uint64_t map_version_ = 0;

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread tend_thread_;
};

}  // namespace aero::client
