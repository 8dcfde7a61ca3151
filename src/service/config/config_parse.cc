// Parsing the configuration from YAML or JSON into the model, including ABS 2.0 conversions.
// Both formats go through one reader (In) so each entity is parsed by one function; the reader
// keeps each format's typing rules (YAML: plain scalars are typed by the target field as Go's
// yaml.v3 does; JSON: strict types as Go's encoding/json).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

#include "service/config/config_io.h"

namespace aero::service {
namespace {

using json = nlohmann::json;

// ---------------------------------------------------------------------------------------------
// A read-only view over a YAML node or a JSON value.
class In {
 public:
  enum Kind { kNull, kMap, kSeq, kScalar };

  static In Yaml(const YAML::Node& n) {
    In in;
    in.yaml_ = true;
    in.y_ = n;
    return in;
  }
  static In Json(const json* j) {
    In in;
    in.j_ = j;
    return in;
  }

  Kind kind() const {
    if (yaml_) {
      if (!y_.IsDefined() || y_.IsNull()) return kNull;
      if (y_.IsMap()) return kMap;
      if (y_.IsSequence()) return kSeq;
      return kScalar;
    }
    if (j_->is_null()) return kNull;
    if (j_->is_object()) return kMap;
    if (j_->is_array()) return kSeq;
    return kScalar;
  }

  std::string Describe() const {
    switch (kind()) {
      case kNull: return "null";
      case kMap: return "a mapping";
      case kSeq: return "a list";
      case kScalar: break;
    }
    if (yaml_) return "\"" + y_.Scalar() + "\"";
    if (j_->is_string()) return "a string";
    if (j_->is_boolean()) return "a boolean";
    return "the number " + j_->dump();
  }

  std::vector<std::pair<std::string, In>> Entries() const {
    std::vector<std::pair<std::string, In>> out;
    if (yaml_) {
      for (auto it = y_.begin(); it != y_.end(); ++it) {
        out.emplace_back(it->first.IsScalar() ? it->first.Scalar() : std::string("<complex key>"), Yaml(it->second));
      }
    } else {
      for (auto it = j_->begin(); it != j_->end(); ++it) out.emplace_back(it.key(), Json(&it.value()));
    }
    return out;
  }

  std::vector<In> Items() const {
    std::vector<In> out;
    if (yaml_) {
      for (const auto& n : y_) out.push_back(Yaml(n));
    } else {
      for (const auto& v : *j_) out.push_back(Json(&v));
    }
    return out;
  }

  bool AsString(std::string* out) const {
    if (kind() != kScalar) return false;
    if (yaml_) {  // yaml.v3 stores any scalar's text in a string field
      *out = y_.Scalar();
      return true;
    }
    if (!j_->is_string()) return false;
    *out = j_->get<std::string>();
    return true;
  }

  bool AsInt(int64_t* out) const {
    if (kind() != kScalar) return false;
    if (yaml_) return YamlPlain() && ParseYamlInt(y_.Scalar(), out);
    if (j_->is_number_integer() && !j_->is_number_unsigned()) {
      *out = j_->get<int64_t>();
      return true;
    }
    if (j_->is_number_unsigned()) {
      uint64_t u = j_->get<uint64_t>();
      if (u > uint64_t(std::numeric_limits<int64_t>::max())) return false;
      *out = static_cast<int64_t>(u);
      return true;
    }
    return false;
  }

