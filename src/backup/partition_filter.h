// Which partitions a backup covers and from where in each: asbackup's --partition-list
// ("begin[-count]" ranges or base64 digests), --after-digest, --node-list (partitions whose master is
// one of the nodes), and the split of the selection into contiguous slices for parallel scans
// (backup-tools.md §1, §3.1). The result is a list of client::PartitionState, the same form a resume
// state restores, so fresh, filtered and resumed backups all start the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/cluster.h"
#include "client/scan.h"
#include "common/record.h"
#include "common/status.h"

namespace aero::backup {

// One --partition-list entry: `count` partitions from `begin`, or (digest set) the digest's
// partition, resumed after that digest.
struct PartitionFilter {
  int begin = 0;
  int count = kPartitions;
  std::optional<Digest> after_digest;  // count is 1 and begin its partition when set
  bool operator==(const PartitionFilter&) const = default;
};

// Parses "0-1024,2000,3000-10,<base64 digest>". Each range needs 0 <= begin < 4096 and
// 1 <= count <= 4096 - begin. Errors name the entry.
Result<std::vector<PartitionFilter>> ParsePartitionList(std::string_view text);
// --after-digest: the digest's partition after the digest, then every later partition.
Result<std::vector<PartitionFilter>> AfterDigestFilters(std::string_view base64_digest);
// Partitions of the filters, sorted by pid; overlapping filters are an error naming the partition.
// No filters = all 4096 partitions.
Result<std::vector<client::PartitionState>> SelectPartitions(const std::vector<PartitionFilter>& filters);

// --node-list: "host:port" / "host:tls-name:port" entries or node ids. Returns the partitions of `ns`
// whose master (replica 0) is one of them, sorted. Unknown nodes are an error naming them.
Result<std::vector<client::PartitionState>> SelectNodePartitions(client::Cluster& cluster, const std::string& ns,
                                                                 const std::vector<std::string>& nodes);

// Cuts `parts` into at most `slices` contiguous, non-empty groups of near-equal size
// (asbackup: slice i = [n*i/k, n*(i+1)/k)).
std::vector<std::vector<client::PartitionState>> SplitSlices(const std::vector<client::PartitionState>& parts,
                                                             int slices);

}  // namespace aero::backup
