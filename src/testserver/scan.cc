// Partition scans of the test server; see scan.h.
#include "testserver/scan.h"

#include <chrono>

#include "common/bytes.h"
#include "testserver/expr.h"

namespace aero::testserver {
namespace {

constexpr size_t kChunkBytes = 1u << 20;

Status ReplyError(Session& s, uint8_t rc) {
  // A scan that cannot start answers one as_msg with the result code and no LAST bit (§8.2).
  proto::MsgHeader h;
  h.result_code = rc;
  return s.conn.WriteAll(proto::MessageBuilder(h).Finish(), s.state.options().io_timeout_ms);
}

struct PartitionTask {
  bool wanted = false;
  bool has_resume = false;
  Digest resume{};
};

void AppendField(std::string& out, uint8_t type, std::string_view data) {
  PutU32BE(out, static_cast<uint32_t>(data.size() + 1));
  out.push_back(static_cast<char>(type));
  out.append(data);
}

class ScanJob {
 public:
  ScanJob(Session& s, const proto::MsgView& msg) : s_(s), st_(s.state), msg_(msg) {}

  Status Run() {
    const auto& h = msg_.header;
    if (!(h.info3 & proto::kInfo3PartitionDone)) return ReplyError(s_, proto::kUnsupportedFeature);
    const proto::FieldView *ns_f = nullptr, *set_f = nullptr, *pids_f = nullptr, *digests_f = nullptr,
                           *max_f = nullptr, *rps_f = nullptr, *timeout_f = nullptr, *filter_f = nullptr;
    for (const auto& f : msg_.fields) {
      switch (f.type) {
        case proto::kFieldNamespace: ns_f = &f; break;
        case proto::kFieldSet: set_f = &f; break;
        case proto::kFieldPidArray: pids_f = &f; break;
        case proto::kFieldDigestArray: digests_f = &f; break;
        case proto::kFieldMaxRecords: max_f = &f; break;
        case proto::kFieldRecordsPerSecond: rps_f = &f; break;
        case proto::kFieldSocketTimeout: timeout_f = &f; break;
        case proto::kFieldFilterExp: filter_f = &f; break;
        default: break;
      }
    }
    if (!ns_f) return ReplyError(s_, proto::kParameter);
    ns_ = st_.store().Find(ns_f->data);
    if (!ns_) return ReplyError(s_, proto::kNamespaceNotFound);
    if (!pids_f && !digests_f) return ReplyError(s_, proto::kUnsupportedFeature);
    if ((rps_f && rps_f->data.size() != 4) || (timeout_f && timeout_f->data.size() != 4) ||
        (max_f && max_f->data.size() != 8))
      return ReplyError(s_, proto::kParameter);
    if (rps_f) rps_ = GetU32BE(rps_f->data.data());
    if (max_f) max_records_ = GetU64BE(max_f->data.data());
    send_timeout_ms_ = st_.options().io_timeout_ms;
    if (timeout_f && GetU32BE(timeout_f->data.data()) > 0)
      send_timeout_ms_ = static_cast<int>(GetU32BE(timeout_f->data.data()));
    if (set_f) set_ = set_f->data;
    if (filter_f) {
      auto e = Expression::Compile(filter_f->data);
      if (!e.ok()) return ReplyError(s_, proto::kParameter);
      filter_ = std::move(*e);
    }
    for (const auto& op : msg_.ops) {
      if (op.op_type != proto::kOpRead) return ReplyError(s_, proto::kParameter);
      bins_.push_back(op.name);
    }
    no_bin_data_ = h.info1 & proto::kInfo1NoBinData;
    tasks_.assign(kPartitions, PartitionTask{});
    if (pids_f) {
      size_t n = pids_f->data.size() / 2;
      if (pids_f->data.size() % 2 || n == 0 || n > kPartitions) return ReplyError(s_, proto::kParameter);
      for (size_t i = 0; i < n; ++i) {
        uint16_t pid = GetU16LE(pids_f->data.data() + 2 * i);
        if (pid >= kPartitions || tasks_[pid].wanted) return ReplyError(s_, proto::kParameter);
        tasks_[pid].wanted = true;
      }
    }
    if (digests_f) {
      size_t n = digests_f->data.size() / 20;
      if (digests_f->data.size() % 20 || n == 0 || n > kPartitions) return ReplyError(s_, proto::kParameter);
      for (size_t i = 0; i < n; ++i) {
        Digest d;
        std::copy_n(digests_f->data.data() + 20 * i, 20, reinterpret_cast<char*>(d.data()));
        uint16_t pid = PartitionId(d);
        if (tasks_[pid].wanted) return ReplyError(s_, proto::kParameter);
        tasks_[pid] = PartitionTask{true, true, d};
      }
    }
    faults_ = st_.Faults(s_.node_index);
    start_ = std::chrono::steady_clock::now();
    now_ms_ = st_.NowMs();
    now_clepoch_ = NowClepoch(now_ms_);
    proto::PutProtoHeader(chunk_, proto::kMessage, 0);

    for (int pid = 0; pid < kPartitions && !capped_; ++pid) {
      if (!tasks_[pid].wanted) continue;
      bool available = st_.Role(s_.node_index, pid) >= 0 && !faults_.unavailable_partitions.count(pid);
      if (!available) {
        // "This node does not hold partition pid in full": PARTITION_DONE, result 11, generation = pid.
        proto::MsgHeader m;
        m.info3 = proto::kInfo3PartitionDone;
        m.result_code = proto::kPartitionUnavailable;
        m.generation = static_cast<uint32_t>(pid);
        proto::AppendMsg(chunk_, m);
        if (chunk_.size() >= kChunkBytes) ABS_RETURN_IF_ERROR(Flush());
        continue;
      }
      ABS_RETURN_IF_ERROR(ScanPartition(pid));
    }
    ABS_RETURN_IF_ERROR(Flush());
    proto::MsgHeader last;
    last.info3 = proto::kInfo3Last;
    last.result_code = static_cast<uint8_t>(faults_.scan_last_result);
    return s_.conn.WriteAll(proto::MessageBuilder(last).Finish(), send_timeout_ms_);
  }

