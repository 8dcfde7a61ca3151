// Cluster tending, node pools and info requests; see cluster.h.
#include "client/cluster.h"

#include <algorithm>

#include "client/auth.h"
#include "common/base64.h"
#include "protocol/info.h"
#include "protocol/message.h"

namespace aero::client {

namespace {
constexpr const char* kClientVersion = "abs-cpp-0.1.0";
// Refresh the session this long before the server's TTL runs out (§11.3).
constexpr auto kSessionRefreshMargin = std::chrono::seconds(60);
}  // namespace

// ---- AuthContext -------------------------------------------------------------------------------

Result<std::string> AuthContext::TokenFor(Connection& conn, Deadline deadline, bool force) {
  std::lock_guard<std::mutex> lock(mu_);
  if (security_off_) return std::string();
  if (!force && !token_.empty() && SteadyClock::now() < refresh_at_) return token_;
  ABS_ASSIGN_OR_RETURN(Session s, Login(conn, user_, credential_, MinDeadline(deadline, DeadlineAfter(login_timeout_))));
  ++logins_;
  if (!s.security_enabled) {
    security_off_ = true;
    return std::string();
  }
  token_ = s.token;
  refresh_at_ = SteadyClock::time_point::max();
  if (s.ttl_seconds > 0) {
    auto ttl = std::chrono::seconds(s.ttl_seconds);
    refresh_at_ = SteadyClock::now() + (ttl > kSessionRefreshMargin ? ttl - kSessionRefreshMargin : ttl / 2);
  }
  return token_;
}

Status AuthContext::AuthenticateSocket(Connection& conn, Deadline deadline) {
  if (!enabled()) return Status::Ok();
  for (int attempt = 0; attempt < 2; ++attempt) {
    ABS_ASSIGN_OR_RETURN(std::string token, TokenFor(conn, deadline, attempt > 0));
    if (token.empty()) return Status::Ok();  // server without security
    ABS_ASSIGN_OR_RETURN(int rc, Authenticate(conn, user_, token, deadline));
    if (rc == 0 || rc == proto::kSecurityNotEnabled || rc == proto::kSecurityNotSupported) {
      conn.auth_token = token;
      return Status::Ok();
    }
    if (rc != proto::kExpiredSession && rc != proto::kInvalidCredential)
      return Status(ErrorCode::kAuth, "authentication of user '" + user_ + "' on " + conn.peer() + " failed: " +
                                          proto::ResultCodeName(rc) + " (" + std::to_string(rc) + ")", rc);
    // Session expired or revoked: log in again once.
  }
  return Status(ErrorCode::kAuth, "authentication of user '" + user_ + "' on " + conn.peer() +
                                      " failed: session rejected right after a new login", proto::kExpiredSession);
}

// ---- Info --------------------------------------------------------------------------------------

Result<InfoMap> InfoRequest(Connection& conn, const std::vector<std::string>& commands, Deadline deadline) {
  std::string req = proto::BuildInfoRequest(commands);
  proto::ProtoHeader h;
  std::string body;
  ABS_RETURN_IF_ERROR(conn.Exchange(req, h, body, deadline));
  if (h.type != proto::kInfo) {
    conn.MarkBroken();
    return Status(ErrorCode::kProtocol, "info reply from " + conn.peer() + " has proto type " + std::to_string(h.type));
  }
  ABS_ASSIGN_OR_RETURN(auto pairs, proto::ParseInfoResponse(body));
  InfoMap out;
  for (auto& [k, v] : pairs) out[std::move(k)] = std::move(v);
  return out;
}

Result<std::string> InfoValue(const InfoMap& reply, const std::string& command, const std::string& node) {
  auto it = reply.find(command);
  if (it == reply.end())
    return Status(ErrorCode::kProtocol, "node " + node + " did not answer info command '" + command + "'");
  if (proto::IsInfoError(it->second)) {
    if (it->second.find("ERROR:80") == 0)
      return Status(ErrorCode::kAuth, "node " + node + " info '" + command + "': " + it->second, 80);
    return Status(ErrorCode::kServer, "node " + node + " info '" + command + "': " + it->second);
  }
  return it->second;
}

// ---- Node --------------------------------------------------------------------------------------

Node::Node(std::string id, Host host, std::array<int, 4> version, std::shared_ptr<AuthContext> auth,
           std::shared_ptr<TlsContext> tls, const ClientPolicy& policy)
    : id_(std::move(id)), host_(std::move(host)), version_(version), auth_(std::move(auth)), tls_(std::move(tls)),
      policy_(policy) {}

Node::~Node() = default;

std::string Node::version_text() const {
  return std::to_string(version_[0]) + "." + std::to_string(version_[1]) + "." + std::to_string(version_[2]) + "." +
         std::to_string(version_[3]);
}

Result<std::unique_ptr<Connection>> Node::OpenConnection(Deadline deadline, const CancelToken* cancel) {
  ABS_ASSIGN_OR_RETURN(auto conn, Connection::Open(host_, tls_.get(), deadline, cancel));
  if (auth_) {
    Status s = auth_->AuthenticateSocket(*conn, deadline);
    if (!s.ok()) return s.WithContext("node " + id_);
  }
  return conn;
}

Result<std::unique_ptr<Connection>> Node::Acquire(Deadline deadline, const CancelToken* cancel) {
  if (!active_) return Status(ErrorCode::kNetwork, "node " + id_ + " has left the cluster (or the cluster was closed)");
  {
    std::unique_lock<std::mutex> lock(pool_mu_);
    for (;;) {
      while (!idle_.empty()) {
        std::unique_ptr<Connection> c = std::move(idle_.back());
        idle_.pop_back();
        if (SteadyClock::now() - c->last_used() < policy_.max_idle) return c;
        --open_;  // too old: the server may have closed it
      }
      if (open_ < policy_.max_connections_per_node) {
        ++open_;
        break;
      }
      if (cancel && cancel->cancelled()) return Status(ErrorCode::kCancelled, "cancelled waiting for a connection");
      auto wait_until = MinDeadline(deadline, SteadyClock::now() + std::chrono::milliseconds(100));
      pool_cv_.wait_until(lock, wait_until);
      if (SteadyClock::now() >= deadline)
        return Status(ErrorCode::kTimeout, "node " + id_ + ": all " + std::to_string(policy_.max_connections_per_node) +
                                               " connections busy");
    }
  }
  auto conn = OpenConnection(MinDeadline(deadline, DeadlineAfter(policy_.connect_timeout)), cancel);
  if (!conn.ok()) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    --open_;
    pool_cv_.notify_one();
  }
  return conn;
}

