// `abs-backup -o -`: the backup goes to standard output (for pipes, as asbackup does). A Storage with
// one object, the stream; nothing else is stored (no metadata, no resume state), and a failure
// cannot be taken back: the exit status says whether the output is complete.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "storage/storage.h"

namespace aero::tools {

class StdoutStorage : public Storage {
 public:
  std::string Describe() const override { return "<stdout>"; }
  // The first writer writes to file descriptor 1; a second one is refused.
  Result<std::unique_ptr<OutputStream>> NewWriter(std::string_view key, const WriteOptions&) override;
  Result<std::unique_ptr<InputStream>> NewReader(std::string_view key, ByteRange) override;
  Result<std::vector<ObjectInfo>> List(std::string_view, ListMode) override { return std::vector<ObjectInfo>{}; }
  Result<ObjectInfo> Stat(std::string_view key) override;
  Status Delete(std::string_view) override { return Status::Ok(); }

 private:
  bool used_ = false;
};

}  // namespace aero::tools