  bool AsDouble(double* out) const {
    if (kind() != kScalar) return false;
    if (yaml_) {
      if (!YamlPlain()) return false;
      int64_t i;
      if (ParseYamlInt(y_.Scalar(), &i)) {
        *out = static_cast<double>(i);
        return true;
      }
      std::string s;
      for (char c : y_.Scalar())
        if (c != '_') s += c;
      if (s.empty() || s.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
      return ec == std::errc() && p == s.data() + s.size() && std::isfinite(*out);
    }
    if (!j_->is_number()) return false;
    *out = j_->get<double>();
    return true;
  }

  bool AsBool(bool* out) const {
    if (kind() != kScalar) return false;
    if (yaml_) {
      if (!YamlPlain()) return false;
      static const char* kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"};
      static const char* kFalse[] = {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"};
      const std::string& s = y_.Scalar();
      for (const char* t : kTrue)
        if (s == t) return *out = true, true;
      for (const char* f : kFalse)
        if (s == f) return *out = false, true;
      return false;
    }
    if (!j_->is_boolean()) return false;
    *out = j_->get<bool>();
    return true;
  }

  // The raw scalar text for YAML, or the JSON scalar (used for `type: 0|1` of ABS 0.x storage).
  bool IsJsonNumber() const { return !yaml_ && j_->is_number(); }

 private:
  // Quoted or !!str-tagged scalars are strings only; plain ones are typed by the field.
  bool YamlPlain() const { return y_.Tag() != "!" && y_.Tag() != "tag:yaml.org,2002:str"; }

  static bool ParseYamlInt(const std::string& raw, int64_t* out) {
    std::string s;
    for (char c : raw)
      if (c != '_') s += c;  // Go yaml.v3 accepts 50_000_000
    if (s.empty()) return false;
    bool neg = false;
    size_t i = 0;
    if (s[0] == '+' || s[0] == '-') neg = s[0] == '-', i = 1;
    int base = 10;
    if (s.size() > i + 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) base = 16, i += 2;
    else if (s.size() > i + 2 && s[i] == '0' && (s[i + 1] == 'o' || s[i + 1] == 'O')) base = 8, i += 2;
    else if (s.size() > i + 2 && s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B')) base = 2, i += 2;
    if (i >= s.size()) return false;
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v, base);
    if (ec != std::errc() || p != s.data() + s.size()) return false;
    if (!neg && v > uint64_t(std::numeric_limits<int64_t>::max())) return false;
    if (neg && v > uint64_t(std::numeric_limits<int64_t>::max()) + 1) return false;
    *out = neg ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
    return true;
  }

  bool yaml_ = false;
  YAML::Node y_;
  const json* j_ = nullptr;
};

// ---------------------------------------------------------------------------------------------
struct Ctx {
  std::vector<ConfigIssue> errors;
  std::vector<ConfigIssue> warnings;
  ParseOptions options;
  void Error(const std::string& path, std::string msg) { errors.push_back({path, std::move(msg)}); }
  void Warn(const std::string& path, std::string msg) { warnings.push_back({path, std::move(msg)}); }
};

std::string Join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool Read(const In& v, const std::string& path, Ctx& c, std::string* out) {
  if (v.AsString(out)) return true;
  c.Error(path, "expected a string, got " + v.Describe());
  return false;
}
bool Read(const In& v, const std::string& path, Ctx& c, int64_t* out) {
  if (v.AsInt(out)) return true;
  c.Error(path, "expected an integer, got " + v.Describe());
  return false;
}
bool Read(const In& v, const std::string& path, Ctx& c, int* out) {
  int64_t x;
  if (!v.AsInt(&x)) {
    c.Error(path, "expected an integer, got " + v.Describe());
    return false;
  }
  if (x < std::numeric_limits<int32_t>::min() || x > std::numeric_limits<int32_t>::max()) {
    c.Error(path, "integer " + std::to_string(x) + " is out of range");
    return false;
  }
  *out = static_cast<int>(x);
  return true;
}
bool Read(const In& v, const std::string& path, Ctx& c, bool* out) {
  if (v.AsBool(out)) return true;
  c.Error(path, "expected true or false, got " + v.Describe());
  return false;
}
bool Read(const In& v, const std::string& path, Ctx& c, double* out) {
  if (v.AsDouble(out)) return true;
  c.Error(path, "expected a number, got " + v.Describe());
  return false;
}
template <class T>
bool Read(const In& v, const std::string& path, Ctx& c, std::vector<T>* out) {
  if (v.kind() != In::kSeq) {
    c.Error(path, "expected a list, got " + v.Describe());
    return false;
  }
  out->clear();
  bool ok = true;
  auto items = v.Items();
  for (size_t i = 0; i < items.size(); ++i) {
    T t{};
    std::string p = path + "[" + std::to_string(i) + "]";
    if (items[i].kind() == In::kNull) {
      c.Error(p, "must not be null");
      ok = false;
    } else if (Read(items[i], p, c, &t)) {
      out->push_back(std::move(t));
    } else {
      ok = false;
    }
  }
  return ok;
}

// Reads the keys of one mapping; whatever is left unread at Finish() is an unknown key.
class Obj {
 public:
  Obj(const In& in, std::string path, Ctx& c) : path_(std::move(path)), c_(c) {
    if (in.kind() == In::kNull) return;  // absent / null mapping = empty
    if (in.kind() != In::kMap) {
      c_.Error(path_, "expected a mapping, got " + in.Describe());
      ok_ = false;
      return;
    }
    std::set<std::string> seen;
    for (auto& [k, v] : in.Entries()) {
      if (!seen.insert(k).second) c_.Error(Join(path_, k), "duplicate key");
      else entries_.emplace_back(k, v);
    }
    used_.assign(entries_.size(), false);
  }
  bool ok() const { return ok_; }
  const std::string& path() const { return path_; }
  std::string Sub(std::string_view key) const { return Join(path_, key); }

  bool Has(std::string_view key) const {
    for (const auto& e : entries_)
      if (e.first == key && e.second.kind() != In::kNull) return true;
    return false;
  }
  // The value of `key` (nullptr when absent or null); marks it read.
  const In* Take(std::string_view key) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].first == key) {
        used_[i] = true;
        return entries_[i].second.kind() == In::kNull ? nullptr : &entries_[i].second;
      }
    }
    return nullptr;
  }
  template <class T>
  void Get(std::string_view key, std::optional<T>* out) {
    if (const In* v = Take(key)) {
      T t{};
      if (Read(*v, Sub(key), c_, &t)) *out = std::move(t);
    }
  }
  template <class T>
  void Get(std::string_view key, T* out) {
    if (const In* v = Take(key)) Read(*v, Sub(key), c_, out);
  }
  template <class T>
  void Required(std::string_view key, T* out) {
    if (const In* v = Take(key)) Read(*v, Sub(key), c_, out);
    else c_.Error(Sub(key), "required key is missing");
  }
  // Optional enum-like string stored canonicalised by `canon`; `allowed` checked after canon.
  void Enum(std::string_view key, std::optional<std::string>* out, std::string (*canon)(std::string),
            std::initializer_list<const char*> allowed) {
    std::optional<std::string> raw;
    Get(key, &raw);
    if (!raw) return;
    std::string v = canon(*raw);
    std::string list;
    for (const char* a : allowed) {
      if (v == a) {
        *out = v;
        return;
      }
      list += (list.empty() ? "" : ", ") + std::string(a);
    }
    c_.Error(Sub(key), "invalid value \"" + *raw + "\" (expected one of " + list + ")");
  }
  void Finish(std::initializer_list<std::pair<const char*, const char*>> hints = {}) {
    for (size_t i = 0; i < entries_.size(); ++i) {
      if (used_[i]) continue;
      std::string msg = "unknown key";
      for (const auto& [k, hint] : hints)
        if (entries_[i].first == k) msg += " (" + std::string(hint) + ")";
      c_.Error(Sub(entries_[i].first), msg);
    }
  }

