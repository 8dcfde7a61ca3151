// The one-stream Storage behind `abs-backup -o -` (see stdout_storage.h).
#include "tools/backup/stdout_storage.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace aero::tools {
namespace {

class StdoutStream : public OutputStream {
 public:
  Status Write(std::string_view bytes) override {
    while (!bytes.empty()) {
      ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status(ErrorCode::kIo, std::string("write to standard output: ") + std::strerror(errno));
      }
      bytes.remove_prefix(static_cast<size_t>(n));
      written_ += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  uint64_t BytesWritten() const override { return written_; }

 private:
  uint64_t written_ = 0;
};

}  // namespace

Result<std::unique_ptr<OutputStream>> StdoutStorage::NewWriter(std::string_view, const WriteOptions&) {
  if (used_) return Status(ErrorCode::kInvalidArgument, "standard output can take only one backup file");
  used_ = true;
  return std::unique_ptr<OutputStream>(new StdoutStream());
}

Result<std::unique_ptr<InputStream>> StdoutStorage::NewReader(std::string_view, ByteRange) {
  return Status(ErrorCode::kNotFound, "standard output cannot be read");
}

Result<ObjectInfo> StdoutStorage::Stat(std::string_view key) {
  return Status(ErrorCode::kNotFound, std::string(key) + " is not stored (standard output)");
}

}  // namespace aero::tools