void Node::Release(std::unique_ptr<Connection> conn) {
  if (!conn) return;
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (conn->broken() || !active_) {
    --open_;
    conn.reset();
  } else {
    idle_.push_back(std::move(conn));
  }
  pool_cv_.notify_one();
}

size_t Node::open_connections() const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  return open_;
}

Result<InfoMap> Node::Info(const std::vector<std::string>& commands, Millis timeout) {
  Deadline deadline = DeadlineAfter(timeout);
  // A pooled connection may have been closed by the server meanwhile (idle timeout, restart):
  // a connection-level failure gets one more try on another connection.
  for (int attempt = 0;; ++attempt) {
    ABS_ASSIGN_OR_RETURN(auto conn, Acquire(deadline));
    auto r = InfoRequest(*conn, commands, deadline);
    if (!r.ok()) conn->MarkBroken();
    Release(std::move(conn));
    if (r.ok()) return r;
    if (attempt == 0 && r.status().code() == ErrorCode::kNetwork && SteadyClock::now() < deadline) continue;
    return r.status().WithContext("info to node " + id_);
  }
}

// ---- Cluster -----------------------------------------------------------------------------------

Cluster::Cluster(std::vector<Host> seeds, const ClientPolicy& policy) : seeds_(std::move(seeds)), policy_(policy) {}

Cluster::~Cluster() { Close(); }

