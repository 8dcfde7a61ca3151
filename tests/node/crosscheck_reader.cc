// Our side of the Node.js cross-check (issue 3 §4). Uses OUR client (abs_client) only.
//
//   crosscheck_reader verify  --host H:P --manifest FILE
//     Checks, record by record, what the official Node.js client wrote (crosscheck.js write):
//     digest from set+key, user key present iff sendKey, set, every bin (canonical form, see
//     crosscheck.js), generation, TTL/void time — through a partition scan AND a single-record Get;
//     the scan returns nothing else; info values (namespaces, build, edition, node ids, set objects)
//     agree with what the Node.js client saw.
//   crosscheck_reader write   --host H:P --set S --manifest FILE
//     The reverse direction: writes records of every particle type and key type with our client and
//     a manifest in the same canonical form for `crosscheck.js verify`.
//   crosscheck_reader cleanup --host H:P --manifest FILE [--manifest FILE...]
//     Deletes the records listed in the manifests (for runs against a shared real server).
//
// Exit codes: 0 all checks passed, 1 mismatches (each printed), 2 usage/connection/IO errors.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "client/cluster.h"
#include "client/metadata.h"
#include "client/policy.h"
#include "client/scan.h"
#include "client/write.h"
#include "common/bytes.h"
#include "common/digest.h"
#include "common/record.h"
#include "protocol/msgpack.h"

using nlohmann::json;
namespace cl = aero::client;
namespace mp = aero::msgpack;

