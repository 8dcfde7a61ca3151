// Ranged reader, parallel part writer and MD5/CRC-32C helpers shared by the storage backends.
#include "storage/object_io.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "common/base64.h"
#include "storage/crc32c.h"

namespace aero::storage {

Md5::Md5() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_md5(), nullptr); }
Md5::~Md5() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Md5::Update(std::string_view bytes) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}
std::string Md5::Final() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out, &len);
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_md5(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}
std::string Md5::Of(std::string_view bytes) {
  Md5 m;
  m.Update(bytes);
  return m.Final();
}

namespace {
class Crc32cVerifier : public ContentVerifier {
 public:
  Crc32cVerifier(uint32_t expected, std::string what) : expected_(expected), what_(std::move(what)) {}
  void Update(std::string_view bytes) override { crc_.Update(bytes); }
  Status Finish() override {
    if (crc_.value() == expected_) return Status::Ok();
    char buf[64];
    std::snprintf(buf, sizeof buf, "stored CRC-32C %08x, data read has CRC-32C %08x", expected_, crc_.value());
    return Status(ErrorCode::kCorrupt, what_ + ": checksum mismatch: " + buf);
  }

 private:
  Crc32c crc_;
  uint32_t expected_;
  std::string what_;
};

class Md5Verifier : public ContentVerifier {
 public:
  Md5Verifier(std::string expected, std::string what) : expected_(std::move(expected)), what_(std::move(what)) {}
  void Update(std::string_view bytes) override { md5_.Update(bytes); }
  Status Finish() override {
    std::string got = md5_.Final();
    if (got == expected_) return Status::Ok();
    return Status(ErrorCode::kCorrupt, what_ + ": checksum mismatch: stored MD5 " + Base64Encode(expected_) +
                                           ", data read has MD5 " + Base64Encode(got));
  }

 private:
  Md5 md5_;
  std::string expected_;
  std::string what_;
};
}  // namespace

std::unique_ptr<ContentVerifier> NewMd5Verifier(std::string expected_md5, std::string what) {
  return std::make_unique<Md5Verifier>(std::move(expected_md5), std::move(what));
}

std::unique_ptr<ContentVerifier> NewCrc32cVerifier(uint32_t expected, std::string what) {
  return std::make_unique<Crc32cVerifier>(expected, std::move(what));
}

RangedReader::RangedReader(uint64_t begin, uint64_t end, uint64_t chunk_size, RangeFetcher fetch,
                           std::unique_ptr<ContentVerifier> verifier, std::string what)
    : next_(begin),
      end_(end),
      chunk_size_(std::max<uint64_t>(chunk_size, 1)),
      fetch_(std::move(fetch)),
      verifier_(std::move(verifier)),
      what_(std::move(what)) {}

RangedReader::~RangedReader() {
  if (prefetch_.valid()) prefetch_.wait();  // the task uses fetch_; never leave it running
}

Result<std::string> RangedReader::FetchChecked(uint64_t offset, uint64_t length) {
  Result<std::string> r = fetch_(offset, length);
  if (r.ok() && r->size() != length) {
    return Status(ErrorCode::kCorrupt, what_ + ": asked for " + std::to_string(length) + " bytes at offset " +
                                           std::to_string(offset) + ", got " + std::to_string(r->size()) +
                                           " (object truncated or changed while reading)");
  }
  return r;
}

void RangedReader::StartPrefetch() {
  if (next_ >= end_) return;
  uint64_t offset = next_;
  uint64_t length = std::min(chunk_size_, end_ - next_);
  next_ += length;
  prefetch_ = std::async(std::launch::async, [this, offset, length] { return FetchChecked(offset, length); });
}

Result<size_t> RangedReader::Read(char* buf, size_t n) {
  if (!error_.ok()) return error_;
  if (n == 0) return size_t{0};
  if (pos_ == buffer_.size()) {
    if (!prefetch_.valid()) StartPrefetch();
    if (!prefetch_.valid()) {  // nothing left
      if (!finished_) {
        finished_ = true;
        if (verifier_) {
          error_ = verifier_->Finish();
          if (!error_.ok()) return error_;
        }
      }
      return size_t{0};
    }
    Result<std::string> chunk = prefetch_.get();
    if (!chunk.ok()) {
      error_ = chunk.status();
      return error_;
    }
    buffer_ = std::move(chunk).value();
    pos_ = 0;
    if (verifier_) verifier_->Update(buffer_);
    StartPrefetch();  // overlap the next request with the caller consuming this chunk
  }
  size_t take = std::min(n, buffer_.size() - pos_);
  std::memcpy(buf, buffer_.data() + pos_, take);
  pos_ += take;
  return take;
}

PartWriter::PartWriter(std::unique_ptr<MultipartTarget> target, uint64_t part_size, int parallelism,
                       std::string what)
    : target_(std::move(target)),
      part_size_(std::max<uint64_t>(part_size, 1)),
      parallelism_(std::max(parallelism, 1)),
      what_(std::move(what)) {}

PartWriter::~PartWriter() {
  if (closed_) return;
  (void)WaitAll();
  if (begun_) target_->Abort();
}

Status PartWriter::Write(std::string_view bytes) {
  if (closed_) return Status(ErrorCode::kInternal, what_ + ": write after close");
  if (!error_.ok()) return error_;
  whole_md5_.Update(bytes);
  written_ += bytes.size();
  while (!bytes.empty()) {
    size_t take = std::min<size_t>(bytes.size(), part_size_ - buffer_.size());
    buffer_.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (buffer_.size() == part_size_) {
      std::string part;
      part.swap(buffer_);
      Status s = SubmitPart(std::move(part));
      if (!s.ok()) {
        error_ = s;
        return s;
      }
    }
  }
  return Status::Ok();
}

Status PartWriter::SubmitPart(std::string data) {
  if (!begun_) {
    ABS_RETURN_IF_ERROR(target_->Begin());
    begun_ = true;
  }
  // Bounded: at most `parallelism_` parts in flight, so memory stays at (parallelism + 1) parts.
  while (static_cast<int>(in_flight_.size()) >= parallelism_) ABS_RETURN_IF_ERROR(WaitOldest());
  int number = ++parts_;
  MultipartTarget* target = target_.get();
  in_flight_.push_back(std::async(std::launch::async, [target, number, data = std::move(data)] {
    return target->PutPart(number, data, Md5::Of(data));
  }));
  return Status::Ok();
}

Status PartWriter::WaitOldest() {
  Status s = in_flight_.front().get();
  in_flight_.pop_front();
  return s;
}

Status PartWriter::WaitAll() {
  Status first;
  while (!in_flight_.empty()) {
    Status s = WaitOldest();
    if (first.ok() && !s.ok()) first = s;
  }
  return first;
}

Status PartWriter::Close() {
  if (closed_) return Status(ErrorCode::kInternal, what_ + ": closed twice");
  Status s = error_;
  if (s.ok()) {
    if (!begun_) {
      s = target_->PutWhole(buffer_, whole_md5_.Final());
    } else {
      if (!buffer_.empty()) s = SubmitPart(std::move(buffer_));
      Status w = WaitAll();
      if (s.ok()) s = w;
      if (s.ok()) s = target_->Complete(parts_, whole_md5_.Final());
    }
  }
  if (!s.ok()) {
    (void)WaitAll();
    if (begun_) target_->Abort();
    closed_ = true;  // the upload is abandoned; the destructor has nothing left to do
    error_ = s;
    return s;
  }
  closed_ = true;
  return Status::Ok();
}

}  // namespace aero::storage