 private:
  std::string path_;
  Ctx& c_;
  bool ok_ = true;
  std::vector<std::pair<std::string, In>> entries_;
  std::vector<bool> used_;
};

std::string Same(std::string s) { return s; }

// Reads a mapping of name -> entity.
template <class T, class Fn>
void ReadMap(const In* in, const std::string& path, Ctx& c, std::map<std::string, T>* out, Fn parse) {
  if (in == nullptr) return;
  if (in->kind() != In::kMap) {
    c.Error(path, "expected a mapping of names, got " + in->Describe());
    return;
  }
  std::set<std::string> seen;
  for (auto& [name, v] : in->Entries()) {
    std::string p = Join(path, name);
    if (!seen.insert(name).second) {
      c.Error(p, "duplicate name");
      continue;
    }
    if (v.kind() == In::kNull) {
      c.Error(p, "must not be empty (null)");
      continue;
    }
    T t{};
    parse(v, p, c, &t);
    (*out)[name] = std::move(t);
  }
}

// ---------------------------------------------------------------------------------------------
// Entities

void ParseSecretAgent(const In& in, const std::string& path, Ctx& c, SecretAgent* a) {
  Obj o(in, path, c);
  if (!o.ok()) return;
  o.Enum("connection-type", &a->connection_type, Lower, {"tcp", "unix"});
  o.Get("address", &a->address);
  o.Get("port", &a->port);
  o.Get("timeout", &a->timeout_ms);
  o.Get("tls-ca-file", &a->tls_ca_file);
  o.Get("is-base64", &a->is_base64);
  o.Finish();
}

void ParseInlineAgent(Obj& o, Ctx& c, std::optional<SecretAgent>* agent, std::optional<std::string>* name) {
  if (const In* v = o.Take("secret-agent")) {
    SecretAgent a;
    ParseSecretAgent(*v, o.Sub("secret-agent"), c, &a);
    *agent = a;
  }
  o.Get("secret-agent-name", name);
}

void ParseRate(const In& in, const std::string& path, Ctx& c, RateLimit* r) {
  Obj o(in, path, c);
  if (!o.ok()) return;
  o.Get("tps", &r->tps);
  o.Get("size", &r->size);
  o.Get("white-list", &r->white_list);
  o.Finish();
}

void ParseListener(Obj& o, Ctx& c, ListenerConfig* l) {
  o.Get("address", &l->address);
  o.Get("port", &l->port);
  o.Get("context-path", &l->context_path);
  o.Get("timeout", &l->timeout_ms);
  o.Get("read-timeout", &l->read_timeout_ms);
  o.Get("write-timeout", &l->write_timeout_ms);
  o.Get("idle-timeout", &l->idle_timeout_ms);
  o.Get("disabled", &l->disabled);
  if (const In* v = o.Take("rate")) {
    RateLimit r;
    ParseRate(*v, o.Sub("rate"), c, &r);
    l->rate = r;
  }
}

void ParseService(const In& in, const std::string& path, Ctx& c, ServiceConfig* s) {
  Obj o(in, path, c);
  if (!o.ok()) return;
  if (const In* v = o.Take("http")) {
    Obj h(*v, o.Sub("http"), c);
    if (h.ok()) {
      HttpServerConfig http;
      ParseListener(h, c, &http);
      h.Finish();
      s->http = http;
    }
  }
  if (const In* v = o.Take("https")) {
    Obj h(*v, o.Sub("https"), c);
    if (h.ok()) {
      HttpsServerConfig https;
      ParseListener(h, c, &https);
      h.Get("cert-file", &https.cert_file);
      h.Get("key-file", &https.key_file);
      h.Get("key-file-password", &https.key_file_password);
      ParseInlineAgent(h, c, &https.secret_agent, &https.secret_agent_name);
      h.Enum("client-auth", &https.client_auth, Lower, {"none", "request", "require-and-verify"});
      h.Get("client-ca-file", &https.client_ca_file);
      h.Get("cipher-suites", &https.cipher_suites);
      h.Enum("min-version", &https.min_version, Same, {"1.2", "1.3"});
      h.Finish();
      s->https = https;
    }
  }
  if (const In* v = o.Take("logger")) {
    Obj l(*v, o.Sub("logger"), c);
    if (l.ok()) {
      LoggerConfig lc;
      l.Enum("level", &lc.level, Upper, {"TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR"});
      l.Enum("format", &lc.format, Upper, {"PLAIN", "JSON"});
      l.Get("stdout-writer", &lc.stdout_writer);
      if (const In* fv = l.Take("file-writer")) {
        Obj f(*fv, l.Sub("file-writer"), c);
        if (f.ok()) {
          FileLoggerConfig fw;
          f.Required("filename", &fw.filename);
          f.Get("maxsize", &fw.max_size_mb);
          f.Get("maxage", &fw.max_age_days);
          f.Get("maxbackups", &fw.max_backups);
          f.Get("compress", &fw.compress);
          f.Finish();
          lc.file_writer = fw;
        }
      }
      l.Finish();
      s->logger = lc;
    }
  }
  if (const In* v = o.Take("backup")) {
    Obj b(*v, o.Sub("backup"), c);
    if (b.ok()) {
      BackupServiceConfig bc;
      b.Enum("timestamp-format", &bc.timestamp_format, Upper, {"ISO", "EU", "US"});
      b.Get("schedule-timezone", &bc.schedule_timezone);
      b.Finish();
      s->backup = bc;
    }
  }
  o.Finish();
}