namespace {

std::vector<std::string> g_failures;
void Fail(const std::string& what) {
  g_failures.push_back(what);
  std::cerr << "MISMATCH: " << what << "\n";
}

int64_t NowUnix() { return static_cast<int64_t>(std::time(nullptr)); }

std::string Hex(std::string_view b) { return aero::ToHex(b); }

std::string DoubleHex(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  std::string be;
  aero::PutU64BE(be, bits);
  return Hex(be);
}

int64_t I64FromBE(std::string_view b) {
  uint64_t v = 0;
  for (char c : b) v = (v << 8) | static_cast<uint8_t>(c);
  return static_cast<int64_t>(v);
}

// ------------------------------------------------------------ wire value -> canonical JSON
json CanonFromMsgpack(const mp::Value& v);

json OrderedContainer(const char* type, std::string order, json items) {
  return json{{"t", type}, {"order", std::move(order)}, {"v", std::move(items)}};
}

std::string ListOrder(int8_t flags) { return (flags & 1) ? "ordered" : "unordered"; }
std::string MapOrder(int8_t flags) {
  if ((flags & 3) == 3) return "key-value";
  if (flags & 1) return "key";
  return "unordered";
}

json CanonFromMsgpack(const mp::Value& v) {
  using K = mp::Value::Kind;
  switch (v.kind) {
    case K::kNil: return json{{"t", "nil"}};
    case K::kBool: return json{{"t", "bool"}, {"v", v.b}};
    case K::kInt: return json{{"t", "int"}, {"v", std::to_string(v.i)}};
    case K::kUInt: return json{{"t", "int"}, {"v", std::to_string(v.u)}};
    case K::kDouble: return json{{"t", "float"}, {"hex", DoubleHex(v.d)}};
    case K::kBinary: return json{{"t", "bytes"}, {"hex", Hex(v.s)}};
    case K::kString: {
      // Aerospike msgpack strings carry a particle-type prefix byte.
      if (v.s.empty()) return json{{"t", "str-without-particle-prefix"}};
      uint8_t p = static_cast<uint8_t>(v.s[0]);
      std::string body = v.s.substr(1);
      if (p == static_cast<uint8_t>(aero::ParticleType::kString)) return json{{"t", "str"}, {"v", body}};
      if (p == static_cast<uint8_t>(aero::ParticleType::kBlob)) return json{{"t", "bytes"}, {"hex", Hex(body)}};
      if (p == static_cast<uint8_t>(aero::ParticleType::kGeoJson)) return json{{"t", "geojson"}, {"v", body}};
      return json{{"t", "str-particle-" + std::to_string(p)}, {"hex", Hex(body)}};
    }
    case K::kArray: {
      json items = json::array();
      std::string order = "unordered";
      size_t start = 0;
      if (!v.items.empty() && v.items[0].kind == K::kExt) {
        order = ListOrder(v.items[0].ext_type);
        start = 1;
      }
      for (size_t i = start; i < v.items.size(); ++i) items.push_back(CanonFromMsgpack(v.items[i]));
      return OrderedContainer("list", order, std::move(items));
    }
    case K::kMap: {
      json entries = json::array();
      std::string order = "unordered";
      size_t start = 0;
      if (v.items.size() >= 2 && v.items[0].kind == K::kExt) {
        order = MapOrder(v.items[0].ext_type);
        start = 2;
      }
      for (size_t i = start; i + 1 < v.items.size(); i += 2)
        entries.push_back(json::array({CanonFromMsgpack(v.items[i]), CanonFromMsgpack(v.items[i + 1])}));
      return OrderedContainer("map", order, std::move(entries));
    }
    case K::kExt: return json{{"t", "ext"}, {"type", v.ext_type}, {"hex", Hex(v.s)}};
  }
  return json{{"t", "unknown"}};
}

json CanonFromBin(const aero::Bin& b) {
  using P = aero::ParticleType;
  switch (b.type) {
    case P::kInteger:
      if (b.data.size() != 8) return json{{"t", "int-bad-size"}, {"hex", Hex(b.data)}};
      return json{{"t", "int"}, {"v", std::to_string(I64FromBE(b.data))}};
    case P::kFloat: return json{{"t", "float"}, {"hex", Hex(b.data)}};
    case P::kString: return json{{"t", "str"}, {"v", b.data}};
    case P::kBlob: return json{{"t", "bytes"}, {"hex", Hex(b.data)}};
    case P::kBool:
      if (b.data.size() != 1) return json{{"t", "bool-bad-size"}, {"hex", Hex(b.data)}};
      return json{{"t", "bool"}, {"v", b.data[0] != 0}};
    case P::kHll: return json{{"t", "hll"}, {"hex", Hex(b.data)}};
    case P::kGeoJson: {
      // [flags u8][ncells u16 BE][ncells * 8 bytes of cell ids][json text]; the server adds cells.
      if (b.data.size() < 3) return json{{"t", "geojson-truncated"}, {"hex", Hex(b.data)}};
      size_t ncells = (static_cast<uint8_t>(b.data[1]) << 8) | static_cast<uint8_t>(b.data[2]);
      size_t off = 3 + ncells * 8;
      if (off > b.data.size()) return json{{"t", "geojson-truncated"}, {"hex", Hex(b.data)}};
      return json{{"t", "geojson"}, {"v", b.data.substr(off)}};
    }
    case P::kList:
    case P::kMap: {
      auto v = mp::DecodeAll(b.data);
      if (!v.ok()) return json{{"t", "undecodable-msgpack"}, {"error", v.status().ToString()}, {"hex", Hex(b.data)}};
      return CanonFromMsgpack(*v);
    }
    case P::kJavaBlob:
    case P::kCSharpBlob:
    case P::kPythonBlob:
    case P::kRubyBlob:
    case P::kPhpBlob:
    case P::kErlangBlob:
      // Language blobs are bytes tagged with the language's particle type.
      return json{{"t", "bytes"}, {"particle", static_cast<int>(b.type)}, {"hex", Hex(b.data)}};
    default:
      return json{{"t", "particle-" + std::to_string(static_cast<int>(b.type))}, {"hex", Hex(b.data)}};
  }
}

// Comparable form: map entries sorted (the order flag is compared separately), geojson text parsed.
json Normalise(const json& c) {
  if (!c.is_object() || !c.contains("t")) return c;
  const std::string t = c["t"];
  json out = c;
  if (t == "list") {
    json items = json::array();
    for (const auto& i : c["v"]) items.push_back(Normalise(i));
    out["v"] = std::move(items);
  } else if (t == "map") {
    std::vector<std::pair<std::string, json>> entries;
    for (const auto& e : c["v"]) {
      json k = Normalise(e[0]);
      entries.emplace_back(k.dump(), json::array({k, Normalise(e[1])}));
    }
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    json v = json::array();
    for (auto& e : entries) v.push_back(std::move(e.second));
    out["v"] = std::move(v);
  } else if (t == "geojson") {
    // Compare the JSON documents, not their spelling (a server may re-serialise).
    json doc = json::parse(c["v"].get<std::string>(), nullptr, false);
    if (!doc.is_discarded()) out["v"] = doc.dump();
  }
  return out;
}

// Key-ordered maps must be in ascending key order on the wire (strings by bytes, ints by value).
void CheckKeyOrder(const json& c, const std::string& where) {
  if (!c.is_object() || !c.contains("t")) return;
  if (c["t"] == "list") {
    for (const auto& i : c["v"]) CheckKeyOrder(i, where);
    if (c["order"] == "ordered") {
      for (size_t i = 1; i < c["v"].size(); ++i) {
        const auto &a = c["v"][i - 1], &b = c["v"][i];
        if (a["t"] == "int" && b["t"] == "int" && std::stoll(a["v"].get<std::string>()) > std::stoll(b["v"].get<std::string>()))
          Fail(where + ": ordered list not in ascending order: " + c.dump());
      }
    }
  } else if (c["t"] == "map") {
    for (const auto& e : c["v"]) CheckKeyOrder(e[1], where);
    if (c["order"] == "key" || c["order"] == "key-value") {
      for (size_t i = 1; i < c["v"].size(); ++i) {
        const auto &a = c["v"][i - 1][0], &b = c["v"][i][0];
        bool bad = false;
        if (a["t"] == "str" && b["t"] == "str") bad = a["v"].get<std::string>() >= b["v"].get<std::string>();
        if (a["t"] == "int" && b["t"] == "int") bad = std::stoll(a["v"].get<std::string>()) >= std::stoll(b["v"].get<std::string>());
        if (bad) Fail(where + ": key-ordered map not in ascending key order: " + c.dump());
      }
    }
  }
}

json CanonKey(const aero::UserKey& k) {
  using P = aero::ParticleType;
  if (k.type == P::kInteger && k.data.size() == 8) return json{{"t", "int"}, {"v", std::to_string(I64FromBE(k.data))}};
  if (k.type == P::kString) return json{{"t", "str"}, {"v", k.data}};
  if (k.type == P::kBlob) return json{{"t", "bytes"}, {"hex", Hex(k.data)}};
  return json{{"t", "key-particle-" + std::to_string(static_cast<int>(k.type))}, {"hex", Hex(k.data)}};
}

aero::Result<aero::UserKey> UserKeyFromCanon(const json& k) {
  const std::string t = k.value("t", "");
  if (t == "int") return aero::IntegerKey(std::stoll(k["v"].get<std::string>()));
  if (t == "str") return aero::StringKey(k["v"].get<std::string>());
  if (t == "bytes") {
    std::string raw;
    if (!aero::FromHex(k["hex"].get<std::string>(), raw)) return aero::Status(aero::ErrorCode::kCorrupt, "bad key hex in manifest");
    return aero::BlobKey(raw);
  }
  return aero::Status(aero::ErrorCode::kCorrupt, "unsupported key in manifest: " + k.dump());
}

// ------------------------------------------------------------ comparing one record
void CompareRecord(const std::string& label, const json& m, const aero::Record& r, const std::string& set, bool check_key) {
  if (r.set != set) Fail(label + ": set '" + r.set + "', expected '" + set + "'");
  if (check_key) {
    bool send_key = m.value("send_key", false);
    if (r.key.has_value() != send_key)
      Fail(label + ": user key " + (r.key ? "present" : "absent") + ", but sendKey was " + (send_key ? "on" : "off"));
    if (r.key && m.contains("key") && !m["key"].is_null() && CanonKey(*r.key) != m["key"])
      Fail(label + ": key " + CanonKey(*r.key).dump() + ", expected " + m["key"].dump());
  }
  if (r.generation != m["generation"].get<uint32_t>())
    Fail(label + ": generation " + std::to_string(r.generation) + ", expected " + m["generation"].dump());
  // TTL: the Node.js client reports -1 for "never expires" (void time 0).
  int64_t ttl = m["ttl"].get<int64_t>();
  if (ttl == -1 || ttl == 0xFFFFFFFFLL) {
    if (r.void_time != 0) Fail(label + ": void_time " + std::to_string(r.void_time) + ", expected 0 (never expires)");
  } else {
    int64_t now = NowUnix();
    int64_t expected = ttl - std::max<int64_t>(0, now - m["ttl_read_at"].get<int64_t>());
    int64_t actual = static_cast<int64_t>(r.void_time) + aero::kCitrusleafEpoch - now;
    if (r.void_time == 0 || std::llabs(actual - expected) > 3)
      Fail(label + ": remaining ttl " + std::to_string(actual) + " s (void_time " + std::to_string(r.void_time) +
           "), expected about " + std::to_string(expected) + " s");
  }
  std::map<std::string, const aero::Bin*> bins;
  for (const auto& b : r.bins) {
    if (!bins.emplace(b.name, &b).second) Fail(label + ": bin '" + b.name + "' returned twice");
  }
  const json& want = m["bins"];
  for (auto it = want.begin(); it != want.end(); ++it) {
    auto found = bins.find(it.key());
    if (found == bins.end()) {
      Fail(label + ": bin '" + it.key() + "' missing");
      continue;
    }
    json got = CanonFromBin(*found->second);
    CheckKeyOrder(got, label + " bin " + it.key());
    if (Normalise(got) != Normalise(it.value()))
      Fail(label + " bin " + it.key() + ": read " + got.dump() + ", expected " + it.value().dump());
  }
  for (const auto& [name, b] : bins)
    if (!want.contains(name)) Fail(label + ": unexpected bin '" + name + "' = " + CanonFromBin(*b).dump());
}

aero::Result<json> ReadJson(const std::string& path) {
  std::ifstream in(path);
  if (!in) return aero::Status(aero::ErrorCode::kIo, "cannot open manifest " + path);
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded()) return aero::Status(aero::ErrorCode::kCorrupt, "manifest " + path + " is not JSON");
  return j;
}

