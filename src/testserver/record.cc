// Data messages of the test server (wire-protocol.md §4–§7, §10, §11): dispatch of type-3 protos
// to single-record reads/writes/deletes, batch-index requests and scans, and the admin (type 2)
// messages: CE's blanket 51 without users, LOGIN/AUTHENTICATE with users.
#include <algorithm>

#include "common/bytes.h"
#include "protocol/message.h"
#include "testserver/cdt.h"
#include "testserver/expr.h"
#include "testserver/node.h"
#include "testserver/scan.h"

namespace aero::testserver {
namespace {

using proto::FieldView;
using proto::MsgHeader;
using proto::OpView;

constexpr uint32_t kMaxTtl = 315360000;  // 10 years

struct RecordRequest {
  MsgHeader h;
  std::string_view ns;
  bool has_set = false;
  std::string_view set;
  Digest digest{};
  bool has_key = false;
  std::string_view key;
  bool has_filter = false;
  std::string_view filter;
  const std::vector<OpView>* ops = nullptr;
};

struct WBin {
  std::string name;
  uint8_t particle = 0;
  std::string value;
};

// Appends one reply as_msg (no proto header).
void AppendReply(std::string& out, uint8_t result, uint32_t gen, uint32_t void_time, uint32_t ttl_field,
                 std::string_view ops, uint16_t n_ops, uint8_t info1 = 0) {
  MsgHeader h;
  h.info1 = info1;
  h.result_code = result;
  h.generation = gen;
  h.record_ttl = void_time;
  h.transaction_ttl = ttl_field;
  h.n_ops = n_ops;
  proto::AppendMsg(out, h);
  out.append(ops);
}

void AppendOp(std::string& ops, uint8_t op_type, uint8_t particle, std::string_view name, std::string_view value) {
  PutU32BE(ops, static_cast<uint32_t>(4 + name.size() + value.size()));
  ops.push_back(static_cast<char>(op_type));
  ops.push_back(static_cast<char>(particle));
  ops.push_back(0);
  ops.push_back(static_cast<char>(name.size()));
  ops.append(name);
  ops.append(value);
}

// Validates and normalises a written value (§6.3); returns a result code.
int NormaliseValue(uint8_t particle, std::string_view in, std::string& out) {
  switch (static_cast<ParticleType>(particle)) {
    case ParticleType::kInteger: {
      if (in.size() != 1 && in.size() != 2 && in.size() != 4 && in.size() != 8) return proto::kParameter;
      uint64_t v = 0;
      for (char c : in) v = (v << 8) | static_cast<uint8_t>(c);  // zero-extended, as the server does
      out.clear();
      PutU64BE(out, v);
      return 0;
    }
    case ParticleType::kFloat:
      if (in.size() != 8) return proto::kParameter;
      break;
    case ParticleType::kBool:
      if (in.size() != 1 || static_cast<uint8_t>(in[0]) > 1) return proto::kParameter;
      break;
    case ParticleType::kGeoJson:
      if (in.size() < 3) return proto::kParameter;
      break;
    default:
      break;
  }
  out.assign(in);
  return 0;
}

std::string I64Bytes(int64_t v) {
  std::string s;
  PutU64BE(s, static_cast<uint64_t>(v));
  return s;
}

std::vector<WBin> DecodeBins(const StoredRecord& r) {
  std::vector<WBin> out;
  out.reserve(r.n_bins);
  ForEachBin(r, [&](const BinView& b) { out.push_back(WBin{std::string(b.name), b.particle, std::string(b.value)}); });
  return out;
}

WBin* FindBin(std::vector<WBin>& bins, std::string_view name) {
  for (auto& b : bins)
    if (b.name == name) return &b;
  return nullptr;
}

class RecordExecutor {
 public:
  RecordExecutor(Session& s) : s_(s), st_(s.state) {}