void ParseCluster(const In& in, const std::string& path, Ctx& c, Cluster* cl) {
  Obj o(in, path, c);
  if (!o.ok()) return;
  o.Get("label", &cl->label);
  if (const In* v = o.Take("seed-nodes")) {
    if (v->kind() != In::kSeq) {
      c.Error(o.Sub("seed-nodes"), "expected a list, got " + v->Describe());
    } else {
      auto items = v->Items();
      for (size_t i = 0; i < items.size(); ++i) {
        Obj n(items[i], o.Sub("seed-nodes") + "[" + std::to_string(i) + "]", c);
        if (!n.ok()) continue;
        SeedNode sn;
        n.Required("host-name", &sn.host_name);
        n.Required("port", &sn.port);
        n.Get("tls-name", &sn.tls_name);
        n.Finish();
        cl->seed_nodes.push_back(sn);
      }
    }
  } else {
    c.Error(o.Sub("seed-nodes"), "required key is missing");
  }
  o.Get("conn-timeout", &cl->conn_timeout_ms);
  o.Get("use-services-alternate", &cl->use_services_alternate);
  if (const In* v = o.Take("credentials")) {
    Obj cr(*v, o.Sub("credentials"), c);
    if (cr.ok()) {
      Credentials cred;
      cr.Get("user", &cred.user);
      cr.Get("password", &cred.password);
      cr.Get("password-path", &cred.password_path);
      std::optional<std::string> mode;
      cr.Get("auth-mode", &mode);
      if (mode) {
        std::string m = Upper(*mode);
        if (m == "EXTERNAL_INSECURE" && c.options.accept_v2) {
          c.Warn(cr.Sub("auth-mode"), "ABS 2.0 value EXTERNAL_INSECURE converted to EXTERNAL");
          m = "EXTERNAL";
        }
        if (m == "INTERNAL" || m == "EXTERNAL" || m == "PKI") cred.auth_mode = m;
        else c.Error(cr.Sub("auth-mode"), "invalid value \"" + *mode + "\" (expected one of INTERNAL, EXTERNAL, PKI)");
      }
      ParseInlineAgent(cr, c, &cred.secret_agent, &cred.secret_agent_name);
      cr.Finish();
      cl->credentials = cred;
    }
  }
  if (const In* v = o.Take("tls")) {
    Obj t(*v, o.Sub("tls"), c);
    if (t.ok()) {
      ClusterTls tls;
      t.Get("ca-file", &tls.ca_file);
      t.Get("ca-path", &tls.ca_path);
      t.Get("name", &tls.name);
      t.Get("protocols", &tls.protocols);
      t.Get("cipher-suite", &tls.cipher_suite);
      t.Get("cert-file", &tls.cert_file);
      t.Get("key-file", &tls.key_file);
      t.Get("key-file-password", &tls.key_file_password);
      t.Finish();
      cl->tls = tls;
    }
  }
  o.Get("max-parallel-scans", &cl->max_parallel_scans);
  o.Get("prefer-racks", &cl->prefer_racks);
  o.Finish();
}

void ParseStorageClass(Obj& o, Ctx& c, std::optional<StorageClass>* out) {
  if (const In* v = o.Take("storage-class")) {
    Obj s(*v, o.Sub("storage-class"), c);
    if (!s.ok()) return;
    StorageClass sc;
    s.Get("data", &sc.data);
    s.Get("metadata", &sc.metadata);
    s.Finish();
    *out = sc;
  }
}

// ABS 2.0 flat storage: {type, path, s3-region, s3-profile, s3-endpoint-override, s3-log-level,
// min_part_size, max_async_connections}.
void ParseV2Storage(Obj& o, Ctx& c, Storage* st) {
  const std::string type_path = o.Sub("type");
  const In* tv = o.Take("type");
  std::string type;
  bool numeric = false;
  if (tv->IsJsonNumber()) {
    int64_t n = -1;
    tv->AsInt(&n);
    type = n == 0 ? "local" : n == 1 ? "aws-s3" : "";
    numeric = true;
  } else if (tv->AsString(&type)) {
    type = Lower(type);
    numeric = type == "0" || type == "1";
    if (numeric) type = type == "0" ? "local" : "aws-s3";  // ABS 0.x integer types
  }
  if (type != "local" && type != "aws-s3") {
    c.Error(type_path, "invalid storage type " + tv->Describe() + " (expected local or aws-s3)");
    o.Finish();
    return;
  }
  c.Warn(type_path, std::string(numeric ? "ABS 0.x numeric" : "ABS 2.0 flat") + " storage (type: " + type + ") converted to " +
                        (type == "local" ? "local-storage" : "s3-storage"));
  std::string path;
  o.Required("path", &path);
  if (type == "local") {
    for (const char* k : {"s3-region", "s3-profile", "s3-endpoint-override", "s3-log-level", "min_part_size",
                          "max_async_connections"}) {
      if (o.Has(k)) {
        o.Take(k);
        c.Error(o.Sub(k), "not allowed for local storage");
      }
    }
    st->backend = LocalStorage{path};
    o.Finish();
    return;
  }
  S3Storage s3;
  if (!path.empty()) {
    if (path.rfind("s3://", 0) != 0) {
      c.Error(o.Sub("path"), "S3 path must look like s3://<bucket>/<prefix>, got \"" + path + "\"");
    } else {
      std::string rest = path.substr(5);
      size_t slash = rest.find('/');
      s3.bucket = rest.substr(0, slash);
      if (slash != std::string::npos) {
        std::string prefix = rest.substr(slash + 1);
        while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
        if (!prefix.empty()) s3.path = prefix;
      }
      if (s3.bucket.empty()) c.Error(o.Sub("path"), "S3 path has no bucket: \"" + path + "\"");
    }
  }
  o.Required("s3-region", &s3.s3_region);
  o.Get("s3-profile", &s3.s3_profile);
  o.Get("s3-endpoint-override", &s3.s3_endpoint_override);
  o.Enum("s3-log-level", &s3.s3_log_level, Upper, {"OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"});
  if (o.Has("min_part_size")) c.Warn(o.Sub("min_part_size"), "ABS 2.0 key converted to min-part-size");
  o.Get("min_part_size", &s3.min_part_size);
  if (o.Has("max_async_connections"))
    c.Warn(o.Sub("max_async_connections"), "ABS 2.0 key converted to max-async-connections");
  o.Get("max_async_connections", &s3.max_async_connections);
  st->backend = s3;
  o.Finish();
}

