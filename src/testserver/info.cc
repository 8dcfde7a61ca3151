// Info protocol of the test server (wire-protocol.md §2, captures 01/04/05/07): every command the
// client and the backup tools send, answered in the formats of Aerospike CE 8.1.2.0, plus the
// test-only `x-fault` command for fault injection from other processes.
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

#include "common/base64.h"
#include "common/bytes.h"
#include "protocol/info.h"
#include "testserver/node.h"

namespace aero::testserver {
namespace {

#include "testserver/info_templates.inc"

constexpr const char* kBuild = "8.1.2.0";
constexpr const char* kEdition = "Aerospike Community Edition";
constexpr const char* kFeatures =
    "batch-any;batch-index;blob-bits;cdt-index;cdt-list;cdt-map;cluster-stable;float;geo;sindex-exists;peers;"
    "pipelining;pquery;pscans;query-show;relaxed-sc;replicas;replicas-all;replicas-master;replicas-max;"
    "truncate-namespace;udf";
constexpr const char* kUnrecognized = "ERROR:4:unrecognized command";

std::string NodeIdHex(uint64_t id) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lX", static_cast<unsigned long>(id));
  return buf;
}

// Rewrites a `k=v;k=v` template, replacing the values of the keys in overrides.
std::string ApplyTemplate(std::string_view tpl, const std::map<std::string, std::string>& overrides) {
  std::string out;
  out.reserve(tpl.size() + 64);
  size_t pos = 0;
  while (pos <= tpl.size()) {
    size_t end = tpl.find(';', pos);
    if (end == std::string_view::npos) end = tpl.size();
    std::string_view item = tpl.substr(pos, end - pos);
    size_t eq = item.find('=');
    std::string key(item.substr(0, eq));
    if (!out.empty()) out += ';';
    auto it = overrides.find(key);
    if (it != overrides.end() && eq != std::string_view::npos) out += key + "=" + it->second;
    else out.append(item);
    pos = end + 1;
  }
  return out;
}

// Parameters of `name:k=v;k=v`.
std::map<std::string, std::string> Params(std::string_view args) { return proto::ParseKeyValues(args, ';'); }

std::string Get(const std::map<std::string, std::string>& p, const std::string& k) {
  auto it = p.find(k);
  return it == p.end() ? std::string() : it->second;
}

bool Has(const std::map<std::string, std::string>& p, const std::string& k) { return p.count(k) != 0; }

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

class InfoContext {
 public:
  InfoContext(Session& s) : s_(s), st_(s.state) {}