void Cluster::Close() {
  {
    std::lock_guard<std::mutex> lock(stop_mu_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (tend_thread_.joinable()) tend_thread_.join();
  std::lock_guard<std::mutex> tl(tend_mu_);
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& n : nodes_) {
    n->active_ = false;
    n->tend_conn_.reset();
    std::lock_guard<std::mutex> pl(n->pool_mu_);
    n->open_ -= n->idle_.size();
    n->idle_.clear();
  }
}

Result<std::shared_ptr<Cluster>> Cluster::Connect(const std::vector<Host>& seeds, const ClientPolicy& policy) {
  if (seeds.empty()) return Status(ErrorCode::kInvalidArgument, "no seed hosts given");
  std::shared_ptr<Cluster> c(new Cluster(seeds, policy));
  if (policy.tls.enabled) {
    ABS_ASSIGN_OR_RETURN(c->tls_, TlsContext::Create(policy.tls));
  }
  if (!policy.user.empty()) {
    ABS_ASSIGN_OR_RETURN(std::string cred, HashPassword(policy.password));
    c->auth_ = std::make_shared<AuthContext>(policy.user, cred, policy.login_timeout);
  }
  Status s = c->Tend();
  if (c->nodes().empty()) return s.ok() ? Status(ErrorCode::kNetwork, "no seed node could be validated") : s;
  c->tend_thread_ = std::thread([raw = c.get()] { raw->TendLoop(); });
  return c;
}

void Cluster::TendLoop() {
  std::unique_lock<std::mutex> lock(stop_mu_);
  while (!stop_) {
    if (stop_cv_.wait_for(lock, policy_.tend_interval, [&] { return stop_; })) break;
    lock.unlock();
    (void)Tend();  // failures are kept in node state and retried next cycle
    lock.lock();
  }
}

std::string Cluster::PeersCommand() const {
  std::string c = policy_.tls.enabled ? "peers-tls-" : "peers-clear-";
  return c + (policy_.use_alternate_access ? "alt" : "std");
}

Result<std::shared_ptr<Node>> Cluster::ValidateHost(const Host& host, const std::string& expected_id) {
  Deadline deadline = DeadlineAfter(policy_.connect_timeout + policy_.info_timeout);
  ABS_ASSIGN_OR_RETURN(auto conn, Connection::Open(host, tls_.get(), deadline));
  if (auth_) ABS_RETURN_IF_ERROR(auth_->AuthenticateSocket(*conn, deadline));
  std::vector<std::string> cmds = {"node", "partition-generation", "build"};
  if (!policy_.cluster_name.empty()) cmds.push_back("cluster-name");
  ABS_ASSIGN_OR_RETURN(InfoMap reply, InfoRequest(*conn, cmds, DeadlineAfter(policy_.info_timeout)));
  std::string where = host.ToString();
  ABS_ASSIGN_OR_RETURN(std::string id, InfoValue(reply, "node", where));
  if (id.empty()) return Status(ErrorCode::kProtocol, where + " answered an empty node id");
  if (!expected_id.empty() && id != expected_id)
    return Status(ErrorCode::kProtocol, where + " is node " + id + ", expected " + expected_id);
  ABS_ASSIGN_OR_RETURN(std::string gen, InfoValue(reply, "partition-generation", where));
  if (gen == "-1") return Status(ErrorCode::kUnsupported, "node " + id + " at " + where + " is not yet fully initialized");
  ABS_ASSIGN_OR_RETURN(std::string build, InfoValue(reply, "build", where));
  ABS_ASSIGN_OR_RETURN(auto version, ParseVersion(build));
  if (!VersionAtLeast(version, 4, 9, 0, 3))
    return Status(ErrorCode::kUnsupported, "node " + id + " runs server " + build + "; partition scans need 4.9.0.3+");
  if (!policy_.cluster_name.empty()) {
    ABS_ASSIGN_OR_RETURN(std::string name, InfoValue(reply, "cluster-name", where));
    if (name != policy_.cluster_name)
      return Status(ErrorCode::kInvalidArgument,
                    "node " + id + " belongs to cluster '" + name + "', expected '" + policy_.cluster_name + "'");
  }
  if (VersionAtLeast(version, 8, 1, 0)) {
    // As the official client does (captures README item 3); an error reply is harmless.
    std::string agent = Base64Encode(std::string("1,") + kClientVersion + "," + policy_.app_id);
    (void)InfoRequest(*conn, {"user-agent-set:value=" + agent}, DeadlineAfter(policy_.info_timeout));
    if (conn->broken()) return Status(ErrorCode::kNetwork, "node " + id + " dropped the connection after user-agent-set");
  }
  auto node = std::make_shared<Node>(id, host, version, auth_, tls_, policy_);
  node->tend_conn_ = std::move(conn);
  return node;
}

std::vector<std::shared_ptr<Node>> Cluster::nodes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return nodes_;
}

std::shared_ptr<Node> Cluster::GetNode(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& n : nodes_)
    if (n->id() == id) return n;
  return nullptr;
}

Result<std::shared_ptr<Node>> Cluster::AnyNode() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (nodes_.empty()) return Status(ErrorCode::kNetwork, "cluster has no active node");
  return nodes_[round_robin_++ % nodes_.size()];
}

std::shared_ptr<const Cluster::PartitionSnapshot> Cluster::partitions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return partitions_;
}

Result<std::shared_ptr<Node>> Cluster::NodeForPartition(const std::string& ns, int pid, int replica) const {
  auto snap = partitions();
  if (!snap) return Status(ErrorCode::kNetwork, "no partition map yet");
  auto it = snap->namespaces.find(ns);
  if (it == snap->namespaces.end())
    return Status(ErrorCode::kNotFound, "namespace '" + ns + "' is not in the partition map", proto::kNamespaceNotFound);
  int idx = it->second.Node(pid, replica);
  if (idx < 0) return Status(ErrorCode::kNetwork, "no node holds partition " + std::to_string(pid) + " of '" + ns + "'");
  return snap->nodes[idx];
}