void ParseStorage(const In& in, const std::string& path, Ctx& c, Storage* st) {
  Obj o(in, path, c);
  if (!o.ok()) return;
  if (o.Has("type")) {
    if (c.options.accept_v2) {
      ParseV2Storage(o, c, st);
      return;
    }
  }
  static const char* kKinds[] = {"local-storage", "s3-storage", "azure-storage", "gcp-storage"};
  int count = 0;
  for (const char* k : kKinds) count += o.Has(k) ? 1 : 0;
  if (count != 1) {
    for (const char* k : kKinds) o.Take(k);
    o.Finish({{"type", "ABS 2.0 key: use a nested local-storage / s3-storage object"},
              {"path", "ABS 2.0 key: use a nested local-storage / s3-storage object"}});
    c.Error(path, count == 0 ? "exactly one of local-storage, s3-storage, azure-storage, gcp-storage is required"
                             : "only one of local-storage, s3-storage, azure-storage, gcp-storage may be set");
    return;
  }
  if (const In* v = o.Take("local-storage")) {
    Obj l(*v, o.Sub("local-storage"), c);
    LocalStorage ls;
    if (l.ok()) {
      l.Required("path", &ls.path);
      l.Finish();
    }
    st->backend = ls;
  } else if (const In* v = o.Take("s3-storage")) {
    Obj s(*v, o.Sub("s3-storage"), c);
    S3Storage s3;
    if (s.ok()) {
      s.Required("bucket", &s3.bucket);
      s.Get("path", &s3.path);
      s.Required("s3-region", &s3.s3_region);
      s.Get("s3-profile", &s3.s3_profile);
      s.Get("s3-endpoint-override", &s3.s3_endpoint_override);
      s.Enum("s3-log-level", &s3.s3_log_level, Upper, {"OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"});
      s.Get("access-key-id", &s3.access_key_id);
      s.Get("secret-access-key", &s3.secret_access_key);
      s.Get("min-part-size", &s3.min_part_size);
      s.Get("max-async-connections", &s3.max_async_connections);
      ParseStorageClass(s, c, &s3.storage_class);
      ParseInlineAgent(s, c, &s3.secret_agent, &s3.secret_agent_name);
      s.Finish({{"min_part_size", "ABS 2.0 spelling: use min-part-size"},
                {"max_async_connections", "ABS 2.0 spelling: use max-async-connections"}});
    }
    st->backend = s3;
  } else if (const In* v = o.Take("azure-storage")) {
    Obj a(*v, o.Sub("azure-storage"), c);
    AzureStorage az;
    if (a.ok()) {
      a.Required("endpoint", &az.endpoint);
      a.Required("container-name", &az.container_name);
      a.Get("path", &az.path);
      a.Get("account-name", &az.account_name);
      a.Get("account-key", &az.account_key);
      a.Get("tenant-id", &az.tenant_id);
      a.Get("client-id", &az.client_id);
      a.Get("client-secret", &az.client_secret);
      a.Get("min-part-size", &az.min_part_size);
      ParseStorageClass(a, c, &az.storage_class);
      ParseInlineAgent(a, c, &az.secret_agent, &az.secret_agent_name);
      a.Finish();
    }
    st->backend = az;
  } else if (const In* v = o.Take("gcp-storage")) {
    Obj g(*v, o.Sub("gcp-storage"), c);
    GcpStorage gs;
    if (g.ok()) {
      g.Required("bucket-name", &gs.bucket_name);
      g.Get("path", &gs.path);
      g.Get("key-file-path", &gs.key_file_path);
      g.Get("key", &gs.key);
      g.Get("endpoint", &gs.endpoint);
      g.Get("min-part-size", &gs.min_part_size);
      ParseStorageClass(g, c, &gs.storage_class);
      ParseInlineAgent(g, c, &gs.secret_agent, &gs.secret_agent_name);
      g.Finish();
    }
    st->backend = gs;
  }
  o.Finish();
}

