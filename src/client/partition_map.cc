// Replicas / peers / version parsing and partition map building; see partition_map.h.
#include "client/partition_map.h"

#include <charconv>

#include "protocol/info.h"

namespace aero::client {

namespace {

template <typename T>
bool ParseNum(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

}  // namespace

Result<std::vector<ReplicasEntry>> ParseReplicas(std::string_view value) {
  std::vector<ReplicasEntry> out;
  for (const auto& item : proto::SplitNonEmpty(value, ';')) {
    size_t colon = item.find(':');
    if (colon == std::string::npos || colon == 0)
      return Status(ErrorCode::kProtocol, "replicas entry '" + item.substr(0, 40) + "' has no namespace");
    ReplicasEntry e;
    e.ns = item.substr(0, colon);
    std::vector<std::string> parts = proto::SplitNonEmpty(std::string_view(item).substr(colon + 1), ',');
    // With regime: regime,n,maps... (n+2 parts); without (replicas-all): n,maps... (n+1 parts).
    size_t first_map = 0;
    int n = 0;
    if (parts.size() >= 2 && ParseNum(parts[0], e.regime) && ParseNum(parts[1], n) &&
        parts.size() == static_cast<size_t>(n) + 2) {
      first_map = 2;
    } else if (!parts.empty() && ParseNum(parts[0], n) && parts.size() == static_cast<size_t>(n) + 1) {
      e.regime = 0;
      first_map = 1;
    } else {
      return Status(ErrorCode::kProtocol, "replicas entry for namespace '" + e.ns + "' is malformed (" +
                                              std::to_string(parts.size()) + " comma-separated parts)");
    }
    if (n < 0 || n > 16) return Status(ErrorCode::kProtocol, "replicas of '" + e.ns + "' has " + std::to_string(n) + " columns");
    e.n_columns = n;
    for (int i = 0; i < n && i < kMaxReplicaColumns; ++i) {
      std::vector<bool> bits;
      if (!proto::DecodePartitionBitmap(parts[first_map + i], bits))
        return Status(ErrorCode::kProtocol, "replicas of '" + e.ns + "' column " + std::to_string(i) +
                                                " is not a base64 bitmap of 512 bytes");
      e.columns.push_back(std::move(bits));
    }
    out.push_back(std::move(e));
  }
  return out;
}

// Parses one endpoint "addr", "addr:port", "[v6]", "[v6]:port".
static Result<Host> ParseEndpoint(std::string_view s, uint16_t default_port, const std::string& tls_name) {
  Host h;
  h.port = default_port;
  h.tls_name = tls_name;
  std::string_view port;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return Status(ErrorCode::kProtocol, "peer endpoint '" + std::string(s) + "' lacks ']'");
    h.name = std::string(s.substr(1, close - 1));
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Status(ErrorCode::kProtocol, "peer endpoint '" + std::string(s) + "' is malformed");
      port = rest.substr(1);
    }
  } else {
    size_t colon = s.rfind(':');
    if (colon != std::string_view::npos && s.find(':') != colon) {
      h.name = std::string(s);  // bare IPv6 without brackets: no port
    } else if (colon != std::string_view::npos) {
      h.name = std::string(s.substr(0, colon));
      port = s.substr(colon + 1);
    } else {
      h.name = std::string(s);
    }
  }
  if (h.name.empty()) return Status(ErrorCode::kProtocol, "peer endpoint '" + std::string(s) + "' has no address");
  if (!port.empty() && (!ParseNum(port, h.port) || h.port == 0))
    return Status(ErrorCode::kProtocol, "peer endpoint '" + std::string(s) + "' has a bad port");
  return h;
}

namespace {
// Small cursor over the peers text.
struct Cursor {
  std::string_view s;
  size_t pos = 0;
  bool Eat(char c) {
    if (pos < s.size() && s[pos] == c) return ++pos, true;
    return false;
  }
  char Peek() const { return pos < s.size() ? s[pos] : '\0'; }
  // Up to (not including) one of the stop characters.
  std::string_view Until(std::string_view stops) {
    size_t start = pos;
    while (pos < s.size() && stops.find(s[pos]) == std::string_view::npos) ++pos;
    return s.substr(start, pos - start);
  }
};
}  // namespace