 private:
  Status Flush() {
    if (chunk_.size() <= 8) return Status::Ok();
    std::string hdr;
    proto::PutProtoHeader(hdr, proto::kMessage, chunk_.size() - 8);
    chunk_.replace(0, 8, hdr);
    Status st = s_.conn.WriteAll(chunk_, send_timeout_ms_);
    chunk_.resize(8);
    return st;
  }

  // Encodes one record; returns false if the projection leaves nothing to send.
  bool Encode(const Digest& d, const StoredRecord& r) {
    size_t start = chunk_.size();
    proto::MsgHeader m;
    m.info1 = no_bin_data_ ? proto::kInfo1NoBinData : 0;
    m.generation = r.generation;
    m.record_ttl = r.void_time;
    m.n_fields = static_cast<uint16_t>(2 + (r.set.empty() ? 0 : 1) + (r.key.empty() ? 0 : 1));
    proto::AppendMsg(chunk_, m);
    AppendField(chunk_, proto::kFieldNamespace, ns_->name());
    AppendField(chunk_, proto::kFieldDigest, std::string_view(reinterpret_cast<const char*>(d.data()), 20));
    if (!r.set.empty()) AppendField(chunk_, proto::kFieldSet, r.set);
    if (!r.key.empty()) AppendField(chunk_, proto::kFieldKey, r.key);
    uint16_t n_ops = 0;
    if (!no_bin_data_) {
      if (bins_.empty()) {
        chunk_.append(r.ops);
        n_ops = r.n_bins;
      } else {
        ForEachBin(r, [&](const BinView& b) {
          for (const auto& want : bins_)
            if (b.name == want) {
              chunk_.append(b.encoded);
              ++n_ops;
              break;
            }
        });
        if (n_ops == 0) {
          chunk_.resize(start);  // none of the selected bins: the record is not returned
          return false;
        }
      }
    }
    chunk_[start + 20] = static_cast<char>(n_ops >> 8);
    chunk_[start + 21] = static_cast<char>(n_ops);
    return true;
  }