void ParseRetryPolicy(const In& in, const std::string& path, Ctx& c, RetryPolicy* r) {
  Obj o(in, path, c);
  if (!o.ok()) return;
  // ABS 2.x camelCase spellings.
  static const std::pair<const char*, const char*> kOld[] = {{"baseTimeout", "base-timeout"},
                                                             {"maxRetries", "max-retries"}};
  for (const auto& [old_key, new_key] : kOld) {
    if (!o.Has(old_key)) continue;
    if (!c.options.accept_v2) continue;  // reported as unknown by Finish
    if (o.Has(new_key)) {
      o.Take(old_key);
      c.Error(o.Sub(old_key), std::string("both ") + old_key + " and " + new_key + " are set");
      continue;
    }
    c.Warn(o.Sub(old_key), std::string("ABS 2.x key converted to ") + new_key);
    if (std::string(old_key) == "baseTimeout") o.Get(old_key, &r->base_timeout_ms);
    else o.Get(old_key, &r->max_retries);
  }
  o.Get("base-timeout", &r->base_timeout_ms);
  o.Get("multiplier", &r->multiplier);
  o.Get("max-retries", &r->max_retries);
  o.Finish({{"baseTimeout", "ABS 2.x spelling: use base-timeout"}, {"maxRetries", "ABS 2.x spelling: use max-retries"}});
}

void ParsePolicy(const In& in, const std::string& path, Ctx& c, BackupPolicy* p) {
  Obj o(in, path, c);
  if (!o.ok()) return;
  o.Get("parallel", &p->parallel);
  o.Get("parallel-write", &p->parallel_write);
  o.Get("socket-timeout", &p->socket_timeout_ms);
  o.Get("total-timeout", &p->total_timeout_ms);
  if (const In* v = o.Take("retry-policy")) {
    RetryPolicy r;
    ParseRetryPolicy(*v, o.Sub("retry-policy"), c, &r);
    p->retry_policy = r;
  }
  if (const In* v = o.Take("retention")) {
    Obj r(*v, o.Sub("retention"), c);
    if (r.ok()) {
      RetentionPolicy rp;
      r.Get("full", &rp.full);
      r.Get("incremental", &rp.incremental);
      r.Finish();
      p->retention = rp;
    }
  }
  o.Get("no-records", &p->no_records);
  o.Get("no-indexes", &p->no_indexes);
  o.Get("no-udfs", &p->no_udfs);
  o.Get("with-cluster-configuration", &p->with_cluster_configuration);
  o.Get("bandwidth", &p->bandwidth);
  o.Get("records-per-second", &p->records_per_second);
  o.Get("file-limit", &p->file_limit);
  if (const In* v = o.Take("encryption")) {
    Obj e(*v, o.Sub("encryption"), c);
    if (e.ok()) {
      EncryptionPolicy ep;
      std::optional<std::string> mode;
      e.Enum("mode", &mode, Upper, {"NONE", "AES128", "AES256"});
      if (!e.Has("mode")) c.Error(e.Sub("mode"), "required key is missing");
      ep.mode = mode.value_or("");
      e.Get("key-file", &ep.key_file);
      e.Get("key-env", &ep.key_env);
      e.Get("key-secret", &ep.key_secret);
      e.Finish();
      p->encryption = ep;
    }
  }
  if (const In* v = o.Take("compression")) {
    Obj e(*v, o.Sub("compression"), c);
    if (e.ok()) {
      CompressionPolicy cp;
      std::optional<std::string> mode;
      e.Enum("mode", &mode, Upper, {"NONE", "ZSTD"});
      if (!e.Has("mode")) c.Error(e.Sub("mode"), "required key is missing");
      cp.mode = mode.value_or("");
      e.Get("level", &cp.level);
      e.Finish();
      p->compression = cp;
    }
  }
  o.Get("sealed", &p->sealed);
  o.Get("concurrent-incremental", &p->concurrent_incremental);
  o.Get("max-concurrent-nodes", &p->max_concurrent_nodes);
  o.Get("use-scan-compression", &p->use_scan_compression);
  o.Get("compact", &p->compact);
  o.Enum("incr-mode", &p->incr_mode, Lower, {"differential", "cumulative"});

  if (c.options.accept_v2) {
    // remove-files: KeepAll | RemoveAll | RemoveIncremental -> retention.
    std::optional<std::string> remove;
    if (o.Has("remove-files")) {
      o.Get("remove-files", &remove);
      if (remove) {
        std::string rf = *remove;
        if (p->retention) {
          c.Error(o.Sub("remove-files"), "ABS 2.0 key remove-files cannot be combined with retention");
        } else if (rf == "KeepAll") {
          c.Warn(o.Sub("remove-files"), "ABS 2.0 key converted: KeepAll = no retention");
        } else if (rf == "RemoveIncremental") {
          p->retention = RetentionPolicy{std::nullopt, 0};
          c.Warn(o.Sub("remove-files"), "ABS 2.0 key converted to retention: {incremental: 0}");
        } else if (rf == "RemoveAll") {
          p->retention = RetentionPolicy{1, 0};
          c.Warn(o.Sub("remove-files"), "ABS 2.0 key converted to retention: {full: 1, incremental: 0}");
        } else {
          c.Error(o.Sub("remove-files"),
                  "invalid value \"" + rf + "\" (expected one of KeepAll, RemoveAll, RemoveIncremental)");
        }
      }
    }
    // max-retries / retry-delay -> retry-policy {max-retries, base-timeout, multiplier: 1}.
    if (o.Has("max-retries") || o.Has("retry-delay")) {
      std::optional<int> max_retries;
      std::optional<int64_t> delay;
      o.Get("max-retries", &max_retries);
      o.Get("retry-delay", &delay);
      if (p->retry_policy) {
        c.Error(o.Sub(max_retries ? "max-retries" : "retry-delay"),
                "ABS 2.0 retry keys cannot be combined with retry-policy");
      } else {
        // ABS 2.0 defaults for the half that is absent: 3 retries, 60 000 ms.
        p->retry_policy = RetryPolicy{delay.value_or(60000), 1.0, max_retries.value_or(3)};
        if (o.Has("max-retries")) c.Warn(o.Sub("max-retries"), "ABS 2.0 key converted to retry-policy.max-retries");
        if (o.Has("retry-delay")) c.Warn(o.Sub("retry-delay"), "ABS 2.0 key converted to retry-policy.base-timeout (multiplier 1)");
      }
    }
  }
  o.Finish({{"remove-files", "ABS 2.0 key: use retention"},
            {"max-retries", "ABS 2.0 key: use retry-policy"},
            {"retry-delay", "ABS 2.0 key: use retry-policy"}});
}