  // Executes one single-record command and appends the reply as_msg; ttl_field is the reply's
  // transaction_ttl (batch row index).
  void Execute(const RecordRequest& rq, std::string& out, uint32_t ttl_field) {
    Namespace* ns = st_.store().Find(rq.ns);
    if (!ns) return AppendReply(out, proto::kNamespaceNotFound, 0, 0, ttl_field, {}, 0);
    const MsgHeader& h = rq.h;
    std::optional<Expression> filter;
    if (rq.has_filter) {
      auto e = Expression::Compile(rq.filter);
      if (!e.ok()) return AppendReply(out, proto::kParameter, 0, 0, ttl_field, {}, 0);
      filter = std::move(*e);
    }
    Partition& part = ns->partition(PartitionId(rq.digest));
    int64_t now_ms = st_.NowMs();
    uint32_t now = NowClepoch(now_ms);
    if (h.info2 & (proto::kInfo2Write | proto::kInfo2Delete)) {
      if (h.info2 & proto::kInfo2DurableDelete) {
        // Community Edition refuses durable deletes (capture 07).
        return AppendReply(out, proto::kEnterpriseOnly, 0, 0, ttl_field, {}, 0);
      }
      int injected = st_.TakeWriteFailure(s_.node_index, std::string(rq.set));
      if (injected) return AppendReply(out, static_cast<uint8_t>(injected), 0, 0, ttl_field, {}, 0);
      std::unique_lock lock(part.mu);
      auto it = part.records.find(rq.digest);
      if (it != part.records.end() && IsExpired(it->second, now)) {
        part.Erase(it);
        it = part.records.end();
      }
      StoredRecord* existing = it == part.records.end() ? nullptr : &it->second;
      if (existing && filter && !filter->Matches(*existing, now_ms))
        return AppendReply(out, proto::kFilteredOut, existing->generation, existing->void_time, ttl_field, {}, 0);
      if (h.info2 & proto::kInfo2Delete) return Delete(rq, part, it, existing, out, ttl_field);
      return Write(rq, part, existing, out, ttl_field, now_ms);
    }
    if (h.info1 & proto::kInfo1Read) {
      std::shared_lock lock(part.mu);
      auto it = part.records.find(rq.digest);
      if (it == part.records.end() || IsExpired(it->second, now))
        return AppendReply(out, proto::kKeyNotFound, 0, 0, ttl_field, {}, 0);
      const StoredRecord& r = it->second;
      if (filter && !filter->Matches(r, now_ms))
        return AppendReply(out, proto::kFilteredOut, r.generation, r.void_time, ttl_field, {}, 0);
      if (h.info1 & proto::kInfo1NoBinData) return AppendReply(out, 0, r.generation, r.void_time, ttl_field, {}, 0);
      bool all = (h.info1 & proto::kInfo1GetAll) || rq.ops->empty();
      if (all) return AppendReply(out, 0, r.generation, r.void_time, ttl_field, r.ops, r.n_bins);
      std::string ops;
      uint16_t n = 0;
      for (const auto& op : *rq.ops) {
        if (op.op_type != proto::kOpRead) return AppendReply(out, proto::kParameter, 0, 0, ttl_field, {}, 0);
        ForEachBin(r, [&](const BinView& b) {
          if (b.name == op.name) {
            ops.append(b.encoded);
            ++n;
          }
        });
      }
      return AppendReply(out, 0, r.generation, r.void_time, ttl_field, ops, n);
    }
    // Neither read nor write: nothing the server can do with it.
    return AppendReply(out, proto::kParameter, 0, 0, ttl_field, {}, 0);
  }

 private:
  using RecIt = std::map<Digest, StoredRecord, DigestGreater>::iterator;

  void Delete(const RecordRequest& rq, Partition& part, RecIt it, StoredRecord* existing, std::string& out,
              uint32_t ttl_field) {
    if (!existing) return AppendReply(out, proto::kKeyNotFound, 0, 0, ttl_field, {}, 0);
    if (int rc = CheckGeneration(rq.h, existing->generation))
      return AppendReply(out, static_cast<uint8_t>(rc), existing->generation, existing->void_time, ttl_field, {}, 0);
    part.Erase(it);
    AppendReply(out, 0, 0, 0, ttl_field, {}, 0);
  }

