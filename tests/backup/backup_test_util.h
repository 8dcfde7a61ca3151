// Helpers shared by the backup tests and the benchmark: seeding records through the client,
// reading a backup back with the format reader, scanning a set with the plain client for the
// expected contents, and a Storage decorator that runs a hook on the N-th data write (to cancel,
// stop a node or fail at a deterministic point in the middle of a backup).
#pragma once

#include <atomic>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "client/cluster.h"
#include "client/scan.h"
#include "client/write.h"
#include "common/bytes.h"
#include "common/digest.h"
#include "format/asb_reader.h"
#include "format/codec.h"
#include "format/naming.h"
#include "storage/storage.h"

namespace aero::backup::testing {

inline std::string U64(uint64_t v) {
  std::string s;
  PutU64BE(s, v);
  return s;
}
inline std::string F64(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return U64(u);
}

inline Record MakeRecord(const std::string& ns, const std::string& set, std::optional<UserKey> key,
                         std::vector<Bin> bins, const std::string& digest_seed = "") {
  Record r;
  r.ns = ns;
  r.set = set;
  r.digest = key ? ComputeDigest(set, *key) : ComputeDigest(set, StringKey(digest_seed));
  r.key = std::move(key);
  r.bins = std::move(bins);
  return r;
}

// Deterministic bytes that do not compress (so file sizes and write counts are predictable).
inline std::string Noise(size_t n, uint64_t seed) {
  std::string out(n, '\0');
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (auto& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return out;
}

// Writes n records with integer keys start..start+n-1 (bins n, s, pad). Returns false on a write error.
inline Status WriteRecords(client::Cluster& c, const std::string& ns, const std::string& set, int n, int start = 0,
                           size_t pad = 16) {
  std::vector<Record> batch;
  for (int i = start; i < start + n; ++i) {
    batch.push_back(MakeRecord(ns, set, IntegerKey(i),
                               {Bin{"n", ParticleType::kInteger, U64(static_cast<uint64_t>(i))},
                                Bin{"s", ParticleType::kString, "v" + std::to_string(i)},
                                Bin{"pad", ParticleType::kBlob, Noise(pad, static_cast<uint64_t>(i))}}));
    if (batch.size() == 500 || i + 1 == start + n) {
      auto r = client::BatchPut(c, batch, client::WritePolicy{});
      if (!r.ok()) return r.status();
      for (const auto& row : *r)
        if (!row.status.ok()) return row.status;
      batch.clear();
    }
  }
  return Status::Ok();
}

// GeoJSON values as the JSON text only (the server adds cell ids, the file keeps only the text).
inline Record Normalized(Record r) {
  for (auto& b : r.bins) {
    if (b.type == ParticleType::kGeoJson && b.data.size() >= 3) {
      uint16_t cells = GetU16BE(b.data.data() + 1);
      b.data = b.data.substr(std::min(b.data.size(), size_t{3} + 8u * cells));
    }
  }
  std::sort(r.bins.begin(), r.bins.end(), [](const Bin& a, const Bin& b) { return a.name < b.name; });
  return r;
}

struct BackupContents {
  std::map<Digest, Record> records;  // normalized
  uint64_t record_entities = 0;      // including duplicates
  std::vector<SecondaryIndex> sindexes;
  std::vector<UdfModule> udfs;
  int first_files = 0;
  std::vector<std::string> files;
};

// Reads every .asb file directly under `dir` (or the single `file`).
inline Result<BackupContents> ReadBackup(Storage& storage, const std::string& dir, const CodecOptions& codec,
                                         const std::string& file = "") {
  BackupContents out;
  std::vector<std::string> keys;
  if (!file.empty()) {
    keys.push_back(file);
  } else {
    ABS_ASSIGN_OR_RETURN(auto list, storage.List(dir, ListMode::kChildren));
    for (const auto& o : list) {
      std::string name = o.key.substr(o.key.rfind('/') == std::string::npos ? 0 : o.key.rfind('/') + 1);
      if (!o.is_directory && IsAsbFileName(name)) keys.push_back(o.key);
    }
  }
  for (const auto& k : keys) {
    out.files.push_back(k);
    ABS_ASSIGN_OR_RETURN(auto raw, storage.NewReader(k));
    ABS_ASSIGN_OR_RETURN(auto in, WrapInput(std::move(raw), codec, k));
    AsbReader reader(in.get(), k);
    ABS_ASSIGN_OR_RETURN(AsbHeader h, reader.ReadHeader());
    if (h.first_file) out.first_files++;
    AsbEntity e;
    for (;;) {
      ABS_ASSIGN_OR_RETURN(bool more, reader.Next(&e));
      if (!more) break;
      if (e.kind == AsbEntityKind::kRecord) {
        out.record_entities++;
        out.records[e.record.digest] = Normalized(e.record);
      } else if (e.kind == AsbEntityKind::kSecondaryIndex) {
        out.sindexes.push_back(e.sindex);
      } else {
        out.udfs.push_back(e.udf);
      }
    }
  }
  return out;
}

// What a plain client scan of the set returns now (normalized), keyed by digest.
inline Result<std::map<Digest, Record>> ScanSet(client::Cluster& c, const std::string& ns, const std::string& set) {
  client::ScanPolicy sp;
  sp.ns = ns;
  if (!set.empty()) sp.sets = {set};
  client::ScanState st = client::ScanState::AllPartitions();
  std::mutex mu;
  std::map<Digest, Record> out;
  auto r = client::Scan(c, sp, st, [&](Record& rec) {
    std::lock_guard<std::mutex> lock(mu);
    out[rec.digest] = Normalized(rec);
    return Status::Ok();
  });
  if (!r.ok()) return r.status();
  return out;
}

// Storage decorator: counts Write() calls on data files (.asb) and calls hook(n) before the n-th;
// a non-OK hook result fails that write.
class HookStorage : public Storage {
 public:
  HookStorage(Storage& inner, std::function<Status(uint64_t)> hook) : inner_(inner), hook_(std::move(hook)) {}
  std::string Describe() const override { return inner_.Describe(); }
  Result<std::unique_ptr<OutputStream>> NewWriter(std::string_view key, const WriteOptions& o = {}) override {
    ABS_ASSIGN_OR_RETURN(auto w, inner_.NewWriter(key, o));
    if (!IsAsbFileName(key)) return w;
    return std::unique_ptr<OutputStream>(new Writer(std::move(w), this));
  }
  Result<std::unique_ptr<InputStream>> NewReader(std::string_view key, ByteRange range = {}) override {
    return inner_.NewReader(key, range);
  }
  Result<std::vector<ObjectInfo>> List(std::string_view dir, ListMode mode = ListMode::kRecursive) override {
    return inner_.List(dir, mode);
  }
  Result<ObjectInfo> Stat(std::string_view key) override { return inner_.Stat(key); }
  Status Delete(std::string_view key) override { return inner_.Delete(key); }
  uint64_t writes() const { return writes_.load(); }

 private:
  class Writer : public OutputStream {
   public:
    Writer(std::unique_ptr<OutputStream> inner, HookStorage* owner) : inner_(std::move(inner)), owner_(owner) {}
    Status Write(std::string_view bytes) override {
      uint64_t n = ++owner_->writes_;
      if (owner_->hook_) ABS_RETURN_IF_ERROR(owner_->hook_(n));
      return inner_->Write(bytes);
    }
    Status Close() override { return inner_->Close(); }
    uint64_t BytesWritten() const override { return inner_->BytesWritten(); }

   private:
    std::unique_ptr<OutputStream> inner_;
    HookStorage* owner_;
  };
  Storage& inner_;
  std::function<Status(uint64_t)> hook_;
  std::atomic<uint64_t> writes_{0};
};

}  // namespace aero::backup::testing