aero::Result<std::shared_ptr<cl::Cluster>> Connect(const std::string& host) {
  ABS_ASSIGN_OR_RETURN(auto seeds, cl::ParseHosts(host));
  cl::ClientPolicy policy;
  policy.app_id = "crosscheck";
  return cl::Cluster::Connect(seeds, policy);
}

// ------------------------------------------------------------ verify (Node.js wrote)
int Verify(cl::Cluster& cluster, const json& manifest) {
  const std::string ns = manifest["ns"], set = manifest["set"];
  const json& records = manifest["records"];

  // 1. Partition scan of the set with our client.
  std::mutex mu;
  std::map<aero::Digest, aero::Record> scanned;
  uint64_t duplicates = 0;
  cl::ScanPolicy sp;
  sp.ns = ns;
  sp.sets = {set};
  auto state = cl::ScanState::AllPartitions();
  auto stats = cl::Scan(cluster, sp, state, [&](aero::Record& r) {
    std::lock_guard<std::mutex> lock(mu);
    if (!scanned.emplace(r.digest, std::move(r)).second) ++duplicates;
    return aero::Status::Ok();
  });
  if (!stats.ok()) {
    std::cerr << "crosscheck_reader: scan of " << ns << "/" << set << " failed: " << stats.status().ToString() << "\n";
    return 2;
  }
  if (duplicates) Fail("scan returned " + std::to_string(duplicates) + " duplicate records");
  if (scanned.size() != records.size())
    Fail("scan of " + ns + "/" + set + ": " + std::to_string(scanned.size()) + " records, manifest has " +
         std::to_string(records.size()));

  std::set<aero::Digest> expected_digests;
  for (const auto& m : records) {
    std::string label = "record " + m["key"].dump();
    auto key = UserKeyFromCanon(m["key"]);
    if (!key.ok()) {
      Fail(label + ": " + key.status().ToString());
      continue;
    }
    aero::Digest d = aero::ComputeDigest(set, *key);
    expected_digests.insert(d);
    std::string dhex = Hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
    if (!m["digest"].is_null() && m["digest"] != dhex)
      Fail(label + ": our digest " + dhex + " != the Node.js client's " + m["digest"].get<std::string>());
    auto it = scanned.find(d);
    if (it == scanned.end()) {
      Fail(label + ": not returned by our scan");
    } else {
      CompareRecord(label + " (scan)", m, it->second, set, true);
    }
    // 2. Single-record read by digest (the Get path decodes replies separately from the scan).
    auto got = cl::Get(cluster, ns, set, d);
    if (!got.ok()) {
      Fail(label + ": Get failed: " + got.status().ToString());
    } else if (!got->has_value()) {
      Fail(label + ": Get says not found");
    } else {
      aero::Record r = **got;
      if (r.set.empty()) r.set = set;  // a read reply need not echo the set
      CompareRecord(label + " (get)", m, r, set, false);
    }
  }
  // Records the Node.js client removed must be gone for our client too.
  if (manifest.contains("deleted")) {
    for (const auto& m : manifest["deleted"]) {
      auto key = UserKeyFromCanon(m["key"]);
      if (!key.ok()) {
        Fail("deleted record: " + key.status().ToString());
        continue;
      }
      aero::Digest d = aero::ComputeDigest(set, *key);
      if (scanned.count(d)) Fail("removed record " + m["key"].dump() + " returned by our scan");
      auto got = cl::Get(cluster, ns, set, d);
      if (!got.ok()) Fail("Get of removed record " + m["key"].dump() + ": " + got.status().ToString());
      else if (got->has_value()) Fail("removed record " + m["key"].dump() + " found by our Get");
    }
  }
  for (const auto& [d, r] : scanned)
    if (!expected_digests.count(d))
      Fail("scan returned a record not in the manifest: digest " +
           Hex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size())));

  std::cout << "verify: " << records.size() << " records checked by scan and get, " << scanned.size() << " scanned\n";
  // Manifests written by our own client (round trip) carry no info section.
  if (!manifest.contains("info")) return 0;

  // 3. Info, through our metadata API, against what the Node.js client saw.
  const json& info = manifest["info"];
  if (auto nss = cl::Namespaces(cluster); !nss.ok()) {
    Fail("Namespaces: " + nss.status().ToString());
  } else if (json(*nss) != info["namespaces"]) {
    Fail("namespaces " + json(*nss).dump() + " != Node.js " + info["namespaces"].dump());
  }
  if (auto v = cl::GetServerVersion(cluster); !v.ok()) {
    Fail("GetServerVersion: " + v.status().ToString());
  } else {
    if (v->version != info["build"]) Fail("build '" + v->version + "' != Node.js '" + info["build"].get<std::string>() + "'");
    if (v->edition != info["edition"]) Fail("edition '" + v->edition + "' != Node.js '" + info["edition"].get<std::string>() + "'");
  }
  std::vector<std::string> ids;
  for (const auto& n : cluster.nodes()) ids.push_back(n->id());
  std::sort(ids.begin(), ids.end());
  if (json(ids) != info["nodes"]) Fail("node ids " + json(ids).dump() + " != Node.js " + info["nodes"].dump());
  if (auto sets = cl::Sets(cluster, ns); !sets.ok()) {
    Fail("Sets: " + sets.status().ToString());
  } else {
    auto s = std::find_if(sets->begin(), sets->end(), [&](const cl::SetInfo& i) { return i.set == set; });
    if (s == sets->end()) Fail("Sets(" + ns + ") lacks " + set);
    else if (s->objects != records.size())
      Fail("Sets(" + ns + ")/" + set + " objects " + std::to_string(s->objects) + ", expected " + std::to_string(records.size()));
  }
  return 0;
}