  std::string Answer(const std::string& cmd) {
    size_t cut = cmd.find_first_of("/:;");
    std::string name = cmd.substr(0, cut);
    std::string rest = cut == std::string::npos ? "" : cmd.substr(cut + 1);
    char sep = cut == std::string::npos ? 0 : cmd[cut];
    auto params = sep == ':' ? Params(rest) : std::map<std::string, std::string>{};
    NodeSlot self = st_.Slot(s_.node_index);

    if (name == "node") return NodeIdHex(self.id);
    if (name == "build") return kBuild;
    if (name == "edition") return kEdition;
    if (name == "version") return std::string(kEdition) + " build " + kBuild;
    if (name == "release")
      return std::string("edition=") + kEdition + ";version=" + kBuild + ";os=debian12;arch=x86_64;sha=unknown";
    if (name == "features") return kFeatures;
    if (name == "compatibility-id") return "15";
    if (name == "build_ee_sha") return "";
    if (name == "build_sha") return "unknown";
    if (name == "build_arch") return "x86_64";
    if (name == "build_os") return "debian12";
    if (name == "build_time") return "Thu Nov 26 08:40:20 UTC 2026";
    if (name == "digests") return "RIPEMD160";
    if (name == "status") return "ok";
    if (name == "user-agent-set") return "ok";
    if (name == "partitions") return "4096";
    if (name == "partition-generation") return std::to_string(self.partition_generation);
    if (name == "peers-generation") return std::to_string(st_.PeersGeneration());
    if (name == "cluster-name") return st_.options().cluster_name;
    if (name == "namespaces") {
      std::string out;
      for (const auto& n : st_.store().Names()) out += (out.empty() ? "" : ";") + n;
      return out;
    }
    if (name == "statistics") return Statistics(self);
    if (name == "services" || name == "services-alumni") return Services(false);
    if (name == "peers-clear-std" || name == "peers-clear-alt") return Peers(false);
    if (name == "peers-tls-std" || name == "peers-tls-alt") return Peers(true);
    if (name == "alumni-clear-std") return Peers(false);
    if (name == "alumni-tls-std") return Peers(true);
    if (name == "service-clear-std" || name == "service-clear-alt")
      return st_.options().bind_address + ":" + std::to_string(self.port);
    if (name == "service-tls-std" || name == "service-tls-alt")
      return self.tls_port ? st_.options().bind_address + ":" + std::to_string(self.tls_port) : "";
    if (name == "replicas") return Replicas(params, 0);
    if (name == "replicas-all") return Replicas(params, 1);
    if (name == "replicas-master") return Replicas(params, 2);
    if (name == "namespace" && sep == '/') return NamespaceInfo(rest);
    if (name == "sets") return Sets(sep == '/' ? rest : "");
    if (name == "cluster-stable") return ClusterStable(params);
    if (name == "truncate") return Truncate(params, false);
    if (name == "truncate-namespace") return Truncate(params, true);
    if (name == "truncate-undo" || name == "truncate-namespace-undo") return "ok";
    if (name == "sindex-list") return SindexList(params);
    if (name == "sindex-create") return SindexCreate(params);
    if (name == "sindex-delete") return SindexDelete(params);
    if (name == "sindex-stat") return SindexStat(Get(params, "namespace").empty() ? Get(params, "ns")
                                                                                   : Get(params, "namespace"),
                                                 Get(params, "indexname"));
    if (name == "sindex" && sep == '/') {
      size_t slash = rest.find('/');
      if (slash == std::string::npos) return kUnrecognized;
      return SindexStat(rest.substr(0, slash), rest.substr(slash + 1));
    }
    if (name == "udf-put") return UdfPut(params);
    if (name == "udf-get") return UdfGet(params);
    if (name == "udf-list") return UdfList();
    if (name == "udf-remove") return UdfRemove(params);
    if (name == "x-fault") return Fault(params);
    if (name == "get-config" || name == "config-get") return GetConfig(params, self);
    return kUnrecognized;
  }

 private:
  // get-config / config-get. Only the service context is modelled: asrestore >= 4 reads
  // batch-index-threads from it to decide whether batch writes are available. Keys and order are
  // the 8.x server's (cfg_info.c cfg_get_service), values are CE defaults. Other contexts answer
  // the real server's error strings (note: "Error::", not "ERROR:<code>:").
  std::string GetConfig(const std::map<std::string, std::string>& p, const NodeSlot& self) {
    if (!p.empty() && !Has(p, "context")) return "Error::invalid get-config parameter";
    std::string context = p.empty() ? "service" : Get(p, "context");
    if (context != "service") return "Error::invalid context";
    // The real server sizes these by the CPU count.
    std::string cpus = std::to_string(std::max(1u, std::thread::hardware_concurrency()));
    const std::string& cluster = st_.options().cluster_name;
    std::vector<std::pair<std::string, std::string>> kv = {
        {"advertise-ipv6", "false"},
        {"auto-pin", "none"},
        {"batch-index-threads", cpus},
        {"batch-max-buffers-per-queue", "255"},
        {"batch-max-requests", "0"},
        {"batch-max-unused-buffers", "256"},
        {"cluster-name", cluster.empty() ? "null" : cluster},
        {"debug-allocations", "none"},
        {"disable-udf-execution", "false"},
        {"downgrading", "false"},
        {"enable-benchmarks-fabric", "false"},
        {"enable-health-check", "false"},
        {"enable-hist-info", "false"},
        {"enforce-best-practices", "false"},
        {"indent-allocations", "false"},
        {"info-max-ms", "10000"},
        {"info-threads", "16"},
        {"keep-caps-ssd-health", "false"},
        {"log-local-time", "false"},
        {"log-millis", "false"},
        {"microsecond-histograms", "false"},
        {"migrate-fill-delay", "0"},
        {"migrate-max-num-incoming", "4"},
        {"migrate-threads", "1"},
        {"min-cluster-size", "1"},
        {"node-id", NodeIdHex(self.id)},
        {"node-id-interface", "null"},
        {"os-group-perms", "false"},
        {"pidfile", "null"},
        {"proto-fd-idle-ms", "0"},
        {"proto-fd-max", "15000"},
        {"query-max-done", "100"},
        {"query-threads-limit", "128"},
        {"run-as-daemon", "false"},
        {"salt-allocations", "false"},
        {"service-threads", cpus},
        {"sindex-builder-threads", "4"},
        {"sindex-gc-period", "10"},
        {"stay-quiesced", "false"},
        {"ticker-interval", "10"},
        {"transaction-max-ms", "1000"},
        {"transaction-retry-ms", "1002"},
        {"vault-ca", "null"},
        {"vault-path", "null"},
        {"vault-token-file", "null"},
        {"vault-url", "null"},
        {"work-directory", "/opt/aerospike"},
    };
    std::string out;
    for (const auto& [k, v] : kv) out += (out.empty() ? "" : ";") + k + "=" + v;
    return out;
  }