Status Cluster::Tend() {
  std::lock_guard<std::mutex> lock(tend_mu_);
  Status s = TendLocked();
  ++tend_count_;
  return s;
}

Status Cluster::RefreshNode(Node& node) {
  if (!node.tend_conn_) {
    ABS_ASSIGN_OR_RETURN(node.tend_conn_, node.OpenConnection(DeadlineAfter(policy_.connect_timeout)));
  }
  // A node validated in this cycle goes straight to peers and replicas (as the official client
  // does, captures 01 lines 5-8): both replies carry their generation.
  bool fresh = !node.refreshed_once_;
  int64_t peers_gen = -1, part_gen = -1;
  if (!fresh) {
    auto reply = InfoRequest(*node.tend_conn_, {"node", "peers-generation", "partition-generation"},
                             DeadlineAfter(policy_.info_timeout));
    if (!reply.ok()) {
      node.tend_conn_.reset();
      return reply.status();
    }
    ABS_ASSIGN_OR_RETURN(std::string id, InfoValue(*reply, "node", node.id()));
    if (id != node.id()) {
      node.active_ = false;  // another server now answers on this address
      return Status(ErrorCode::kProtocol, "node " + node.id() + " at " + node.host().ToString() + " now reports id " + id);
    }
    ABS_ASSIGN_OR_RETURN(std::string pg, InfoValue(*reply, "peers-generation", node.id()));
    ABS_ASSIGN_OR_RETURN(std::string gen, InfoValue(*reply, "partition-generation", node.id()));
    try {
      peers_gen = std::stoll(pg);
      part_gen = std::stoll(gen);
    } catch (...) {
      return Status(ErrorCode::kProtocol, "node " + node.id() + " sent non-numeric generations '" + pg + "', '" + gen + "'");
    }
  }
  node.refreshed_once_ = true;
  if (fresh || peers_gen != node.peers_generation_) {
    auto peers_reply = InfoRequest(*node.tend_conn_, {PeersCommand()}, DeadlineAfter(policy_.info_timeout));
    if (!peers_reply.ok()) {
      node.tend_conn_.reset();
      return peers_reply.status();
    }
    ABS_ASSIGN_OR_RETURN(std::string pv, InfoValue(*peers_reply, PeersCommand(), node.id()));
    ABS_ASSIGN_OR_RETURN(PeersInfo peers, ParsePeers(pv));
    std::set<std::string> ids;
    std::vector<Peer> unknown;
    for (auto& p : peers.peers) {
      ids.insert(p.node_id);
      if (!p.endpoints.empty() && !GetNode(p.node_id)) unknown.push_back(p);
    }
    node.peer_ids_ = std::move(ids);
    node.peers_generation_ = peers.generation;
    for (const auto& p : unknown) {
      if (GetNode(p.node_id)) continue;
      for (const auto& ep : p.endpoints) {
        auto nn = ValidateHost(ep, p.node_id);
        if (nn.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          nodes_.push_back(*nn);
          break;
        }
      }
    }
  }
  // Partitions are read only from a node that has peers or is alone: a node split off from its
  // cluster would otherwise claim partitions it does not serve (§3.2).
  bool may_own = !node.peer_ids_.empty() || nodes().size() <= 1;
  if (may_own && (fresh || (part_gen != node.partition_generation_ && part_gen != -1))) {
    auto rep = InfoRequest(*node.tend_conn_, {"partition-generation", "replicas"}, DeadlineAfter(policy_.info_timeout));
    if (!rep.ok()) {
      node.tend_conn_.reset();
      return rep.status();
    }
    ABS_ASSIGN_OR_RETURN(std::string rv, InfoValue(*rep, "replicas", node.id()));
    ABS_ASSIGN_OR_RETURN(std::string g2, InfoValue(*rep, "partition-generation", node.id()));
    auto entries = ParseReplicas(rv);
    if (!entries.ok()) return entries.status().WithContext("node " + node.id());
    node.replicas_ = std::move(*entries);
    try {
      node.partition_generation_ = std::stoll(g2);
    } catch (...) {
      return Status(ErrorCode::kProtocol, "node " + node.id() + " sent partition-generation '" + g2 + "'");
    }
    map_version_++;  // a rebuild is due
  }
  return Status::Ok();
}