// Routine `prefer-racks` (ABS 2.0) waiting to be moved onto its cluster.
struct PendingRacks {
  std::string routine_path;
  std::string cluster;
  std::vector<int> racks;
};

void ParseRoutine(const In& in, const std::string& path, Ctx& c, BackupRoutine* r,
                  std::vector<PendingRacks>* pending) {
  Obj o(in, path, c);
  if (!o.ok()) return;
  o.Get("backup-policy", &r->backup_policy);
  o.Required("source-cluster", &r->source_cluster);
  o.Required("storage", &r->storage);
  o.Get("secret-agent", &r->secret_agent);
  o.Required("interval-cron", &r->interval_cron);
  o.Get("incr-interval-cron", &r->incr_interval_cron);
  bool has_namespaces = o.Has("namespaces");
  o.Get("namespaces", &r->namespaces);
  o.Get("set-list", &r->set_list);
  o.Get("bin-list", &r->bin_list);
  o.Get("partition-list", &r->partition_list);
  o.Get("node-list", &r->node_list);
  o.Get("rack-list", &r->rack_list);
  o.Get("filter-exp", &r->filter_exp);
  o.Get("disabled", &r->disabled);
  o.Get("schedule-timezone", &r->schedule_timezone);
  if (c.options.accept_v2) {
    if (o.Has("namespace")) {
      std::string ns;
      o.Get("namespace", &ns);
      if (has_namespaces) {
        c.Error(o.Sub("namespace"), "ABS 2.0 key namespace cannot be combined with namespaces");
      } else {
        r->namespaces = {ns};
        has_namespaces = true;
        c.Warn(o.Sub("namespace"), "ABS 2.0 key (ignored by ABS 2.0, which backed up every namespace) "
                                   "converted to namespaces: [" + ns + "]");
      }
    }
    if (!has_namespaces && !o.Has("namespace")) {
      c.Warn(o.Sub("namespaces"), "missing (ABS 2.0 default): set to [] = all namespaces");
      has_namespaces = true;
    }
    if (o.Has("prefer-racks")) {
      PendingRacks pr{o.Sub("prefer-racks"), r->source_cluster, {}};
      o.Get("prefer-racks", &pr.racks);
      pending->push_back(pr);
    }
  }
  if (!has_namespaces && !o.Has("namespace")) c.Error(o.Sub("namespaces"), "required key is missing ([] = all namespaces)");
  o.Finish({{"namespace", "use namespaces (a list)"}, {"prefer-racks", "moved to the cluster: aerospike-clusters.<name>.prefer-racks"}});
}

// ---------------------------------------------------------------------------------------------
void ParseDocument(const In& root, Ctx& c, Config* cfg) {
  Obj o(root, "", c);
  if (!o.ok()) return;
  if (const In* v = o.Take("service")) ParseService(*v, "service", c, &cfg->service);
  ReadMap(o.Take("aerospike-clusters"), "aerospike-clusters", c, &cfg->clusters, ParseCluster);
  ReadMap(o.Take("storage"), "storage", c, &cfg->storage, ParseStorage);
  ReadMap(o.Take("backup-policies"), "backup-policies", c, &cfg->policies, ParsePolicy);
  std::vector<PendingRacks> pending;
  ReadMap(o.Take("backup-routines"), "backup-routines", c, &cfg->routines,
          [&](const In& in, const std::string& p, Ctx& cx, BackupRoutine* r) { ParseRoutine(in, p, cx, r, &pending); });
  ReadMap(o.Take("secret-agents"), "secret-agents", c, &cfg->secret_agents, ParseSecretAgent);
  if (c.options.accept_v2 && o.Has("secret-agent")) {
    if (o.Has("secret-agents")) {
      o.Take("secret-agent");
      c.Error("secret-agent", "ABS 2.0 key secret-agent cannot be combined with secret-agents");
    } else {
      c.Warn("secret-agent", "ABS 2.0 key converted to secret-agents");
      ReadMap(o.Take("secret-agent"), "secret-agent", c, &cfg->secret_agents, ParseSecretAgent);
    }
  }
  // Routine prefer-racks (ABS 2.0) moves to the routine's cluster.
  for (const auto& pr : pending) {
    auto it = cfg->clusters.find(pr.cluster);
    if (it == cfg->clusters.end()) {
      c.Error(pr.routine_path, "cannot move prefer-racks: no cluster named \"" + pr.cluster + "\"");
      continue;
    }
    if (it->second.prefer_racks && *it->second.prefer_racks != pr.racks) {
      c.Error(pr.routine_path, "cannot move prefer-racks: cluster \"" + pr.cluster +
                                   "\" already has a different prefer-racks list");
      continue;
    }
    it->second.prefer_racks = pr.racks;
    c.Warn(pr.routine_path, "ABS 2.0 key moved to aerospike-clusters." + pr.cluster + ".prefer-racks");
  }
  o.Finish({{"secret-agent", "ABS 2.0 key: use secret-agents"}});
}