// ------------------------------------------------------------ write (our client writes, Node.js verifies)
struct Val {
  std::string msgpack;  // the value inside a list/map
  json c;               // canonical form
};
std::string MpStr(std::string_view s, uint8_t particle = 3) {
  std::string o;
  mp::PutString(o, s, particle);
  return o;
}
Val VInt(int64_t v) {
  std::string o;
  mp::PutInt(o, v);
  return {o, json{{"t", "int"}, {"v", std::to_string(v)}}};
}
Val VDbl(double d) {
  std::string o;
  mp::PutDouble(o, d);
  return {o, json{{"t", "float"}, {"hex", DoubleHex(d)}}};
}
Val VStr(const std::string& s) { return {MpStr(s), json{{"t", "str"}, {"v", s}}}; }
Val VBytes(const std::string& b) { return {MpStr(b, 4), json{{"t", "bytes"}, {"hex", Hex(b)}}}; }
Val VBool(bool b) {
  std::string o;
  mp::PutBool(o, b);
  return {o, json{{"t", "bool"}, {"v", b}}};
}
Val VNil() {
  std::string o;
  mp::PutNil(o);
  return {o, json{{"t", "nil"}}};
}
// Ordered containers start with an empty ext whose type carries the flags (c7 00 <flags>).
std::string OrderExt(uint8_t flags) { return std::string("\xc7\x00", 2) + static_cast<char>(flags); }
Val VList(const std::vector<Val>& items, bool ordered = false) {
  std::string o;
  mp::PutArrayHeader(o, static_cast<uint32_t>(items.size() + (ordered ? 1 : 0)));
  if (ordered) o += OrderExt(1);
  json c = json::array();
  for (const auto& i : items) {
    o += i.msgpack;
    c.push_back(i.c);
  }
  return {o, json{{"t", "list"}, {"order", ordered ? "ordered" : "unordered"}, {"v", c}}};
}
// flags: 0 unordered, 1 key-ordered, 3 key-value-ordered (given with key_ordered = true).
Val VMap(const std::vector<std::pair<Val, Val>>& entries, bool key_ordered, uint8_t flags = 1) {
  std::string o;
  mp::PutMapHeader(o, static_cast<uint32_t>(entries.size() + (key_ordered ? 1 : 0)));
  if (key_ordered) {
    o += OrderExt(flags);
    mp::PutNil(o);
  }
  json c = json::array();
  for (const auto& [k, v] : entries) {
    o += k.msgpack + v.msgpack;
    c.push_back(json::array({k.c, v.c}));
  }
  return {o, json{{"t", "map"}, {"order", key_ordered ? MapOrder(static_cast<int8_t>(flags)) : "unordered"}, {"v", c}}};
}

