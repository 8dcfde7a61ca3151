// CDT modify subset of the test server; see cdt.h.
#include "testserver/cdt.h"

#include <algorithm>
#include <vector>

#include "common/bytes.h"
#include "protocol/msgpack.h"

namespace aero::testserver {
namespace {

using msgpack::Value;
using K = Value::Kind;

// One element of a container: its raw msgpack bytes and decoded value.
struct Elem {
  std::string raw;
  Value v;
};

// Splits a msgpack array or map into raw elements (maps: key, value, key, value...).
bool SplitContainer(std::string_view d, bool& is_map, std::vector<Elem>& out) {
  if (d.empty()) return false;
  uint8_t t = static_cast<uint8_t>(d[0]);
  size_t pos = 1;
  uint32_t n = 0;
  if ((t & 0xf0) == 0x90) { is_map = false; n = t & 0x0f; }
  else if ((t & 0xf0) == 0x80) { is_map = true; n = t & 0x0f; }
  else if ((t == 0xdc || t == 0xde) && d.size() >= 3) { is_map = t == 0xde; n = GetU16BE(d.data() + 1); pos = 3; }
  else if ((t == 0xdd || t == 0xdf) && d.size() >= 5) { is_map = t == 0xdf; n = GetU32BE(d.data() + 1); pos = 5; }
  else return false;
  uint64_t count = is_map ? uint64_t{n} * 2 : n;
  out.clear();
  for (uint64_t i = 0; i < count; ++i) {
    size_t start = pos;
    Elem e;
    if (!msgpack::Decode(d, &pos, e.v).ok()) return false;
    e.raw.assign(d.substr(start, pos - start));
    out.push_back(std::move(e));
  }
  return pos == d.size();
}

bool IsOrderHeader(const Value& v) { return v.kind == K::kExt; }

// Aerospike's cross-type order (nil < bool < integer < string < ...), then value.
int Rank(const Value& v) {
  switch (v.kind) {
    case K::kNil: return 1;
    case K::kBool: return 2;
    case K::kInt: case K::kUInt: return 3;
    case K::kString: return 4;
    case K::kArray: return 5;
    case K::kMap: return 6;
    case K::kBinary: return 7;
    case K::kDouble: return 8;
    default: return 9;
  }
}

bool Less(const Value& a, const Value& b) {
  int ra = Rank(a), rb = Rank(b);
  if (ra != rb) return ra < rb;
  switch (a.kind) {
    case K::kBool: return a.b < b.b;
    case K::kInt: case K::kUInt: {
      bool an = a.kind == K::kInt && a.i < 0, bn = b.kind == K::kInt && b.i < 0;
      if (an != bn) return an;
      if (an) return a.i < b.i;
      uint64_t au = a.kind == K::kUInt ? a.u : static_cast<uint64_t>(a.i);
      uint64_t bu = b.kind == K::kUInt ? b.u : static_cast<uint64_t>(b.i);
      return au < bu;
    }
    case K::kString: case K::kBinary: return a.s < b.s;
    case K::kDouble: return a.d < b.d;
    default: return false;
  }
}

bool Equal(const Value& a, const Value& b) { return !Less(a, b) && !Less(b, a); }

const std::string kOrderExt("\xc7\x00\x01", 3);

std::string EncodeList(const std::vector<Elem>& items, bool ordered) {
  std::string out;
  msgpack::PutArrayHeader(out, static_cast<uint32_t>(items.size() + (ordered ? 1 : 0)));
  if (ordered) out += kOrderExt;
  for (const auto& e : items) out += e.raw;
  return out;
}

std::string EncodeMap(const std::vector<std::pair<Elem, Elem>>& entries, bool ordered) {
  std::string out;
  msgpack::PutMapHeader(out, static_cast<uint32_t>(entries.size() + (ordered ? 1 : 0)));
  if (ordered) {
    out += kOrderExt;
    out.push_back(static_cast<char>(0xc0));
  }
  for (const auto& [k, v] : entries) out += k.raw + v.raw;
  return out;
}

int64_t AsInt(const Value& v) { return v.kind == K::kUInt ? static_cast<int64_t>(v.u) : v.i; }
bool IsInt(const Value& v) { return v.kind == K::kInt || v.kind == K::kUInt; }

}  // namespace

CdtOutcome ApplyCdtModify(std::string_view op_msgpack, const std::optional<std::pair<uint8_t, std::string>>& current) {
  CdtOutcome out;
  bool args_is_map = false;
  std::vector<Elem> args;
  if (!SplitContainer(op_msgpack, args_is_map, args) || args_is_map || args.empty() || !IsInt(args[0].v)) {
    out.result_code = 4;
    return out;
  }
  int64_t code = AsInt(args[0].v);
  bool is_map_op = code >= 64;
  uint8_t want_particle = is_map_op ? 19 : 20;
  if (current && current->first != want_particle) {
    out.result_code = 12;
    return out;
  }
  // Current container contents.
  bool ordered = false;
  std::vector<Elem> items;  // list items, or map key,value pairs flattened
  if (current) {
    bool is_map = false;
    if (!SplitContainer(current->second, is_map, items) || is_map != is_map_op) {
      out.result_code = 4;
      return out;
    }
    if (!items.empty() && IsOrderHeader(items[0].v)) {
      ordered = true;
      items.erase(items.begin(), items.begin() + (is_map ? 2 : 1));
    }
  }
  out.particle = want_particle;
  if (!is_map_op) {
    switch (code) {
      case 0: {  // SET_TYPE(order[, flags])
        if (args.size() < 2 || !IsInt(args[1].v)) { out.result_code = 4; return out; }
        ordered = AsInt(args[1].v) & 1;
        break;
      }
      case 1:    // APPEND(value[, policy])
      case 2: {  // APPEND_ITEMS(list[, policy])
        if (args.size() < 2) { out.result_code = 4; return out; }
        if (code == 1) {
          items.push_back(args[1]);
        } else {
          bool m = false;
          std::vector<Elem> add;
          if (!SplitContainer(args[1].raw, m, add) || m) { out.result_code = 4; return out; }
          if (!add.empty() && IsOrderHeader(add[0].v)) add.erase(add.begin());
          items.insert(items.end(), add.begin(), add.end());
        }
        out.has_value = true;
        break;
      }
      default:
        out.result_code = 16;
        return out;
    }
    if (ordered) std::stable_sort(items.begin(), items.end(), [](const Elem& a, const Elem& b) { return Less(a.v, b.v); });
    out.value = static_cast<int64_t>(items.size());
    out.bin = EncodeList(items, ordered);
    return out;
  }
  std::vector<std::pair<Elem, Elem>> entries;
  for (size_t i = 0; i + 1 < items.size(); i += 2) entries.emplace_back(items[i], items[i + 1]);
  auto put = [&](const Elem& k, const Elem& v) {
    for (auto& e : entries)
      if (Equal(e.first.v, k.v)) {
        e.second = v;
        return;
      }
    entries.emplace_back(k, v);
  };
  auto policy_order = [&](size_t idx) {
    // Map policy attributes: bit 0 = key-ordered (1 KEY_ORDERED, 3 KEY_VALUE_ORDERED). Only a new
    // map takes its order from the policy.
    if (!current && args.size() > idx && IsInt(args[idx].v)) ordered = AsInt(args[idx].v) & 1;
  };
  switch (code) {
    case 64:  // SET_TYPE(attr)
      if (args.size() < 2 || !IsInt(args[1].v)) { out.result_code = 4; return out; }
      ordered = AsInt(args[1].v) & 1;
      break;
    case 67: {  // PUT(key, value[, attr[, flags]])
      if (args.size() < 3) { out.result_code = 4; return out; }
      policy_order(3);
      put(args[1], args[2]);
      out.has_value = true;
      break;
    }
    case 68: {  // PUT_ITEMS(map[, attr[, flags]])
      if (args.size() < 2) { out.result_code = 4; return out; }
      bool m = false;
      std::vector<Elem> add;
      if (!SplitContainer(args[1].raw, m, add) || !m) { out.result_code = 4; return out; }
      size_t start = !add.empty() && IsOrderHeader(add[0].v) ? 2 : 0;
      policy_order(2);
      for (size_t i = start; i + 1 < add.size(); i += 2) put(add[i], add[i + 1]);
      out.has_value = true;
      break;
    }
    default:
      out.result_code = 16;
      return out;
  }
  if (ordered)
    std::stable_sort(entries.begin(), entries.end(),
                     [](const auto& a, const auto& b) { return Less(a.first.v, b.first.v); });
  out.value = static_cast<int64_t>(entries.size());
  out.bin = EncodeMap(entries, ordered);
  return out;
}

}  // namespace aero::testserver
