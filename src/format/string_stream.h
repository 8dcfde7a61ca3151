// In-memory OutputStream/InputStream: for estimate mode (count encoded bytes), tests, fuzzing and
// benchmarks. Not for production files (storage backends implement the stream seams for those).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "common/stream.h"

namespace aero {

class StringOutputStream : public OutputStream {
 public:
  // Appends to *target (not owned) if given, else to an internal string.
  explicit StringOutputStream(std::string* target = nullptr) : out_(target ? target : &own_) {}
  Status Write(std::string_view bytes) override {
    if (closed_) return Status(ErrorCode::kInternal, "write after close");
    out_->append(bytes);
    written_ += bytes.size();
    return Status::Ok();
  }
  Status Close() override {
    closed_ = true;
    return Status::Ok();
  }
  uint64_t BytesWritten() const override { return written_; }
  bool closed() const { return closed_; }
  const std::string& data() const { return *out_; }

 private:
  std::string own_;
  std::string* out_;
  uint64_t written_ = 0;
  bool closed_ = false;
};

// Reads from a view (not owned) or an owned copy; max_chunk limits each Read() (tests use 1 to
// exercise every buffer boundary).
class StringInputStream : public InputStream {
 public:
  explicit StringInputStream(std::string data, size_t max_chunk = SIZE_MAX)
      : own_(std::move(data)), max_chunk_(max_chunk) {}
  // Reads `data` without copying it; it must outlive the stream.
  static StringInputStream View(std::string_view data, size_t max_chunk = SIZE_MAX) {
    StringInputStream s(std::string(), max_chunk);
    s.view_ = data;
    s.use_view_ = true;
    return s;
  }
  Result<size_t> Read(char* buf, size_t n) override {
    std::string_view d = use_view_ ? view_ : std::string_view(own_);
    size_t take = std::min({n, max_chunk_, d.size() - pos_});
    if (take) std::memcpy(buf, d.data() + pos_, take);
    pos_ += take;
    return take;
  }

 private:
  std::string own_;
  std::string_view view_;
  bool use_view_ = false;
  size_t max_chunk_;
  size_t pos_ = 0;
};

}  // namespace aero