struct BinSpec {
  aero::Bin bin;
  json c;
};
BinSpec BInt(const std::string& n, int64_t v) {
  std::string d;
  aero::PutU64BE(d, static_cast<uint64_t>(v));
  return {{n, aero::ParticleType::kInteger, d}, VInt(v).c};
}
BinSpec BDbl(const std::string& n, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, 8);
  std::string d;
  aero::PutU64BE(d, bits);
  return {{n, aero::ParticleType::kFloat, d}, VDbl(v).c};
}
BinSpec BStr(const std::string& n, const std::string& s) { return {{n, aero::ParticleType::kString, s}, VStr(s).c}; }
BinSpec BBytes(const std::string& n, const std::string& b) { return {{n, aero::ParticleType::kBlob, b}, VBytes(b).c}; }
BinSpec BBool(const std::string& n, bool b) {
  return {{n, aero::ParticleType::kBool, std::string(1, b ? '\1' : '\0')}, VBool(b).c};
}
BinSpec BGeo(const std::string& n, const std::string& text) {
  std::string d("\0\0\0", 3);  // flags 0, no cells: the server computes them
  d += text;
  return {{n, aero::ParticleType::kGeoJson, d}, json{{"t", "geojson"}, {"v", text}}};
}
BinSpec BCdt(const std::string& n, const Val& v) {
  bool is_map = v.c["t"] == "map";
  return {{n, is_map ? aero::ParticleType::kMap : aero::ParticleType::kList, v.msgpack}, v.c};
}

