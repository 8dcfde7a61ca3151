// Partition selection for backups: parsing asbackup's partition filters, node-list resolution and
// slicing for parallel scans.
#include "backup/partition_filter.h"

#include <algorithm>
#include <charconv>
#include <set>

#include "common/base64.h"

namespace aero::backup {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<int> ParseInt(std::string_view s) {
  if (s.empty() || s.size() > 9) return std::nullopt;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<Digest> ParseDigest(std::string_view b64, std::string_view what) {
  auto bytes = Base64Decode(b64);
  if (!bytes || bytes->size() != 20)
    return Status(ErrorCode::kInvalidArgument,
                  std::string(what) + " '" + std::string(b64) + "' is not a base64 20-byte record digest");
  Digest d;
  std::copy(bytes->begin(), bytes->end(), d.begin());
  return d;
}

}  // namespace

Result<std::vector<PartitionFilter>> ParsePartitionList(std::string_view text) {
  std::vector<PartitionFilter> out;
  size_t pos = 0;
  if (Trim(text).empty()) return Status(ErrorCode::kInvalidArgument, "empty partition list");
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view entry = Trim(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (entry.empty()) return Status(ErrorCode::kInvalidArgument, "empty entry in partition list '" + std::string(text) + "'");
    PartitionFilter f;
    bool numeric = std::all_of(entry.begin(), entry.end(), [](char c) { return (c >= '0' && c <= '9') || c == '-'; });
    if (!numeric) {
      ABS_ASSIGN_OR_RETURN(Digest d, ParseDigest(entry, "partition filter"));
      f.begin = PartitionId(d);
      f.count = 1;
      f.after_digest = d;
    } else {
      size_t dash = entry.find('-');
      auto begin = ParseInt(entry.substr(0, dash));
      std::optional<int> count = 1;
      if (dash != std::string_view::npos) count = ParseInt(entry.substr(dash + 1));
      if (!begin || !count)
        return Status(ErrorCode::kInvalidArgument, "partition filter '" + std::string(entry) +
                                                       "' is not begin[-count] or a base64 digest");
      if (*begin < 0 || *begin >= kPartitions)
        return Status(ErrorCode::kInvalidArgument,
                      "partition filter '" + std::string(entry) + "': begin must be 0..4095");
      if (*count < 1 || *count > kPartitions - *begin)
        return Status(ErrorCode::kInvalidArgument, "partition filter '" + std::string(entry) + "': count must be 1.." +
                                                       std::to_string(kPartitions - *begin));
      f.begin = *begin;
      f.count = *count;
    }
    out.push_back(f);
    if (comma == text.size()) break;
  }
  return out;
}

Result<std::vector<PartitionFilter>> AfterDigestFilters(std::string_view base64_digest) {
  ABS_ASSIGN_OR_RETURN(Digest d, ParseDigest(Trim(base64_digest), "after-digest"));
  std::vector<PartitionFilter> out;
  int pid = PartitionId(d);
  out.push_back(PartitionFilter{pid, 1, d});
  if (pid + 1 < kPartitions) out.push_back(PartitionFilter{pid + 1, kPartitions - pid - 1, std::nullopt});
  return out;
}

Result<std::vector<client::PartitionState>> SelectPartitions(const std::vector<PartitionFilter>& filters) {
  std::vector<client::PartitionState> out;
  if (filters.empty()) {
    out.resize(kPartitions);
    for (int p = 0; p < kPartitions; ++p) out[p].pid = static_cast<uint16_t>(p);
    return out;
  }
  std::vector<bool> seen(kPartitions, false);
  for (const auto& f : filters) {
    if (f.begin < 0 || f.count < 1 || f.begin + f.count > kPartitions)
      return Status(ErrorCode::kInvalidArgument, "partition filter " + std::to_string(f.begin) + "-" +
                                                     std::to_string(f.count) + " is outside 0..4095");
    for (int p = f.begin; p < f.begin + f.count; ++p) {
      if (seen[p])
        return Status(ErrorCode::kInvalidArgument,
                      "partition filters overlap: partition " + std::to_string(p) + " is selected twice");
      seen[p] = true;
      client::PartitionState s;
      s.pid = static_cast<uint16_t>(p);
      if (f.after_digest) {
        s.has_digest = true;
        s.last_digest = *f.after_digest;
      }
      out.push_back(s);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
  return out;
}

Result<std::vector<client::PartitionState>> SelectNodePartitions(client::Cluster& cluster, const std::string& ns,
                                                                 const std::vector<std::string>& nodes) {
  if (nodes.empty()) return Status(ErrorCode::kInvalidArgument, "empty node list");
  auto snap = cluster.partitions();
  if (!snap) return Status(ErrorCode::kNetwork, "no partition map yet");
  auto it = snap->namespaces.find(ns);
  if (it == snap->namespaces.end())
    return Status(ErrorCode::kNotFound, "namespace '" + ns + "' is not served by the cluster");
  std::set<int> wanted;  // node indexes of the snapshot
  for (const auto& raw : nodes) {
    std::string entry(Trim(raw));
    int found = -1;
    for (size_t i = 0; i < snap->nodes.size(); ++i) {
      const auto& n = snap->nodes[i];
      if (n->id() == entry || n->host().ToString() == entry) found = static_cast<int>(i);
    }
    if (found < 0) {
      auto hosts = client::ParseHosts(entry);
      if (hosts.ok() && hosts->size() == 1) {
        for (size_t i = 0; i < snap->nodes.size(); ++i) {
          const auto& h = snap->nodes[i]->host();
          if (h.name == (*hosts)[0].name && h.port == (*hosts)[0].port) found = static_cast<int>(i);
        }
      }
    }
    if (found < 0) {
      std::string known;
      for (const auto& n : snap->nodes) known += (known.empty() ? "" : ", ") + n->host().ToString() + " (" + n->id() + ")";
      return Status(ErrorCode::kNotFound, "node '" + entry + "' of the node list is not in the cluster; nodes: " + known);
    }
    wanted.insert(found);
  }
  std::vector<client::PartitionState> out;
  for (int p = 0; p < kPartitions; ++p) {
    int owner = it->second.Node(p, 0);
    if (owner >= 0 && wanted.count(owner)) {
      client::PartitionState s;
      s.pid = static_cast<uint16_t>(p);
      out.push_back(s);
    }
  }
  if (out.empty()) return Status(ErrorCode::kNotFound, "the nodes of the node list are master of no partition of '" + ns + "'");
  return out;
}

std::vector<std::vector<client::PartitionState>> SplitSlices(const std::vector<client::PartitionState>& parts,
                                                             int slices) {
  std::vector<std::vector<client::PartitionState>> out;
  size_t n = parts.size();
  size_t k = std::max<size_t>(1, std::min<size_t>(static_cast<size_t>(std::max(slices, 1)), n));
  if (n == 0) return out;
  for (size_t i = 0; i < k; ++i) {
    size_t a = n * i / k, b = n * (i + 1) / k;
    if (a < b) out.emplace_back(parts.begin() + static_cast<long>(a), parts.begin() + static_cast<long>(b));
  }
  return out;
}

}  // namespace aero::backup
