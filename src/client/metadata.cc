// Metadata info commands; see metadata.h.
#include "client/metadata.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <thread>

#include "common/base64.h"
#include "protocol/info.h"

namespace aero::client {

namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

Result<std::string> AnyValue(Cluster& cluster, const std::string& cmd) {
  ABS_ASSIGN_OR_RETURN(auto node, cluster.AnyNode());
  ABS_ASSIGN_OR_RETURN(InfoMap r, cluster.Info(node, {cmd}));
  return InfoValue(r, cmd, node->id());
}

uint64_t ToU64(const std::string& s) {
  try {
    return s.empty() ? 0 : std::stoull(s);
  } catch (...) {
    return 0;
  }
}

// Records of a `sets` / `sindex-list` value: ';'-separated, items k=v separated by ':'.
std::vector<std::map<std::string, std::string>> ParseRecords(std::string_view value) {
  std::vector<std::map<std::string, std::string>> out;
  for (const auto& rec : proto::SplitNonEmpty(value, ';')) out.push_back(proto::ParseKeyValues(rec, ':'));
  return out;
}

}  // namespace

Result<std::vector<std::string>> Namespaces(Cluster& cluster) {
  ABS_ASSIGN_OR_RETURN(std::string v, AnyValue(cluster, "namespaces"));
  return proto::SplitNonEmpty(v, ';');
}

Result<std::map<std::string, std::string>> NamespaceInfo(Cluster& cluster, const std::string& ns,
                                                         const std::shared_ptr<Node>& node) {
  std::shared_ptr<Node> n = node;
  if (!n) {
    ABS_ASSIGN_OR_RETURN(n, cluster.AnyNode());
  }
  std::string cmd = "namespace/" + ns;
  ABS_ASSIGN_OR_RETURN(InfoMap r, cluster.Info(n, {cmd}));
  ABS_ASSIGN_OR_RETURN(std::string v, InfoValue(r, cmd, n->id()));
  auto kv = proto::ParseKeyValues(v, ';');
  if (kv.count("type") && kv["type"] == "unknown")
    return Status(ErrorCode::kNotFound, "namespace '" + ns + "' does not exist on node " + n->id(), 20);
  return kv;
}

static double ReplicationFactor(const std::map<std::string, std::string>& kv) {
  for (const char* key : {"effective_replication_factor", "replication-factor"}) {
    auto it = kv.find(key);
    if (it != kv.end() && ToU64(it->second) > 0) return static_cast<double>(ToU64(it->second));
  }
  return 1.0;
}

Result<std::vector<SetInfo>> Sets(Cluster& cluster, const std::string& ns) {
  std::map<std::string, SetInfo> sets;
  std::map<std::string, double> objects, tombstones;
  auto nodes = cluster.nodes();
  if (nodes.empty()) return Status(ErrorCode::kNetwork, "cluster has no active node");
  double rf = 1;
  for (const auto& n : nodes) {
    ABS_ASSIGN_OR_RETURN(auto info, NamespaceInfo(cluster, ns, n));
    rf = ReplicationFactor(info);
    std::string cmd = "sets/" + ns;
    ABS_ASSIGN_OR_RETURN(InfoMap r, cluster.Info(n, {cmd}));
    ABS_ASSIGN_OR_RETURN(std::string v, InfoValue(r, cmd, n->id()));
    for (auto& rec : ParseRecords(v)) {
      std::string name = rec.count("set") ? rec["set"] : rec["set_name"];
      if (name.empty()) continue;
      auto& s = sets[name];
      if (s.set.empty()) {
        s.ns = ns;
        s.set = name;
        s.properties = rec;
      }
      objects[name] += static_cast<double>(ToU64(rec.count("objects") ? rec["objects"] : rec["n_objects"]));
      tombstones[name] += static_cast<double>(ToU64(rec["tombstones"]));
    }
  }
  std::vector<SetInfo> out;
  for (auto& [name, s] : sets) {
    // Each node counts its replica copies too: divide by the replication factor in force.
    s.objects = static_cast<uint64_t>(std::llround(objects[name] / rf));
    s.tombstones = static_cast<uint64_t>(std::llround(tombstones[name] / rf));
    out.push_back(std::move(s));
  }
  return out;
}

Result<uint64_t> EstimateRecords(Cluster& cluster, const std::string& ns, const std::vector<std::string>& sets) {
  if (!sets.empty()) {
    ABS_ASSIGN_OR_RETURN(auto all, Sets(cluster, ns));
    uint64_t total = 0;
    for (const auto& s : all)
      if (std::find(sets.begin(), sets.end(), s.set) != sets.end()) total += s.objects;
    return total;
  }
  double sum = 0, rf = 1;
  for (const auto& n : cluster.nodes()) {
    ABS_ASSIGN_OR_RETURN(auto info, NamespaceInfo(cluster, ns, n));
    rf = ReplicationFactor(info);
    sum += static_cast<double>(ToU64(info["objects"]));
  }
  return static_cast<uint64_t>(std::llround(sum / rf));
}

