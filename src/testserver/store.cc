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
    for (const auto& [d, r] : p.records) {
      if (IsExpired(r, now) || r.set.empty()) continue;
      auto& s = out[r.set];
      ++s.objects;
      s.bytes += 40 + r.key.size() + r.ops.size();
    }
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
        it = p.records.erase(it);
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
