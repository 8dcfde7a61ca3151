// Minimal msgpack writer/reader and filter-expression builders; see msgpack.h.
#include "protocol/msgpack.h"

#include <cstring>

#include "common/bytes.h"

namespace aero::msgpack {

void PutNil(std::string& out) { out.push_back(static_cast<char>(0xc0)); }
void PutBool(std::string& out, bool v) { out.push_back(static_cast<char>(v ? 0xc3 : 0xc2)); }

void PutInt(std::string& out, int64_t v) {
  if (v >= 0) {
    uint64_t u = static_cast<uint64_t>(v);
    if (u < 128) {
      out.push_back(static_cast<char>(u));
    } else if (u < 256) {
      out.push_back(static_cast<char>(0xcc));
      out.push_back(static_cast<char>(u));
    } else if (u < 65536) {
      out.push_back(static_cast<char>(0xcd));
      PutU16BE(out, static_cast<uint16_t>(u));
    } else if (u < (1ull << 32)) {
      out.push_back(static_cast<char>(0xce));
      PutU32BE(out, static_cast<uint32_t>(u));
    } else {
      out.push_back(static_cast<char>(0xcf));
      PutU64BE(out, u);
    }
    return;
  }
  if (v >= -32) {
    out.push_back(static_cast<char>(v));
  } else if (v >= -128) {
    out.push_back(static_cast<char>(0xd0));
    out.push_back(static_cast<char>(v));
  } else if (v >= -32768) {
    out.push_back(static_cast<char>(0xd1));
    PutU16BE(out, static_cast<uint16_t>(v));
  } else if (v >= INT32_MIN) {
    out.push_back(static_cast<char>(0xd2));
    PutU32BE(out, static_cast<uint32_t>(v));
  } else {
    out.push_back(static_cast<char>(0xd3));
    PutU64BE(out, static_cast<uint64_t>(v));
  }
}

void PutDouble(std::string& out, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  out.push_back(static_cast<char>(0xcb));
  PutU64BE(out, bits);
}

void PutString(std::string& out, std::string_view s, uint8_t particle_type) {
  size_t n = s.size() + 1;
  if (n < 32) {
    out.push_back(static_cast<char>(0xa0 | n));
  } else if (n < 256) {
    out.push_back(static_cast<char>(0xd9));
    out.push_back(static_cast<char>(n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(0xda));
    PutU16BE(out, static_cast<uint16_t>(n));
  } else {
    out.push_back(static_cast<char>(0xdb));
    PutU32BE(out, static_cast<uint32_t>(n));
  }
  out.push_back(static_cast<char>(particle_type));
  out.append(s);
}

void PutArrayHeader(std::string& out, uint32_t n) {
  if (n < 16) {
    out.push_back(static_cast<char>(0x90 | n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(0xdc));
    PutU16BE(out, static_cast<uint16_t>(n));
  } else {
    out.push_back(static_cast<char>(0xdd));
    PutU32BE(out, n);
  }
}

void PutMapHeader(std::string& out, uint32_t n) {
  if (n < 16) {
    out.push_back(static_cast<char>(0x80 | n));
  } else if (n < 65536) {
    out.push_back(static_cast<char>(0xde));
    PutU16BE(out, static_cast<uint16_t>(n));
  } else {
    out.push_back(static_cast<char>(0xdf));
    PutU32BE(out, n);
  }
}

namespace {
constexpr int kMaxDepth = 64;

Status Truncated() { return Status(ErrorCode::kProtocol, "msgpack value truncated"); }

bool Need(std::string_view d, size_t pos, size_t n) { return pos + n <= d.size(); }

Status ReadLen(std::string_view d, size_t* pos, int bytes, uint32_t& n) {
  if (!Need(d, *pos, bytes)) return Truncated();
  const char* p = d.data() + *pos;
  n = bytes == 1 ? static_cast<uint8_t>(*p) : bytes == 2 ? GetU16BE(p) : GetU32BE(p);
  *pos += bytes;
  return Status::Ok();
}

Status ReadItems(std::string_view d, size_t* pos, uint32_t count, Value& out, int depth) {
  if (count > d.size()) return Truncated();  // each item needs at least one byte
  out.items.resize(count);
  for (uint32_t i = 0; i < count; ++i) ABS_RETURN_IF_ERROR(Decode(d, pos, out.items[i], depth + 1));
  return Status::Ok();
}

Status ReadBytes(std::string_view d, size_t* pos, uint32_t n, std::string& out) {
  if (!Need(d, *pos, n)) return Truncated();
  out.assign(d.substr(*pos, n));
  *pos += n;
  return Status::Ok();
}
}  // namespace

Status Decode(std::string_view d, size_t* pos, Value& out, int depth) {
  if (depth > kMaxDepth) return Status(ErrorCode::kProtocol, "msgpack nesting too deep");
  if (!Need(d, *pos, 1)) return Truncated();
  uint8_t t = static_cast<uint8_t>(d[(*pos)++]);
  out = Value();
  uint32_t n = 0;
  using K = Value::Kind;
  if (t <= 0x7f) { out.kind = K::kUInt; out.u = t; out.i = t; return Status::Ok(); }
  if (t >= 0xe0) { out.kind = K::kInt; out.i = static_cast<int8_t>(t); return Status::Ok(); }
  if ((t & 0xf0) == 0x80) { out.kind = K::kMap; return ReadItems(d, pos, (t & 0x0f) * 2u, out, depth); }
  if ((t & 0xf0) == 0x90) { out.kind = K::kArray; return ReadItems(d, pos, t & 0x0f, out, depth); }
  if ((t & 0xe0) == 0xa0) { out.kind = K::kString; return ReadBytes(d, pos, t & 0x1f, out.s); }
  auto fixed = [&](int bytes) -> Status {
    if (!Need(d, *pos, bytes)) return Truncated();
    const char* p = d.data() + *pos;
    *pos += bytes;
    uint64_t u = bytes == 1 ? static_cast<uint8_t>(*p) : bytes == 2 ? GetU16BE(p) : bytes == 4 ? GetU32BE(p) : GetU64BE(p);
    out.u = u;
    return Status::Ok();
  };
  switch (t) {
    case 0xc0: out.kind = K::kNil; return Status::Ok();
    case 0xc2: out.kind = K::kBool; out.b = false; return Status::Ok();
    case 0xc3: out.kind = K::kBool; out.b = true; return Status::Ok();
    case 0xc4: case 0xc5: case 0xc6:
      out.kind = K::kBinary;
      ABS_RETURN_IF_ERROR(ReadLen(d, pos, t == 0xc4 ? 1 : t == 0xc5 ? 2 : 4, n));
      return ReadBytes(d, pos, n, out.s);
    case 0xc7: case 0xc8: case 0xc9: {
      out.kind = K::kExt;
      ABS_RETURN_IF_ERROR(ReadLen(d, pos, t == 0xc7 ? 1 : t == 0xc8 ? 2 : 4, n));
      if (!Need(d, *pos, 1)) return Truncated();
      out.ext_type = static_cast<int8_t>(d[(*pos)++]);
      return ReadBytes(d, pos, n, out.s);
    }
    case 0xca: {
      ABS_RETURN_IF_ERROR(fixed(4));
      uint32_t bits = static_cast<uint32_t>(out.u);
      float f;
      std::memcpy(&f, &bits, 4);
      out.kind = K::kDouble;
      out.d = f;
      return Status::Ok();
    }
    case 0xcb: {
      ABS_RETURN_IF_ERROR(fixed(8));
      out.kind = K::kDouble;
      std::memcpy(&out.d, &out.u, 8);
      return Status::Ok();
    }
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
      ABS_RETURN_IF_ERROR(fixed(1 << (t - 0xcc)));
      out.kind = K::kUInt;
      out.i = static_cast<int64_t>(out.u);
      return Status::Ok();
    case 0xd0: ABS_RETURN_IF_ERROR(fixed(1)); out.kind = K::kInt; out.i = static_cast<int8_t>(out.u); return Status::Ok();
    case 0xd1: ABS_RETURN_IF_ERROR(fixed(2)); out.kind = K::kInt; out.i = static_cast<int16_t>(out.u); return Status::Ok();
    case 0xd2: ABS_RETURN_IF_ERROR(fixed(4)); out.kind = K::kInt; out.i = static_cast<int32_t>(out.u); return Status::Ok();
    case 0xd3: ABS_RETURN_IF_ERROR(fixed(8)); out.kind = K::kInt; out.i = static_cast<int64_t>(out.u); return Status::Ok();
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {
      out.kind = K::kExt;
      if (!Need(d, *pos, 1)) return Truncated();
      out.ext_type = static_cast<int8_t>(d[(*pos)++]);
      return ReadBytes(d, pos, 1u << (t - 0xd4), out.s);
    }
    case 0xd9: case 0xda: case 0xdb:
      out.kind = K::kString;
      ABS_RETURN_IF_ERROR(ReadLen(d, pos, t == 0xd9 ? 1 : t == 0xda ? 2 : 4, n));
      return ReadBytes(d, pos, n, out.s);
    case 0xdc: case 0xdd:
      out.kind = K::kArray;
      ABS_RETURN_IF_ERROR(ReadLen(d, pos, t == 0xdc ? 2 : 4, n));
      return ReadItems(d, pos, n, out, depth);
    case 0xde: case 0xdf:
      out.kind = K::kMap;
      ABS_RETURN_IF_ERROR(ReadLen(d, pos, t == 0xde ? 2 : 4, n));
      if (n > d.size()) return Truncated();
      return ReadItems(d, pos, n * 2, out, depth);
    default:
      return Status(ErrorCode::kProtocol, "invalid msgpack type byte " + std::to_string(t));
  }
}

Result<Value> DecodeAll(std::string_view data) {
  size_t pos = 0;
  Value v;
  ABS_RETURN_IF_ERROR(Decode(data, &pos, v));
  if (pos != data.size()) return Status(ErrorCode::kProtocol, "trailing bytes after msgpack value");
  return v;
}

}  // namespace aero::msgpack

namespace aero::exp {

static std::string Node(int op, const std::vector<std::string>& args) {
  std::string out;
  msgpack::PutArrayHeader(out, static_cast<uint32_t>(args.size() + 1));
  msgpack::PutInt(out, op);
  for (const auto& a : args) out.append(a);
  return out;
}

std::string LastUpdate() { return Node(kLastUpdate, {}); }
std::string Ttl() { return Node(kTtl, {}); }
std::string SetName() { return Node(kSetName, {}); }
std::string Int(int64_t v) {
  std::string out;
  msgpack::PutInt(out, v);
  return out;
}
std::string Str(std::string_view s) {
  std::string out;
  msgpack::PutString(out, s);
  return out;
}
std::string Cmp(int op, const std::string& a, const std::string& b) { return Node(op, {a, b}); }
std::string And(const std::vector<std::string>& parts) { return parts.size() == 1 ? parts[0] : Node(kAnd, parts); }
std::string Or(const std::vector<std::string>& parts) { return parts.size() == 1 ? parts[0] : Node(kOr, parts); }
std::string Not(const std::string& e) { return Node(kNot, {e}); }

std::string ModifiedWindow(int64_t after_ns, int64_t before_ns) {
  std::vector<std::string> parts;
  if (after_ns > 0) parts.push_back(Cmp(kGe, LastUpdate(), Int(after_ns)));
  if (before_ns > 0) parts.push_back(Cmp(kLt, LastUpdate(), Int(before_ns)));
  if (parts.empty()) return "";
  return And(parts);
}

}  // namespace aero::exp