  static int CheckGeneration(const MsgHeader& h, uint32_t current) {
    if ((h.info2 & proto::kInfo2Generation) && h.generation != current) return proto::kGeneration;
    if ((h.info2 & proto::kInfo2GenerationGt) && h.generation <= current) return proto::kGeneration;
    return 0;
  }

  void Write(const RecordRequest& rq, Partition& part, StoredRecord* existing, std::string& out, uint32_t ttl_field,
             int64_t now_ms) {
    const MsgHeader& h = rq.h;
    auto fail = [&](int rc) {
      AppendReply(out, static_cast<uint8_t>(rc), existing ? existing->generation : 0,
                  existing ? existing->void_time : 0, ttl_field, {}, 0);
    };
    const auto& ops = *rq.ops;
    if (ops.empty()) return fail(proto::kParameter);
    bool replace = h.info3 & (proto::kInfo3CreateOrReplace | proto::kInfo3ReplaceOnly);
    for (const auto& op : ops) {
      if (op.name.size() >= 16) return fail(proto::kBinName);
      if (op.op_type == proto::kOpRead && !(h.info1 & proto::kInfo1Read)) return fail(proto::kParameter);
      bool modifying_existing = op.op_type == proto::kOpTouch || op.op_type == proto::kOpIncr ||
                                op.op_type == proto::kOpAppend || op.op_type == proto::kOpPrepend ||
                                op.op_type == proto::kOpDeleteAll || op.op_type == proto::kOpCdtModify ||
                                (op.op_type == proto::kOpWrite && op.particle == ParticleType::kNull);
      if (replace && modifying_existing) return fail(proto::kParameter);
    }
    // Key checks (§7.2).
    if (rq.has_key) {
      if (rq.key.empty()) return fail(proto::kUnsupportedFeature);
      if (static_cast<uint8_t>(rq.key[0]) == 1 && rq.key.size() != 9) return fail(proto::kUnsupportedFeature);
      if (existing && !existing->key.empty() && existing->key != rq.key) return fail(proto::kKeyMismatch);
    }
    if (existing && rq.has_set && existing->set != rq.set) return fail(proto::kParameter);
    if (int rc = CheckGeneration(h, existing ? existing->generation : 0)) return fail(rc);
    if ((h.info2 & proto::kInfo2CreateOnly) && existing) return fail(proto::kKeyExists);
    if ((h.info3 & (proto::kInfo3UpdateOnly | proto::kInfo3ReplaceOnly)) && !existing) return fail(proto::kKeyNotFound);
    // TTL (§10.3).
    const auto& o = st_.options();
    uint32_t now = NowClepoch(now_ms);
    uint32_t void_time = 0;
    uint32_t ttl = h.record_ttl;
    bool expiring = false;
    if (ttl == 0xFFFFFFFFu) {
      void_time = 0;
    } else if (ttl == 0xFFFFFFFEu && existing) {
      void_time = existing->void_time;
    } else if (ttl == 0 || ttl == 0xFFFFFFFEu) {
      if (o.default_ttl) {
        void_time = now + o.default_ttl;
        expiring = true;
      }
    } else if (ttl <= kMaxTtl) {
      void_time = now + ttl;
      expiring = true;
    } else {
      return fail(proto::kParameter);
    }
    if (expiring && o.nsup_period == 0) return fail(proto::kForbidden);

    std::vector<WBin> bins = existing && !replace ? DecodeBins(*existing) : std::vector<WBin>{};
    bool respond_all = h.info2 & proto::kInfo2RespondAllOps;
    std::string reply_ops;
    uint16_t n_reply = 0;
    bool delete_record = false;
    for (const auto& op : ops) {
      std::string norm;
      switch (op.op_type) {
        case proto::kOpWrite: {
          if (op.particle == ParticleType::kNull) {
            bins.erase(std::remove_if(bins.begin(), bins.end(), [&](const WBin& b) { return b.name == op.name; }),
                       bins.end());
          } else {
            if (int rc = NormaliseValue(static_cast<uint8_t>(op.particle), op.value, norm)) return fail(rc);
            if (WBin* b = FindBin(bins, op.name)) {
              b->particle = static_cast<uint8_t>(op.particle);
              b->value = std::move(norm);
            } else {
              bins.push_back(WBin{std::string(op.name), static_cast<uint8_t>(op.particle), std::move(norm)});
            }
          }
          if (respond_all) {
            AppendOp(reply_ops, op.op_type, 0, op.name, {});
            ++n_reply;
          }
          break;
        }
        case proto::kOpRead: {
          if (op.name.empty()) {
            for (const auto& b : bins) {
              AppendOp(reply_ops, proto::kOpRead, b.particle, b.name, b.value);
              ++n_reply;
            }
          } else if (WBin* b = FindBin(bins, op.name)) {
            AppendOp(reply_ops, proto::kOpRead, b->particle, b->name, b->value);
            ++n_reply;
          } else if (respond_all) {
            AppendOp(reply_ops, proto::kOpRead, 0, op.name, {});
            ++n_reply;
          }
          break;
        }
        case proto::kOpTouch:
          // The write below bumps the generation and applies the TTL, which is all a touch does.
          if (!existing) return fail(proto::kKeyNotFound);
          if (respond_all) {
            AppendOp(reply_ops, op.op_type, 0, op.name, {});
            ++n_reply;
          }
          break;
        case proto::kOpDeleteAll:
          bins.clear();
          delete_record = true;
          if (respond_all) {
            AppendOp(reply_ops, op.op_type, 0, op.name, {});
            ++n_reply;
          }
          break;
        case proto::kOpIncr: {
          WBin* b = FindBin(bins, op.name);
          if (op.particle == ParticleType::kInteger) {
            if (int rc = NormaliseValue(1, op.value, norm)) return fail(rc);
            int64_t add = static_cast<int64_t>(GetU64BE(norm.data()));
            if (b && b->particle != 1) return fail(proto::kBinTypeError);
            int64_t cur = b ? static_cast<int64_t>(GetU64BE(b->value.data())) : 0;
            std::string v;
            PutU64BE(v, static_cast<uint64_t>(cur + add));
            if (b) b->value = v;
            else bins.push_back(WBin{std::string(op.name), 1, v});
          } else {
            return fail(proto::kParameter);
          }
          if (respond_all) {
            AppendOp(reply_ops, op.op_type, 0, op.name, {});
            ++n_reply;
          }
          break;
        }
        case proto::kOpAppend:
        case proto::kOpPrepend: {
          if (op.particle != ParticleType::kString && op.particle != ParticleType::kBlob) return fail(proto::kParameter);
          WBin* b = FindBin(bins, op.name);
          if (!b) {
            bins.push_back(WBin{std::string(op.name), static_cast<uint8_t>(op.particle), std::string(op.value)});
          } else {
            if (b->particle != static_cast<uint8_t>(op.particle)) return fail(proto::kBinTypeError);
            if (op.op_type == proto::kOpAppend) b->value.append(op.value);
            else b->value.insert(0, op.value);
          }
          if (respond_all) {
            AppendOp(reply_ops, op.op_type, 0, op.name, {});
            ++n_reply;
          }
          break;
        }
        case proto::kOpCdtModify: {
          WBin* b = FindBin(bins, op.name);
          std::optional<std::pair<uint8_t, std::string>> cur;
          if (b) cur.emplace(b->particle, b->value);
          CdtOutcome r = ApplyCdtModify(op.value, cur);
          if (r.result_code) return fail(r.result_code);
          if (b) {
            b->particle = r.particle;
            b->value = std::move(r.bin);
          } else {
            bins.push_back(WBin{std::string(op.name), r.particle, std::move(r.bin)});
          }
          if (r.has_value) {
            AppendOp(reply_ops, op.op_type, static_cast<uint8_t>(ParticleType::kInteger), op.name, I64Bytes(r.value));
            ++n_reply;
          } else if (respond_all) {
            AppendOp(reply_ops, op.op_type, 0, op.name, {});
            ++n_reply;
          }
          break;
        }
        default:
          // CDT reads, bit, HLL and expression ops are not implemented by the test server.
          return fail(proto::kUnsupportedFeature);
      }
    }
    Digest d = rq.digest;
    if (bins.empty() || delete_record) {
      // A record left without bins is deleted, as on the server.
      if (existing) part.Erase(part.records.find(d));
      return AppendReply(out, 0, 0, 0, ttl_field, reply_ops, n_reply);
    }
    StoredRecord rec;
    rec.set = existing ? existing->set : std::string(rq.set);
    rec.key = existing ? existing->key : std::string();
    if (rq.has_key && rec.key.empty()) rec.key.assign(rq.key);
    uint32_t gen = existing ? existing->generation : 0;
    rec.generation = static_cast<uint16_t>(gen >= 65535 ? 1 : gen + 1);
    rec.void_time = void_time;
    rec.lut_ms = static_cast<uint64_t>(now_ms);
    rec.n_bins = static_cast<uint16_t>(bins.size());
    for (const auto& b : bins) AppendBinOp(rec.ops, b.name, b.particle, b.value);
    uint16_t new_gen = rec.generation;
    part.Put(d, std::move(rec));
    st_.store().NoteSet(rq.ns, rq.set);
    AppendReply(out, 0, new_gen, void_time, ttl_field, reply_ops, n_reply);
  }