struct RecSpec {
  aero::UserKey key;
  bool send_key = true;
  std::vector<BinSpec> bins;
  uint32_t ttl = 0;  // 0 = never expires
  int writes = 1;
};

std::vector<RecSpec> WritePlan() {
  using aero::BlobKey, aero::IntegerKey, aero::StringKey;
  std::vector<RecSpec> p;
  p.push_back({IntegerKey(1), true,
               {BInt("i0", 0), BInt("ipos", 42), BInt("ineg", -1), BInt("imax", INT64_MAX), BInt("imin", INT64_MIN),
                BInt("ibig", (1LL << 53) + 1)}});
  p.push_back({IntegerKey(-7), false,
               {BDbl("d", 3.14159), BDbl("d2", 2.0), BDbl("dneg", -0.5), BDbl("dtiny", 5e-324),
                BDbl("dmax", 1.7976931348623157e308), BDbl("dinf", -INFINITY), BDbl("dnegzero", -0.0)}});
  p.push_back({IntegerKey(INT64_MIN), true, {BInt("v", 1)}});
  p.push_back({StringKey("str-\xc3\xbc\xe2\x9c\x93\xf0\x9f\x98\x80"), true,
               {BStr("s", "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xf0\x9f\x98\x80"), BStr("e", ""),
                BStr("long", std::string(5000, 'x')), BStr("nul", std::string("a\0b", 3))}});
  p.push_back({StringKey("java-blob"), true, {{{"jb", aero::ParticleType::kJavaBlob, std::string("\xac\xed\x00\x05", 4)}, json{{"t", "bytes"}, {"particle", 7}, {"hex", "aced0005"}}}}});
  p.push_back({StringKey("python-blob"), false, {{{"pb", aero::ParticleType::kPythonBlob, "\x80\x04\x95\x01"}, json{{"t", "bytes"}, {"particle", 9}, {"hex", "80049501"}}}}});
  p.push_back({StringKey("nokey-string"), false,
               {BBytes("b", std::string("\x00\x01\x02\xff", 4)), BBytes("blong", std::string(3000, '\xa5'))}});
  p.push_back({BlobKey(std::string("\xde\xad\xbe\xef", 4)), true, {BBool("t", true), BBool("f", false)}});
  p.push_back({BlobKey("blobkey"), false,
               {BCdt("l", VList({VInt(1), VInt(-2), VStr("two"), VDbl(3.5), VList({VInt(4), VList({VInt(5), VStr("x")})}),
                                 VMap({{VStr("k"), VStr("v")}}, true), VBytes("\xaa"), VBool(true), VInt(300),
                                 VInt(70000), VInt(5000000000LL), VInt(INT64_MIN), VInt(INT64_MAX), VStr(""), VNil()})),
                BCdt("empty", VList({}))}});
  p.push_back({IntegerKey(1000), true,
               {BCdt("m", VMap({{VStr("a"), VInt(1)},
                                {VStr("b"), VInt(2)},
                                {VStr("nested"), VMap({{VStr("c"), VList({VInt(1), VInt(2)})}, {VStr("d"), VStr("x")}}, true)}},
                               true)),
                BCdt("mint", VMap({{VInt(-1), VStr("minus one")}, {VInt(3), VStr("three")}, {VInt(100000), VList({VStr("a")})}}, true)),
                BCdt("um", VMap({{VStr("z"), VInt(26)}, {VStr("a"), VInt(1)}}, false)),
                BCdt("ol", VList({VInt(1), VInt(2), VInt(3)}, true)),
                BCdt("kvm", VMap({{VStr("a"), VInt(9)}, {VStr("b"), VInt(1)}}, true, 3)),
                BCdt("lm", VList({VMap({{VInt(2), VDbl(0.5)}, {VInt(7), VBytes(std::string("\x00\x01", 2))}}, true),
                                  VList({VNil(), VBool(false)}, true)}))}});
  {
    std::string big(512 * 1024, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 7 + 3) & 0xff);
    p.push_back({StringKey("big"), false, {BBytes("big", big)}});
  }
  p.push_back({StringKey("geo"), true,
               {BGeo("pt", R"({"type":"Point","coordinates":[103.913,1.308]})"),
                BGeo("poly", R"({"type":"Polygon","coordinates":[[[-122.5,37.0],[-121.0,37.0],[-121.0,38.08],[-122.5,38.08],[-122.5,37.0]]]})")}});
  p.push_back({StringKey("ttl-3600"), true, {BInt("x", 1)}, 3600});
  p.push_back({StringKey("ttl-1y"), false, {BInt("x", 2)}, 365 * 86400});
  p.push_back({StringKey("gen-3"), true, {BInt("g", 3)}, 0, 3});
  for (int i = 0; i < 300; ++i)
    p.push_back({StringKey("bulk-" + std::to_string(i)), i % 2 == 0,
                 {BInt("n", i), BStr("s", "value-" + std::to_string(i)), BDbl("d", i + 0.25)}});
  return p;
}

