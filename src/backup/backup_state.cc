// JSON encoding of the backup resume state.
#include "backup/backup_state.h"

#include <nlohmann/json.hpp>

#include <set>

#include "common/base64.h"

namespace aero::backup {

std::string EmitStateJson(const BackupState& s) {
  nlohmann::json j;
  j["version"] = BackupState::kVersion;
  j["namespace"] = s.ns;
  j["fingerprint"] = s.fingerprint;
  j["created_unix_ms"] = s.created_unix_ms;
  j["next_file_number"] = s.next_file_number;
  j["records"] = s.records;
  j["bytes"] = s.bytes;
  j["sindexes"] = s.sindexes;
  j["udfs"] = s.udfs;
  j["metadata_written"] = s.metadata_written;
  j["files"] = nlohmann::json::array();
  for (const auto& f : s.files) j["files"].push_back({{"key", f.key}, {"records", f.records}, {"bytes", f.bytes}});
  j["partitions"] = nlohmann::json::array();
  for (const auto& p : s.partitions) {
    nlohmann::json e{{"pid", p.pid}};
    if (p.done) e["done"] = true;
    if (!p.done && p.has_digest)
      e["after"] = Base64Encode(std::string_view(reinterpret_cast<const char*>(p.last_digest.data()), 20));
    j["partitions"].push_back(std::move(e));
  }
  return j.dump(1) + "\n";
}

Result<BackupState> ParseStateJson(std::string_view text) {
  auto corrupt = [](const std::string& why) { return Status(ErrorCode::kCorrupt, "backup state: " + why); };
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return corrupt("not a JSON object");
  BackupState s;
  try {
    if (j.value("version", 0) != BackupState::kVersion)
      return corrupt("unsupported version " + j.value("version", nlohmann::json()).dump());
    s.ns = j.at("namespace").get<std::string>();
    s.fingerprint = j.at("fingerprint").get<std::string>();
    s.created_unix_ms = j.at("created_unix_ms").get<int64_t>();
    s.next_file_number = j.at("next_file_number").get<uint64_t>();
    s.records = j.at("records").get<uint64_t>();
    s.bytes = j.at("bytes").get<uint64_t>();
    s.sindexes = j.at("sindexes").get<uint64_t>();
    s.udfs = j.at("udfs").get<uint64_t>();
    s.metadata_written = j.at("metadata_written").get<bool>();
    for (const auto& f : j.at("files")) {
      s.files.push_back(CommittedFile{f.at("key").get<std::string>(), f.at("records").get<uint64_t>(),
                                      f.at("bytes").get<uint64_t>()});
    }
    std::set<int> seen;
    for (const auto& e : j.at("partitions")) {
      client::PartitionState p;
      int pid = e.at("pid").get<int>();
      if (pid < 0 || pid >= kPartitions || !seen.insert(pid).second)
        return corrupt("partition " + std::to_string(pid) + " is out of range or listed twice");
      p.pid = static_cast<uint16_t>(pid);
      p.done = e.value("done", false);
      if (e.contains("after")) {
        auto d = Base64Decode(e.at("after").get<std::string>());
        if (!d || d->size() != 20) return corrupt("partition " + std::to_string(pid) + ": 'after' is not a digest");
        std::copy(d->begin(), d->end(), p.last_digest.begin());
        p.has_digest = true;
      }
      s.partitions.push_back(p);
    }
  } catch (const nlohmann::json::exception& ex) {
    return corrupt(std::string("missing or mistyped field: ") + ex.what());
  }
  return s;
}

}  // namespace aero::backup