  std::string Statistics(const NodeSlot& self) {
    uint64_t objects = 0;
    for (const auto& n : st_.store().Names()) objects += Objects(n).total;
    int principal = -1;
    for (int i = 0; i < st_.node_count() && principal < 0; ++i)
      if (st_.Slot(i).up) principal = i;
    std::string principal_id = NodeIdHex(st_.Slot(principal < 0 ? s_.node_index : principal).id);
    return ApplyTemplate(kStatisticsTemplate,
                         {{"cluster_size", std::to_string(st_.LiveCount())},
                          {"cluster_key", st_.cluster_key()},
                          {"cluster_principal", principal_id},
                          {"paxos_principal", principal_id},
                          {"objects", std::to_string(objects)},
                          {"uptime", std::to_string((st_.NowMs() - st_.start_ms()) / 1000)}});
  }

  std::string Services(bool tls) {
    std::string out;
    for (int i = 0; i < st_.node_count(); ++i) {
      if (i == s_.node_index) continue;
      NodeSlot sl = st_.Slot(i);
      if (!sl.up) continue;
      if (!out.empty()) out += ';';
      out += st_.options().bind_address + ":" + std::to_string(tls ? sl.tls_port : sl.port);
    }
    return out;
  }

  std::string Peers(bool tls) {
    std::string out = std::to_string(st_.PeersGeneration()) + ",3000,[";
    bool first = true;
    for (int i = 0; i < st_.node_count(); ++i) {
      if (i == s_.node_index) continue;
      NodeSlot sl = st_.Slot(i);
      if (!sl.up) continue;
      if (tls && !sl.tls_port) continue;
      uint16_t port = tls ? sl.tls_port : sl.port;
      if (!first) out += ',';
      first = false;
      // The default port 3000 is left out of an endpoint, as the server does.
      std::string ep = st_.options().bind_address + (port == 3000 ? "" : ":" + std::to_string(port));
      out += "[" + NodeIdHex(sl.id) + "," + (tls ? st_.options().tls.tls_name : "") + ",[" + ep + "]]";
    }
    return out + "]";
  }

  // mode 0 replicas, 1 replicas-all, 2 replicas-master
  std::string Replicas(const std::map<std::string, std::string>& params, int mode) {
    int n = st_.EffectiveReplicationFactor();
    if (Has(params, "max")) {
      int max = std::atoi(Get(params, "max").c_str());
      if (max > 0) n = std::min(n, max);
    }
    if (mode == 2) n = 1;
    std::vector<std::string> maps;
    for (int r = 0; r < n; ++r) {
      std::vector<bool> owned(kPartitions, false);
      for (int pid = 0; pid < kPartitions; ++pid) owned[pid] = st_.Role(s_.node_index, pid) == r;
      maps.push_back(proto::EncodePartitionBitmap(owned));
    }
    std::string out;
    for (const auto& ns : st_.store().Names()) {
      if (!out.empty()) out += ';';
      out += ns + ":";
      if (mode == 0) out += "0,";
      if (mode != 2) out += std::to_string(n);
      for (int r = 0; r < n; ++r) out += (mode == 2 ? "" : ",") + maps[r];
    }
    return out;
  }