int Write(cl::Cluster& cluster, const std::string& ns, const std::string& set, const std::string& path) {
  json manifest{{"writer", "abs-cpp"}, {"ns", ns}, {"set", set}, {"records", json::array()}};
  for (const auto& spec : WritePlan()) {
    aero::Record rec;
    rec.ns = ns;
    rec.set = set;
    rec.key = spec.key;
    rec.digest = aero::ComputeDigest(set, spec.key);
    for (const auto& b : spec.bins) rec.bins.push_back(b.bin);
    int64_t now = NowUnix();
    rec.void_time = spec.ttl ? static_cast<uint32_t>(now - aero::kCitrusleafEpoch + spec.ttl) : 0;
    cl::WritePolicy wp;
    wp.send_key = spec.send_key;
    std::string label = "record " + CanonKey(spec.key).dump();
    aero::Result<cl::WriteResult> w = aero::Status(aero::ErrorCode::kInternal, "not written");
    for (int i = 0; i < spec.writes; ++i) {
      w = cl::Put(cluster, rec, wp, now);
      if (!w.ok()) break;
    }
    if (!w.ok()) {
      Fail(label + ": Put failed: " + w.status().ToString());
      continue;
    }
    if (w->generation != static_cast<uint32_t>(spec.writes))
      Fail(label + ": Put reported generation " + std::to_string(w->generation) + " after " + std::to_string(spec.writes) + " writes");
    json bins = json::object();
    for (const auto& b : spec.bins) bins[b.bin.name] = b.c;
    int64_t ttl = spec.ttl ? static_cast<int64_t>(w->void_time) + aero::kCitrusleafEpoch - NowUnix() : -1;
    manifest["records"].push_back(json{{"key", CanonKey(spec.key)},
                                       {"send_key", spec.send_key},
                                       {"digest", Hex(std::string_view(reinterpret_cast<const char*>(rec.digest.data()), 20))},
                                       {"bins", bins},
                                       {"generation", w->generation},
                                       {"ttl", ttl},
                                       {"ttl_read_at", NowUnix()}});
  }
  std::ofstream out(path);
  out << manifest.dump(1);
  if (!out.good()) {
    std::cerr << "crosscheck_reader: cannot write manifest " << path << "\n";
    return 2;
  }
  std::cout << "write: " << manifest["records"].size() << " records written with our client, manifest " << path << "\n";
  return 0;
}

