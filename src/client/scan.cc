// Partition scan runner; see scan.h.
#include "client/scan.h"

#include <algorithm>
#include <random>
#include <set>
#include <thread>

#include "client/errors.h"
#include "common/bytes.h"
#include "protocol/constants.h"
#include "protocol/message.h"
#include "protocol/msgpack.h"

namespace aero::client {

// ---- ScanState ---------------------------------------------------------------------------------

ScanState ScanState::AllPartitions() {
  ScanState s;
  s.parts_.resize(4096);
  for (int p = 0; p < 4096; ++p) s.parts_[p].pid = static_cast<uint16_t>(p);
  return s;
}

Result<ScanState> ScanState::Range(int begin, int count) {
  if (begin < 0 || count <= 0 || begin + count > 4096)
    return Status(ErrorCode::kInvalidArgument, "partition range " + std::to_string(begin) + "+" + std::to_string(count) +
                                                   " is outside 0..4095");
  ScanState s;
  for (int p = begin; p < begin + count; ++p) {
    PartitionState ps;
    ps.pid = static_cast<uint16_t>(p);
    s.parts_.push_back(ps);
  }
  return s;
}

Result<ScanState> ScanState::List(const std::vector<int>& pids) {
  std::vector<PartitionState> parts;
  for (int p : pids) {
    if (p < 0 || p >= 4096) return Status(ErrorCode::kInvalidArgument, "partition id " + std::to_string(p) + " is outside 0..4095");
    PartitionState ps;
    ps.pid = static_cast<uint16_t>(p);
    parts.push_back(ps);
  }
  return FromSnapshot(std::move(parts));
}

Result<ScanState> ScanState::FromSnapshot(std::vector<PartitionState> parts) {
  if (parts.empty()) return Status(ErrorCode::kInvalidArgument, "empty partition list");
  std::vector<bool> seen(4096, false);
  for (const auto& p : parts) {
    if (p.pid >= 4096) return Status(ErrorCode::kInvalidArgument, "partition id " + std::to_string(p.pid) + " is outside 0..4095");
    if (seen[p.pid]) return Status(ErrorCode::kInvalidArgument, "partition " + std::to_string(p.pid) + " listed twice");
    seen[p.pid] = true;
  }
  ScanState s;
  s.parts_ = std::move(parts);
  return s;
}

ScanState::ScanState(const ScanState& o) : parts_(o.Snapshot()) {}
ScanState& ScanState::operator=(const ScanState& o) {
  if (this != &o) {
    auto copy = o.Snapshot();
    std::lock_guard<std::mutex> lock(mu_);
    parts_ = std::move(copy);
  }
  return *this;
}
ScanState::ScanState(ScanState&& o) noexcept : parts_(std::move(o.parts_)) {}

std::vector<PartitionState> ScanState::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return parts_;
}

size_t ScanState::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::count_if(parts_.begin(), parts_.end(), [](const PartitionState& p) { return !p.done; });
}

std::vector<int> ScanState::PendingPids() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<int> out;
  for (const auto& p : parts_)
    if (!p.done) out.push_back(p.pid);
  return out;
}

RecordSink QueueSink(BoundedQueue<Record>& queue, const CancelToken* cancel) {
  return [&queue, cancel](Record& r) -> Status {
    using PushResult = BoundedQueue<Record>::PushResult;
    if (!cancel) {
      if (!queue.Push(std::move(r))) return Status(ErrorCode::kCancelled, "record queue closed by its consumer");
      return Status::Ok();
    }
    // Timed pushes so a producer stuck on a full queue (a stalled consumer) still sees a cancel.
    for (;;) {
      if (cancel->cancelled())
        return Status(ErrorCode::kCancelled, "scan cancelled while the record queue was full: " + cancel->reason());
      switch (queue.PushFor(r, std::chrono::milliseconds(20))) {
        case PushResult::kPushed: return Status::Ok();
        case PushResult::kClosed: return Status(ErrorCode::kCancelled, "record queue closed by its consumer");
        case PushResult::kTimedOut: break;
      }
    }
  };
}

// ---- Request -----------------------------------------------------------------------------------