  Status ScanPartition(int pid) {
    Partition& p = ns_->partition(pid);
    bool have_cursor = tasks_[pid].has_resume;
    Digest cursor = tasks_[pid].resume;
    for (;;) {
      bool pause = false;  // set when the lock must be dropped to flush, throttle or drop
      {
        std::shared_lock lock(p.mu);
        // Descending digest order; resume strictly after (below) the cursor.
        auto it = have_cursor ? p.records.upper_bound(cursor) : p.records.begin();
        for (; it != p.records.end(); ++it) {
          const StoredRecord& r = it->second;
          cursor = it->first;
          have_cursor = true;
          if (IsExpired(r, now_clepoch_)) continue;
          if (!set_.empty() && r.set != set_) continue;
          if (filter_ && !filter_->Matches(r, now_ms_)) continue;
          if (Encode(it->first, r)) ++sent_;
          ++counted_;
          if (max_records_ && counted_ >= max_records_) {
            capped_ = true;
            break;
          }
          if (chunk_.size() >= kChunkBytes || (faults_.drop_after_records >= 0 &&
                                               sent_ >= static_cast<uint64_t>(faults_.drop_after_records)) ||
              (rps_ && ThrottleDelay() > kThrottleSleepMin)) {
            pause = true;
            break;
          }
        }
        if (!pause) return Status::Ok();
      }
      if (faults_.drop_after_records >= 0 && sent_ >= static_cast<uint64_t>(faults_.drop_after_records)) {
        ABS_RETURN_IF_ERROR(Flush());
        s_.conn.Shutdown();  // injected fault: the connection drops mid-stream
        return Status(ErrorCode::kNetwork, "fault: connection dropped after records");
      }
      if (chunk_.size() >= kChunkBytes) ABS_RETURN_IF_ERROR(Flush());
      if (rps_) {
        // As the 8.1 server (query_job.c throttle_sleep): sleep only when more than 1 ms ahead of the
        // schedule, and never more than 10 ms per record, so rates below ~100 records/s per scan are
        // not honoured (the schedule keeps slipping). The wait is on the node's stop token: a stopping
        // node ends it at once.
        auto delay = std::min(ThrottleDelay(), kThrottleSleepCap);
        if (delay > kThrottleSleepMin) {
          ABS_RETURN_IF_ERROR(Flush());
          if (s_.node.stop_token().WaitFor(delay)) return Status(ErrorCode::kCancelled, "node stopped");
        }
      }
      if (capped_) return Status::Ok();
    }
  }

  static constexpr std::chrono::microseconds kThrottleSleepMin{1000};   // SLEEP_MIN of the real server
  static constexpr std::chrono::microseconds kThrottleSleepCap{10000};  // SLEEP_CAP of the real server

  // How far ahead of the RECORDS_PER_SECOND schedule the job is.
  std::chrono::microseconds ThrottleDelay() const {
    auto due = start_ + std::chrono::microseconds(counted_ * 1000000 / rps_);
    auto now = std::chrono::steady_clock::now();
    return due > now ? std::chrono::duration_cast<std::chrono::microseconds>(due - now)
                     : std::chrono::microseconds(0);
  }

  Session& s_;
  ClusterState& st_;
  const proto::MsgView& msg_;
  Namespace* ns_ = nullptr;
  std::string_view set_;
  std::optional<Expression> filter_;
  std::vector<std::string_view> bins_;
  bool no_bin_data_ = false;
  uint32_t rps_ = 0;
  uint64_t max_records_ = 0;
  int send_timeout_ms_ = 0;
  std::vector<PartitionTask> tasks_;
  NodeFaults faults_;
  std::chrono::steady_clock::time_point start_;
  int64_t now_ms_ = 0;
  uint32_t now_clepoch_ = 0;
  std::string chunk_;
  uint64_t sent_ = 0, counted_ = 0;
  bool capped_ = false;
};

}  // namespace

Status HandleScan(Session& s, const proto::MsgView& msg) { return ScanJob(s, msg).Run(); }

}  // namespace aero::testserver