Result<std::vector<SindexInfo>> ParseSindexList(std::string_view value) {
  std::vector<SindexInfo> out;
  if (proto::IsInfoError(value)) return Status(ErrorCode::kServer, "sindex-list: " + std::string(value));
  auto nullable = [](const std::string& v) { return (v == "null" || v == "NULL") ? std::string() : v; };
  for (auto& rec : ParseRecords(value)) {
    SindexInfo s;
    s.ns = rec.count("ns") ? rec["ns"] : rec["namespace"];
    s.name = rec["indexname"];
    if (s.ns.empty() || s.name.empty())
      return Status(ErrorCode::kProtocol, "sindex-list record without ns or indexname in '" +
                                              std::string(value.substr(0, 120)) + "'");
    s.set = nullable(rec["set"]);
    s.bin = nullable(rec["bin"]);
    s.type = Lower(nullable(rec["type"]));
    if (s.type == "geojson") s.type = "geo2dsphere";
    s.index_type = Lower(nullable(rec["indextype"]));
    if (s.index_type.empty()) s.index_type = "default";
    s.context = nullable(rec["context"]);
    s.expression = nullable(rec["exp"]);
    s.state = rec["state"];
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<SindexInfo>> ListSindexes(Cluster& cluster, const std::string& ns) {
  ABS_ASSIGN_OR_RETURN(auto node, cluster.AnyNode());
  // b64=true (6.1+) returns contexts/expressions in a form that can be replayed verbatim.
  std::string cmd = "sindex-list:ns=" + ns + (VersionAtLeast(node->version(), 6, 1, 0) ? ";b64=true" : "");
  ABS_ASSIGN_OR_RETURN(InfoMap r, cluster.Info(node, {cmd}));
  auto it = r.find(cmd);
  if (it == r.end()) return std::vector<SindexInfo>{};  // ≤7.0 omits the line when there is nothing
  return ParseSindexList(it->second);
}

std::string SindexCreateCommand(const SindexInfo& s) {
  std::string type = s.type;
  if (!s.expression.empty()) {
    std::string c = "sindex-create:namespace=" + s.ns + (s.set.empty() ? "" : ";set=" + s.set) + ";indexname=" + s.name;
    if (!s.index_type.empty() && s.index_type != "default") c += ";indextype=" + s.index_type;
    return c + ";exp=" + s.expression + ";type=" + type;
  }
  if (s.index_type == "set")
    return "sindex-create:namespace=" + s.ns + ";set=" + s.set + ";indexname=" + s.name + ";indextype=set";
  std::string c = "sindex-create:ns=" + s.ns + (s.set.empty() ? "" : ";set=" + s.set) + ";indexname=" + s.name;
  if (!s.index_type.empty() && s.index_type != "default") c += ";indextype=" + s.index_type;
  if (!s.context.empty()) c += ";context=" + s.context;
  return c + ";indexdata=" + s.bin + "," + type;
}

Status CreateSindex(Cluster& cluster, const SindexInfo& index) {
  if (index.ns.empty() || index.name.empty()) return Status(ErrorCode::kInvalidArgument, "sindex without namespace or name");
  std::string cmd = SindexCreateCommand(index);
  ABS_ASSIGN_OR_RETURN(std::string v, AnyValue(cluster, cmd));
  if (v.empty() || Lower(v) == "ok") return Status::Ok();
  return Status(ErrorCode::kServer, "sindex-create of '" + index.name + "': " + v);
}

Status WaitSindexBuilt(Cluster& cluster, const std::string& ns, const std::string& name, Millis timeout,
                       const CancelToken* cancel) {
  Deadline end = DeadlineAfter(timeout);
  std::string cmd = "sindex/" + ns + "/" + name;
  for (;;) {
    bool all = true;
    std::string last;
    for (const auto& n : cluster.nodes()) {
      ABS_ASSIGN_OR_RETURN(InfoMap r, cluster.Info(n, {cmd}));
      auto v = InfoValue(r, cmd, n->id());
      if (!v.ok()) return v.status().WithContext("index '" + name + "'");
      auto kv = proto::ParseKeyValues(*v, ';');
      if (kv["load_pct"] != "100") {
        all = false;
        last = "node " + n->id() + " at load_pct=" + kv["load_pct"];
      }
    }
    if (all) return Status::Ok();
    if (SteadyClock::now() >= end) return Status(ErrorCode::kTimeout, "index '" + name + "' not built in time: " + last);
    if (cancel ? cancel->WaitFor(Millis(200)) : (std::this_thread::sleep_for(Millis(200)), false))
      return Status(ErrorCode::kCancelled, "waiting for index '" + name + "' cancelled");
  }
}

Result<std::vector<UdfInfo>> ListUdfs(Cluster& cluster) {
  ABS_ASSIGN_OR_RETURN(std::string v, AnyValue(cluster, "udf-list"));
  std::vector<UdfInfo> out;
  for (const auto& rec : proto::SplitNonEmpty(v, ';')) {
    auto kv = proto::ParseKeyValues(rec, ',');
    if (kv["filename"].empty()) return Status(ErrorCode::kProtocol, "udf-list record without filename: '" + rec + "'");
    out.push_back(UdfInfo{kv["filename"], kv["hash"], kv["type"]});
  }
  return out;
}

Result<std::string> GetUdf(Cluster& cluster, const std::string& name) {
  std::string cmd = "udf-get:filename=" + name;
  ABS_ASSIGN_OR_RETURN(std::string v, AnyValue(cluster, cmd));
  auto kv = proto::ParseKeyValues(v, ';');
  if (!kv.count("content")) return Status(ErrorCode::kProtocol, "udf-get of '" + name + "' returned no content");
  auto bytes = Base64Decode(kv["content"]);
  if (!bytes) return Status(ErrorCode::kProtocol, "udf-get of '" + name + "' returned bad base64");
  return *bytes;
}

Status PutUdf(Cluster& cluster, const std::string& name, const std::string& content, Millis timeout,
              const CancelToken* cancel) {
  std::string b64 = Base64Encode(content);
  std::string cmd = "udf-put:filename=" + name + ";content=" + b64 + ";content-len=" + std::to_string(b64.size()) +
                    ";udf-type=LUA;";
  ABS_ASSIGN_OR_RETURN(auto node, cluster.AnyNode());
  ABS_ASSIGN_OR_RETURN(InfoMap r, cluster.Info(node, {cmd}));
  auto it = r.find(cmd);
  if (it == r.end()) return Status(ErrorCode::kProtocol, "node " + node->id() + " did not answer udf-put");
  if (!it->second.empty() && it->second != "ok")
    return Status(ErrorCode::kServer, "udf-put of '" + name + "': " + it->second);
  // Registration spreads through system metadata: wait until every node lists the module.
  Deadline end = DeadlineAfter(timeout);
  for (;;) {
    bool all = true;
    for (const auto& n : cluster.nodes()) {
      ABS_ASSIGN_OR_RETURN(InfoMap lr, cluster.Info(n, {"udf-list"}));
      ABS_ASSIGN_OR_RETURN(std::string v, InfoValue(lr, "udf-list", n->id()));
      if (v.find("filename=" + name + ",") == std::string::npos) all = false;
    }
    if (all) return Status::Ok();
    if (SteadyClock::now() >= end) return Status(ErrorCode::kTimeout, "udf '" + name + "' not on every node in time");
    if (cancel ? cancel->WaitFor(Millis(100)) : (std::this_thread::sleep_for(Millis(100)), false))
      return Status(ErrorCode::kCancelled, "waiting for udf '" + name + "' cancelled");
  }
}

Result<ServerVersion> GetServerVersion(Cluster& cluster) {
  ABS_ASSIGN_OR_RETURN(auto node, cluster.AnyNode());
  ServerVersion v;
  if (VersionAtLeast(node->version(), 8, 1, 1)) {
    ABS_ASSIGN_OR_RETURN(InfoMap r, cluster.Info(node, {"release"}));
    ABS_ASSIGN_OR_RETURN(std::string rel, InfoValue(r, "release", node->id()));
    auto kv = proto::ParseKeyValues(rel, ';');
    v.version = kv["version"];
    v.edition = kv["edition"];
  } else {
    ABS_ASSIGN_OR_RETURN(InfoMap r, cluster.Info(node, {"build", "edition"}));
    ABS_ASSIGN_OR_RETURN(v.version, InfoValue(r, "build", node->id()));
    ABS_ASSIGN_OR_RETURN(v.edition, InfoValue(r, "edition", node->id()));
  }
  if (v.version.empty()) return Status(ErrorCode::kProtocol, "node " + node->id() + " reported no version");
  return v;
}

Result<std::string> StableClusterKey(Cluster& cluster, const std::string& ns) {
  std::string cmd = "cluster-stable:namespace=" + ns;
  std::string key;
  auto nodes = cluster.nodes();
  if (nodes.empty()) return Status(ErrorCode::kNetwork, "cluster has no active node");
  for (const auto& n : nodes) {
    ABS_ASSIGN_OR_RETURN(InfoMap r, cluster.Info(n, {cmd}));
    auto v = InfoValue(r, cmd, n->id());
    if (!v.ok()) return Status(ErrorCode::kServer, "cluster not stable: " + v.status().message());
    if (v->empty()) return Status(ErrorCode::kProtocol, "node " + n->id() + " returned an empty cluster key");
    if (!key.empty() && *v != key)
      return Status(ErrorCode::kServer, "cluster not stable: node " + n->id() + " reports key " + *v + ", others " + key);
    key = *v;
  }
  return key;
}

Status Truncate(Cluster& cluster, const std::string& ns, const std::string& set) {
  std::string cmd = set.empty() ? "truncate-namespace:namespace=" + ns : "truncate:namespace=" + ns + ";set=" + set;
  ABS_ASSIGN_OR_RETURN(std::string v, AnyValue(cluster, cmd));
  if (v != "ok") return Status(ErrorCode::kServer, "truncate of " + ns + "/" + set + ": " + v);
  return Status::Ok();
}

}  // namespace aero::client