  struct ObjectCounts {
    uint64_t total = 0, master = 0, prole = 0, bytes = 0;
  };
  ObjectCounts Objects(const std::string& ns) {
    ObjectCounts c;
    Namespace* n = st_.store().Find(ns);
    if (!n) return c;
    uint32_t now = NowClepoch(st_.NowMs());
    for (int pid = 0; pid < kPartitions; ++pid) {
      int role = st_.Role(s_.node_index, pid);
      if (role < 0) continue;
      Partition& p = n->partition(pid);
      std::shared_lock lock(p.mu);
      uint64_t live = 0;
      for (const auto& [d, r] : p.records)
        if (!IsExpired(r, now)) {
          ++live;
          c.bytes += 40 + r.key.size() + r.ops.size();
        }
      c.total += live;
      (role == 0 ? c.master : c.prole) += live;
    }
    return c;
  }

  std::string NamespaceInfo(const std::string& ns) {
    if (!st_.store().Find(ns)) return "type=unknown";
    ObjectCounts c = Objects(ns);
    const auto& o = st_.options();
    return ApplyTemplate(kNamespaceTemplate,
                         {{"ns_cluster_size", std::to_string(st_.LiveCount())},
                          {"effective_replication_factor", std::to_string(st_.EffectiveReplicationFactor())},
                          {"objects", std::to_string(c.total)},
                          {"master_objects", std::to_string(c.master)},
                          {"prole_objects", std::to_string(c.prole)},
                          {"current_time", std::to_string(NowClepoch(st_.NowMs()))},
                          {"index_used_bytes", std::to_string(c.total * 64)},
                          {"data_used_bytes", std::to_string(c.bytes)},
                          {"replication-factor", std::to_string(o.replication_factor)},
                          {"nsup-period", std::to_string(o.nsup_period)},
                          {"default-ttl", std::to_string(o.default_ttl)}});
  }

  std::string SetRecord(const std::string& ns, const std::string& set, const Store::SetStats& stats, bool props_only) {
    std::string props = "objects=" + std::to_string(stats.objects) +
                        ":tombstones=0:data_used_bytes=" + std::to_string(stats.bytes) +
                        ":truncate_lut=0:sindexes=" + std::to_string(SindexCount(ns, set)) +
                        ":index_populating=false:truncating=false:default-read-touch-ttl-pct=0:default-ttl=0:"
                        "disable-eviction=false:enable-index=false:stop-writes-count=0:stop-writes-size=0";
    if (props_only) return props;
    return "ns=" + ns + ":set=" + set + ":" + props + ";";
  }

  int SindexCount(const std::string& ns, const std::string& set) {
    std::lock_guard lock(st_.meta_mu);
    int n = 0;
    for (const auto& d : st_.sindexes) n += d.ns == ns && d.set == set;
    return n;
  }

  std::string Sets(const std::string& arg) {
    std::string ns_filter = arg, set_filter;
    size_t slash = arg.find('/');
    if (slash != std::string::npos) {
      ns_filter = arg.substr(0, slash);
      set_filter = arg.substr(slash + 1);
    }
    if (!ns_filter.empty() && !st_.store().Find(ns_filter)) return "ns_type=unknown";
    std::string out;
    uint32_t now = NowClepoch(st_.NowMs());
    int node = s_.node_index;
    for (const auto& ns : st_.store().Names()) {
      if (!ns_filter.empty() && ns != ns_filter) continue;
      auto counts = st_.store().SetCounts(ns, [&](int pid) { return st_.Role(node, pid) >= 0; }, now);
      for (const auto& set : st_.store().KnownSets(ns)) {
        if (!set_filter.empty() && set != set_filter) continue;
        Store::SetStats stats;
        auto it = counts.find(set);
        if (it != counts.end()) stats = it->second;
        out += SetRecord(ns, set, stats, !set_filter.empty());
      }
    }
    return out;
  }

  std::string ClusterStable(const std::map<std::string, std::string>& p) {
    if (Has(p, "size") && std::atoi(Get(p, "size").c_str()) != st_.LiveCount())
      return "ERROR:7:cluster not specified size";
    std::string ns = Get(p, "namespace");
    if (!ns.empty() && !st_.store().Find(ns)) return "ERROR:4:namespace not found";
    return st_.cluster_key();
  }