  Session& s_;
  ClusterState& st_;
};

// Fills the request-level parts of a RecordRequest from a message's fields.
int FillFromFields(const std::vector<FieldView>& fields, RecordRequest& rq, bool need_digest) {
  bool have_ns = false, have_digest = false;
  for (const auto& f : fields) {
    switch (f.type) {
      case proto::kFieldNamespace: rq.ns = f.data; have_ns = true; break;
      case proto::kFieldSet: rq.set = f.data; rq.has_set = true; break;
      case proto::kFieldKey: rq.key = f.data; rq.has_key = true; break;
      case proto::kFieldDigest:
        if (f.data.size() != 20) return proto::kParameter;
        std::copy(f.data.begin(), f.data.end(), reinterpret_cast<char*>(rq.digest.data()));
        have_digest = true;
        break;
      case proto::kFieldFilterExp: rq.filter = f.data; rq.has_filter = true; break;
      default: break;  // unknown fields are skipped, as the server does
    }
  }
  if (!have_ns) return proto::kParameter;
  if (need_digest && !have_digest) return proto::kParameter;
  return 0;
}

Status WriteSingle(Session& s, std::string_view msg_no_proto) {
  std::string out;
  proto::PutProtoHeader(out, proto::kMessage, msg_no_proto.size());
  out.append(msg_no_proto);
  return s.conn.WriteAll(out, s.state.options().io_timeout_ms);
}

Status ReplyCode(Session& s, uint8_t rc) {
  std::string msg;
  AppendReply(msg, rc, 0, 0, 0, {}, 0);
  return WriteSingle(s, msg);
}

// Parses fields and ops of a batch row (§10.6) into views over the request body.
bool ParseRowBody(ByteReader& r, uint16_t n_fields, uint16_t n_ops, std::vector<FieldView>& fields,
                  std::vector<OpView>& ops) {
  fields.clear();
  ops.clear();
  for (uint16_t i = 0; i < n_fields; ++i) {
    uint32_t sz;
    FieldView f;
    if (!r.u32be(sz) || sz < 1 || !r.u8(f.type) || !r.bytes(sz - 1, f.data)) return false;
    fields.push_back(f);
  }
  for (uint16_t i = 0; i < n_ops; ++i) {
    uint32_t sz;
    uint8_t particle, name_len;
    OpView op;
    if (!r.u32be(sz) || sz < 4 || !r.u8(op.op_type) || !r.u8(particle) || !r.u8(op.flags) || !r.u8(name_len) ||
        name_len > sz - 4 || !r.bytes(name_len, op.name) || !r.bytes(sz - 4 - name_len, op.value))
      return false;
    op.particle = static_cast<ParticleType>(particle);
    ops.push_back(op);
  }
  return true;
}

Status HandleBatch(Session& s, const proto::MsgView& msg) {
  const FieldView* bf = msg.FindField(proto::kFieldBatchIndex);
  if (!bf) return ReplyCode(s, proto::kParameter);
  ByteReader r(bf->data);
  uint32_t n_rows;
  uint8_t flags;
  if (!r.u32be(n_rows) || !r.u8(flags)) return ReplyCode(s, proto::kParameter);
  if (n_rows > 100000) return ReplyCode(s, proto::kBatchMaxRequests);
  RecordExecutor exec(s);
  const int timeout = s.state.options().io_timeout_ms;
  std::string chunk;
  proto::PutProtoHeader(chunk, proto::kMessage, 0);
  auto flush = [&]() -> Status {
    if (chunk.size() <= 8) return Status::Ok();
    std::string hdr;
    proto::PutProtoHeader(hdr, proto::kMessage, chunk.size() - 8);
    chunk.replace(0, 8, hdr);
    Status st = s.conn.WriteAll(chunk, timeout);
    chunk.resize(8);
    return st;
  };
  RecordRequest prev;
  std::vector<FieldView> fields, prev_fields;
  std::vector<OpView> ops, prev_ops;
  bool have_prev = false;
  for (uint32_t i = 0; i < n_rows; ++i) {
    uint32_t index;
    std::string_view digest;
    uint8_t row_flags;
    if (!r.u32be(index) || !r.bytes(20, digest) || !r.u8(row_flags)) return ReplyCode(s, proto::kParameter);
    RecordRequest rq;
    if (row_flags & 0x01) {  // REPEAT: the previous row's message with this digest
      if (!have_prev) return ReplyCode(s, proto::kParameter);
      rq = prev;
      rq.has_key = false;
      rq.key = {};
    } else {
      MsgHeader h;
      uint16_t gen16 = 0, n_fields, n_ops;
      if (!r.u8(h.info1)) return ReplyCode(s, proto::kParameter);
      if ((row_flags & 0x02) && (!r.u8(h.info2) || !r.u8(h.info3))) return ReplyCode(s, proto::kParameter);
      if ((row_flags & 0x10) && !r.u8(h.info4)) return ReplyCode(s, proto::kParameter);
      if ((row_flags & 0x04) && !r.u16be(gen16)) return ReplyCode(s, proto::kParameter);
      if ((row_flags & 0x08) && !r.u32be(h.record_ttl)) return ReplyCode(s, proto::kParameter);
      h.generation = gen16;
      if (!r.u16be(n_fields) || !r.u16be(n_ops) || !ParseRowBody(r, n_fields, n_ops, fields, ops))
        return ReplyCode(s, proto::kParameter);
      prev_fields.swap(fields);
      prev_ops.swap(ops);
      rq.h = h;
      rq.ops = &prev_ops;
      if (int rc = FillFromFields(prev_fields, rq, false)) return ReplyCode(s, static_cast<uint8_t>(rc));
      prev = rq;
      have_prev = true;
    }
    std::copy(digest.begin(), digest.end(), reinterpret_cast<char*>(rq.digest.data()));
    if (!rq.has_filter) {
      if (const FieldView* pf = msg.FindField(proto::kFieldFilterExp)) {
        rq.has_filter = true;
        rq.filter = pf->data;
      }
    }
    exec.Execute(rq, chunk, index);
    if (chunk.size() >= (1u << 20)) ABS_RETURN_IF_ERROR(flush());
  }
  if (r.remaining() != 0) {
    // Rows must consume the field exactly; report the error in the LAST message like the server.
    chunk.resize(8);
    std::string last;
    MsgHeader h;
    h.info3 = proto::kInfo3Last;
    h.result_code = proto::kParameter;
    proto::AppendMsg(chunk, h);
    return flush();
  }
  ABS_RETURN_IF_ERROR(flush());
  MsgHeader last;
  last.info3 = proto::kInfo3Last;
  return s.conn.WriteAll(proto::MessageBuilder(last).Finish(), timeout);
}

}  // namespace

Status HandleMessage(Session& s, std::string_view body) {
  proto::MsgView msg;
  ByteReader r(body);
  if (!proto::ParseMsg(r, msg).ok()) {
    // A message whose fields/ops run past the proto cannot be answered meaningfully: close.
    return Status(ErrorCode::kProtocol, "malformed message");
  }
  if (!s.authenticated) return ReplyCode(s, proto::kNotAuthenticated);
  if (r.remaining() != 0) return ReplyCode(s, proto::kParameter);  // trailing bytes (capture 07)
  if (msg.header.info1 & proto::kInfo1Batch) return HandleBatch(s, msg);
  if (!msg.FindField(proto::kFieldDigest)) return HandleScan(s, msg);
  RecordRequest rq;
  rq.h = msg.header;
  rq.ops = &msg.ops;
  if (int rc = FillFromFields(msg.fields, rq, true)) return ReplyCode(s, static_cast<uint8_t>(rc));
  if (msg.FindField(proto::kFieldUdfPackageName)) {
    // Record UDFs need a Lua runtime, which the test server does not have.
    return ReplyCode(s, proto::kUnsupportedFeature);
  }
  std::string reply;
  RecordExecutor(s).Execute(rq, reply, 0);
  return WriteSingle(s, reply);
}

Status HandleAdmin(Session& s, std::string_view body) {
  const int timeout = s.state.options().io_timeout_ms;
  proto::AdminMessage reply;
  if (!s.state.security_enabled()) {
    // Community Edition: every security message gets 51 with command byte 0 (capture 07).
    reply.result_code = proto::kSecurityNotSupported;
    return s.conn.WriteAll(proto::BuildAdmin(reply), timeout);
  }
  proto::AdminMessage req;
  if (!proto::ParseAdminBody(body, req).ok()) return Status(ErrorCode::kProtocol, "malformed admin message");
  reply.command = req.command;
  const std::string* user = req.Find(proto::kAdminUser);
  if (req.command == proto::kAdminLogin) {
    const std::string* cred = req.Find(proto::kAdminCredential);
    std::string want = user ? s.state.Credential(*user) : std::string();
    if (!user || want.empty()) {
      reply.result_code = proto::kInvalidUser;
    } else if (!cred || *cred != want) {
      reply.result_code = proto::kInvalidCredential;
    } else {
      std::string token = s.state.NewSession(*user);
      std::string ttl;
      PutU32BE(ttl, s.state.options().session_ttl_seconds);
      reply.fields.emplace_back(proto::kAdminSessionToken, token);
      reply.fields.emplace_back(proto::kAdminSessionTtl, ttl);
      s.authenticated = true;
    }
  } else if (req.command == proto::kAdminAuthenticate) {
    const std::string* token = req.Find(proto::kAdminSessionToken);
    if (!user || !token) {
      reply.result_code = proto::kNotAuthenticated;
    } else {
      reply.result_code = static_cast<uint8_t>(s.state.CheckSession(*user, *token));
      s.authenticated = reply.result_code == 0;
    }
  } else if (!s.authenticated) {
    reply.result_code = proto::kNotAuthenticated;
  } else {
    // User/role management is not implemented by the test server.
    reply.result_code = proto::kUnsupportedFeature;
  }
  return s.conn.WriteAll(proto::BuildAdmin(reply), timeout);
}

}  // namespace aero::testserver
