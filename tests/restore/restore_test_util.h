// Helpers for the restore tests and benchmark: hand-built records of every type, writing .asb files with the format writer (optionally zstd/AES), and reading a set back from
// the cluster with a scan.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "client/scan.h"
#include "common/bytes.h"
#include "common/digest.h"
#include "common/record.h"
#include "format/asb_writer.h"
#include "format/codec.h"
#include "format/metadata.h"
#include "storage/storage.h"
#include "tests/support/temp_dir.h"  // TempDir, for the tests that include this header

namespace aero::testing {

inline std::string BE64(uint64_t v) {
  std::string s;
  PutU64BE(s, v);
  return s;
}
inline Bin IntBin(std::string name, int64_t v) { return Bin{std::move(name), ParticleType::kInteger, BE64(static_cast<uint64_t>(v))}; }
inline Bin DoubleBin(std::string name, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return Bin{std::move(name), ParticleType::kFloat, BE64(bits)};
}
inline Bin StrBin(std::string name, std::string v) { return Bin{std::move(name), ParticleType::kString, std::move(v)}; }
inline Bin BlobBin(std::string name, std::string v, ParticleType t = ParticleType::kBlob) {
  return Bin{std::move(name), t, std::move(v)};
}
inline Bin BoolBin(std::string name, bool v) { return Bin{std::move(name), ParticleType::kBool, std::string(1, v ? '\1' : '\0')}; }
inline Bin GeoBin(std::string name, const std::string& json) {
  return Bin{std::move(name), ParticleType::kGeoJson, std::string(3, '\0') + json};
}
// [1, "a"] and {"a": 1} in Aerospike msgpack (strings carry the 0x03 particle byte).
inline Bin ListBin(std::string name) { return Bin{std::move(name), ParticleType::kList, std::string("\x92\x01\xa2\x03" "a", 5)}; }
inline Bin MapBin(std::string name) { return Bin{std::move(name), ParticleType::kMap, std::string("\x81\xa2\x03" "a\x01", 5)}; }

// A few bins of common types whose values depend on k (bulk data for parallel tests and benchmarks).
inline std::vector<Bin> MixedBins(int64_t k, size_t payload = 40) {
  return {IntBin("id", k), StrBin("name", "user-" + std::to_string(k)), DoubleBin("score", k * 0.5),
          StrBin("payload", std::string(payload, static_cast<char>('a' + k % 26))), ListBin("tags")};
}

// A record in ns/set with a user key (or digest only when key is nullopt).
inline Record MakeRecord(const std::string& ns, const std::string& set, const UserKey& key, std::vector<Bin> bins,
                         uint32_t generation = 1, uint32_t void_time = 0, bool store_key = true) {
  Record r;
  r.ns = ns;
  r.set = set;
  r.digest = ComputeDigest(set, key);
  if (store_key) r.key = key;
  r.generation = generation;
  r.void_time = void_time;
  r.bins = std::move(bins);
  return r;
}

// Void time (seconds since 2010) `seconds` from now; negative = in the past.
inline uint32_t VoidTimeIn(int64_t seconds) {
  int64_t now = static_cast<int64_t>(::time(nullptr)) - kCitrusleafEpoch;
  return static_cast<uint32_t>(now + seconds);
}

struct AsbContent {
  std::string ns = "test";
  std::vector<SecondaryIndex> sindexes;
  std::vector<UdfModule> udfs;
  std::vector<Record> records;
};

// Encodes a whole .asb text (no codec).
inline std::string EncodeAsb(const AsbContent& c) {
  std::string out;
  EncodeHeader(c.ns, true, &out);
  for (const auto& s : c.sindexes) (void)EncodeSecondaryIndex(s, &out);
  for (const auto& u : c.udfs) (void)EncodeUdf(u, &out);
  for (const auto& r : c.records) {
    Status s = EncodeRecord(r, {}, &out);
    if (!s.ok()) std::abort();
  }
  return out;
}

// Writes `text` to storage `key`, through zstd/AES as `codec` says.
inline Status WriteFile(Storage& storage, const std::string& key, const std::string& text, const CodecOptions& codec = {}) {
  ABS_ASSIGN_OR_RETURN(auto raw, storage.NewWriter(key));
  ABS_ASSIGN_OR_RETURN(auto out, WrapOutput(std::move(raw), codec));
  ABS_RETURN_IF_ERROR(out->Write(text));
  return out->Close();
}

inline std::string DigestKey(const Digest& d) { return std::string(reinterpret_cast<const char*>(d.data()), d.size()); }

// Every record of ns/set by digest, read back with a scan (which also returns stored user keys).
inline Result<std::map<std::string, Record>> ScanSet(client::Cluster& cluster, const std::string& ns,
                                                      const std::string& set) {
  client::ScanPolicy p;
  p.ns = ns;
  if (!set.empty()) p.sets = {set};
  auto state = client::ScanState::AllPartitions();
  std::map<std::string, Record> out;
  std::mutex mu;
  auto stats = client::Scan(cluster, p, state, [&](Record& r) {
    std::lock_guard<std::mutex> lock(mu);
    out[DigestKey(r.digest)] = std::move(r);
    return Status::Ok();
  });
  if (!stats.ok()) return stats.status();
  return out;
}

// The JSON text of a GEOJSON particle ([flags][ncells u16][cells][json]).
inline std::string GeoJsonText(const std::string& data) {
  if (data.size() < 3) return data;
  size_t cells = GetU16BE(data.data() + 1);
  size_t off = 3 + cells * 8;
  return off <= data.size() ? data.substr(off) : std::string();
}

}  // namespace aero::testing