Result<PeersInfo> ParsePeers(std::string_view value) {
  PeersInfo info;
  Cursor c{value};
  auto bad = [&](const std::string& what) {
    return Status(ErrorCode::kProtocol, "peers reply '" + std::string(value.substr(0, 80)) + "': " + what +
                                            " at offset " + std::to_string(c.pos));
  };
  std::string_view gen = c.Until(",");
  if (!ParseNum(gen, info.generation) || !c.Eat(',')) return bad("bad generation");
  std::string_view port = c.Until(",");
  if (port.empty()) info.default_port = 3000;
  else if (!ParseNum(port, info.default_port)) return bad("bad default port");
  if (!c.Eat(',') || !c.Eat('[')) return bad("expected '[' starting the peer list");
  while (!c.Eat(']')) {
    if (!info.peers.empty() && !c.Eat(',')) return bad("expected ',' between peers");
    if (!c.Eat('[')) return bad("expected '[' starting a peer");
    Peer p;
    p.node_id = std::string(c.Until(","));
    if (p.node_id.empty() || !c.Eat(',')) return bad("peer without node id");
    p.tls_name = std::string(c.Until(","));
    if (!c.Eat(',')) return bad("peer without endpoint list");
    if (!c.Eat('[')) {
      // Departed peer in delta mode: "[ID,,]".
      if (!c.Eat(']')) return bad("expected endpoint list");
      info.peers.push_back(std::move(p));
      continue;
    }
    while (!c.Eat(']')) {
      if (!p.endpoints.empty() && !c.Eat(',')) return bad("expected ',' between endpoints");
      size_t start = c.pos;
      if (c.Peek() == '[') {
        c.Until("]");
        if (!c.Eat(']')) return bad("unterminated IPv6 endpoint");
        if (c.Peek() == ':') {
          c.Eat(':');
          c.Until(",]");
        }
      } else {
        c.Until(",]");
      }
      if (c.pos == start) return bad("empty endpoint");
      ABS_ASSIGN_OR_RETURN(Host h, ParseEndpoint(value.substr(start, c.pos - start), info.default_port, p.tls_name));
      p.endpoints.push_back(std::move(h));
      if (c.pos >= value.size()) return bad("unterminated endpoint list");
    }
    if (!c.Eat(']')) return bad("expected ']' closing a peer");
    info.peers.push_back(std::move(p));
    if (c.pos >= value.size()) return bad("unterminated peer list");
  }
  return info;
}

Result<std::array<int, 4>> ParseVersion(std::string_view build) {
  std::array<int, 4> v{0, 0, 0, 0};
  size_t pos = 0;
  int i = 0;
  while (i < 4 && pos <= build.size()) {
    size_t dot = build.find('.', pos);
    std::string_view part = build.substr(pos, dot == std::string_view::npos ? std::string_view::npos : dot - pos);
    // Tolerate suffixes such as "8.1.2.0-rc1" in the last component.
    size_t digits = 0;
    while (digits < part.size() && part[digits] >= '0' && part[digits] <= '9') ++digits;
    if (digits == 0 || !ParseNum(part.substr(0, digits), v[i]))
      break;
    ++i;
    if (dot == std::string_view::npos) break;
    pos = dot + 1;
  }
  if (i < 3) return Status(ErrorCode::kProtocol, "server build '" + std::string(build) + "' is not a version");
  return v;
}

bool VersionAtLeast(const std::array<int, 4>& v, int a, int b, int c, int d) {
  return v >= std::array<int, 4>{a, b, c, d};
}

int NamespaceMap::Node(int pid, int replica) const {
  if (pid < 0 || pid >= 4096 || n_columns <= 0) return -1;
  int cols = std::min(n_columns, kMaxReplicaColumns);
  for (int k = 0; k < cols; ++k) {
    int n = owner[pid][(replica + k) % cols];
    if (n >= 0) return n;
  }
  return -1;
}

void PartitionMapBuilder::Apply(int node, const std::vector<ReplicasEntry>& entries) {
  for (const auto& e : entries) {
    NamespaceMap& m = maps_[e.ns];
    int cols = static_cast<int>(e.columns.size());
    m.n_columns = std::max(m.n_columns, std::min(e.n_columns, kMaxReplicaColumns));
    if (e.regime != 0) m.strong_consistency = true;
    for (int col = 0; col < cols; ++col) {
      const auto& bits = e.columns[col];
      for (int p = 0; p < 4096; ++p) {
        if (!bits[p]) continue;
        if (e.regime < m.regime[p]) {
          ++stale_;  // older regime: this node's view is stale
          continue;
        }
        m.regime[p] = e.regime;
        int16_t old = m.owner[p][col];
        if (old != node) {
          if (old >= 0) displaced_.insert(old);
          m.owner[p][col] = static_cast<int16_t>(node);
        }
      }
    }
  }
}

}  // namespace aero::client
