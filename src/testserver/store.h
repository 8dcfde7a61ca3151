// In-memory record store of the test server: one per cluster, shared by all nodes (ownership of
// partitions only decides which node answers scans). Each namespace has 4096 partitions, each a
// sorted map in DESCENDING digest order (the order the real server's primary-index walk uses, so
// "resume after digest d" means "continue with the next smaller digest"). Bins are kept already
// encoded as wire ops (op type READ), so a scan copies them into the reply without re-encoding.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/record.h"

namespace aero::testserver {

struct StoredRecord {
  std::string set;
  std::string key;  // [particle type][key bytes] exactly as the KEY field; empty = no stored key
  uint16_t generation = 0;
  uint32_t void_time = 0;  // clepoch seconds, 0 = never expires
  uint64_t lut_ms = 0;     // last update, milliseconds since the Unix epoch
  uint16_t n_bins = 0;
  std::string ops;  // n_bins wire ops: [op_sz u32][op 1][particle][flags 0][name_len][name][value]
};

// Decoded view of one bin inside StoredRecord::ops.
struct BinView {
  std::string_view name;
  uint8_t particle = 0;
  std::string_view value;
  std::string_view encoded;  // the whole op, op_sz included
};

// Calls f for every bin of a record (ops are produced by this code, so they are well formed).
void ForEachBin(const StoredRecord& r, const std::function<void(const BinView&)>& f);
// Appends one encoded bin op (op type READ) to ops.
void AppendBinOp(std::string& ops, std::string_view name, uint8_t particle, std::string_view value);

struct DigestGreater {
  bool operator()(const Digest& a, const Digest& b) const { return a > b; }
};

// Objects and data bytes of one set (records without a set are not counted).
struct SetStats {
  uint64_t objects = 0;
  uint64_t bytes = 0;
};

// Data bytes the `sets`/`namespace` statistics charge for a record.
inline uint64_t RecordBytes(const StoredRecord& r) { return 40 + r.key.size() + r.ops.size(); }

struct Partition {
  using Map = std::map<Digest, StoredRecord, DigestGreater>;
  mutable std::shared_mutex mu;
  // Read freely under mu; change only through Put/Erase (with mu held exclusively), which keep
  // set_stats in step so `sets` need not walk the records.
  Map records;
  // Per-set totals of the stored records (expired ones included until they are erased).
  std::map<std::string, SetStats, std::less<>> set_stats;
  // A lower bound of the void times stored here (0 = none expires): while it is in the past the
  // partition may hold expired records, and its live counts are taken by walking it. Lowered by
  // Put, raised again by the walk (atomic: the walk runs under the shared lock).
  mutable std::atomic<uint32_t> min_void_time{0};

  // Stores (inserts or replaces) the record at d.
  void Put(const Digest& d, StoredRecord r);
  // Erases one record; returns the next iterator.
  Map::iterator Erase(Map::iterator it);

 private:
  void Account(const StoredRecord& r, int sign);
};

class Namespace {
 public:
  explicit Namespace(std::string name) : name_(std::move(name)), partitions_(new Partition[kPartitions]) {}
  const std::string& name() const { return name_; }
  Partition& partition(int pid) { return partitions_[pid]; }
  const Partition& partition(int pid) const { return partitions_[pid]; }

 private:
  std::string name_;
  std::unique_ptr<Partition[]> partitions_;
};

// Current time in clepoch seconds / Unix milliseconds, overridable for tests through a Clock.
uint32_t NowClepoch(int64_t unix_ms);

// True if the record's void time has passed (the record counts as gone).
inline bool IsExpired(const StoredRecord& r, uint32_t now_clepoch) {
  return r.void_time != 0 && r.void_time <= now_clepoch;
}

class Store {
 public:
  explicit Store(const std::vector<std::string>& namespaces);
  Namespace* Find(std::string_view ns);
  std::vector<std::string> Names() const;

  // Counts live records of a namespace (set "" = all sets) in the partitions for which
  // include(pid) is true.
  uint64_t Count(std::string_view ns, std::string_view set, const std::function<bool(int)>& include,
                 uint32_t now_clepoch);
  // Per-set counts and data bytes of live records over the included partitions. Cost: the number
  // of sets per partition, except in partitions that may hold expired records (those are walked).
  using SetStats = testserver::SetStats;
  std::map<std::string, SetStats> SetCounts(std::string_view ns, const std::function<bool(int)>& include,
                                            uint32_t now_clepoch);
  // Deletes records of ns (and set, if non-empty) whose last update is before lut_ms.
  uint64_t Truncate(std::string_view ns, std::string_view set, uint64_t before_lut_ms);
  // Sets stay listed by `sets` once written (with 0 objects after a truncate), as on the server.
  void NoteSet(std::string_view ns, std::string_view set);
  std::vector<std::string> KnownSets(std::string_view ns) const;
  // Stored records Count and SetCounts have visited one by one since the start: lets a test tell
  // an answer taken from the kept totals from one that walked the records, without timing it.
  uint64_t RecordsWalked() const { return records_walked_.load(); }

 private:
  std::atomic<uint64_t> records_walked_{0};
  std::vector<std::unique_ptr<Namespace>> namespaces_;
  mutable std::shared_mutex sets_mu_;
  std::map<std::string, std::vector<std::string>, std::less<>> known_sets_;
};

}  // namespace aero::testserver
