// metadata.yaml emit/parse and the RFC 3339 helpers they use.
#include "backup/backup_metadata.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace aero::backup {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

constexpr std::string_view kGoZeroTime = "0001-01-01T00:00:00Z";

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::string FormatRfc3339Ms(int64_t unix_ms) {
  if (unix_ms == 0) return std::string(kGoZeroTime);
  int64_t days = unix_ms >= 0 ? unix_ms / 86400000 : -((-unix_ms + 86399999) / 86400000);
  int64_t rem = unix_ms - days * 86400000;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d,
                static_cast<int>(rem / 3600000), static_cast<int>(rem / 60000 % 60), static_cast<int>(rem / 1000 % 60),
                static_cast<int>(rem % 1000));
  return buf;
}

Result<int64_t> ParseRfc3339Ms(std::string_view s) {
  auto bad = [&](const char* why) {
    return Status(ErrorCode::kInvalidArgument, "time '" + std::string(s) + "' is not RFC 3339: " + why);
  };
  if (s == kGoZeroTime) return int64_t{0};
  int y, mo, d, h, mi, se;
  if (!Digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, mo) || s[7] != '-' ||
      !Digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !Digits(s, 11, 2, h) || s[13] != ':' ||
      !Digits(s, 14, 2, mi) || s[16] != ':' || !Digits(s, 17, 2, se))
    return bad("expected YYYY-MM-DDTHH:MM:SS");
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return bad("field out of range");
  size_t pos = 19;
  int64_t ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) ms = ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad("empty fraction");
    for (int i = digits; i < 3; ++i) ms *= 10;
  }
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, om))
      return bad("bad zone offset");
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad("missing zone (Z or +hh:mm)");
  }
  if (pos != s.size()) return bad("trailing characters");
  int64_t days = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + se) - offset_min * 60) * 1000 + ms;
}

std::string EmitMetadataYaml(const BackupMetadata& m) {
  YAML::Emitter e;
  e << YAML::BeginMap;
  e << YAML::Key << "created" << YAML::Value << FormatRfc3339Ms(m.created_unix_ms);
  e << YAML::Key << "finished" << YAML::Value << FormatRfc3339Ms(m.finished_unix_ms);
  e << YAML::Key << "from" << YAML::Value << FormatRfc3339Ms(m.from_unix_ms);
  if (m.to_unix_ms != 0) e << YAML::Key << "to" << YAML::Value << FormatRfc3339Ms(m.to_unix_ms);
  e << YAML::Key << "namespace" << YAML::Value << YAML::DoubleQuoted << m.ns;
  e << YAML::Key << "record-count" << YAML::Value << m.record_count;
  e << YAML::Key << "byte-count" << YAML::Value << m.byte_count;
  e << YAML::Key << "file-count" << YAML::Value << m.file_count;
  e << YAML::Key << "secondary-index-count" << YAML::Value << m.secondary_index_count;
  e << YAML::Key << "udf-count" << YAML::Value << m.udf_count;
  std::string comp(CompressionModeName(m.compression)), enc(EncryptionModeName(m.encryption));
  for (auto& c : comp) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (auto& c : enc) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  e << YAML::Key << "compression" << YAML::Value << comp;
  e << YAML::Key << "encryption" << YAML::Value << enc;
  e << YAML::Key << "type" << YAML::Value << (m.incremental ? "incremental" : "full");
  if (!m.options.empty()) {
    e << YAML::Key << "options" << YAML::Value << YAML::BeginMap;
    for (const auto& [k, v] : m.options) e << YAML::Key << k << YAML::Value << YAML::DoubleQuoted << v;
    e << YAML::EndMap;
  }
  e << YAML::EndMap;
  return std::string(e.c_str()) + "\n";
}

