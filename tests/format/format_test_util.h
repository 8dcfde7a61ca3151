// Helpers shared by the format tests: building records and bins by hand, reading golden files,
// parsing a whole .asb buffer.
#pragma once

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/record.h"
#include "format/asb_reader.h"
#include "format/string_stream.h"
#include "tests/support/temp_dir.h"

namespace aero::testing {

inline std::string DataPath(const std::string& name) { return std::string(ABS_FORMAT_TEST_DATA) + "/" + name; }

inline std::string ReadDataFile(const std::string& name) { return ReadFile(DataPath(name)); }

// The digests used in the hand-written golden files: bytes 7*seed + i, i = 0..19.
inline Digest SeqDigest(int seed) {
  Digest d;
  for (int i = 0; i < 20; ++i) d[i] = static_cast<uint8_t>(seed * 7 + i);
  return d;
}

inline std::string BE64(uint64_t v) {
  std::string s;
  PutU64BE(s, v);
  return s;
}
inline std::string DoubleBits(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  return BE64(bits);
}

inline Bin IntBin(std::string name, int64_t v) { return Bin{std::move(name), ParticleType::kInteger, BE64(static_cast<uint64_t>(v))}; }
inline Bin DoubleBin(std::string name, double v) { return Bin{std::move(name), ParticleType::kFloat, DoubleBits(v)}; }
inline Bin StrBin(std::string name, std::string v) { return Bin{std::move(name), ParticleType::kString, std::move(v)}; }
inline Bin BoolBin(std::string name, bool v) { return Bin{std::move(name), ParticleType::kBool, std::string(1, v ? '\1' : '\0')}; }
inline Bin NilBin(std::string name) { return Bin{std::move(name), ParticleType::kNull, ""}; }
inline Bin BytesBin(std::string name, ParticleType t, std::string v) { return Bin{std::move(name), t, std::move(v)}; }
// GEOJSON as the reader returns it: flags 0, no cells, JSON.
inline Bin GeoBin(std::string name, const std::string& json) {
  return Bin{std::move(name), ParticleType::kGeoJson, std::string(3, '\0') + json};
}

inline UserKey IntUserKey(int64_t v) { return UserKey{ParticleType::kInteger, BE64(static_cast<uint64_t>(v))}; }
inline UserKey DoubleUserKey(double v) { return UserKey{ParticleType::kFloat, DoubleBits(v)}; }

struct Parsed {
  Status status;
  AsbHeader header;
  std::vector<AsbEntity> entities;
  std::vector<uint64_t> end_offsets;  // bytes consumed after each entity
};

inline Parsed ParseAll(std::string_view data, const std::string& name = "test.asb", size_t chunk = SIZE_MAX,
                       AsbReaderOptions options = {}) {
  Parsed p;
  auto in = StringInputStream::View(data, chunk);
  AsbReader reader(&in, name, options);
  auto h = reader.ReadHeader();
  if (!h.ok()) {
    p.status = h.status();
    return p;
  }
  p.header = *h;
  for (;;) {
    AsbEntity e;
    auto r = reader.Next(&e);
    if (!r.ok()) {
      p.status = r.status();
      return p;
    }
    if (!*r) return p;
    p.entities.push_back(std::move(e));
    p.end_offsets.push_back(reader.bytes_consumed());
  }
}

}  // namespace aero::testing