  std::string Truncate(const std::map<std::string, std::string>& p, bool whole_ns) {
    std::string ns = Get(p, "namespace");
    if (ns.empty()) return "ERROR:4:missing 'namespace' value";
    if (!st_.store().Find(ns)) return "ERROR:4:namespace not found";
    std::string set = Get(p, "set");
    if (whole_ns && Has(p, "set")) return "ERROR:4:unexpected set name";
    if (!whole_ns && set.empty()) return "ERROR:4:missing 'set' value";
    int64_t now_ms = st_.NowMs();
    // As the 8.1 server (truncate.c): lut = now in ms, and only records with last-update < lut go, so a
    // record written in the same millisecond as the truncate survives it.
    uint64_t lut_ms = static_cast<uint64_t>(now_ms);
    if (Has(p, "lut")) {
      std::string v = Get(p, "lut");
      char* end = nullptr;
      unsigned long long ns_val = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end) return "ERROR:4:invalid 'lut' value";
      uint64_t ms = ns_val / 1000000;
      if (ms > static_cast<uint64_t>(now_ms)) return "ERROR:4:would truncate in the future";
      if (ms <= static_cast<uint64_t>(kCitrusleafEpoch) * 1000) return "ERROR:4:lut too old";
      lut_ms = ms;
    }
    st_.store().Truncate(ns, whole_ns ? "" : set, lut_ms);
    return "ok";
  }

  std::string SindexRecord(const SindexDef& d) {
    if (d.indextype == "set")  // 8.1.2 set index: a short record
      return "ns=" + d.ns + ":indexname=" + d.name + ":set=" + d.set + ":indextype=set";
    return "ns=" + d.ns + ":indexname=" + d.name + ":set=" + (d.set.empty() ? "null" : d.set) +
           ":bin=" + (d.bin.empty() ? "null" : d.bin) + ":type=" + d.type + ":indextype=" + d.indextype +
           ":context=" + (d.context.empty() ? "null" : d.context) + ":exp=" + (d.exp.empty() ? "null" : d.exp) +
           ":state=RW";
  }

  std::string SindexList(const std::map<std::string, std::string>& p) {
    std::string ns = Has(p, "namespace") ? Get(p, "namespace") : Get(p, "ns");
    std::lock_guard lock(st_.meta_mu);
    std::string out;
    for (const auto& d : st_.sindexes) {
      if (!ns.empty() && d.ns != ns) continue;
      if (!out.empty()) out += ';';
      out += SindexRecord(d);
    }
    return out;
  }

  std::string SindexCreate(const std::map<std::string, std::string>& p) {
    SindexDef d;
    d.ns = Has(p, "namespace") ? Get(p, "namespace") : Get(p, "ns");
    if (d.ns.empty()) return "ERROR:4:missing 'namespace' value";
    if (!st_.store().Find(d.ns)) return "ERROR:4:namespace not found";
    d.name = Get(p, "indexname");
    if (d.name.empty()) return "ERROR:4:missing 'indexname' value";
    d.set = Get(p, "set");
    d.indextype = Lower(Has(p, "indextype") ? Get(p, "indextype") : "default");
    d.context = Get(p, "context");
    d.exp = Get(p, "exp");
    std::string type;
    if (Has(p, "indexdata")) {
      std::string v = Get(p, "indexdata");
      size_t comma = v.find(',');
      if (comma == std::string::npos) return "ERROR:4:bad 'indexdata' value";
      d.bin = v.substr(0, comma);
      type = v.substr(comma + 1);
    } else {
      d.bin = Get(p, "bin");
      type = Get(p, "type");
    }
    if (d.indextype == "set") {
      if (d.set.empty()) return "ERROR:4:a set index needs a set";
      d.bin.clear();
      d.type.clear();
    } else {
      if (d.indextype != "default" && d.indextype != "list" && d.indextype != "mapkeys" &&
          d.indextype != "mapvalues")
        return "ERROR:4:bad 'indextype' value";
      if (d.bin.empty() == d.exp.empty()) return "ERROR:4:exactly one of 'bin' and 'exp' is required";
      if (d.bin.size() >= 16) return "ERROR:4:bin name too long";
      d.type = Lower(type);
      if (d.type != "numeric" && d.type != "string" && d.type != "blob" && d.type != "geo2dsphere")
        return "ERROR:4:bad 'type' value";
    }
    std::lock_guard lock(st_.meta_mu);
    for (const auto& e : st_.sindexes) {
      if (e.ns != d.ns || e.name != d.name) continue;
      if (e.set == d.set && e.bin == d.bin && e.type == d.type && e.indextype == d.indextype &&
          e.context == d.context && e.exp == d.exp)
        return "ok";
      return "ERROR:200:'indexname' already exists with different definition";
    }
    if (st_.sindexes.size() >= 256) return "ERROR:206:max number of indexes reached";
    st_.sindexes.push_back(d);
    return "ok";
  }