void Cluster::RebuildPartitionMap(const std::vector<std::shared_ptr<Node>>& nodes) {
  PartitionMapBuilder b;
  for (size_t i = 0; i < nodes.size(); ++i) b.Apply(static_cast<int>(i), nodes[i]->replicas_);
  // A node displaced from a partition by another claim has older information: re-read it next tend.
  for (int d : b.displaced()) nodes[d]->partition_generation_ = -1;
  auto snap = std::make_shared<PartitionSnapshot>();
  snap->nodes = nodes;
  snap->namespaces = b.Take();
  snap->version = map_version_;
  std::lock_guard<std::mutex> lock(mu_);
  partitions_ = std::move(snap);
}

Status Cluster::TendLocked() {
  Status first_error;
  std::vector<std::shared_ptr<Node>> current = nodes();
  if (current.empty()) {
    // (Re)seed: validate every seed; distinct node ids become nodes.
    std::string reasons;
    for (const auto& seed : seeds_) {
      auto n = ValidateHost(seed, "");
      if (!n.ok()) {
        reasons += (reasons.empty() ? "" : "; ") + seed.ToString() + ": " + n.status().message();
        first_error = Status(n.status().code(), "no seed could be validated: " + reasons, n.status().server_code());
        continue;
      }
      if (!GetNode((*n)->id())) {
        std::lock_guard<std::mutex> lock(mu_);
        nodes_.push_back(*n);
      }
    }
    current = nodes();
    if (current.empty()) return first_error;
    first_error = Status::Ok();
  }
  size_t before = current.size();
  uint64_t map_version_before = map_version_;
  // Nodes discovered during this cycle are refreshed in the same cycle (bounded by the node count).
  std::set<const Node*> refreshed;
  for (size_t i = 0; i < current.size(); ++i) {
    auto n = current[i];
    refreshed.insert(n.get());
    Status s = RefreshNode(*n);
    if (i + 1 == current.size()) {
      for (const auto& m : nodes())
        if (!refreshed.count(m.get()) && current.size() < 4096) current.push_back(m);
    }
    n->responded_ = s.ok();
    if (s.ok()) {
      n->failures_ = 0;
    } else {
      ++n->failures_;
      // Re-read peers and partitions after the next success.
      n->peers_generation_ = -1;
      n->partition_generation_ = -1;
      if (first_error.ok()) first_error = s;
    }
  }
  // Remove nodes that are gone: replaced, failing too long, or failing and no longer anyone's peer.
  std::vector<std::shared_ptr<Node>> all = nodes();
  std::set<std::string> referenced;
  for (const auto& n : all)
    if (n->responded_) referenced.insert(n->peer_ids_.begin(), n->peer_ids_.end());
  std::vector<std::shared_ptr<Node>> keep;
  bool removed = false;
  for (const auto& n : all) {
    bool drop = !n->active() || n->failures_ >= policy_.max_node_failures ||
                (n->failures_ > 0 && all.size() > 1 && !referenced.count(n->id()));
    if (drop) {
      n->active_ = false;
      n->tend_conn_.reset();
      removed = true;
    } else {
      keep.push_back(n);
    }
  }
  if (removed) {
    std::lock_guard<std::mutex> lock(mu_);
    nodes_ = keep;
  }
  if (removed || keep.size() != before || map_version_ != map_version_before || !partitions()) {
    ++map_version_;
    RebuildPartitionMap(keep);
  }
  return first_error;
}

Result<InfoMap> Cluster::Info(const std::shared_ptr<Node>& node, const std::vector<std::string>& commands) {
  if (!node) return Status(ErrorCode::kInvalidArgument, "info to a null node");
  return node->Info(commands, policy_.info_timeout);
}

Result<InfoMap> Cluster::InfoAny(const std::vector<std::string>& commands) {
  Status last;
  auto all = nodes();
  if (all.empty()) return Status(ErrorCode::kNetwork, "cluster has no active node");
  size_t start = round_robin_++;
  for (size_t i = 0; i < all.size(); ++i) {
    auto r = all[(start + i) % all.size()]->Info(commands, policy_.info_timeout);
    if (r.ok()) return r;
    last = r.status();
  }
  return last;
}

Result<std::map<std::string, std::string>> Cluster::InfoAll(const std::string& command) {
  std::map<std::string, std::string> out;
  auto all = nodes();
  if (all.empty()) return Status(ErrorCode::kNetwork, "cluster has no active node");
  for (const auto& n : all) {
    ABS_ASSIGN_OR_RETURN(InfoMap r, n->Info({command}, policy_.info_timeout));
    ABS_ASSIGN_OR_RETURN(out[n->id()], InfoValue(r, command, n->id()));
  }
  return out;
}

}  // namespace aero::client
