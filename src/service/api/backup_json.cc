// JSON shapes of the backup/restore endpoints and restore request parsing (backup_json.h).
#include "service/api/backup_json.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "service/config/config_io.h"

namespace aero::service::api {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;
using model::BackupDetails;
using model::RestoreJobState;
using model::RestoreJobStateName;
using model::RestoreJobStatus;
using model::RestoreNamespaceMap;
using model::RestorePolicy;
using model::RestoreRequest;
using model::RestoreTimestampRequest;
using model::RoutineState;
using model::RunningJob;
using model::TimePoint;

std::string FormatRfc3339(TimePoint t) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  int64_t nanos = (t - secs).count();
  auto days = floor<std::chrono::days>(secs);
  year_month_day ymd{days};
  hh_mm_ss<seconds> hms{secs - days};
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  std::string out = buf;
  if (nanos > 0) {
    char frac[32];
    std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

namespace {
int64_t EpochMs(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
}  // namespace

ojson BackupDetailsToJson(const BackupDetails& d) {
  ojson j = ojson::object();
  j["created"] = FormatRfc3339(d.created);
  j["timestamp"] = EpochMs(d.created);
  TimePoint finished = d.finished.value_or(d.created + std::chrono::milliseconds(1));
  j["finished"] = FormatRfc3339(finished);
  j["duration"] = std::chrono::duration_cast<std::chrono::seconds>(finished - d.created).count();
  if (d.from && d.from->time_since_epoch().count() != 0) j["from"] = FormatRfc3339(*d.from);
  j["namespace"] = d.ns;
  j["record-count"] = d.record_count;
  j["byte-count"] = d.byte_count;
  j["file-count"] = d.file_count;
  j["secondary-index-count"] = d.secondary_index_count;
  j["udf-count"] = d.udf_count;
  j["key"] = d.key;
  if (d.storage) j["storage"] = StorageToJson(*d.storage, /*redacted=*/true);
  j["compression"] = d.compression;
  j["encryption"] = d.encryption;
  return j;
}

ojson RunningJobToJson(const RunningJob& r) {
  using namespace std::chrono;
  ojson j = ojson::object();
  j["total-records"] = r.total_records;
  j["done-records"] = r.done_records;
  j["start-time"] = FormatRfc3339(r.start_time);
  if (r.finish_time) j["finish-time"] = FormatRfc3339(*r.finish_time);
  double fraction = r.total_records > 0 ? static_cast<double>(r.done_records) / r.total_records : 0;
  j["percentage-done"] = static_cast<uint64_t>(std::floor(std::min(fraction, 1.0) * 100));
  TimePoint end = r.finish_time.value_or(time_point_cast<nanoseconds>(system_clock::now()));
  auto elapsed = end - r.start_time;
  if (!r.finish_time && fraction >= 0.01) {
    auto total = duration_cast<nanoseconds>(duration<double, std::nano>(elapsed.count() / fraction));
    j["estimated-end-time"] = FormatRfc3339(r.start_time + total);
  }
  if (r.records_per_second || r.kilobytes_per_second || r.pipeline) {
    j["metrics"] = {{"records-per-second", r.records_per_second.value_or(0)},
                    {"kilobytes-per-second", r.kilobytes_per_second.value_or(0)},
                    {"pipeline", r.pipeline.value_or(0)}};
  }
  j["duration"] = std::max<int64_t>(0, duration_cast<seconds>(elapsed).count());
  return j;
}

ojson RoutineStateToJson(const RoutineState& s) {
  ojson j = ojson::object();
  if (s.full) j["full"] = RunningJobToJson(*s.full);
  if (s.incremental) j["incremental"] = RunningJobToJson(*s.incremental);
  if (s.last_full) j["last-full"] = FormatRfc3339(*s.last_full);
  if (s.last_incremental) j["last-incremental"] = FormatRfc3339(*s.last_incremental);
  if (s.next_full) j["next-full"] = FormatRfc3339(*s.next_full);
  if (s.next_incremental) j["next-incremental"] = FormatRfc3339(*s.next_incremental);
  return j;
}

ojson RestoreJobStatusToJson(const RestoreJobStatus& s) {
  ojson j = ojson::object();
  j["read-records"] = s.read_records;
  j["total-bytes"] = s.total_bytes;
  j["expired-records"] = s.expired_records;
  j["skipped-records"] = s.skipped_records;
  j["ignored-records"] = s.ignored_records;
  j["inserted-records"] = s.inserted_records;
  j["existed-records"] = s.existed_records;
  j["fresher-records"] = s.fresher_records;
  j["index-count"] = s.index_count;
  j["udf-count"] = s.udf_count;
  j["errors-in-doubt"] = s.errors_in_doubt;
  if (s.current_job) j["current-job"] = RunningJobToJson(*s.current_job);
  j["status"] = RestoreJobStateName(s.status);
  if (!s.error.empty()) j["error"] = s.error;
  return j;
}

// ---- request parsing ----
namespace {

// Reads one JSON object strictly: every key must be consumed, types are checked; ABS 2.0 README forms
// ("true" for booleans, "123" for integers) are accepted.
class Obj {
 public:
  Obj(const json& j, std::string path, std::vector<std::string>* errors) : j_(j), path_(std::move(path)), errors_(errors) {
    if (!j_.is_object()) Error(path_.empty() ? "body" : path_, "expected a JSON object");
  }
  std::string Sub(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  void Error(const std::string& where, const std::string& msg) { errors_->push_back(where + ": " + msg); }

  const json* Take(const std::string& key) {
    if (!j_.is_object()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (it != j_.end()) used_.insert(key);
      return nullptr;
    }
    used_.insert(key);
    return &*it;
  }
  void Bool(const std::string& key, std::optional<bool>* out) {
    const json* v = Take(key);
    if (!v) return;
    if (v->is_boolean()) *out = v->get<bool>();
    else if (v->is_string() && (*v == "true" || *v == "false")) *out = (*v == "true");
    else Error(Sub(key), "expected a boolean");
  }
  void Bool(const std::string& key, bool* out) {
    std::optional<bool> b;
    Bool(key, &b);
    if (b) *out = *b;
  }
  template <class I>
  void Int(const std::string& key, std::optional<I>* out) {
    const json* v = Take(key);
    if (!v) return;
    int64_t x = 0;
    if (v->is_number_integer()) {
      x = v->get<int64_t>();
    } else if (v->is_string()) {
      const std::string s = v->get<std::string>();
      size_t start = (!s.empty() && s[0] == '-') ? 1 : 0;
      if (s.size() <= start || s.size() > 18 || s.find_first_not_of("0123456789", start) != std::string::npos) {
        Error(Sub(key), "expected an integer, got \"" + s + "\"");
        return;
      }
      x = std::stoll(s);
    } else {
      Error(Sub(key), "expected an integer");
      return;
    }
    if (x < static_cast<int64_t>(std::numeric_limits<I>::min()) || x > static_cast<int64_t>(std::numeric_limits<I>::max())) {
      Error(Sub(key), "integer out of range");
      return;
    }
    *out = static_cast<I>(x);
  }
  void Double(const std::string& key, std::optional<double>* out) {
    const json* v = Take(key);
    if (!v) return;
    if (v->is_number()) *out = v->get<double>();
    else Error(Sub(key), "expected a number");
  }
  void Str(const std::string& key, std::string* out) {
    const json* v = Take(key);
    if (!v) return;
    if (v->is_string()) *out = v->get<std::string>();
    else Error(Sub(key), "expected a string");
  }
  void StrList(const std::string& key, std::vector<std::string>* out) {
    const json* v = Take(key);
    if (!v) return;
    if (!v->is_array()) return Error(Sub(key), "expected a list of strings");
    for (const auto& e : *v) {
      if (!e.is_string()) return Error(Sub(key), "expected a list of strings");
      out->push_back(e.get<std::string>());
    }
  }
  // Remaining keys are unknown.
  void Finish() {
    if (!j_.is_object()) return;
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (!used_.count(it.key())) Error(Sub(it.key()), "unknown key");
    }
  }

 private:
  const json& j_;
  std::string path_;
  std::vector<std::string>* errors_;
  std::set<std::string> used_;
};

// True when `issue` starts with a key path followed by ": " ("seed-nodes[0].port: ...").
bool HasKeyPath(const std::string& issue) {
  size_t colon = issue.find(": ");
  if (colon == 0 || colon == std::string::npos) return false;
  for (size_t i = 0; i < colon; ++i) {
    char ch = issue[i];
    if (!std::isalnum(static_cast<unsigned char>(ch)) && std::string_view("-_.[]").find(ch) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Parses a sub-document with one of the config entity parsers. Its "invalid body: a: x; b: y"
// issues are reported one by one with full paths ("destination.a: x"), so a 400 names each field.
template <class T, class Fn>
void Entity(Obj& o, const std::string& key, std::optional<T>* out, Fn parse, std::vector<std::string>* errors) {
  const json* v = o.Take(key);
  if (!v) return;
  auto r = parse(v->dump(), nullptr, ParseOptions{});
  if (r.ok()) {
    *out = std::move(r).value();
    return;
  }
  const std::string where = o.Sub(key);
  std::string msg = r.status().message();
  constexpr std::string_view kPrefix = "invalid body: ";
  if (msg.rfind(kPrefix, 0) != 0) {
    errors->push_back(where + ": " + msg);
    return;
  }
  msg.erase(0, kPrefix.size());
  size_t start = 0;
  while (start <= msg.size()) {
    size_t end = msg.find("; ", start);
    if (end == std::string::npos) end = msg.size();
    std::string issue = msg.substr(start, end - start);
    if (!issue.empty()) errors->push_back(HasKeyPath(issue) ? where + "." + issue : where + ": " + issue);
    start = end + 2;
  }
}

void ParseEncryption(const json& j, const std::string& path, std::optional<EncryptionPolicy>* out,
                     std::vector<std::string>* errors) {
  Obj o(j, path, errors);
  EncryptionPolicy e;
  o.Str("mode", &e.mode);
  std::string kf, ke, ks;
  o.Str("key-file", &kf);
  o.Str("key-env", &ke);
  o.Str("key-secret", &ks);
  o.Finish();
  std::transform(e.mode.begin(), e.mode.end(), e.mode.begin(), ::toupper);
  if (e.mode != "NONE" && e.mode != "AES128" && e.mode != "AES256") {
    errors->push_back(path + ".mode: must be NONE, AES128 or AES256, got \"" + e.mode + "\"");
  }
  if (!kf.empty()) e.key_file = kf;
  if (!ke.empty()) e.key_env = ke;
  if (!ks.empty()) e.key_secret = ks;
  int sources = !kf.empty() + !ke.empty() + !ks.empty();
  if (e.mode != "NONE" && sources != 1) {
    errors->push_back(path + ": exactly one of key-file, key-env, key-secret is required");
  }
  *out = e;
}

void ParsePolicy(const json& j, const std::string& path, bool timestamp_form, RestorePolicy* p,
                 std::vector<std::string>* errors) {
  Obj o(j, path, errors);
  o.Int("parallel", &p->parallel);
  o.Bool("no-records", &p->no_records);
  o.Bool("no-indexes", &p->no_indexes);
  o.Bool("no-udfs", &p->no_udfs);
  o.Int("timeout", &p->timeout_ms);
  o.Int("socket-timeout", &p->socket_timeout_ms);
  o.Int("total-timeout", &p->total_timeout_ms);
  o.Bool("disable-batch-writes", &p->disable_batch_writes);
  o.Int("max-async-batches", &p->max_async_batches);
  o.Int("batch-size", &p->batch_size);
  if (const json* ns = o.Take("namespace")) {
    Obj n(*ns, o.Sub("namespace"), errors);
    RestoreNamespaceMap m;
    n.Str("source", &m.source);
    n.Str("destination", &m.destination);
    n.Finish();
    if (m.source.empty() || m.destination.empty()) {
      errors->push_back(o.Sub("namespace") + ": source and destination are required");
    }
    p->ns = m;
  }
  o.StrList("set-list", &p->set_list);
  o.StrList("bin-list", &p->bin_list);
  o.Bool("replace", &p->replace);
  o.Bool("unique", &p->unique);
  o.Bool("no-generation", &p->no_generation);
  o.Int("bandwidth", &p->bandwidth);
  o.Int("tps", &p->tps);
  if (const json* e = o.Take("encryption")) ParseEncryption(*e, o.Sub("encryption"), &p->encryption, errors);
  if (const json* c = o.Take("compression")) {
    if (timestamp_form) {
      errors->push_back(o.Sub("compression") + ": not accepted here (read from each backup's metadata)");
    } else {
      Obj co(*c, o.Sub("compression"), errors);
      CompressionPolicy cp;
      co.Str("mode", &cp.mode);
      std::optional<int> level;
      co.Int("level", &level);
      cp.level = level;
      co.Finish();
      std::transform(cp.mode.begin(), cp.mode.end(), cp.mode.begin(), ::toupper);
      if (cp.mode != "NONE" && cp.mode != "ZSTD") {
        errors->push_back(o.Sub("compression") + ".mode: must be NONE or ZSTD, got \"" + cp.mode + "\"");
      }
      p->compression = cp;
    }
  }
  if (const json* r = o.Take("retry-policy")) {
    Obj ro(*r, o.Sub("retry-policy"), errors);
    RetryPolicy rp;
    std::optional<int64_t> base, base_v2;
    std::optional<int> max, max_v2;
    ro.Int("base-timeout", &base);
    ro.Int("baseTimeout", &base_v2);  // ABS 2.0 spelling
    ro.Double("multiplier", &rp.multiplier);
    ro.Int("max-retries", &max);
    ro.Int("maxRetries", &max_v2);
    ro.Finish();
    rp.base_timeout_ms = base ? base : base_v2;
    rp.max_retries = max ? max : max_v2;
    p->retry_policy = rp;
  }
  o.Int("extra-ttl", &p->extra_ttl_s);
  o.Finish();

  auto negative = [&](const char* key, const auto& v) {
    if (v && *v < 0) errors->push_back(o.Sub(key) + ": must not be negative");
  };
  negative("socket-timeout", p->socket_timeout_ms);
  negative("total-timeout", p->total_timeout_ms);
  negative("timeout", p->timeout_ms);
  negative("bandwidth", p->bandwidth);
  negative("tps", p->tps);
  negative("extra-ttl", p->extra_ttl_s);
  if (p->parallel && *p->parallel < 1) errors->push_back(o.Sub("parallel") + ": must be at least 1");
  if (p->replace.value_or(false) && p->unique.value_or(false)) {
    errors->push_back(path + ": replace and unique are mutually exclusive");
  }
}

Status Finish(const std::vector<std::string>& errors) {
  if (errors.empty()) return Status::Ok();
  std::string msg = "invalid restore request: ";
  for (size_t i = 0; i < errors.size(); ++i) msg += (i ? "; " : "") + errors[i];
  return Status(ErrorCode::kInvalidArgument, msg);
}

Result<json> ParseBody(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status(ErrorCode::kInvalidArgument, "invalid JSON in request body");
  if (!j.is_object()) return Status(ErrorCode::kInvalidArgument, "request body must be a JSON object");
  return j;
}

// Shared by both request kinds: destination(-name), source(-name), secret-agent(-name).
template <class Req>
void ParseTargets(Obj& o, Req* r, std::vector<std::string>* errors) {
  Entity(o, "destination", &r->destination, ClusterFromJson, errors);
  o.Str("destination-name", &r->destination_name);
  Entity(o, "source", &r->source, StorageFromJson, errors);
  o.Str("source-name", &r->source_name);
  Entity(o, "secret-agent", &r->secret_agent, SecretAgentFromJson, errors);
  o.Str("secret-agent-name", &r->secret_agent_name);
  if (r->destination && !r->destination_name.empty()) {
    errors->push_back("destination and destination-name are mutually exclusive");
  }
  if (r->source && !r->source_name.empty()) errors->push_back("source and source-name are mutually exclusive");
  if (r->secret_agent && !r->secret_agent_name.empty()) {
    errors->push_back("secret-agent and secret-agent-name are mutually exclusive");
  }
}

bool CleanRelativePath(const std::string& p) {
  if (p.empty() || p.front() == '/' || p.back() == '/' || p.find("//") != std::string::npos) return false;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string::npos) j = p.size();
    std::string seg = p.substr(i, j - i);
    if (seg == "." || seg == "..") return false;
    i = j + 1;
  }
  return true;
}

}  // namespace

Result<RestoreRequest> ParseRestoreRequest(std::string_view body) {
  ABS_ASSIGN_OR_RETURN(json j, ParseBody(body));
  std::vector<std::string> errors;
  RestoreRequest r;
  Obj o(j, "", &errors);
  ParseTargets(o, &r, &errors);
  o.Str("backup-data-path", &r.backup_data_path);
  if (const json* p = o.Take("policy")) ParsePolicy(*p, "policy", false, &r.policy, &errors);
  o.Finish();
  if (!r.destination && r.destination_name.empty()) errors.push_back("destination or destination-name is required");
  if (!r.source && r.source_name.empty()) errors.push_back("source or source-name is required");
  if (r.backup_data_path.empty()) {
    // ABS 2.0 form: the inline source path is the backup folder itself.
    if (!r.source) errors.push_back("backup-data-path is required");
  } else if (!CleanRelativePath(r.backup_data_path)) {
    errors.push_back("backup-data-path: must be a clean relative path without \"..\", got \"" + r.backup_data_path +
                     "\"");
  }
  ABS_RETURN_IF_ERROR(Finish(errors));
  return r;
}

Result<RestoreTimestampRequest> ParseRestoreTimestampRequest(std::string_view body) {
  ABS_ASSIGN_OR_RETURN(json j, ParseBody(body));
  std::vector<std::string> errors;
  RestoreTimestampRequest r;
  Obj o(j, "", &errors);
  o.Str("routine", &r.routine);
  std::optional<int64_t> time;
  o.Int("time", &time);
  ParseTargets(o, &r, &errors);
  if (const json* p = o.Take("policy")) ParsePolicy(*p, "policy", true, &r.policy, &errors);
  o.Bool("disable-reordering", &r.disable_reordering);
  o.Finish();
  if (r.routine.empty()) errors.push_back("routine is required");
  if (!time) {
    errors.push_back("time is required");
  } else if (*time < 1000000000000LL) {
    errors.push_back("time: must be epoch milliseconds (13 digits), got " + std::to_string(*time));
  } else {
    r.time_ms = *time;
  }
  ABS_RETURN_IF_ERROR(Finish(errors));
  return r;
}

// ---- jobs filter ----
bool RestoreJobFilter::Matches(const RestoreJobStatus& s) const {
  if (from_ms || to_ms) {
    if (!s.current_job) return false;
    int64_t start = EpochMs(s.current_job->start_time);
    if (from_ms && start < *from_ms) return false;
    if (to_ms && start > *to_ms) return false;
  }
  if (states.empty()) return true;
  bool listed = std::find(states.begin(), states.end(), s.status) != states.end();
  return exclude ? !listed : listed;
}

Result<RestoreJobFilter> ParseRestoreJobFilter(const std::string& from, const std::string& to,
                                               const std::string& status) {
  RestoreJobFilter f;
  auto parse_ms = [](const std::string& s, const char* name, std::optional<int64_t>* out) -> Status {
    if (s.empty()) return Status::Ok();
    if (s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
      return Status(ErrorCode::kInvalidArgument,
                    std::string("invalid query param time bounds: ") + name + " must be epoch milliseconds, got \"" +
                        s + "\"");
    }
    *out = std::stoll(s);
    return Status::Ok();
  };
  ABS_RETURN_IF_ERROR(parse_ms(from, "from", &f.from_ms));
  ABS_RETURN_IF_ERROR(parse_ms(to, "to", &f.to_ms));
  if (f.from_ms && f.to_ms && *f.from_ms > *f.to_ms) {
    return Status(ErrorCode::kInvalidArgument, "invalid query param time bounds: from is after to");
  }
  std::string list = status;
  if (!list.empty() && list[0] == '!') {
    f.exclude = true;
    list = list.substr(1);
  }
  size_t i = 0;
  while (!list.empty() && i <= list.size()) {
    size_t j = list.find(',', i);
    if (j == std::string::npos) j = list.size();
    std::string s = list.substr(i, j - i);
    i = j + 1;
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    std::transform(s.begin(), s.end(), s.begin(), ::tolower);
    if (s.empty()) continue;
    if (s == "running") f.states.push_back(RestoreJobState::kRunning);
    else if (s == "success" || s == "done") f.states.push_back(RestoreJobState::kSuccess);
    else if (s == "failure" || s == "failed") f.states.push_back(RestoreJobState::kFailure);
    else if (s == "canceled" || s == "cancelled") f.states.push_back(RestoreJobState::kCanceled);
    else return Status(ErrorCode::kInvalidArgument, "invalid status filter \"" + s + "\"");
  }
  return f;
}

// ---- zip ----
namespace {
void Le16(std::string* o, uint16_t v) {
  o->push_back(static_cast<char>(v & 0xff));
  o->push_back(static_cast<char>(v >> 8));
}
void Le32(std::string* o, uint32_t v) {
  for (int i = 0; i < 4; ++i) o->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
}  // namespace

std::string ZipStore(const std::vector<std::pair<std::string, std::string>>& files) {
  std::string out, central;
  for (const auto& [name, data] : files) {
    uint32_t crc = crc32(0L, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
    // A name beyond ASCII is marked UTF-8 (flag bit 11), as Go's archive/zip does; unmarked names are
    // read as CP437 (Python's zipfile found names like "nœud.conf" read back garbled).
    bool utf8 = std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    uint16_t flags = utf8 ? 0x0800 : 0;
    uint32_t offset = static_cast<uint32_t>(out.size());
    Le32(&out, 0x04034b50);
    Le16(&out, 20);  // version needed
    Le16(&out, flags);
    Le16(&out, 0);   // stored
    Le16(&out, 0);   // time
    Le16(&out, 0x21);  // date 1980-01-01
    Le32(&out, crc);
    Le32(&out, static_cast<uint32_t>(data.size()));
    Le32(&out, static_cast<uint32_t>(data.size()));
    Le16(&out, static_cast<uint16_t>(name.size()));
    Le16(&out, 0);
    out += name;
    out += data;
    Le32(&central, 0x02014b50);
    Le16(&central, 20);  // version made by
    Le16(&central, 20);  // version needed
    Le16(&central, flags);
    Le16(&central, 0);
    Le16(&central, 0);
    Le16(&central, 0x21);
    Le32(&central, crc);
    Le32(&central, static_cast<uint32_t>(data.size()));
    Le32(&central, static_cast<uint32_t>(data.size()));
    Le16(&central, static_cast<uint16_t>(name.size()));
    Le16(&central, 0);
    Le16(&central, 0);
    Le16(&central, 0);
    Le16(&central, 0);
    Le32(&central, 0);
    Le32(&central, offset);
    central += name;
  }
  uint32_t cd_offset = static_cast<uint32_t>(out.size());
  out += central;
  Le32(&out, 0x06054b50);
  Le16(&out, 0);
  Le16(&out, 0);
  Le16(&out, static_cast<uint16_t>(files.size()));
  Le16(&out, static_cast<uint16_t>(files.size()));
  Le32(&out, static_cast<uint32_t>(central.size()));
  Le32(&out, cd_offset);
  Le16(&out, 0);
  return out;
}

}  // namespace aero::service::api