  std::string SindexDelete(const std::map<std::string, std::string>& p) {
    std::string ns = Has(p, "namespace") ? Get(p, "namespace") : Get(p, "ns");
    std::string name = Get(p, "indexname");
    std::lock_guard lock(st_.meta_mu);
    auto it = std::find_if(st_.sindexes.begin(), st_.sindexes.end(),
                           [&](const SindexDef& d) { return d.ns == ns && d.name == name; });
    if (it == st_.sindexes.end()) return "ERROR:201:index not found";
    st_.sindexes.erase(it);
    return "ok";
  }

  std::string SindexStat(const std::string& ns, const std::string& name) {
    SindexDef def;
    {
      std::lock_guard lock(st_.meta_mu);
      auto it = std::find_if(st_.sindexes.begin(), st_.sindexes.end(),
                             [&](const SindexDef& d) { return d.ns == ns && d.name == name; });
      if (it == st_.sindexes.end()) return "ERROR:201:index not found";
      def = *it;
    }
    // Entries: records of the index's set holding the bin (indexes are built at once here).
    uint64_t entries = 0;
    if (Namespace* n = st_.store().Find(ns)) {
      uint32_t now = NowClepoch(st_.NowMs());
      for (int pid = 0; pid < kPartitions; ++pid) {
        if (st_.Role(s_.node_index, pid) < 0) continue;
        Partition& p = n->partition(pid);
        std::shared_lock lock(p.mu);
        for (const auto& [d, r] : p.records) {
          if (IsExpired(r, now) || (!def.set.empty() && r.set != def.set)) continue;
          bool has = def.bin.empty();
          ForEachBin(r, [&](const BinView& b) { has = has || b.name == def.bin; });
          entries += has;
        }
      }
    }
    std::string per = entries ? "1" : "0";
    return "entries=" + std::to_string(entries) + ";used_bytes=16777216;entries_per_bval=" + per +
           ";entries_per_rec=" + per + ";load_pct=100;load_time=0;stat_gc_recs=0";
  }

  std::string UdfPut(const std::map<std::string, std::string>& p) {
    std::string file = Get(p, "filename");
    size_t dot = file.find('.');
    if (file.empty() || dot == std::string::npos || dot == 0 || dot == file.size() - 1 || file.size() > 127)
      return "error=invalid_filename";
    if (!Has(p, "content")) return "error=invalid_content";
    std::string content = Get(p, "content");
    std::string len_text = Get(p, "content-len");
    char* end = nullptr;
    long long len = std::strtoll(len_text.c_str(), &end, 10);
    if (len_text.empty() || *end || len <= 0 || len % 4 != 0 || static_cast<size_t>(len) != content.size())
      return "error=invalid_content_len";
    if (content.size() > (1u << 20)) return "error=invalid_udf_content_len,>1M";
    auto decoded = Base64Decode(content);
    if (!decoded) return "error=invalid_base64_content";
    std::string type = Has(p, "udf-type") ? Get(p, "udf-type") : "LUA";
    if (type != "LUA") return "error=invalid_udf_type";
    std::lock_guard lock(st_.meta_mu);
    st_.udfs[file] = UdfModule{*decoded, type};
    return "ok";
  }

  std::string UdfGet(const std::map<std::string, std::string>& p) {
    std::string file = Get(p, "filename");
    if (file.empty()) return "error=invalid_filename";
    std::lock_guard lock(st_.meta_mu);
    auto it = st_.udfs.find(file);
    if (it == st_.udfs.end()) return "error=not_found";
    if (it->second.content.empty()) return "error=empty";
    return "type=" + it->second.type + ";content=" + Base64Encode(it->second.content) + ";";
  }

  std::string UdfList() {
    std::lock_guard lock(st_.meta_mu);
    std::string out;
    for (const auto& [file, m] : st_.udfs) {
      // The real hash is of the server's stored JSON; any stable content hash serves change detection.
      unsigned char h[SHA_DIGEST_LENGTH];
      SHA1(reinterpret_cast<const unsigned char*>(m.content.data()), m.content.size(), h);
      out += "filename=" + file + ",hash=" + ToHex(std::string_view(reinterpret_cast<char*>(h), sizeof h)) +
             ",type=" + m.type + ";";
    }
    return out;
  }

