// Single-record put/get/delete and batch put; see write.h.
#include "client/write.h"

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <thread>

#include "common/bytes.h"
#include "common/clock.h"
#include "protocol/constants.h"
#include "protocol/message.h"

namespace aero::client {

Result<std::optional<uint32_t>> TtlFromVoidTime(uint32_t void_time, int64_t now_unix, uint32_t extra_ttl) {
  using Ttl = std::optional<uint32_t>;
  if (void_time == 0) return Ttl(0xFFFFFFFFu);
  int64_t now = now_unix - kCitrusleafEpoch;
  // asrestore adds the extra TTL before the expiry check (64-bit here: no wrap-around).
  int64_t expires = static_cast<int64_t>(void_time) + extra_ttl;
  if (expires <= now) return Ttl();
  int64_t ttl = expires - now;
  if (ttl > kMaxTtl)
    return Status(ErrorCode::kInvalidArgument,
                  "TTL " + std::to_string(ttl) + " s (void time " + std::to_string(void_time) + " + extra TTL " +
                      std::to_string(extra_ttl) + " s) exceeds the server maximum of " + std::to_string(kMaxTtl) +
                      " s (10 years); record not sent");
  return Ttl(static_cast<uint32_t>(ttl));
}

namespace {

void ApplyPolicyFlags(const WritePolicy& p, uint8_t& info2, uint8_t& info3) {
  info2 |= proto::kInfo2Write;
  switch (p.exists) {
    case ExistsAction::kUpdate: break;
    case ExistsAction::kReplace: info3 |= proto::kInfo3CreateOrReplace; break;
    case ExistsAction::kCreateOnly: info2 |= proto::kInfo2CreateOnly; break;
    case ExistsAction::kReplaceOnly: info3 |= proto::kInfo3ReplaceOnly; break;
    case ExistsAction::kUpdateOnly: info3 |= proto::kInfo3UpdateOnly; break;
  }
  if (p.generation == GenerationPolicy::kEqual) info2 |= proto::kInfo2Generation;
  if (p.generation == GenerationPolicy::kGreater) info2 |= proto::kInfo2GenerationGt;
  if (p.durable_delete) info2 |= proto::kInfo2DurableDelete;
}

Status CheckRecord(const Record& rec) {
  if (rec.ns.empty()) return Status(ErrorCode::kInvalidArgument, "record without namespace");
  if (rec.bins.empty()) return Status(ErrorCode::kInvalidArgument, "record " + ToHex(std::string_view(
      reinterpret_cast<const char*>(rec.digest.data()), 20)) + " has no bins to write");
  return Status::Ok();
}

// One single-record command with retries of transient failures. `handle` sees the parsed reply and
// returns its result code; transient result codes are retried.
Status SingleCommand(Cluster& cluster, const std::string& ns, const Digest& digest, const std::string& request,
                     Millis socket_timeout, Millis total_timeout, int max_retries, Millis retry_delay,
                     const CancelToken* cancel, const std::function<Status(const proto::MsgView&)>& handle,
                     int* attempts_out) {
  Deadline total = DeadlineAfter(total_timeout);
  int pid = PartitionId(digest);
  Status last;
  std::string body, inflated;
  proto::MsgView msg;
  for (int attempt = 0; attempt <= max_retries; ++attempt) {
    if (attempts_out) *attempts_out = attempt + 1;
    if (attempt > 0) {
      auto delay = retry_delay * (1 << std::min(attempt - 1, 6));
      if (cancel ? cancel->WaitFor(delay) : (std::this_thread::sleep_for(delay), false))
        return Status(ErrorCode::kCancelled, "cancelled: " + cancel->reason());
      if (SteadyClock::now() >= total) break;
    }
    auto node = cluster.NodeForPartition(ns, pid, attempt);
    if (!node.ok()) {
      if (node.status().code() == ErrorCode::kNotFound) return node.status();
      last = node.status();
      continue;
    }
    auto conn = (*node)->Acquire(total, cancel);
    if (!conn.ok()) {
      last = conn.status();
      if (last.code() == ErrorCode::kCancelled || last.code() == ErrorCode::kAuth) return last;
      continue;
    }
    proto::ProtoHeader h;
    Status s = (*conn)->Exchange(request, h, body, MinDeadline(total, DeadlineAfter(socket_timeout)), cancel);
    std::string_view view = body;
    if (s.ok() && h.type == proto::kCompressed) {
      auto inf = proto::InflateCompressed(body);
      if (inf.ok()) {
        inflated = std::move(*inf);
        view = inflated;
      } else {
        s = inf.status();
      }
    } else if (s.ok() && h.type != proto::kMessage) {
      s = Status(ErrorCode::kProtocol, "reply of proto type " + std::to_string(h.type));
    }
    if (s.ok()) s = proto::ParseSingleMsg(view, msg);
    if (!s.ok()) {
      (*conn)->MarkBroken();
      (*node)->Release(std::move(*conn));
      last = s.WithContext("node " + (*node)->id());
      if (s.code() == ErrorCode::kCancelled || s.code() == ErrorCode::kProtocol) return last;
      continue;  // network / timeout: transient
    }
    (*node)->Release(std::move(*conn));
    Status r = handle(msg);
    if (r.ok() || ClassifyStatus(r) != ResultClass::kTransient) return r;
    last = r.WithContext("node " + (*node)->id());
  }
  return last.ok() ? Status(ErrorCode::kTimeout, "command ran past its total timeout") : last;
}

}  // namespace

Result<std::string> BuildWriteRequest(const Record& rec, const WritePolicy& policy, uint32_t ttl) {
  ABS_RETURN_IF_ERROR(CheckRecord(rec));
  proto::MsgHeader h;
  ApplyPolicyFlags(policy, h.info2, h.info3);
  if (policy.generation != GenerationPolicy::kNone) h.generation = rec.generation;
  h.record_ttl = ttl;
  h.transaction_ttl = static_cast<uint32_t>(policy.total_timeout.count());
  proto::MessageBuilder b(h);
  b.Field(proto::kFieldNamespace, rec.ns);
  b.Field(proto::kFieldSet, rec.set);
  b.Field(proto::kFieldDigest, std::string_view(reinterpret_cast<const char*>(rec.digest.data()), 20));
  if (policy.send_key && rec.key) {
    std::string k;
    k.push_back(static_cast<char>(rec.key->type));
    k.append(rec.key->data);
    b.Field(proto::kFieldKey, k);
  }
  for (const auto& bin : rec.bins) b.Op(proto::kOpWrite, bin.type, bin.name, bin.data);
  return b.Finish();
}

Result<WriteResult> Put(Cluster& cluster, const Record& rec, const WritePolicy& policy, int64_t now_unix,
                        const CancelToken* cancel) {
  if (now_unix == 0) now_unix = SystemClock::Instance().NowUnixSeconds();
  WriteResult out;
  ABS_ASSIGN_OR_RETURN(auto ttl, TtlFromVoidTime(rec.void_time, now_unix, policy.extra_ttl));
  if (!ttl) {
    out.expired = true;
    return out;
  }
  ABS_ASSIGN_OR_RETURN(std::string req, BuildWriteRequest(rec, policy, *ttl));
  Status s = SingleCommand(cluster, rec.ns, rec.digest, req, policy.socket_timeout, policy.total_timeout,
                           policy.max_retries, policy.retry_delay, cancel,
                           [&](const proto::MsgView& m) {
                             out.generation = m.header.generation;
                             out.void_time = m.header.record_ttl;
                             return ServerError(m.header.result_code, "write");
                           },
                           &out.attempts);
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<Record>> Get(Cluster& cluster, const std::string& ns, const std::string& set, const Digest& digest,
                                  const std::vector<std::string>& bins, const ReadPolicy& policy) {
  proto::MsgHeader h;
  h.info1 = proto::kInfo1Read | (bins.empty() ? proto::kInfo1GetAll : 0);
  h.transaction_ttl = static_cast<uint32_t>(policy.total_timeout.count());
  proto::MessageBuilder b(h);
  b.Field(proto::kFieldNamespace, ns);
  b.Field(proto::kFieldSet, set);
  b.Field(proto::kFieldDigest, std::string_view(reinterpret_cast<const char*>(digest.data()), 20));
  for (const auto& bin : bins) b.Op(proto::kOpRead, ParticleType::kNull, bin, "");
  std::string req = b.Finish();
  std::optional<Record> out;
  Status s = SingleCommand(cluster, ns, digest, req, policy.socket_timeout, policy.total_timeout, policy.max_retries,
                           Millis(50), nullptr,
                           [&](const proto::MsgView& m) -> Status {
                             if (m.header.result_code == proto::kKeyNotFound) return Status::Ok();
                             ABS_RETURN_IF_ERROR(ServerError(m.header.result_code, "read"));
                             Record r;
                             r.ns = ns;
                             r.set = set;
                             r.digest = digest;
                             r.generation = m.header.generation;
                             r.void_time = m.header.record_ttl;
                             if (const auto* k = m.FindField(proto::kFieldKey); k && !k->data.empty())
                               r.key = UserKey{static_cast<ParticleType>(static_cast<uint8_t>(k->data[0])),
                                               std::string(k->data.substr(1))};
                             for (const auto& op : m.ops)
                               r.bins.push_back(Bin{std::string(op.name), op.particle, std::string(op.value)});
                             out = std::move(r);
                             return Status::Ok();
                           },
                           nullptr);
  if (!s.ok()) return s;
  return out;
}

Result<bool> Delete(Cluster& cluster, const std::string& ns, const std::string& set, const Digest& digest, bool durable,
                    const ReadPolicy& policy) {
  proto::MsgHeader h;
  h.info2 = proto::kInfo2Write | proto::kInfo2Delete | (durable ? proto::kInfo2DurableDelete : 0);
  h.transaction_ttl = static_cast<uint32_t>(policy.total_timeout.count());
  proto::MessageBuilder b(h);
  b.Field(proto::kFieldNamespace, ns);
  b.Field(proto::kFieldSet, set);
  b.Field(proto::kFieldDigest, std::string_view(reinterpret_cast<const char*>(digest.data()), 20));
  std::string req = b.Finish();
  bool existed = false;
  Status s = SingleCommand(cluster, ns, digest, req, policy.socket_timeout, policy.total_timeout, policy.max_retries,
                           Millis(50), nullptr,
                           [&](const proto::MsgView& m) -> Status {
                             if (m.header.result_code == proto::kKeyNotFound) return Status::Ok();
                             existed = m.header.result_code == 0;
                             return ServerError(m.header.result_code, "delete");
                           },
                           nullptr);
  if (!s.ok()) return s;
  return existed;
}

// ---- Batch ---------------------------------------------------------------------------------------

namespace {

std::string BuildBatchRequest(const std::vector<Record>& records, const std::vector<size_t>& rows,
                              const std::vector<uint32_t>& ttls, const WritePolicy& policy) {
  std::string data;
  PutU32BE(data, static_cast<uint32_t>(rows.size()));
  data.push_back(static_cast<char>(0x0c));  // respond-all-keys | report error rows
  for (size_t k = 0; k < rows.size(); ++k) {
    const Record& rec = records[rows[k]];
    PutU32BE(data, static_cast<uint32_t>(rows[k]));
    data.append(reinterpret_cast<const char*>(rec.digest.data()), 20);
    data.push_back(static_cast<char>(0x0e));  // extra info + generation + ttl
    uint8_t info2 = proto::kInfo2RespondAllOps, info3 = 0;
    ApplyPolicyFlags(policy, info2, info3);
    data.push_back(0);  // info1
    data.push_back(static_cast<char>(info2));
    data.push_back(static_cast<char>(info3));
    PutU16BE(data, policy.generation != GenerationPolicy::kNone ? static_cast<uint16_t>(rec.generation) : 0);
    PutU32BE(data, ttls[rows[k]]);
    bool key = policy.send_key && rec.key.has_value();
    PutU16BE(data, key ? 3 : 2);
    PutU16BE(data, static_cast<uint16_t>(rec.bins.size()));
    auto field = [&](uint8_t type, std::string_view v) {
      PutU32BE(data, static_cast<uint32_t>(v.size() + 1));
      data.push_back(static_cast<char>(type));
      data.append(v);
    };
    field(proto::kFieldNamespace, rec.ns);
    field(proto::kFieldSet, rec.set);
    if (key) {
      std::string kb(1, static_cast<char>(rec.key->type));
      kb.append(rec.key->data);
      field(proto::kFieldKey, kb);
    }
    for (const auto& bin : rec.bins) {
      PutU32BE(data, static_cast<uint32_t>(4 + bin.name.size() + bin.data.size()));
      data.push_back(static_cast<char>(proto::kOpWrite));
      data.push_back(static_cast<char>(bin.type));
      data.push_back(0);
      data.push_back(static_cast<char>(bin.name.size()));
      data.append(bin.name);
      data.append(bin.data);
    }
  }
  proto::MsgHeader h;
  h.info1 = proto::kInfo1Batch;
  h.transaction_ttl = static_cast<uint32_t>(policy.total_timeout.count());
  proto::MessageBuilder b(h);
  b.Field(proto::kFieldBatchIndex, data);
  return b.Finish();
}

// Sends one batch to a node and fills the per-row results. A failure of the whole request is returned.
// `rows` is ascending (BatchPut keeps `pending` sorted), so a reply's row is found by binary search.
Status RunBatch(Node& node, const std::string& req, const std::vector<size_t>& rows, std::vector<BatchRowResult>& out,
                const WritePolicy& policy, const CancelToken* cancel) {
  Deadline total = DeadlineAfter(policy.total_timeout);
  ABS_ASSIGN_OR_RETURN(auto conn, node.Acquire(total, cancel));
  std::vector<uint8_t> answered(rows.size(), 0);
  // Replies name rows by their index in the caller's vector.
  auto position_of = [&](uint32_t row) -> std::optional<size_t> {
    auto it = std::lower_bound(rows.begin(), rows.end(), static_cast<size_t>(row));
    if (it == rows.end() || *it != row) return std::nullopt;
    return static_cast<size_t>(it - rows.begin());
  };
  auto fail = [&](Status s) {
    conn->MarkBroken();
    node.Release(std::move(conn));
    return s.WithContext("batch to node " + node.id());
  };
  Status w = conn->Write(req, MinDeadline(total, DeadlineAfter(policy.socket_timeout)), cancel);
  if (!w.ok()) return fail(w);
  proto::ProtoHeader h;
  std::string body, inflated;
  proto::MsgView msg;
  for (;;) {
    Status rs = conn->ReadProto(h, body, MinDeadline(total, DeadlineAfter(policy.socket_timeout)), cancel);
    if (!rs.ok()) return fail(rs);
    std::string_view view = body;
    if (h.type == proto::kCompressed) {
      auto inf = proto::InflateCompressed(body);
      if (!inf.ok()) return fail(inf.status());
      inflated = std::move(*inf);
      view = inflated;
    } else if (h.type != proto::kMessage) {
      return fail(Status(ErrorCode::kProtocol, "batch reply of proto type " + std::to_string(h.type)));
    }
    ByteReader r(view);
    while (r.remaining() > 0) {
      Status ps = proto::ParseMsg(r, msg);
      if (!ps.ok()) return fail(ps);
      if (msg.header.info3 & proto::kInfo3Last) {
        node.Release(std::move(conn));
        if (msg.header.result_code != 0) return ServerError(msg.header.result_code, "batch to node " + node.id());
        for (size_t k = 0; k < rows.size(); ++k)
          if (!answered[k])
            out[rows[k]].status = Status(ErrorCode::kProtocol, "batch reply from node " + node.id() + " has no row " +
                                                                   std::to_string(rows[k]));
        return Status::Ok();
      }
      uint32_t row = msg.header.transaction_ttl;
      auto k = position_of(row);
      if (!k)
        return fail(Status(ErrorCode::kProtocol, "batch reply names row " + std::to_string(row) +
                                                     " which was not sent"));
      answered[*k] = 1;
      // The message is only built for failed rows (most rows succeed).
      out[rows[*k]].status = msg.header.result_code == 0
                                 ? Status::Ok()
                                 : ServerError(msg.header.result_code, "batch row " + std::to_string(row));
    }
  }
}

}  // namespace

Result<std::vector<BatchRowResult>> BatchPut(Cluster& cluster, const std::vector<Record>& records,
                                             const WritePolicy& policy, int64_t now_unix, size_t max_rows,
                                             const CancelToken* cancel) {
  if (now_unix == 0) now_unix = SystemClock::Instance().NowUnixSeconds();
  if (max_rows == 0) max_rows = 1;
  std::vector<BatchRowResult> out(records.size());
  std::vector<uint32_t> ttls(records.size(), 0);
  std::vector<size_t> pending;
  for (size_t i = 0; i < records.size(); ++i) {
    auto ttl_or = TtlFromVoidTime(records[i].void_time, now_unix, policy.extra_ttl);
    if (!ttl_or.ok()) {  // this row only: the others are still written
      out[i].status = ttl_or.status();
      continue;
    }
    const std::optional<uint32_t>& ttl = *ttl_or;
    if (!ttl) {
      out[i].expired = true;
      continue;
    }
    Status c = CheckRecord(records[i]);
    if (!c.ok()) {
      out[i].status = c;
      continue;
    }
    ttls[i] = *ttl;
    pending.push_back(i);
  }
  for (int attempt = 0; attempt <= policy.max_retries && !pending.empty(); ++attempt) {
    if (attempt > 0) {
      auto delay = policy.retry_delay * (1 << std::min(attempt - 1, 6));
      if (cancel ? cancel->WaitFor(delay) : (std::this_thread::sleep_for(delay), false))
        return Status(ErrorCode::kCancelled, "batch cancelled: " + cancel->reason());
    }
    std::map<std::string, std::pair<std::shared_ptr<Node>, std::vector<size_t>>> by_node;
    for (size_t i : pending) {
      auto node = cluster.NodeForPartition(records[i].ns, PartitionId(records[i].digest), attempt);
      if (!node.ok()) {
        out[i].status = node.status();
        continue;
      }
      auto& slot = by_node[(*node)->id()];
      slot.first = *node;
      slot.second.push_back(i);
    }
    // Nodes are written in parallel (one thread per node, joined below); rows of different
    // chunks are disjoint, so each thread writes its own entries of `out`.
    std::vector<std::pair<std::shared_ptr<Node>, std::vector<size_t>>*> groups;
    for (auto& [id, entry] : by_node) groups.push_back(&entry);
    std::vector<Status> group_status(groups.size());
    auto run_group = [&](size_t g) {
      auto& [node, rows] = *groups[g];
      for (size_t off = 0; off < rows.size(); off += max_rows) {
        std::vector<size_t> chunk(rows.begin() + off, rows.begin() + std::min(rows.size(), off + max_rows));
        std::string req = BuildBatchRequest(records, chunk, ttls, policy);
        Status s = RunBatch(*node, req, chunk, out, policy, cancel);
        if (!s.ok()) {
          if (s.code() == ErrorCode::kCancelled) {
            group_status[g] = s;
            return;
          }
          for (size_t i : chunk) out[i].status = s;
        }
      }
    };
    std::vector<std::thread> threads;
    for (size_t g = 1; g < groups.size(); ++g) threads.emplace_back(run_group, g);
    if (!groups.empty()) run_group(0);
    for (auto& t : threads) t.join();
    for (const auto& gs : group_status)
      if (!gs.ok()) return gs;
    std::vector<size_t> retry;
    for (auto* g : groups)
      for (size_t i : g->second)
        if (ClassifyStatus(out[i].status) == ResultClass::kTransient) retry.push_back(i);
    std::sort(retry.begin(), retry.end());  // groups are each ascending; keep `pending` ascending overall
    pending = std::move(retry);
  }
  return out;
}

}  // namespace aero::client
