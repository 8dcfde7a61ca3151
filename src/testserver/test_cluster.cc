// TestCluster: owns the shared state, the nodes, the TLS context and the control thread that
// carries out node up/down requests arriving over the wire; see test_cluster.h.
#include "testserver/test_cluster.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <condition_variable>
#include <algorithm>
#include <deque>
#include <mutex>
#include <thread>

#include "common/bytes.h"
#include "common/digest.h"
#include "testserver/cluster_state.h"
#include "testserver/node.h"

namespace aero::testserver {

struct TestCluster::Impl {
  explicit Impl(TestClusterOptions o) : state(std::move(o)) {}
  ~Impl() {
    if (tls_ctx) SSL_CTX_free(tls_ctx);
  }

  ClusterState state;
  SSL_CTX* tls_ctx = nullptr;
  std::vector<std::unique_ptr<Node>> nodes;
  std::mutex node_mu;  // serialises StopNode/StartNode/Stop

  // Control thread: delayed and wire-initiated node up/down actions.
  struct Action {
    int node;
    bool up;
    std::chrono::steady_clock::time_point due;
  };
  std::mutex ctl_mu;
  std::condition_variable ctl_cv;
  std::deque<Action> actions;
  bool ctl_stop = false;
  std::thread ctl_thread;
  bool stopped = false;

  Status SetNode(int i, bool up) {
    std::lock_guard lock(node_mu);
    if (stopped) return Status(ErrorCode::kCancelled, "cluster stopped");
    if (i < 0 || i >= static_cast<int>(nodes.size()))
      return Status(ErrorCode::kInvalidArgument, "no node " + std::to_string(i));
    if (up) {
      if (nodes[i]->running()) return Status::Ok();
      ABS_RETURN_IF_ERROR(nodes[i]->Start());
      state.SetUp(i, true);
    } else {
      if (!nodes[i]->running()) return Status::Ok();
      // Ownership moves first, so clients re-reading the map never see the stopped node as owner.
      state.SetUp(i, false);
      nodes[i]->Stop();
    }
    return Status::Ok();
  }

  void ControlLoop() {
    std::unique_lock lock(ctl_mu);
    while (!ctl_stop) {
      if (actions.empty()) {
        ctl_cv.wait(lock);
        continue;
      }
      auto next = std::min_element(actions.begin(), actions.end(),
                                   [](const Action& a, const Action& b) { return a.due < b.due; });
      if (next->due > std::chrono::steady_clock::now()) {
        ctl_cv.wait_until(lock, next->due);
        continue;
      }
      Action a = *next;
      actions.erase(next);
      lock.unlock();
      (void)SetNode(a.node, a.up);  // failures (e.g. port taken) leave the node down; tests observe it
      lock.lock();
    }
  }

