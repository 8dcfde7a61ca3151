// ZIP archives read back with Python's zipfile (zip_reader.h).
#include "tests/support/zip_reader.h"

#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace aero::testing {

Result<std::vector<ZipEntry>> ReadZipWithPython(const std::string& archive) {
  TempDir dir("abs-zip");
  dir.Write("archive.zip", archive);
  auto run = RunCommand({"python3", std::string(ABS_TEST_SUPPORT_DIR) + "/read_zip.py", dir.File("archive.zip")});
  if (!run.ok()) {
    return Status(ErrorCode::kNotFound, "python3 is missing (" + run.status().message() +
                                            "): install it with `bash scripts/setup.sh`");
  }
  if (run->exit_code != 0) {
    return Status(ErrorCode::kCorrupt, "Python's zipfile cannot read the archive (exit " +
                                           std::to_string(run->exit_code) + "): " + run->err);
  }
  auto j = nlohmann::json::parse(run->out, nullptr, false);
  if (j.is_discarded() || !j.contains("entries")) {
    return Status(ErrorCode::kInternal, "read_zip.py printed no JSON: " + run->out + run->err);
  }
  std::vector<ZipEntry> out;
  for (const auto& e : j["entries"]) {
    ZipEntry z;
    z.name = e["name"].get<std::string>();
    auto data = Base64Decode(e["data"].get<std::string>());
    if (!data) return Status(ErrorCode::kInternal, "read_zip.py printed bad base64 for " + z.name);
    z.data = *data;
    z.crc = e["crc"].get<uint32_t>();
    z.size = e["size"].get<uint64_t>();
    z.compress_type = e["compress_type"].get<int>();
    out.push_back(std::move(z));
  }
  return out;
}

}  // namespace aero::testing