Result<BackupMetadata> ParseMetadataYaml(std::string_view text) {
  auto corrupt = [](const std::string& why) { return Status(ErrorCode::kCorrupt, "metadata.yaml: " + why); };
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& ex) {
    return corrupt(std::string("not YAML: ") + ex.what());
  }
  if (!root.IsMap()) return corrupt("not a mapping");
  BackupMetadata m;
  auto scalar = [&](const char* key) -> Result<std::optional<std::string>> {
    YAML::Node n = root[key];
    if (!n || n.IsNull()) return std::optional<std::string>();
    if (!n.IsScalar()) return corrupt(std::string("'") + key + "' is not a scalar");
    return std::optional<std::string>(n.Scalar());
  };
  auto time_field = [&](const char* key, bool required, int64_t& out) -> Status {
    ABS_ASSIGN_OR_RETURN(auto v, scalar(key));
    if (!v) return required ? corrupt(std::string("missing '") + key + "'") : Status::Ok();
    auto t = ParseRfc3339Ms(*v);
    if (!t.ok()) return corrupt(std::string("'") + key + "': " + t.status().message());
    out = *t;
    return Status::Ok();
  };
  auto count_field = [&](const char* key, uint64_t& out) -> Status {
    ABS_ASSIGN_OR_RETURN(auto v, scalar(key));
    if (!v) return Status::Ok();
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size())
      return corrupt(std::string("'") + key + "' is not a non-negative integer: '" + *v + "'");
    return Status::Ok();
  };
  ABS_RETURN_IF_ERROR(time_field("created", true, m.created_unix_ms));
  m.finished_unix_ms = m.created_unix_ms + 1;  // ABS's substitute for files without `finished`
  ABS_RETURN_IF_ERROR(time_field("finished", false, m.finished_unix_ms));
  ABS_RETURN_IF_ERROR(time_field("from", false, m.from_unix_ms));
  ABS_RETURN_IF_ERROR(time_field("to", false, m.to_unix_ms));
  ABS_ASSIGN_OR_RETURN(auto ns, scalar("namespace"));
  if (!ns || ns->empty()) return corrupt("missing 'namespace'");
  m.ns = *ns;
  ABS_RETURN_IF_ERROR(count_field("record-count", m.record_count));
  ABS_RETURN_IF_ERROR(count_field("byte-count", m.byte_count));
  ABS_RETURN_IF_ERROR(count_field("file-count", m.file_count));
  ABS_RETURN_IF_ERROR(count_field("secondary-index-count", m.secondary_index_count));
  ABS_RETURN_IF_ERROR(count_field("udf-count", m.udf_count));
  ABS_ASSIGN_OR_RETURN(auto comp, scalar("compression"));
  if (comp) {
    auto c = ParseCompressionMode(*comp);
    if (!c) return corrupt("unknown compression '" + *comp + "'");
    m.compression = *c;
  }
  ABS_ASSIGN_OR_RETURN(auto enc, scalar("encryption"));
  if (enc) {
    auto c = ParseEncryptionMode(*enc);
    if (!c) return corrupt("unknown encryption '" + *enc + "'");
    m.encryption = *c;
  }
  ABS_ASSIGN_OR_RETURN(auto type, scalar("type"));
  if (type) {
    if (*type != "full" && *type != "incremental") return corrupt("unknown type '" + *type + "'");
    m.incremental = *type == "incremental";
  } else {
    m.incremental = m.from_unix_ms != 0;
  }
  YAML::Node opts = root["options"];
  if (opts && opts.IsMap()) {
    for (const auto& kv : opts)
      if (kv.first.IsScalar() && kv.second.IsScalar()) m.options[kv.first.Scalar()] = kv.second.Scalar();
  }
  return m;
}

Result<BackupListing> ListBackups(Storage& storage, std::string_view dir) {
  BackupListing out;
  auto list = storage.List(dir, ListMode::kRecursive);
  if (!list.ok()) {
    if (list.status().code() == ErrorCode::kNotFound) return out;
    return list.status().WithContext("listing backups under '" + std::string(dir) + "'");
  }
  const std::string suffix = "/" + std::string(kMetadataFileName);
  for (const auto& o : *list) {
    if (o.is_directory) continue;
    bool at_root = o.key == kMetadataFileName;
    bool nested = o.key.size() > suffix.size() && o.key.compare(o.key.size() - suffix.size(), suffix.size(), suffix) == 0;
    if (!at_root && !nested) continue;
    auto text = storage.ReadObject(o.key, 1 << 20);
    if (!text.ok()) {
      out.problems.push_back(o.key + ": " + text.status().ToString());
      continue;
    }
    auto m = ParseMetadataYaml(*text);
    if (!m.ok()) {
      out.problems.push_back(o.key + ": " + m.status().ToString());
      continue;
    }
    out.backups.push_back(BackupEntry{at_root ? std::string() : o.key.substr(0, o.key.size() - suffix.size()), *m});
  }
  std::sort(out.backups.begin(), out.backups.end(), [](const BackupEntry& a, const BackupEntry& b) {
    return a.metadata.created_unix_ms != b.metadata.created_unix_ms ? a.metadata.created_unix_ms < b.metadata.created_unix_ms
                                                                    : a.dir < b.dir;
  });
  return out;
}

}  // namespace aero::backup
