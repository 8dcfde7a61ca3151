// Building blocks shared by the object-store backends (S3, Azure, GCS):
//  - Md5: streaming MD5 (the checksum all three services understand).
//  - ContentVerifier: checks a whole-object read against the checksum the service stored.
//  - RangedReader: an InputStream over ranged GETs of read_chunk_size, one chunk prefetched ahead, each
//    chunk retried on its own (a reset costs one chunk, not the whole download).
//  - PartWriter: an OutputStream that buffers part_size bytes and uploads parts in parallel (bounded number
//    in flight) through a MultipartTarget, or sends one small object in a single request.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/stream.h"

namespace aero::storage {

class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(const Md5&) = delete;
  Md5& operator=(const Md5&) = delete;
  void Update(std::string_view bytes);
  std::string Final();  // 16 raw bytes; the object is reset afterwards
  static std::string Of(std::string_view bytes);

 private:
  void* ctx_;
};

class ContentVerifier {
 public:
  virtual ~ContentVerifier() = default;
  virtual void Update(std::string_view bytes) = 0;
  // kCorrupt with a message naming the object and both checksums on mismatch.
  virtual Status Finish() = 0;
};

// Compares the MD5 of everything read with `expected_md5` (16 raw bytes).
std::unique_ptr<ContentVerifier> NewMd5Verifier(std::string expected_md5, std::string what);
// Compares the CRC-32C (crc32c.h) of everything read with `expected`.
std::unique_ptr<ContentVerifier> NewCrc32cVerifier(uint32_t expected, std::string what);

// Fetches [offset, offset+length) of the object; must return exactly `length` bytes or an error.
using RangeFetcher = std::function<Result<std::string>(uint64_t offset, uint64_t length)>;

class RangedReader : public InputStream {
 public:
  // Reads [begin, end). `verifier` may be null (ranged reads, or no stored checksum).
  RangedReader(uint64_t begin, uint64_t end, uint64_t chunk_size, RangeFetcher fetch,
               std::unique_ptr<ContentVerifier> verifier, std::string what);
  ~RangedReader() override;
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  Result<std::string> FetchChecked(uint64_t offset, uint64_t length);
  void StartPrefetch();

  uint64_t next_;  // first byte not yet requested
  uint64_t end_;
  uint64_t chunk_size_;
  RangeFetcher fetch_;
  std::unique_ptr<ContentVerifier> verifier_;
  std::string what_;
  std::string buffer_;
  size_t pos_ = 0;
  std::future<Result<std::string>> prefetch_;
  Status error_;  // sticky
  bool finished_ = false;
};

// The per-upload operations of a backend, used by PartWriter. PutPart may be called from several
// threads at once; the other methods are called from the writer's thread only.
class MultipartTarget {
 public:
  virtual ~MultipartTarget() = default;
  // The whole object in one request (objects smaller than one part).
  virtual Status PutWhole(std::string_view data, const std::string& md5) = 0;
  virtual Status Begin() = 0;
  // Parts are numbered from 1.
  virtual Status PutPart(int number, std::string_view data, const std::string& md5) = 0;
  // Publishes the object made of parts 1..parts; `md5` is the MD5 of the whole object.
  virtual Status Complete(int parts, const std::string& md5) = 0;
  // Best effort: drops uploaded parts of an abandoned upload.
  virtual void Abort() = 0;
};

class PartWriter : public OutputStream {
 public:
  PartWriter(std::unique_ptr<MultipartTarget> target, uint64_t part_size, int parallelism, std::string what);
  ~PartWriter() override;
  Status Write(std::string_view bytes) override;
  Status Close() override;
  uint64_t BytesWritten() const override { return written_; }

 private:
  Status SubmitPart(std::string data);
  Status WaitOldest();
  Status WaitAll();

  std::unique_ptr<MultipartTarget> target_;
  uint64_t part_size_;
  int parallelism_;
  std::string what_;
  std::string buffer_;
  Md5 whole_md5_;
  uint64_t written_ = 0;
  int parts_ = 0;
  bool begun_ = false;
  bool closed_ = false;
  Status error_;  // sticky: once a part failed, the upload is lost
  std::deque<std::future<Status>> in_flight_;
};

}  // namespace aero::storage
