// Storage layout, catalogue listing, retention and restore-chain selection (see layout.h).
#include "service/jobs/layout.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <limits>
#include <set>

#include "backup/backup_metadata.h"

namespace aero::service::jobs {

namespace {

model::TimePoint FromMs(int64_t ms) { return model::TimePoint(std::chrono::milliseconds(ms)); }

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= s.size()) {
    size_t j = s.find(sep, i);
    if (j == std::string_view::npos) j = s.size();
    out.emplace_back(s.substr(i, j - i));
    i = j + 1;
  }
  return out;
}

// Lists every object under "<routine>/<type>"; an absent folder is an empty listing.
Result<std::vector<ObjectInfo>> ListType(aero::Storage& storage, const std::string& routine, BackupType type) {
  std::string dir = routine + "/" + TypeFolder(type);
  auto listing = storage.List(dir, ListMode::kRecursive);
  if (!listing.ok()) {
    if (listing.status().code() == ErrorCode::kNotFound) return std::vector<ObjectInfo>{};
    return listing.status().WithContext("listing " + dir + " in " + storage.Describe());
  }
  return listing;
}

// Splits "<routine>/<type>/<ts>/rest..." into the run folder name and the rest's segments.
struct KeyParts {
  std::string run_name;
  std::vector<std::string> rest;
};
std::optional<KeyParts> ParseKey(const std::string& key, const std::string& prefix) {
  if (key.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  auto segs = Split(std::string_view(key).substr(prefix.size()), '/');
  if (segs.size() < 2) return std::nullopt;
  KeyParts p;
  p.run_name = segs[0];
  p.rest.assign(segs.begin() + 1, segs.end());
  return p;
}

}  // namespace

const char* TypeFolder(BackupType type) { return type == BackupType::kFull ? "backup" : "incremental"; }