  std::string UdfRemove(const std::map<std::string, std::string>& p) {
    std::lock_guard lock(st_.meta_mu);
    if (st_.udfs.erase(Get(p, "filename")) == 0) return "error=not_found";
    return "ok";
  }

  // x-fault:node=<ID>;... (test-only; see test_cluster.h NodeFaults).
  std::string Fault(const std::map<std::string, std::string>& p) {
    std::string id_text = Get(p, "node");
    int node = s_.node_index;
    if (!id_text.empty()) {
      char* end = nullptr;
      unsigned long long id = std::strtoull(id_text.c_str(), &end, 16);
      node = *end ? -1 : st_.NodeIndexById(id);
      if (node < 0) return "ERROR:4:unknown node '" + id_text + "'";
    }
    NodeFaults f = Get(p, "clear") == "true" ? NodeFaults{} : st_.Faults(node);
    auto num = [&](const std::string& k, long long& out) -> bool {
      std::string v = Get(p, k);
      char* end = nullptr;
      out = std::strtoll(v.c_str(), &end, 10);
      return !v.empty() && !*end;
    };
    long long v = 0;
    for (const auto& [k, val] : p) {
      if (k == "node" || k == "clear" || k == "down" || k == "up" || k == "down-ms") continue;
      if (k == "drop-after-records") {
        if (!num(k, v)) return "ERROR:4:bad drop-after-records";
        f.drop_after_records = v;
      } else if (k == "delay-ms") {
        if (!num(k, v) || v < 0) return "ERROR:4:bad delay-ms";
        f.delay_ms = static_cast<int>(v);
      } else if (k == "scan-last-result") {
        if (!num(k, v) || v < 0 || v > 255) return "ERROR:4:bad scan-last-result";
        f.scan_last_result = static_cast<int>(v);
      } else if (k == "fail-writes") {
        auto parts = proto::SplitNonEmpty(val, ',');
        if (parts.size() < 2 || parts.size() > 3) return "ERROR:4:fail-writes=<code>,<count>[,<set>]";
        f.fail_writes_code = std::atoi(parts[0].c_str());
        f.fail_writes_remaining = std::atoi(parts[1].c_str());
        f.fail_writes_set = parts.size() == 3 ? parts[2] : "";
      } else if (k == "unavailable") {
        for (const auto& item : proto::SplitNonEmpty(val, ',')) {
          size_t dash = item.find('-');
          int a = std::atoi(item.substr(0, dash).c_str());
          int b = dash == std::string::npos ? a : std::atoi(item.substr(dash + 1).c_str());
          if (a < 0 || b >= kPartitions || a > b) return "ERROR:4:bad partition range '" + item + "'";
          for (int pid = a; pid <= b; ++pid) f.unavailable_partitions.insert(pid);
        }
      } else {
        return "ERROR:4:unknown fault '" + k + "'";
      }
    }
    st_.SetFaults(node, f);
    if (st_.control) {
      if (Get(p, "down") == "true") st_.control(node, false, 0);
      if (Get(p, "up") == "true") st_.control(node, true, 0);
      if (Has(p, "down-ms")) {
        if (!num("down-ms", v) || v < 0) return "ERROR:4:bad down-ms";
        st_.control(node, false, 0);
        st_.control(node, true, static_cast<int>(v));
      }
    }
    return "ok";
  }

  Session& s_;
  ClusterState& st_;
};

}  // namespace

std::string HandleInfo(Session& s, std::string_view body) {
  std::vector<std::string> cmds;
  if (body.empty()) {
    // An empty request answers a summary of default values (deprecated, still served by 8.1).
    cmds = {"features", "node", "compatibility-id", "edition", "build_ee_sha", "build_sha", "build_arch",
            "build_time", "build_os", "build", "version", "statistics", "services-alumni", "services",
            "partition-generation"};
  } else {
    size_t pos = 0;
    for (;;) {
      size_t nl = body.find('\n', pos);
      if (nl == std::string_view::npos) break;  // an unterminated last command is ignored (7.1+)
      if (nl > pos) cmds.emplace_back(body.substr(pos, nl - pos));
      pos = nl + 1;
    }
  }
  InfoContext ctx(s);
  std::string out;
  for (const auto& c : cmds) {
    out += c;
    out += '\t';
    out += s.authenticated ? ctx.Answer(c) : "ERROR:80:not authenticated";
    out += '\n';
  }
  return out;
}

}  // namespace aero::testserver