  void Enqueue(int node, bool up, int after_ms) {
    {
      std::lock_guard lock(ctl_mu);
      if (actions.size() >= 1024) return;  // bounded: a flood of requests is dropped
      actions.push_back(Action{node, up, std::chrono::steady_clock::now() + std::chrono::milliseconds(after_ms)});
    }
    ctl_cv.notify_all();
  }
};

static Status TlsError(const std::string& what) {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return Status(ErrorCode::kInvalidArgument, what + ": " + buf);
}

Result<std::unique_ptr<TestCluster>> TestCluster::Start(TestClusterOptions options) {
  if (options.nodes < 1 || options.nodes > 64)
    return Status(ErrorCode::kInvalidArgument, "nodes must be 1..64, got " + std::to_string(options.nodes));
  if (options.replication_factor < 1)
    return Status(ErrorCode::kInvalidArgument, "replication factor must be >= 1");
  if (options.namespaces.empty()) return Status(ErrorCode::kInvalidArgument, "at least one namespace is required");
  auto impl = std::make_unique<Impl>(std::move(options));
  ABS_RETURN_IF_ERROR(impl->state.InitSecurity());
  const auto& o = impl->state.options();
  if (o.tls.enabled()) {
    impl->tls_ctx = SSL_CTX_new(TLS_server_method());
    if (!impl->tls_ctx) return TlsError("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(impl->tls_ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(impl->tls_ctx, o.tls.cert_file.c_str()) != 1)
      return TlsError("cannot load TLS certificate '" + o.tls.cert_file + "'");
    if (SSL_CTX_use_PrivateKey_file(impl->tls_ctx, o.tls.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      return TlsError("cannot load TLS key '" + o.tls.key_file + "'");
    if (SSL_CTX_check_private_key(impl->tls_ctx) != 1) return TlsError("TLS key does not match the certificate");
  }
  for (int i = 0; i < impl->state.node_count(); ++i)
    impl->nodes.push_back(std::make_unique<Node>(impl->state, i, impl->tls_ctx));
  std::unique_ptr<TestCluster> cluster(new TestCluster(std::move(impl)));
  Impl* p = cluster->impl_.get();
  for (auto& n : p->nodes) {
    Status st = n->Start();
    if (!st.ok()) {
      cluster->Stop();
      return st;
    }
  }
  p->state.StartAll();
  p->state.control = [p](int node, bool up, int after_ms) { p->Enqueue(node, up, after_ms); };
  p->ctl_thread = std::thread([p] { p->ControlLoop(); });
  return cluster;
}

TestCluster::TestCluster(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TestCluster::~TestCluster() { Stop(); }

void TestCluster::Stop() {
  {
    std::lock_guard lock(impl_->ctl_mu);
    impl_->ctl_stop = true;
  }
  impl_->ctl_cv.notify_all();
  if (impl_->ctl_thread.joinable()) impl_->ctl_thread.join();
  std::lock_guard lock(impl_->node_mu);
  impl_->stopped = true;
  impl_->state.stopping().Cancel("cluster stopped");
  for (auto& n : impl_->nodes) n->Stop();
}

int TestCluster::NodeCount() const { return impl_->state.node_count(); }

std::string TestCluster::SeedHost() const {
  for (int i = 0; i < NodeCount(); ++i)
    if (IsUp(i)) return impl_->state.options().bind_address + ":" + std::to_string(Port(i));
  return impl_->state.options().bind_address + ":" + std::to_string(Port(0));
}

uint16_t TestCluster::Port(int node) const { return impl_->state.Slot(node).port; }
uint16_t TestCluster::TlsPort(int node) const { return impl_->state.Slot(node).tls_port; }

std::string TestCluster::NodeId(int node) const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lX", static_cast<unsigned long>(impl_->state.Slot(node).id));
  return buf;
}

bool TestCluster::IsUp(int node) const { return impl_->state.Slot(node).up; }

Status TestCluster::StopNode(int node) { return impl_->SetNode(node, false); }
Status TestCluster::StartNode(int node) { return impl_->SetNode(node, true); }

void TestCluster::SetFaults(int node, NodeFaults faults) { impl_->state.SetFaults(node, std::move(faults)); }
NodeFaults TestCluster::Faults(int node) const { return impl_->state.Faults(node); }
void TestCluster::ClearFaults() {
  for (int i = 0; i < NodeCount(); ++i) impl_->state.SetFaults(i, NodeFaults{});
}

Status TestCluster::Put(const Record& record) {
  Namespace* ns = impl_->state.store().Find(record.ns);
  if (!ns) return Status(ErrorCode::kNotFound, "namespace '" + record.ns + "' is not configured");
  StoredRecord r;
  r.set = record.set;
  if (record.key) {
    r.key.push_back(static_cast<char>(record.key->type));
    r.key += record.key->data;
  }
  r.generation = static_cast<uint16_t>(record.generation ? record.generation : 1);
  r.void_time = record.void_time;
  r.lut_ms = static_cast<uint64_t>(impl_->state.NowMs());
  for (const auto& b : record.bins) {
    if (b.name.size() >= 16) return Status(ErrorCode::kInvalidArgument, "bin name '" + b.name + "' is too long");
    AppendBinOp(r.ops, b.name, static_cast<uint8_t>(b.type), b.data);
  }
  r.n_bins = static_cast<uint16_t>(record.bins.size());
  Partition& p = ns->partition(PartitionId(record.digest));
  {
    std::unique_lock lock(p.mu);
    p.Put(record.digest, std::move(r));
  }
  impl_->state.store().NoteSet(record.ns, record.set);
  return Status::Ok();
}

std::optional<Record> TestCluster::Get(const std::string& ns_name, const Digest& digest) const {
  Namespace* ns = impl_->state.store().Find(ns_name);
  if (!ns) return std::nullopt;
  const Partition& p = ns->partition(PartitionId(digest));
  std::shared_lock lock(p.mu);
  auto it = p.records.find(digest);
  if (it == p.records.end() || IsExpired(it->second, NowClepoch(impl_->state.NowMs()))) return std::nullopt;
  const StoredRecord& r = it->second;
  Record out;
  out.ns = ns_name;
  out.set = r.set;
  out.digest = digest;
  if (!r.key.empty()) out.key = UserKey{static_cast<ParticleType>(static_cast<uint8_t>(r.key[0])), r.key.substr(1)};
  out.generation = r.generation;
  out.void_time = r.void_time;
  ForEachBin(r, [&](const BinView& b) {
    out.bins.push_back(Bin{std::string(b.name), static_cast<ParticleType>(b.particle), std::string(b.value)});
  });
  return out;
}

std::optional<uint64_t> TestCluster::LastUpdateMs(const std::string& ns_name, const Digest& digest) const {
  Namespace* ns = impl_->state.store().Find(ns_name);
  if (!ns) return std::nullopt;
  const Partition& p = ns->partition(PartitionId(digest));
  std::shared_lock lock(p.mu);
  auto it = p.records.find(digest);
  if (it == p.records.end()) return std::nullopt;
  return it->second.lut_ms;
}

Status TestCluster::SetLastUpdateMs(const std::string& ns_name, const Digest& digest, uint64_t lut_ms) {
  Namespace* ns = impl_->state.store().Find(ns_name);
  if (!ns) return Status(ErrorCode::kNotFound, "namespace '" + ns_name + "' is not configured");
  Partition& p = ns->partition(PartitionId(digest));
  std::unique_lock lock(p.mu);
  auto it = p.records.find(digest);
  if (it == p.records.end()) return Status(ErrorCode::kNotFound, "no such record");
  it->second.lut_ms = lut_ms;
  return Status::Ok();
}

uint64_t TestCluster::Count(const std::string& ns, const std::string& set) const {
  return impl_->state.store().Count(ns, set, [](int) { return true; }, NowClepoch(impl_->state.NowMs()));
}

uint64_t TestCluster::RecordsWalked() const { return impl_->state.store().RecordsWalked(); }

std::vector<Record> TestCluster::Records(const std::string& ns_name) const {
  std::vector<Record> out;
  Namespace* ns = impl_->state.store().Find(ns_name);
  if (!ns) return out;
  for (int pid = 0; pid < kPartitions; ++pid) {
    std::vector<Digest> digests;
    {
      const Partition& p = ns->partition(pid);
      std::shared_lock lock(p.mu);
      for (const auto& [d, r] : p.records) digests.push_back(d);
    }
    for (const auto& d : digests)
      if (auto r = Get(ns_name, d)) out.push_back(std::move(*r));
  }
  return out;
}

void TestCluster::Clear() {
  for (const auto& ns : impl_->state.store().Names()) impl_->state.store().Truncate(ns, "", UINT64_MAX);
}

int TestCluster::MasterOf(int pid) const {
  auto reps = impl_->state.Replicas(pid);
  return reps.empty() ? -1 : reps[0];
}

Status SeedSampleRecords(TestCluster& cluster, const std::string& ns, const std::string& set, uint64_t count,
                         size_t payload_bytes) {
  // Seeding a million records is digest- and allocation-bound: split the keys over a few threads
  // (joined before returning; Put is thread-safe).
  auto seed_range = [&](uint64_t from, uint64_t to) -> Status {
    for (uint64_t i = from; i < to; ++i) {
      Record r;
      r.ns = ns;
      r.set = set;
      r.key = IntegerKey(static_cast<int64_t>(i));
      r.digest = ComputeDigest(set, *r.key);
      std::string id;
      PutU64BE(id, i);
      r.bins.push_back(Bin{"id", ParticleType::kInteger, id});
      r.bins.push_back(Bin{"name", ParticleType::kString, "user-" + std::to_string(i)});
      std::string value;
      PutU64BE(value, (i * 2654435761u) % 1000003);
      r.bins.push_back(Bin{"value", ParticleType::kInteger, value});
      std::string payload(payload_bytes, '\0');
      for (size_t k = 0; k < payload_bytes; ++k) payload[k] = static_cast<char>('a' + (i + k) % 26);
      r.bins.push_back(Bin{"payload", ParticleType::kBlob, payload});
      ABS_RETURN_IF_ERROR(cluster.Put(r));
    }
    return Status::Ok();
  };
  unsigned workers = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  if (count < 10000) workers = 1;
  std::vector<Status> results(workers);
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < workers; ++w) {
    uint64_t from = count * w / workers, to = count * (w + 1) / workers;
    threads.emplace_back([&, w, from, to] { results[w] = seed_range(from, to); });
  }
  for (auto& t : threads) t.join();
  for (const auto& st : results) ABS_RETURN_IF_ERROR(st);
  return Status::Ok();
}

}  // namespace aero::testserver