std::string FormatRunTime(int64_t ts_ms, const std::string& format) {
  static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = static_cast<std::time_t>(ts_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  if (format == "ISO") {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else if (format == "EU") {
    std::snprintf(buf, sizeof buf, "%02d-%s-%04d-%02d-%02d-%02d", tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else if (format == "US") {
    std::snprintf(buf, sizeof buf, "%s-%02d-%04d-%02d-%02d-%02d", kMonths[tm.tm_mon], tm.tm_mday, tm.tm_year + 1900,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
  } else {
    return "";
  }
  return buf;
}

std::string RunFolder(const std::string& routine, BackupType type, int64_t ts_ms, const std::string& format) {
  std::string suffix = FormatRunTime(ts_ms, format);
  return routine + "/" + TypeFolder(type) + "/" + std::to_string(ts_ms) + (suffix.empty() ? "" : "_" + suffix);
}

std::string NamespaceFolder(const std::string& run_folder, const std::string& ns) {
  return run_folder + "/data/" + ns;
}

std::string ConfigurationFolder(const std::string& run_folder) { return run_folder + "/configuration"; }

std::optional<int64_t> ParseRunTimestamp(std::string_view name) {
  // ABS readers: 13 digits, optionally "_<anything>".
  if (name.size() < 13) return std::nullopt;
  for (size_t i = 0; i < 13; ++i)
    if (name[i] < '0' || name[i] > '9') return std::nullopt;
  if (name.size() > 13 && name[13] != '_') return std::nullopt;
  return std::stoll(std::string(name.substr(0, 13)));
}

Result<std::vector<StoredBackup>> ListStoredBackups(aero::Storage& storage, const std::string& routine,
                                                    BackupType type) {
  ABS_ASSIGN_OR_RETURN(auto objects, ListType(storage, routine, type));
  const std::string prefix = routine + "/" + TypeFolder(type) + "/";
  std::vector<StoredBackup> out;
  for (const auto& o : objects) {
    auto parts = ParseKey(o.key, prefix);
    if (!parts || parts->rest.size() != 3 || parts->rest[0] != "data" ||
        parts->rest[2] != backup::kMetadataFileName) {
      continue;
    }
    auto ts = ParseRunTimestamp(parts->run_name);
    if (!ts) continue;  // not a run folder of ours
    auto text = storage.ReadObject(o.key, 1 << 20);
    if (!text.ok()) {
      // Deleted between the listing and the read (retention, cancel): it no longer exists.
      if (text.status().code() == ErrorCode::kNotFound) continue;
      return text.status().WithContext("reading " + o.key);
    }
    auto meta = backup::ParseMetadataYaml(*text);
    if (!meta.ok()) return meta.status().WithContext(o.key);
    StoredBackup b;
    b.type = type;
    b.ts_ms = *ts;
    b.run_folder = prefix + parts->run_name;
    b.key = b.run_folder + "/data/" + parts->rest[1];
    b.meta = std::move(*meta);
    out.push_back(std::move(b));
  }
  std::sort(out.begin(), out.end(), [](const StoredBackup& a, const StoredBackup& b) {
    return a.ts_ms != b.ts_ms ? a.ts_ms < b.ts_ms : a.meta.ns < b.meta.ns;
  });
  return out;
}

Result<std::vector<std::string>> IncompleteRunFolders(aero::Storage& storage, const std::string& routine,
                                                      BackupType type) {
  ABS_ASSIGN_OR_RETURN(auto objects, ListType(storage, routine, type));
  const std::string prefix = routine + "/" + TypeFolder(type) + "/";
  struct Seen {
    std::set<std::string> namespaces, completed;
  };
  std::map<std::string, Seen> runs;
  for (const auto& o : objects) {
    auto parts = ParseKey(o.key, prefix);
    if (!parts || !ParseRunTimestamp(parts->run_name)) continue;
    Seen& s = runs[parts->run_name];
    if (parts->rest.size() >= 2 && parts->rest[0] == "data") {
      s.namespaces.insert(parts->rest[1]);
      if (parts->rest.size() == 3 && parts->rest[2] == backup::kMetadataFileName) s.completed.insert(parts->rest[1]);
    }
  }
  // Run folders holding only unfinished (hidden temporary) files appear only as directories.
  auto children = storage.List(routine + "/" + TypeFolder(type), ListMode::kChildren);
  if (children.ok()) {
    for (const auto& c : *children) {
      std::string name = c.key.substr(c.key.rfind('/') + 1);
      if (c.is_directory && ParseRunTimestamp(name)) runs[name];
    }
  } else if (children.status().code() != ErrorCode::kNotFound) {
    return children.status().WithContext("listing " + routine + "/" + TypeFolder(type));
  }
  std::vector<std::string> out;
  for (const auto& [name, s] : runs) {
    if (s.completed.empty() || s.completed.size() != s.namespaces.size()) out.push_back(prefix + name);
  }
  return out;
}

model::BackupDetails ToDetails(const StoredBackup& b, const service::Storage* storage_config) {
  model::BackupDetails d;
  d.created = FromMs(b.meta.created_unix_ms ? b.meta.created_unix_ms : b.ts_ms);
  d.finished = FromMs(b.finished_ms());
  if (b.meta.from_unix_ms != 0) d.from = FromMs(b.meta.from_unix_ms);
  d.ns = b.meta.ns;
  d.record_count = b.meta.record_count;
  d.byte_count = b.meta.byte_count;
  d.file_count = b.meta.file_count;
  d.secondary_index_count = b.meta.secondary_index_count;
  d.udf_count = b.meta.udf_count;
  d.key = b.key;
  if (storage_config) d.storage = *storage_config;
  d.compression = std::string(CompressionModeName(b.meta.compression));
  d.encryption = std::string(EncryptionModeName(b.meta.encryption));
  for (auto& c : d.compression) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (auto& c : d.encryption) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return d;
}

std::vector<std::string> RetentionDeletions(const std::vector<StoredBackup>& fulls,
                                            const std::vector<StoredBackup>& incrementals,
                                            const RetentionPolicy& policy) {
  std::vector<int64_t> ts;
  std::map<int64_t, std::string> full_folder;
  for (const auto& f : fulls) {
    if (full_folder.emplace(f.ts_ms, f.run_folder).second) ts.push_back(f.ts_ms);
  }
  std::sort(ts.begin(), ts.end());
  const auto c = static_cast<int64_t>(ts.size());
  std::vector<std::string> out;
  if (policy.full && c > *policy.full) {
    for (int64_t i = 0; i < c - *policy.full; ++i) out.push_back(full_folder[ts[static_cast<size_t>(i)]]);
  }
  if (policy.incremental && c > *policy.incremental) {
    std::set<std::string> inc_out;
    if (*policy.incremental == 0) {
      for (const auto& i : incrementals) inc_out.insert(i.run_folder);
    } else {
      const int64_t k = ts[static_cast<size_t>(c - *policy.incremental)];  // the I-th newest full
      for (const auto& i : incrementals)
        if (i.ts_ms <= k) inc_out.insert(i.run_folder);
    }
    out.insert(out.end(), inc_out.begin(), inc_out.end());
  }
  return out;
}

Result<std::vector<RestoreChain>> SelectRestoreChains(const std::vector<StoredBackup>& fulls,
                                                      const std::vector<StoredBackup>& incrementals,
                                                      int64_t time_ms) {
  std::map<std::string, const StoredBackup*> best;
  for (const auto& f : fulls) {
    if (f.finished_ms() > time_ms) continue;
    auto& slot = best[f.meta.ns];
    if (!slot || f.ts_ms > slot->ts_ms) slot = &f;
  }
  if (best.empty()) {
    return Status(ErrorCode::kNotFound, "no full backups found finished by " + backup::FormatRfc3339Ms(time_ms));
  }
  std::vector<RestoreChain> out;
  for (const auto& [ns, full] : best) {
    RestoreChain chain;
    chain.ns = ns;
    chain.full = *full;
    std::vector<const StoredBackup*> incs;
    for (const auto& i : incrementals) {
      if (i.meta.ns == ns && i.ts_ms > full->ts_ms && i.finished_ms() <= time_ms) incs.push_back(&i);
    }
    std::sort(incs.begin(), incs.end(), [](const auto* a, const auto* b) { return a->ts_ms < b->ts_ms; });
    // Newest to oldest: an older incremental whose window a newer one already starts at or before
    // (cumulative incrementals) adds nothing.
    std::vector<const StoredBackup*> kept;
    int64_t min_from = std::numeric_limits<int64_t>::max();
    for (auto it = incs.rbegin(); it != incs.rend(); ++it) {
      if ((*it)->meta.from_unix_ms >= min_from) continue;
      kept.push_back(*it);
      min_from = std::min(min_from, (*it)->meta.from_unix_ms);
    }
    for (auto it = kept.rbegin(); it != kept.rend(); ++it) chain.incrementals.push_back(**it);
    out.push_back(std::move(chain));
  }
  return out;
}

}  // namespace aero::service::jobs
