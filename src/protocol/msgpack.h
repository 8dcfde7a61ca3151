// Minimal msgpack in Aerospike's conventions (wire-protocol.md §6.4): strings carry a leading
// particle-type byte, integers use the smallest form (unsigned family for non-negative values).
// The writer builds filter expressions; the reader decodes expressions (test server) and lets
// tests inspect list/map bins.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aero::msgpack {

void PutNil(std::string& out);
void PutBool(std::string& out, bool v);
void PutInt(std::string& out, int64_t v);
void PutDouble(std::string& out, double v);
// A str-family value whose payload is [particle type byte][bytes].
void PutString(std::string& out, std::string_view s, uint8_t particle_type = 3);
void PutArrayHeader(std::string& out, uint32_t n);
void PutMapHeader(std::string& out, uint32_t n);

struct Value {
  enum class Kind { kNil, kBool, kInt, kUInt, kDouble, kString, kBinary, kArray, kMap, kExt };
  Kind kind = Kind::kNil;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double d = 0;
  std::string s;                 // string/binary payload (particle prefix byte kept in s for strings)
  std::vector<Value> items;      // array items, or map as key,value,key,value...
  int8_t ext_type = 0;
};

// Decodes exactly one value from data starting at *pos; advances *pos. Depth-limited.
Status Decode(std::string_view data, size_t* pos, Value& out, int depth = 0);
// Decodes one value that must consume data entirely.
Result<Value> DecodeAll(std::string_view data);

}  // namespace aero::msgpack

namespace aero::exp {

// Expression builders (wire-protocol.md §9). Each returns the msgpack bytes of one expression node.
std::string LastUpdate();                       // [66]
std::string Ttl();                              // [69]: seconds left, -1 = never expires
std::string SetName();                          // [70]
std::string Int(int64_t v);
std::string Str(std::string_view s);
std::string Cmp(int op, const std::string& a, const std::string& b);  // 1 EQ .. 6 LE
std::string And(const std::vector<std::string>& parts);
std::string Or(const std::vector<std::string>& parts);
std::string Not(const std::string& e);

constexpr int kEq = 1, kNe = 2, kGt = 3, kGe = 4, kLt = 5, kLe = 6, kAnd = 16, kOr = 17, kNot = 18;
constexpr int kLastUpdate = 66, kSinceUpdate = 67, kVoidTime = 68, kTtl = 69, kSetName = 70, kKeyExists = 71;

// ge(last_update(), after_ns) and/or lt(last_update(), before_ns); 0 means "no bound".
// Returns "" when neither bound is set.
std::string ModifiedWindow(int64_t after_unix_ns, int64_t before_unix_ns);

}  // namespace aero::exp