static std::string BuildFilter(const ScanPolicy& p) {
  std::vector<std::string> parts;
  if (p.sets.size() > 1) {
    std::vector<std::string> eqs;
    for (const auto& s : p.sets) eqs.push_back(exp::Cmp(exp::kEq, exp::SetName(), exp::Str(s)));
    parts.push_back(exp::Or(eqs));
  }
  std::string window = exp::ModifiedWindow(p.modified_after_ns, p.modified_before_ns);
  if (!window.empty()) parts.push_back(window);
  if (p.no_ttl_only) parts.push_back(exp::Cmp(exp::kEq, exp::Ttl(), exp::Int(-1)));
  if (!p.filter_exp.empty()) parts.push_back(p.filter_exp);
  if (parts.empty()) return "";
  if (parts.size() == 1) return parts[0];
  // Flatten into one AND node (ModifiedWindow may itself be an AND of two bounds; nesting is fine).
  return exp::And(parts);
}

std::string BuildScanRequest(const ScanPolicy& policy, const std::vector<const PartitionState*>& parts,
                             uint64_t task_id, uint32_t node_rps, uint64_t node_max_records) {
  proto::MsgHeader h;
  h.info1 = proto::kInfo1Read | (policy.no_bins ? proto::kInfo1NoBinData : 0);
  h.info3 = proto::kInfo3PartitionDone;
  h.record_ttl = 0xFFFFFFFF;
  h.transaction_ttl = static_cast<uint32_t>(policy.total_timeout.count());
  proto::MessageBuilder b(h);
  b.Field(proto::kFieldNamespace, policy.ns);
  if (policy.sets.size() == 1) b.Field(proto::kFieldSet, policy.sets[0]);
  if (node_rps > 0) b.FieldU32(proto::kFieldRecordsPerSecond, node_rps);
  b.FieldU32(proto::kFieldSocketTimeout, static_cast<uint32_t>(policy.socket_timeout.count()));
  b.FieldU64(proto::kFieldTaskId, task_id);
  std::string filter = BuildFilter(policy);
  if (!filter.empty()) b.Field(proto::kFieldFilterExp, filter);
  std::string pids, digests;
  for (const PartitionState* p : parts) {
    if (p->has_digest)
      digests.append(reinterpret_cast<const char*>(p->last_digest.data()), p->last_digest.size());
    else
      PutU16LE(pids, p->pid);
  }
  if (!pids.empty()) b.Field(proto::kFieldPidArray, pids);
  if (!digests.empty()) b.Field(proto::kFieldDigestArray, digests);
  if (node_max_records > 0) b.FieldU64(proto::kFieldMaxRecords, node_max_records);
  if (!policy.no_bins)
    for (const auto& bin : policy.bins) b.Op(proto::kOpRead, ParticleType::kNull, bin, "");
  return b.Finish();
}

// ---- Runner ------------------------------------------------------------------------------------

class ScanRunner {
 public:
  // Exactly one of `sink` and `msg_sink` is set.
  ScanRunner(Cluster& cluster, const ScanPolicy& policy, ScanState& state, const RecordSink* sink,
             const MsgSink* msg_sink, const CancelToken* cancel)
      : cluster_(cluster), policy_(policy), state_(state), sink_(sink), msg_sink_(msg_sink), cancel_(cancel) {}

  Result<ScanStats> Run();

 private:
  struct NodeJob {
    std::shared_ptr<Node> node;
    std::vector<size_t> parts;  // indexes into state_.parts_
    uint64_t max_records = 0;
    uint32_t rps = 0;
    // Results
    Status status;
    uint64_t returned = 0;  // records the node sent (also those discarded beyond max_records)
    std::set<uint16_t> unavailable;
    std::set<uint16_t> finished;  // 5.x-style partition-done with result 0
    bool fatal = false;            // not retryable
  };
  void RunNode(NodeJob& job);
  Status ScanNodeStream(NodeJob& job, Connection& conn, Deadline total);

  Cluster& cluster_;
  const ScanPolicy& policy_;
  ScanState& state_;
  const RecordSink* sink_;
  const MsgSink* msg_sink_;
  const CancelToken* cancel_;
  std::vector<int> index_of_pid_ = std::vector<int>(4096, -1);
  std::atomic<uint64_t> delivered_{0};
  std::atomic<bool> stop_{false};
  std::mutex sink_error_mu_;
  Status sink_error_;  // the first refusal of the sink: the error Scan() returns
  Deadline total_deadline_ = Deadline::max();
};

