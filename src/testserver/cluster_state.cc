// Shared cluster state of the test server: topology, faults, sessions; see cluster_state.h.
#include "testserver/cluster_state.h"

#include <crypt.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>

#include "common/bytes.h"

namespace aero::testserver {

Result<std::string> HashPassword(const std::string& password) {
  struct crypt_data data {};
  const char* out = crypt_r(password.c_str(), "$2a$10$7EqJtq98hPqEX7fNZaFWoO", &data);
  if (!out || out[0] == '*') return Status(ErrorCode::kInternal, "bcrypt (crypt_r $2a$) is not available");
  return std::string(out);
}

ClusterState::ClusterState(TestClusterOptions opts)
    : opts_(std::move(opts)),
      clock_(opts_.clock ? opts_.clock : &SystemClock::Instance()),
      store_(opts_.namespaces) {
  int n = std::max(1, opts_.nodes);
  slots_.resize(n);
  faults_.resize(n);
  roles_.assign(n, std::vector<int8_t>(kPartitions, -1));
  replicas_.resize(kPartitions);
  for (int i = 0; i < n; ++i) {
    // Node ids look like real ones (15 uppercase hex digits, printed without leading zeros).
    slots_[i].id = 0xBB9000000000001ull + (static_cast<uint64_t>(i) << 16) * 0x10 + static_cast<uint64_t>(i);
  }
  unsigned char key[6];
  RAND_bytes(key, sizeof key);
  cluster_key_ = ToHex(std::string_view(reinterpret_cast<char*>(key), sizeof key), true);
  start_ms_ = NowMs();
}

std::string ClusterState::cluster_key() const {
  std::lock_guard lock(topo_mu_);
  return cluster_key_;
}

Status ClusterState::InitSecurity() {
  for (const auto& [user, password] : opts_.users) {
    ABS_ASSIGN_OR_RETURN(std::string hash, HashPassword(password));
    credentials_[user] = hash;
  }
  return Status::Ok();
}

NodeSlot ClusterState::Slot(int node) const {
  std::lock_guard lock(topo_mu_);
  return slots_.at(node);
}

void ClusterState::SetSlotPorts(int node, uint16_t port, uint16_t tls_port) {
  std::lock_guard lock(topo_mu_);
  slots_.at(node).port = port;
  slots_.at(node).tls_port = tls_port;
}

void ClusterState::SetUp(int node, bool up) {
  std::lock_guard lock(topo_mu_);
  if (slots_.at(node).up == up) return;
  slots_[node].up = up;
  ++peers_generation_;
  RecomputeLocked();
  // A new cluster key per topology change, as a real cluster after re-clustering.
  unsigned char key[6];
  RAND_bytes(key, sizeof key);
  cluster_key_ = ToHex(std::string_view(reinterpret_cast<char*>(key), sizeof key), true);
}

void ClusterState::StartAll() {
  std::lock_guard lock(topo_mu_);
  for (auto& s : slots_) s.up = true;
  RecomputeLocked();
  // A freshly formed cluster reports generation 0 (as a fresh real single node does).
  for (auto& s : slots_) s.partition_generation = 0;
  peers_generation_ = 0;
}

void ClusterState::RecomputeLocked() {
  int n = static_cast<int>(slots_.size());
  int live = 0;
  for (const auto& s : slots_) live += s.up ? 1 : 0;
  int rf = std::min(std::max(1, opts_.replication_factor), std::max(1, live));
  std::vector<std::vector<int8_t>> roles(n, std::vector<int8_t>(kPartitions, -1));
  for (int pid = 0; pid < kPartitions; ++pid) {
    // A fixed succession list per partition; down nodes are skipped, so only the partitions a
    // departed node held move, like a real cluster after migrations.
    std::vector<int> reps;
    for (int k = 0; k < n && static_cast<int>(reps.size()) < rf; ++k) {
      int cand = (pid + k) % n;
      if (slots_[cand].up) reps.push_back(cand);
    }
    for (size_t r = 0; r < reps.size(); ++r) roles[reps[r]][pid] = static_cast<int8_t>(r);
    replicas_[pid] = std::move(reps);
  }
  // Bump partition-generation on every node whose roles changed.
  for (int i = 0; i < n; ++i) {
    if (roles[i] != roles_[i]) ++slots_[i].partition_generation;
  }
  roles_ = std::move(roles);
}

std::vector<int> ClusterState::Replicas(int pid) const {
  std::lock_guard lock(topo_mu_);
  return replicas_.at(pid);
}

int ClusterState::Role(int node, int pid) const {
  std::lock_guard lock(topo_mu_);
  return roles_.at(node).at(pid);
}

int64_t ClusterState::PeersGeneration() const {
  std::lock_guard lock(topo_mu_);
  return peers_generation_;
}

int ClusterState::LiveCount() const {
  std::lock_guard lock(topo_mu_);
  int live = 0;
  for (const auto& s : slots_) live += s.up ? 1 : 0;
  return live;
}

int ClusterState::EffectiveReplicationFactor() const {
  int live = LiveCount();
  return std::min(std::max(1, opts_.replication_factor), std::max(1, live));
}

int ClusterState::NodeIndexById(uint64_t id) const {
  std::lock_guard lock(topo_mu_);
  for (size_t i = 0; i < slots_.size(); ++i)
    if (slots_[i].id == id) return static_cast<int>(i);
  return -1;
}

NodeFaults ClusterState::Faults(int node) const {
  std::lock_guard lock(fault_mu_);
  return faults_.at(node);
}

void ClusterState::SetFaults(int node, NodeFaults f) {
  std::lock_guard lock(fault_mu_);
  faults_.at(node) = std::move(f);
}

int ClusterState::TakeWriteFailure(int node, const std::string& set) {
  std::lock_guard lock(fault_mu_);
  NodeFaults& f = faults_.at(node);
  if (f.fail_writes_code == 0 || f.fail_writes_remaining == 0) return 0;
  if (!f.fail_writes_set.empty() && f.fail_writes_set != set) return 0;
  if (f.fail_writes_remaining > 0) --f.fail_writes_remaining;
  return f.fail_writes_code;
}

std::string ClusterState::Credential(const std::string& user) const {
  std::lock_guard lock(sec_mu_);
  auto it = credentials_.find(user);
  return it == credentials_.end() ? std::string() : it->second;
}

std::string ClusterState::NewSession(const std::string& user) {
  unsigned char raw[32];
  RAND_bytes(raw, sizeof raw);
  std::string token(reinterpret_cast<char*>(raw), sizeof raw);
  std::lock_guard lock(sec_mu_);
  sessions_[token] = Session{user, NowMs() + int64_t{opts_.session_ttl_seconds} * 1000};
  return token;
}

int ClusterState::CheckSession(const std::string& user, const std::string& token) const {
  std::lock_guard lock(sec_mu_);
  auto it = sessions_.find(token);
  if (it == sessions_.end() || it->second.user != user) return 65;
  if (it->second.expires_ms <= NowMs()) return 66;
  return 0;
}

}  // namespace aero::testserver
