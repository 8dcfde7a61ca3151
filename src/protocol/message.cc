// Wire message encoding/decoding; see message.h.
#include "protocol/message.h"

#include <zlib.h>

#include <cstring>

#include "common/bytes.h"

namespace aero::proto {

void PutProtoHeader(std::string& out, uint8_t type, uint64_t body_size) {
  PutU64BE(out, (uint64_t{kVersion} << 56) | (uint64_t{type} << 48) | (body_size & 0xFFFFFFFFFFFFull));
}

Status ParseProtoHeader(std::string_view b, ProtoHeader& out) {
  if (b.size() < 8) return Status(ErrorCode::kProtocol, "proto header shorter than 8 bytes");
  uint64_t v = GetU64BE(b.data());
  out.version = static_cast<uint8_t>(v >> 56);
  out.type = static_cast<uint8_t>(v >> 48);
  out.size = v & 0xFFFFFFFFFFFFull;
  if (out.version != kVersion)
    return Status(ErrorCode::kProtocol, "proto version " + std::to_string(out.version) + ", expected 2");
  if (out.type < kInfo || out.type > kCompressed)
    return Status(ErrorCode::kProtocol, "unknown proto type " + std::to_string(out.type));
  if (out.size > kMaxBodySize)
    return Status(ErrorCode::kProtocol, "proto body of " + std::to_string(out.size) + " bytes exceeds 128 MiB");
  return Status::Ok();
}

static void PutMsgHeader(std::string& out, const MsgHeader& h) {
  out.push_back(static_cast<char>(kMsgHeaderSize));
  out.push_back(static_cast<char>(h.info1));
  out.push_back(static_cast<char>(h.info2));
  out.push_back(static_cast<char>(h.info3));
  out.push_back(static_cast<char>(h.info4));
  out.push_back(static_cast<char>(h.result_code));
  PutU32BE(out, h.generation);
  PutU32BE(out, h.record_ttl);
  PutU32BE(out, h.transaction_ttl);
  PutU16BE(out, h.n_fields);
  PutU16BE(out, h.n_ops);
}

void AppendMsg(std::string& out, const MsgHeader& header) { PutMsgHeader(out, header); }

MessageBuilder::MessageBuilder(const MsgHeader& header, uint8_t proto_type) {
  buf_.reserve(256);
  PutProtoHeader(buf_, proto_type, 0);
  PutMsgHeader(buf_, header);
}

MessageBuilder& MessageBuilder::Field(uint8_t type, std::string_view data) {
  PutU32BE(buf_, static_cast<uint32_t>(data.size() + 1));
  buf_.push_back(static_cast<char>(type));
  buf_.append(data);
  ++n_fields_;
  return *this;
}

MessageBuilder& MessageBuilder::FieldU32(uint8_t type, uint32_t v) {
  std::string d;
  PutU32BE(d, v);
  return Field(type, d);
}

MessageBuilder& MessageBuilder::FieldU64(uint8_t type, uint64_t v) {
  std::string d;
  PutU64BE(d, v);
  return Field(type, d);
}

MessageBuilder& MessageBuilder::Op(uint8_t op_type, ParticleType particle, std::string_view name,
                                   std::string_view value) {
  PutU32BE(buf_, static_cast<uint32_t>(4 + name.size() + value.size()));
  buf_.push_back(static_cast<char>(op_type));
  buf_.push_back(static_cast<char>(particle));
  buf_.push_back(0);
  buf_.push_back(static_cast<char>(name.size()));
  buf_.append(name);
  buf_.append(value);
  ++n_ops_;
  return *this;
}

std::string MessageBuilder::Finish() {
  // n_fields at offset 8+18, n_ops at 8+20.
  buf_[26] = static_cast<char>(n_fields_ >> 8);
  buf_[27] = static_cast<char>(n_fields_);
  buf_[28] = static_cast<char>(n_ops_ >> 8);
  buf_[29] = static_cast<char>(n_ops_);
  uint64_t body = buf_.size() - 8;
  std::string hdr;
  PutProtoHeader(hdr, static_cast<uint8_t>(buf_[1]), body);
  buf_.replace(0, 8, hdr);
  return std::move(buf_);
}

const FieldView* MsgView::FindField(uint8_t type) const {
  for (const auto& f : fields)
    if (f.type == type) return &f;
  return nullptr;
}

Status ParseMsg(ByteReader& r, MsgView& out) {
  const size_t start = r.position();
  // Parsed with plain pointer arithmetic over the rest of the buffer (one bounds check per field
  // and op, not one per byte: this runs for every record of a scan); the reader is advanced past
  // the message at the end.
  std::string_view rest;
  {
    ByteReader probe = r;
    probe.bytes(probe.remaining(), rest);
  }
  const char* p = rest.data();
  const char* const end = p + rest.size();
  auto left = [&] { return static_cast<size_t>(end - p); };
  auto truncated = [&](const char* what) {
    return Status(ErrorCode::kProtocol, std::string("message at offset ") + std::to_string(start) +
                                            " truncated in " + what);
  };
  // The vectors are resized below without clearing first (their elements are overwritten), so a
  // message rejected before that point must not leave the previous message's views behind.
  auto header_error = [&](Status s) {
    out.fields.clear();
    out.ops.clear();
    return s;
  };
  if (left() < 1) return header_error(truncated("header"));
  uint8_t hsz = static_cast<uint8_t>(p[0]);
  if (hsz != kMsgHeaderSize)
    return header_error(
        Status(ErrorCode::kProtocol, "message header size " + std::to_string(hsz) + ", expected 22"));
  if (left() < kMsgHeaderSize) return header_error(truncated("header"));
  MsgHeader& h = out.header;
  h.info1 = static_cast<uint8_t>(p[1]);
  h.info2 = static_cast<uint8_t>(p[2]);
  h.info3 = static_cast<uint8_t>(p[3]);
  h.info4 = static_cast<uint8_t>(p[4]);
  h.result_code = static_cast<uint8_t>(p[5]);
  h.generation = GetU32BE(p + 6);
  h.record_ttl = GetU32BE(p + 10);
  h.transaction_ttl = GetU32BE(p + 14);
  h.n_fields = GetU16BE(p + 18);
  h.n_ops = GetU16BE(p + 20);
  p += kMsgHeaderSize;
  // Sized once and filled in place (the vectors keep their capacity across the messages of a
  // scan); trimmed to what was parsed if the message turns out truncated.
  out.fields.resize(h.n_fields);
  for (uint16_t i = 0; i < h.n_fields; ++i) {
    auto fail = [&](Status s) {
      out.fields.resize(i);
      out.ops.clear();
      return s;
    };
    if (left() < 4) return fail(truncated("field size"));
    uint32_t sz = GetU32BE(p);
    p += 4;
    if (sz < 1) return fail(Status(ErrorCode::kProtocol, "field of size 0"));
    if (left() < sz) return fail(truncated("field data"));
    FieldView& f = out.fields[i];
    f.type = static_cast<uint8_t>(p[0]);
    f.data = std::string_view(p + 1, sz - 1);
    p += sz;
  }
  out.ops.resize(h.n_ops);
  for (uint16_t i = 0; i < h.n_ops; ++i) {
    auto fail = [&](Status s) {
      out.ops.resize(i);
      return s;
    };
    if (left() < 4) return fail(truncated("op size"));
    uint32_t sz = GetU32BE(p);
    p += 4;
    if (sz < 4) return fail(Status(ErrorCode::kProtocol, "op size " + std::to_string(sz) + " below 4"));
    if (left() < 4) return fail(truncated("op header"));
    OpView& op = out.ops[i];
    op.op_type = static_cast<uint8_t>(p[0]);
    op.particle = static_cast<ParticleType>(static_cast<uint8_t>(p[1]));
    op.flags = static_cast<uint8_t>(p[2]);
    uint8_t name_len = static_cast<uint8_t>(p[3]);
    if (name_len > sz - 4) return fail(Status(ErrorCode::kProtocol, "op name longer than op"));
    if (left() < sz) return fail(truncated("op value"));
    op.name = std::string_view(p + 4, name_len);
    op.value = std::string_view(p + 4 + name_len, sz - 4 - name_len);
    p += sz;
  }
  r.skip(static_cast<size_t>(p - rest.data()));
  return Status::Ok();
}

Status ParseSingleMsg(std::string_view body, MsgView& out) {
  ByteReader r(body);
  ABS_RETURN_IF_ERROR(ParseMsg(r, out));
  if (r.remaining() != 0)
    return Status(ErrorCode::kProtocol, std::to_string(r.remaining()) + " trailing bytes after message");
  return Status::Ok();
}

Result<std::string> InflateCompressed(std::string_view body) {
  if (body.size() < 8) return Status(ErrorCode::kProtocol, "compressed message shorter than 8 bytes");
  uint64_t full = GetU64BE(body.data());
  if (full < 8 || full > kMaxBodySize + 8)
    return Status(ErrorCode::kProtocol, "compressed message declares size " + std::to_string(full));
  std::string out(full, '\0');
  uLongf dest_len = static_cast<uLongf>(full);
  int rc = uncompress(reinterpret_cast<Bytef*>(out.data()), &dest_len,
                      reinterpret_cast<const Bytef*>(body.data() + 8), static_cast<uLong>(body.size() - 8));
  if (rc != Z_OK || dest_len != full)
    return Status(ErrorCode::kProtocol, "compressed message does not inflate to its declared size");
  ProtoHeader inner;
  ABS_RETURN_IF_ERROR(ParseProtoHeader(out, inner).WithContext("compressed message"));
  if (inner.type != kMessage || inner.size + 8 != full)
    return Status(ErrorCode::kProtocol, "compressed message holds an inconsistent inner proto");
  return out.substr(8);
}

Result<std::string> CompressProto(std::string_view proto) {
  uLongf bound = compressBound(static_cast<uLong>(proto.size()));
  std::string out;
  PutProtoHeader(out, kCompressed, 0);
  PutU64BE(out, proto.size());
  size_t off = out.size();
  out.resize(off + bound);
  int rc = compress2(reinterpret_cast<Bytef*>(out.data() + off), &bound,
                     reinterpret_cast<const Bytef*>(proto.data()), static_cast<uLong>(proto.size()), 1);
  if (rc != Z_OK) return Status(ErrorCode::kInternal, "zlib compress failed");
  out.resize(off + bound);
  std::string hdr;
  PutProtoHeader(hdr, kCompressed, out.size() - 8);
  out.replace(0, 8, hdr);
  return out;
}

Status ParseRecordFields(const MsgView& msg, RecordFields& out) {
  out.ns = {};
  out.set = {};
  out.has_key = false;
  out.key_type = ParticleType::kNull;
  out.key_data = {};
  bool have_digest = false;
  for (const auto& f : msg.fields) {
    switch (f.type) {
      case kFieldNamespace: out.ns = f.data; break;
      case kFieldSet: out.set = f.data; break;
      case kFieldDigest:
        if (f.data.size() != 20)
          return Status(ErrorCode::kProtocol, "DIGEST field of " + std::to_string(f.data.size()) + " bytes");
        std::memcpy(out.digest.data(), f.data.data(), 20);
        have_digest = true;
        break;
      case kFieldKey:
        if (f.data.empty()) return Status(ErrorCode::kProtocol, "empty KEY field");
        out.has_key = true;
        out.key_type = static_cast<ParticleType>(static_cast<uint8_t>(f.data[0]));
        out.key_data = f.data.substr(1);
        break;
      default: break;  // unknown fields are skipped, as the server does
    }
  }
  if (!have_digest) return Status(ErrorCode::kProtocol, "record without DIGEST field");
  return Status::Ok();
}

Status MsgToRecord(const MsgView& msg, Record& rec) {
  RecordFields f;
  ABS_RETURN_IF_ERROR(ParseRecordFields(msg, f));
  rec.ns.assign(f.ns);
  rec.set.assign(f.set);
  rec.digest = f.digest;
  if (f.has_key)
    rec.key = UserKey{f.key_type, std::string(f.key_data)};
  else
    rec.key.reset();
  rec.generation = msg.header.generation;
  rec.void_time = msg.header.record_ttl;
  rec.bins.resize(msg.ops.size());
  for (size_t i = 0; i < msg.ops.size(); ++i) {
    const auto& op = msg.ops[i];
    rec.bins[i].name.assign(op.name);
    rec.bins[i].type = op.particle;
    rec.bins[i].data.assign(op.value);
  }
  return Status::Ok();
}

const std::string* AdminMessage::Find(uint8_t id) const {
  for (const auto& f : fields)
    if (f.first == id) return &f.second;
  return nullptr;
}

std::string BuildAdmin(const AdminMessage& msg) {
  std::string body;
  body.push_back(0);
  body.push_back(static_cast<char>(msg.result_code));
  body.push_back(static_cast<char>(msg.command));
  body.push_back(static_cast<char>(msg.fields.size()));
  body.append(12, '\0');
  for (const auto& [id, data] : msg.fields) {
    PutU32BE(body, static_cast<uint32_t>(data.size() + 1));
    body.push_back(static_cast<char>(id));
    body.append(data);
  }
  std::string out;
  PutProtoHeader(out, kAdmin, body.size());
  out.append(body);
  return out;
}

Status ParseAdminBody(std::string_view body, AdminMessage& out) {
  if (body.size() < kAdminHeaderSize) return Status(ErrorCode::kProtocol, "admin message shorter than 16 bytes");
  out.result_code = static_cast<uint8_t>(body[1]);
  out.command = static_cast<uint8_t>(body[2]);
  uint8_t n = static_cast<uint8_t>(body[3]);
  out.fields.clear();
  ByteReader r(body.substr(kAdminHeaderSize));
  for (uint8_t i = 0; i < n; ++i) {
    uint32_t sz = 0;
    uint8_t id = 0;
    std::string_view data;
    if (!r.u32be(sz) || sz < 1 || !r.u8(id) || !r.bytes(sz - 1, data))
      return Status(ErrorCode::kProtocol, "admin message field " + std::to_string(i) + " truncated");
    out.fields.emplace_back(id, std::string(data));
  }
  return Status::Ok();
}

}  // namespace aero::proto