int Cleanup(cl::Cluster& cluster, const std::vector<std::string>& paths) {
  size_t deleted = 0;
  for (const auto& path : paths) {
    auto m = ReadJson(path);
    if (!m.ok()) {
      std::cerr << "crosscheck_reader: " << m.status().ToString() << " (skipped)\n";
      continue;
    }
    for (const auto& r : (*m)["records"]) {
      std::string raw;
      aero::Digest d{};
      if (!aero::FromHex(r["digest"].get<std::string>(), raw) || raw.size() != 20) continue;
      std::memcpy(d.data(), raw.data(), 20);
      auto del = cl::Delete(cluster, (*m)["ns"], (*m)["set"], d);
      if (!del.ok()) {
        std::cerr << "crosscheck_reader: delete failed: " << del.status().ToString() << "\n";
        return 2;
      }
      deleted += *del ? 1 : 0;
    }
  }
  std::cout << "cleanup: " << deleted << " records deleted\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Cross-check reader/writer for the Node.js client (our Aerospike client side)"};
  std::string mode, host, set, ns = "test";
  std::vector<std::string> manifests;
  app.add_option("mode", mode, "verify | write | cleanup")->required()->check(CLI::IsMember({"verify", "write", "cleanup"}));
  app.add_option("--host", host, "seed host:port")->required();
  app.add_option("--manifest", manifests, "manifest file (repeatable for cleanup)")->required();
  app.add_option("--set", set, "set to write (write mode)");
  app.add_option("--ns", ns, "namespace to write (write mode)");
  CLI11_PARSE(app, argc, argv);

  auto cluster = Connect(host);
  if (!cluster.ok()) {
    std::cerr << "crosscheck_reader: cannot connect to " << host << ": " << cluster.status().ToString() << "\n";
    return 2;
  }
  int rc = 0;
  if (mode == "verify") {
    auto m = ReadJson(manifests.at(0));
    if (!m.ok()) {
      std::cerr << "crosscheck_reader: " << m.status().ToString() << "\n";
      return 2;
    }
    rc = Verify(**cluster, *m);
  } else if (mode == "write") {
    if (set.empty()) {
      std::cerr << "crosscheck_reader: write needs --set\n";
      return 2;
    }
    rc = Write(**cluster, ns, set, manifests.at(0));
  } else {
    rc = Cleanup(**cluster, manifests);
  }
  (*cluster)->Close();
  if (rc != 0) return rc;
  if (!g_failures.empty()) {
    std::cerr << "crosscheck_reader " << mode << ": " << g_failures.size() << " mismatch(es)\n";
    return 1;
  }
  std::cout << "crosscheck_reader " << mode << ": all checks passed\n";
  return 0;
}