Result<ScanStats> Scan(Cluster& cluster, const ScanPolicy& policy, ScanState& state, const RecordSink& sink,
                       const CancelToken* cancel) {
  if (policy.ns.empty()) return Status(ErrorCode::kInvalidArgument, "scan without a namespace");
  if (!sink) return Status(ErrorCode::kInvalidArgument, "scan without a record sink");
  ScanRunner r(cluster, policy, state, &sink, nullptr, cancel);
  return r.Run();
}

Result<ScanStats> ScanMessages(Cluster& cluster, const ScanPolicy& policy, ScanState& state, const MsgSink& sink,
                               const CancelToken* cancel) {
  if (policy.ns.empty()) return Status(ErrorCode::kInvalidArgument, "scan without a namespace");
  if (!sink) return Status(ErrorCode::kInvalidArgument, "scan without a record sink");
  ScanRunner r(cluster, policy, state, nullptr, &sink, cancel);
  return r.Run();
}

Result<ScanStats> ScanRunner::Run() {
  ScanStats stats;
  if (policy_.total_timeout.count() > 0) total_deadline_ = DeadlineAfter(policy_.total_timeout);
  {
    std::lock_guard<std::mutex> lock(state_.mu_);
    for (size_t i = 0; i < state_.parts_.size(); ++i) index_of_pid_[state_.parts_[i].pid] = static_cast<int>(i);
  }
  std::mt19937_64 rng(std::random_device{}());
  for (uint32_t round = 1;; ++round) {
    if (cancel_ && cancel_->cancelled()) return Status(ErrorCode::kCancelled, "scan cancelled: " + cancel_->reason());
    if (SteadyClock::now() >= total_deadline_) return Status(ErrorCode::kTimeout, "scan ran past its total timeout");
    std::vector<size_t> pending;
    {
      std::lock_guard<std::mutex> lock(state_.mu_);
      for (size_t i = 0; i < state_.parts_.size(); ++i)
        if (!state_.parts_[i].done) pending.push_back(i);
    }
    if (pending.empty()) return stats;
    if (policy_.max_records > 0 && delivered_ >= policy_.max_records) return stats;
    if (static_cast<int>(round) > policy_.max_rounds) {
      std::string list;
      size_t shown = 0;
      std::lock_guard<std::mutex> lock(state_.mu_);
      for (size_t i : pending) {
        if (shown++ < 20)
          list += (list.empty() ? "" : ", ") + std::to_string(state_.parts_[i].pid) +
                  (state_.parts_[i].last_error.empty() ? "" : " (" + state_.parts_[i].last_error + ")");
      }
      if (pending.size() > 20) list += ", ... " + std::to_string(pending.size() - 20) + " more";
      return Status(ErrorCode::kNetwork, "scan of namespace '" + policy_.ns + "': " + std::to_string(pending.size()) +
                                             " partitions not finished after " + std::to_string(policy_.max_rounds) +
                                             " rounds: " + list);
    }
    if (round > 1) {
      // Give the cluster time to settle, then re-read the partition map before re-assigning.
      if (cancel_ ? cancel_->WaitFor(policy_.retry_delay) : (std::this_thread::sleep_for(policy_.retry_delay), false))
        return Status(ErrorCode::kCancelled, "scan cancelled: " + cancel_->reason());
      (void)cluster_.Tend();
    }
    stats.rounds = round;
    auto snap = cluster_.partitions();
    if (!snap) return Status(ErrorCode::kNetwork, "no partition map");
    auto nsit = snap->namespaces.find(policy_.ns);
    if (nsit == snap->namespaces.end())
      return Status(ErrorCode::kServer, "namespace '" + policy_.ns + "' is not served by the cluster",
                    proto::kNamespaceNotFound);
    std::map<int, NodeJob> jobs;
    {
      std::lock_guard<std::mutex> lock(state_.mu_);
      for (size_t i : pending) {
        auto& p = state_.parts_[i];
        int n = nsit->second.Node(p.pid, static_cast<int>(p.replica));
        if (n < 0 || !snap->nodes[n]->active()) {
          p.attempts++;
          p.replica++;
          p.last_error = "no node holds the partition";
          continue;
        }
        auto& job = jobs[n];
        job.node = snap->nodes[n];
        job.parts.push_back(i);
      }
    }
    if (jobs.empty()) continue;
    uint64_t remaining = policy_.max_records > 0 ? policy_.max_records - delivered_.load() : 0;
    std::vector<NodeJob*> list;
    for (auto& [_, j] : jobs) {
      if (policy_.records_per_second > 0)
        j.rps = std::max<uint32_t>(1, (policy_.records_per_second + jobs.size() - 1) / jobs.size());
      if (remaining > 0) j.max_records = std::max<uint64_t>(1, (remaining + jobs.size() - 1) / jobs.size());
      list.push_back(&j);
    }
    size_t workers = policy_.max_parallel_nodes == 0 ? list.size() : std::min(list.size(), policy_.max_parallel_nodes);
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t k; (k = next++) < list.size();) RunNode(*list[k]);
    };
    std::vector<std::thread> threads;
    for (size_t w = 1; w < workers; ++w) threads.emplace_back(work);
    work();
    for (auto& t : threads) t.join();

    // Settle the round.
    Status fatal;
    {
      std::lock_guard<std::mutex> lock(state_.mu_);
      for (NodeJob* j : list) {
        if (!j->status.ok() && (j->fatal || j->status.code() == ErrorCode::kCancelled)) {
          if (fatal.ok()) fatal = j->status;
          continue;
        }
        bool capped = j->max_records > 0 && j->returned >= j->max_records;
        for (size_t i : j->parts) {
          auto& p = state_.parts_[i];
          if (p.done) continue;
          if (j->finished.count(p.pid)) {
            p.done = true;
          } else if (!j->status.ok()) {
            p.attempts++;
            p.replica++;
            p.last_error = j->status.message();
            stats.partitions_retried++;
          } else if (j->unavailable.count(p.pid)) {
            p.attempts++;
            p.replica++;
            p.last_error = "partition unavailable on node " + j->node->id();
            stats.partitions_retried++;
          } else if (!capped) {
            p.done = true;
          }
        }
        if (!j->status.ok()) stats.sub_errors.push_back(j->status.message());
      }
    }
    stats.records = delivered_.load();
    {
      std::lock_guard<std::mutex> lock(sink_error_mu_);
      if (!sink_error_.ok()) return sink_error_;
    }
    if (!fatal.ok()) return fatal;
  }
}

