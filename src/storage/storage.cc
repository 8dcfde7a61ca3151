// Key validation and the helpers every Storage gets from the core methods.
#include "storage/storage.h"

namespace aero {

Status ValidateKey(std::string_view key, bool allow_empty) {
  if (key.empty()) {
    if (allow_empty) return Status::Ok();
    return Status(ErrorCode::kInvalidArgument, "empty storage key");
  }
  if (key.front() == '/') return Status(ErrorCode::kInvalidArgument, "storage key '" + std::string(key) + "' starts with '/'");
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view seg = key.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") {
      return Status(ErrorCode::kInvalidArgument,
                    "storage key '" + std::string(key) + "' has an empty, '.' or '..' path segment");
    }
    start = end + 1;
  }
  for (char c : key) {
    if (c == '\0' || c == '\\') return Status(ErrorCode::kInvalidArgument, "storage key has a NUL or backslash");
  }
  return Status::Ok();
}

Status Storage::DeleteDirectory(std::string_view dir) {
  ABS_RETURN_IF_ERROR(ValidateKey(dir, true));
  ABS_ASSIGN_OR_RETURN(auto objects, List(dir, ListMode::kRecursive));
  for (const auto& o : objects) ABS_RETURN_IF_ERROR(Delete(o.key));
  return Status::Ok();
}

Status Storage::WriteObject(std::string_view key, std::string_view bytes, const WriteOptions& options) {
  ABS_ASSIGN_OR_RETURN(auto writer, NewWriter(key, options));
  ABS_RETURN_IF_ERROR(writer->Write(bytes));
  return writer->Close();
}

Result<std::string> Storage::ReadObject(std::string_view key, uint64_t max_bytes) {
  ABS_ASSIGN_OR_RETURN(auto reader, NewReader(key));
  std::string out;
  char buf[64 * 1024];
  for (;;) {
    ABS_ASSIGN_OR_RETURN(size_t n, reader->Read(buf, sizeof buf));
    if (n == 0) break;
    if (out.size() + n > max_bytes) {
      return Status(ErrorCode::kInvalidArgument, Describe() + "/" + std::string(key) + " is larger than " +
                                                     std::to_string(max_bytes) + " bytes");
    }
    out.append(buf, n);
  }
  return out;
}

Result<bool> Storage::Exists(std::string_view key) {
  Result<ObjectInfo> r = Stat(key);
  if (r.ok()) return true;
  if (r.status().code() == ErrorCode::kNotFound) return false;
  return r.status();
}

}  // namespace aero
