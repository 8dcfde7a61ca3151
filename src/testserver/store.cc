// In-memory record store of the test server; see store.h.
#include "testserver/store.h"

#include <mutex>

#include "common/bytes.h"

namespace aero::testserver {

void ForEachBin(const StoredRecord& r, const std::function<void(const BinView&)>& f) {
  std::string_view ops = r.ops;
  size_t pos = 0;
  for (uint16_t i = 0; i < r.n_bins && pos + 8 <= ops.size(); ++i) {
    uint32_t sz = GetU32BE(ops.data() + pos);
    BinView b;
    b.particle = static_cast<uint8_t>(ops[pos + 5]);
    uint8_t name_len = static_cast<uint8_t>(ops[pos + 7]);
    b.name = ops.substr(pos + 8, name_len);
    b.value = ops.substr(pos + 8 + name_len, sz - 4 - name_len);
    b.encoded = ops.substr(pos, 4 + sz);
    f(b);
    pos += 4 + sz;
  }
}

void AppendBinOp(std::string& ops, std::string_view name, uint8_t particle, std::string_view value) {
  PutU32BE(ops, static_cast<uint32_t>(4 + name.size() + value.size()));
  ops.push_back(1);  // READ: the op type every read/scan reply carries
  ops.push_back(static_cast<char>(particle));
  ops.push_back(0);
  ops.push_back(static_cast<char>(name.size()));
  ops.append(name);
  ops.append(value);
}

void Partition::Account(const StoredRecord& r, int sign) {
  if (r.set.empty()) return;
  auto it = set_stats.find(r.set);
  if (it == set_stats.end()) it = set_stats.emplace(r.set, SetStats{}).first;
  if (sign > 0) {
    ++it->second.objects;
    it->second.bytes += RecordBytes(r);
  } else {
    --it->second.objects;
    it->second.bytes -= RecordBytes(r);
    if (it->second.objects == 0) set_stats.erase(it);
  }
}

void Partition::Put(const Digest& d, StoredRecord r) {
  if (r.void_time != 0) {
    uint32_t m = min_void_time.load();
    if (m == 0 || r.void_time < m) min_void_time = r.void_time;
  }
  Account(r, +1);
  auto [it, inserted] = records.try_emplace(d);
  if (!inserted) Account(it->second, -1);
  it->second = std::move(r);
}

Partition::Map::iterator Partition::Erase(Map::iterator it) {
  Account(it->second, -1);
  return records.erase(it);
}

uint32_t NowClepoch(int64_t unix_ms) { return static_cast<uint32_t>(unix_ms / 1000 - kCitrusleafEpoch); }

Store::Store(const std::vector<std::string>& namespaces) {
  for (const auto& n : namespaces) namespaces_.push_back(std::make_unique<Namespace>(n));
}

Namespace* Store::Find(std::string_view ns) {
  for (auto& n : namespaces_)
    if (n->name() == ns) return n.get();
  return nullptr;
}

std::vector<std::string> Store::Names() const {
  std::vector<std::string> out;
  for (const auto& n : namespaces_) out.push_back(n->name());
  return out;
}

uint64_t Store::Count(std::string_view ns, std::string_view set, const std::function<bool(int)>& include,
                      uint32_t now) {
  Namespace* n = Find(ns);
  if (!n) return 0;
  uint64_t count = 0;
  for (int pid = 0; pid < kPartitions; ++pid) {
    if (!include(pid)) continue;
    Partition& p = n->partition(pid);
    std::shared_lock lock(p.mu);
    records_walked_ += p.records.size();
    for (const auto& [d, r] : p.records)
      if (!IsExpired(r, now) && (set.empty() || r.set == set)) ++count;
  }
  return count;
}

std::map<std::string, Store::SetStats> Store::SetCounts(std::string_view ns, const std::function<bool(int)>& include,
                                                        uint32_t now) {
  std::map<std::string, SetStats> out;
  Namespace* n = Find(ns);
  if (!n) return out;
  for (int pid = 0; pid < kPartitions; ++pid) {
    if (!include(pid)) continue;
    Partition& p = n->partition(pid);
    std::shared_lock lock(p.mu);
    uint32_t min_vt = p.min_void_time.load();
    if (min_vt == 0 || min_vt > now) {  // nothing here has expired: the kept totals are exact
      for (const auto& [set, st] : p.set_stats) {
        auto& s = out[set];
        s.objects += st.objects;
        s.bytes += st.bytes;
      }
      continue;
    }
    // Some record here may have expired (expired records stay stored until overwritten, deleted or
    // truncated): count this partition by walking it, and tighten its bound for the next call.
    uint32_t new_min = 0;
    records_walked_ += p.records.size();
    for (const auto& [d, r] : p.records) {
      if (r.void_time != 0 && (new_min == 0 || r.void_time < new_min)) new_min = r.void_time;
      if (IsExpired(r, now) || r.set.empty()) continue;
      auto& s = out[r.set];
      ++s.objects;
      s.bytes += RecordBytes(r);
    }
    p.min_void_time = new_min;
  }
  return out;
}

uint64_t Store::Truncate(std::string_view ns, std::string_view set, uint64_t before_lut_ms) {
  Namespace* n = Find(ns);
  if (!n) return 0;
  uint64_t removed = 0;
  for (int pid = 0; pid < kPartitions; ++pid) {
    Partition& p = n->partition(pid);
    std::unique_lock lock(p.mu);
    for (auto it = p.records.begin(); it != p.records.end();) {
      if ((set.empty() || it->second.set == set) && it->second.lut_ms < before_lut_ms) {
        it = p.Erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
  }
  return removed;
}

void Store::NoteSet(std::string_view ns, std::string_view set) {
  if (set.empty()) return;
  {
    std::shared_lock lock(sets_mu_);
    auto it = known_sets_.find(ns);
    if (it != known_sets_.end())
      for (const auto& s : it->second)
        if (s == set) return;
  }
  std::unique_lock lock(sets_mu_);
  auto& v = known_sets_[std::string(ns)];
  for (const auto& s : v)
    if (s == set) return;
  v.emplace_back(set);
}

std::vector<std::string> Store::KnownSets(std::string_view ns) const {
  std::shared_lock lock(sets_mu_);
  auto it = known_sets_.find(ns);
  return it == known_sets_.end() ? std::vector<std::string>{} : it->second;
}

}  // namespace aero::testserver
