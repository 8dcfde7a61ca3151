// Byte-stream seams between layers: the .asb format reads and writes through these, storage
// backends implement them, and compression/encryption wrap them.
//
// Contract for OutputStream: nothing written is visible under its final name until Close()
// returns OK. Destroying an OutputStream without a successful Close() abandons it: the backend
// removes any temporary object, so a failed write never looks like a complete file.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

#include "common/status.h"

namespace aero {

class OutputStream {
 public:
  virtual ~OutputStream() = default;
  virtual Status Write(std::string_view bytes) = 0;
  // Flushes, makes the data durable and publishes it under its final name.
  virtual Status Close() = 0;
  // Bytes accepted by Write() so far (before any compression a wrapper applies).
  virtual uint64_t BytesWritten() const = 0;
};

class InputStream {
 public:
  virtual ~InputStream() = default;
  // Reads up to n bytes into buf; returns 0 at end of stream.
  virtual Result<size_t> Read(char* buf, size_t n) = 0;
};

}  // namespace aero