void ScanRunner::RunNode(NodeJob& job) {
  if (stop_) {
    job.status = Status(ErrorCode::kCancelled, "scan stopped");
    job.fatal = true;
    return;
  }
  auto conn = job.node->Acquire(MinDeadline(total_deadline_, DeadlineAfter(cluster_.policy().connect_timeout)), cancel_);
  if (!conn.ok()) {
    job.status = conn.status().WithContext("scan of node " + job.node->id());
    job.fatal = conn.status().code() == ErrorCode::kCancelled || conn.status().code() == ErrorCode::kAuth;
    return;
  }
  Status s = ScanNodeStream(job, **conn, total_deadline_);
  if (!s.ok()) {
    job.status = s.WithContext("scan of node " + job.node->id());
    ResultClass c = ClassifyStatus(s);
    job.fatal = s.code() == ErrorCode::kCancelled ||
                (s.code() == ErrorCode::kServer && c == ResultClass::kPermanent);
  }
  job.node->Release(std::move(*conn));
}

Status ScanRunner::ScanNodeStream(NodeJob& job, Connection& conn, Deadline total) {
  std::vector<const PartitionState*> parts;
  {
    std::lock_guard<std::mutex> lock(state_.mu_);
    for (size_t i : job.parts) parts.push_back(&state_.parts_[i]);
    // Build while holding the lock: digests are read from the shared state.
    static thread_local std::mt19937_64 rng(std::random_device{}());
    uint64_t task = rng() | 1;
    std::string req = BuildScanRequest(policy_, parts, task, job.rps, job.max_records);
    parts.clear();
    Status w = conn.Write(req, MinDeadline(total, DeadlineAfter(policy_.socket_timeout)), cancel_);
    if (!w.ok()) return w;
  }
  std::vector<uint8_t> mine(4096, 0);  // partitions assigned to this node in this round
  for (size_t i : job.parts) mine[state_.parts_[i].pid] = 1;  // pid is immutable: no lock needed

  proto::ProtoHeader h;
  std::string body, inflated;
  proto::MsgView msg;
  proto::RecordFields fields;
  Record rec;
  for (;;) {
    // Each chunk must arrive within the socket timeout (the server sends at least every chunk).
    ABS_RETURN_IF_ERROR(conn.ReadProto(h, body, MinDeadline(total, DeadlineAfter(policy_.socket_timeout)), cancel_));
    std::string_view view;
    if (h.type == proto::kMessage) {
      view = body;
    } else if (h.type == proto::kCompressed) {
      auto inf = proto::InflateCompressed(body);
      if (!inf.ok()) {
        conn.MarkBroken();
        return inf.status();
      }
      inflated = std::move(*inf);
      view = inflated;
    } else {
      conn.MarkBroken();
      return Status(ErrorCode::kProtocol, "scan reply proto of type " + std::to_string(h.type));
    }
    ByteReader r(view);
    while (r.remaining() > 0) {
      Status ps = proto::ParseMsg(r, msg);
      if (!ps.ok()) {
        conn.MarkBroken();
        return ps.WithContext("scan reply");
      }
      const auto& hd = msg.header;
      if (hd.info3 & proto::kInfo3Last) {
        if (r.remaining() != 0) {
          conn.MarkBroken();
          return Status(ErrorCode::kProtocol, std::to_string(r.remaining()) + " bytes after the LAST message");
        }
        if (hd.result_code != 0) return ServerError(hd.result_code, "scan ended with an error");
        return Status::Ok();
      }
      if (hd.info3 & proto::kInfo3PartitionDone) {
        if (hd.generation >= 4096 || !mine[hd.generation]) continue;  // not ours: ignore
        uint16_t pid = static_cast<uint16_t>(hd.generation);
        if (hd.result_code == 0)
          job.finished.insert(pid);
        else
          job.unavailable.insert(pid);
        continue;
      }
      if (hd.result_code != 0) {
        // The scan could not start (bad parameters, unknown namespace, ...): one message, no LAST.
        return ServerError(hd.result_code, "scan rejected");
      }
      Status rs = sink_ ? proto::MsgToRecord(msg, rec) : proto::ParseRecordFields(msg, fields);
      if (!rs.ok()) {
        conn.MarkBroken();
        return rs.WithContext("scan record");
      }
      const Digest d = sink_ ? rec.digest : fields.digest;
      uint16_t pid = PartitionId(d);
      if (!mine[pid]) {
        conn.MarkBroken();
        return Status(ErrorCode::kProtocol, "node sent a record of partition " + std::to_string(pid) +
                                                " which was not requested from it");
      }
      if (cancel_ && cancel_->cancelled()) {
        conn.MarkBroken();
        return Status(ErrorCode::kCancelled, "scan cancelled: " + cancel_->reason());
      }
      if (stop_) {  // the sink refused a record from another node's worker: deliver nothing more
        conn.MarkBroken();
        return Status(ErrorCode::kCancelled, "scan stopped by the record sink");
      }
      ++job.returned;
      if (policy_.max_records > 0) {
        // Surplus beyond the global cap is discarded (nodes get rounded-up shares).
        uint64_t n = delivered_.fetch_add(1);
        if (n >= policy_.max_records) {
          delivered_.fetch_sub(1);
          continue;
        }
      } else {
        delivered_.fetch_add(1);
      }
      Status ss = sink_ ? (*sink_)(rec) : (*msg_sink_)(msg, fields);
      if (!ss.ok()) {
        delivered_.fetch_sub(1);
        conn.MarkBroken();  // the rest of the stream is abandoned
        Status why(ErrorCode::kCancelled, "record sink stopped the scan: " + ss.message());
        {
          std::lock_guard<std::mutex> lock(sink_error_mu_);
          if (sink_error_.ok()) sink_error_ = why;
        }
        stop_ = true;
        return why;
      }
      {
        std::lock_guard<std::mutex> lock(state_.mu_);
        auto& p = state_.parts_[index_of_pid_[pid]];
        p.last_digest = d;
        p.has_digest = true;
        p.records++;
      }
    }
  }
}

}  // namespace aero::client
