// The record model shared by the client, the .asb format and the engines.
// Bin values are kept as (particle type, raw wire bytes) so that a backup passes data through
// unchanged: lists and maps stay the exact msgpack the server sent.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace aero {

// Aerospike particle types (wire-protocol.md §6.3).
enum class ParticleType : uint8_t {
  kNull = 0,
  kInteger = 1,
  kFloat = 2,
  kString = 3,
  kBlob = 4,
  kJavaBlob = 7,
  kCSharpBlob = 8,
  kPythonBlob = 9,
  kRubyBlob = 10,
  kPhpBlob = 11,
  kErlangBlob = 12,
  kVector = 16,
  kBool = 17,
  kHll = 18,
  kMap = 19,
  kList = 20,
  kGeoJson = 23,
};

using Digest = std::array<uint8_t, 20>;

struct Bin {
  std::string name;
  ParticleType type = ParticleType::kNull;
  // Wire encoding of the value: INTEGER/FLOAT 8 bytes BE, BOOL 1 byte, STRING/BLOB raw bytes,
  // LIST/MAP msgpack, GEOJSON [flags][ncells u16][cells][json], HLL raw.
  std::string data;

  bool operator==(const Bin&) const = default;
};

// A user key as stored with the record: the particle type byte and the key bytes
// (integer: 8 bytes BE; string: UTF-8; blob: raw) — exactly the KEY field of the wire.
struct UserKey {
  ParticleType type = ParticleType::kNull;
  std::string data;

  bool operator==(const UserKey&) const = default;
};

struct Record {
  std::string ns;
  std::string set;  // empty = no set
  Digest digest{};
  std::optional<UserKey> key;
  uint32_t generation = 0;
  uint32_t void_time = 0;  // seconds since 2010-01-01 UTC; 0 = never expires
  std::vector<Bin> bins;

  bool operator==(const Record&) const = default;
};

// Seconds between the Unix epoch and the Aerospike ("citrusleaf") epoch 2010-01-01T00:00:00Z.
constexpr int64_t kCitrusleafEpoch = 1262304000;
constexpr int kPartitions = 4096;

// Partition id of a digest: first two bytes little-endian, low 12 bits.
inline uint16_t PartitionId(const Digest& d) {
  return static_cast<uint16_t>((d[0] | (d[1] << 8)) & 0x0FFF);
}

}  // namespace aero