Result<ParsedConfig> Finish(Ctx& c, Config cfg) {
  if (!c.errors.empty()) return IssuesToStatus(c.errors);
  return ParsedConfig{std::move(cfg), std::move(c.warnings)};
}

Result<json> ParseJsonText(std::string_view text) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    return Status(ErrorCode::kInvalidArgument, std::string("malformed JSON: ") + e.what());
  }
}

template <class T, class Fn>
Result<T> EntityFromJson(std::string_view text, std::vector<ConfigIssue>* warnings, const ParseOptions& options,
                         Fn parse) {
  ABS_ASSIGN_OR_RETURN(json j, ParseJsonText(text));
  Ctx c;
  c.options = options;
  T t{};
  In in = In::Json(&j);
  if (in.kind() != In::kMap) return Status(ErrorCode::kInvalidArgument, "expected a JSON object, got " + in.Describe());
  parse(in, "", c, &t);
  if (!c.errors.empty()) return IssuesToStatus(c.errors, "invalid body");
  if (warnings != nullptr) *warnings = std::move(c.warnings);
  return t;
}

}  // namespace

Status IssuesToStatus(const std::vector<ConfigIssue>& issues, const std::string& prefix) {
  if (issues.empty()) return Status::Ok();
  std::string msg = prefix + ": ";
  for (size_t i = 0; i < issues.size(); ++i) msg += (i ? "; " : "") + issues[i].ToString();
  return Status(ErrorCode::kInvalidArgument, msg);
}

Result<ParsedConfig> ParseConfigYaml(std::string_view yaml_text, const ParseOptions& options) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return Status(ErrorCode::kInvalidArgument, std::string("malformed YAML: ") + e.what());
  }
  Ctx c;
  c.options = options;
  Config cfg;
  try {
    ParseDocument(In::Yaml(root), c, &cfg);
  } catch (const YAML::Exception& e) {  // yaml-cpp throws on some malformed node shapes
    return Status(ErrorCode::kInvalidArgument, std::string("malformed YAML: ") + e.what());
  }
  return Finish(c, std::move(cfg));
}

Result<ParsedConfig> ParseConfigJsonValue(const nlohmann::json& j, const ParseOptions& options) {
  Ctx c;
  c.options = options;
  Config cfg;
  ParseDocument(In::Json(&j), c, &cfg);
  return Finish(c, std::move(cfg));
}

Result<ParsedConfig> ParseConfigJson(std::string_view json_text, const ParseOptions& options) {
  ABS_ASSIGN_OR_RETURN(json j, ParseJsonText(json_text));
  return ParseConfigJsonValue(j, options);
}

Result<Cluster> ClusterFromJson(std::string_view text, std::vector<ConfigIssue>* warnings, const ParseOptions& o) {
  return EntityFromJson<Cluster>(text, warnings, o, ParseCluster);
}
Result<Storage> StorageFromJson(std::string_view text, std::vector<ConfigIssue>* warnings, const ParseOptions& o) {
  return EntityFromJson<Storage>(text, warnings, o, ParseStorage);
}
Result<BackupPolicy> PolicyFromJson(std::string_view text, std::vector<ConfigIssue>* warnings,
                                    const ParseOptions& o) {
  return EntityFromJson<BackupPolicy>(text, warnings, o, ParsePolicy);
}
Result<BackupRoutine> RoutineFromJson(std::string_view text, std::vector<ConfigIssue>* warnings,
                                      const ParseOptions& o) {
  std::vector<PendingRacks> pending;
  auto r = EntityFromJson<BackupRoutine>(text, warnings, o,
                                         [&](const In& in, const std::string& p, Ctx& c, BackupRoutine* out) {
                                           ParseRoutine(in, p, c, out, &pending);
                                         });
  if (r.ok() && !pending.empty()) {
    // A single routine cannot carry prefer-racks over to its cluster here.
    return Status(ErrorCode::kInvalidArgument,
                  "invalid body: prefer-racks: moved to the cluster (set aerospike-clusters.<name>.prefer-racks)");
  }
  return r;
}
Result<Storage> StorageFromYaml(std::string_view yaml_text, std::vector<ConfigIssue>* warnings,
                                const ParseOptions& options) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return Status(ErrorCode::kInvalidArgument, std::string("malformed YAML: ") + e.what());
  }
  Ctx c;
  c.options = options;
  Storage st;
  In in = In::Yaml(root);
  if (in.kind() != In::kMap) return Status(ErrorCode::kInvalidArgument, "expected a storage mapping, got " + in.Describe());
  try {
    ParseStorage(in, "", c, &st);
  } catch (const YAML::Exception& e) {
    return Status(ErrorCode::kInvalidArgument, std::string("malformed YAML: ") + e.what());
  }
  if (!c.errors.empty()) return IssuesToStatus(c.errors, "invalid storage");
  if (warnings != nullptr) *warnings = std::move(c.warnings);
  return st;
}

Result<SecretAgent> SecretAgentFromJson(std::string_view text, std::vector<ConfigIssue>* warnings,
                                        const ParseOptions& o) {
  return EntityFromJson<SecretAgent>(text, warnings, o, ParseSecretAgent);
}

}  // namespace aero::service
