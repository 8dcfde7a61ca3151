// Compression (zstd) and encryption (AES-128/256 in CTR mode) of backup files, byte-compatible with
// asbackup/asrestore 4.5.8 and backup-go (asb-format.md §11-§12), as stream wrappers.
//
// Order on write: .asb text -> zstd -> AES-CTR -> storage; on read the reverse. Nothing in a file says
// it is compressed or encrypted: the reader must be told (CodecOptions).
//
// Encryption: key material = DER of the PEM private key (i2d_PrivateKey: PKCS#1 for RSA, from a
// PKCS#1 or PKCS#8 PEM), or the base64-decoded value of an env variable used as is (asbackup
// --encryption-key-env). AES key = SHA-256(material) truncated to 16 or 32 bytes. Each file starts
// with 16 bytes AES-ECB(key, IV0), then the payload XOR the CTR keystream starting at counter IV0+1
// (128-bit big-endian counter). There is no MAC: a wrong key surfaces as a zstd or header error.
//
// Ownership: every wrapper owns the stream it wraps; Close() finishes the wrapper's framing and
// then closes the inner stream. Keep a raw pointer to the storage stream before wrapping it to ask
// how many bytes reached storage (file splitting counts those, as asbackup does).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/stream.h"

namespace aero {

enum class CompressionMode { kNone, kZstd };
enum class EncryptionMode { kNone, kAes128, kAes256 };

// "none"/"zstd" and "none"/"aes128"/"aes256", any case (asbackup lower case, backup-go upper case).
std::optional<CompressionMode> ParseCompressionMode(std::string_view s);
std::optional<EncryptionMode> ParseEncryptionMode(std::string_view s);
std::string_view CompressionModeName(CompressionMode m);
std::string_view EncryptionModeName(EncryptionMode m);

// ---- key material ----
// Reads a PEM private key file (never prompts for a passphrase: an encrypted PEM is an error).
Result<std::string> LoadKeyFile(const std::string& path);
// The same from PEM text; `source` names it in errors.
Result<std::string> KeyMaterialFromPem(std::string_view pem, std::string_view source);
// asbackup --encryption-key-env semantics: the value is base64, the decoded bytes are the material.
Result<std::string> KeyMaterialFromEnvValue(std::string_view base64_value);
// SHA-256(material)[0..16) for AES-128, [0..32) for AES-256.
Result<std::string> DeriveAesKey(std::string_view material, EncryptionMode mode);

using AesBlock = std::array<uint8_t, 16>;

// ---- zstd ----
class ZstdOutputStream : public OutputStream {
 public:
  // level 0 = libzstd default (3), as asbackup's --compression-level 0.
  static Result<std::unique_ptr<ZstdOutputStream>> Create(std::unique_ptr<OutputStream> inner, int level = 0);
  ~ZstdOutputStream() override;
  Status Write(std::string_view bytes) override;
  // Ends the zstd frame, then closes the inner stream.
  Status Close() override;
  uint64_t BytesWritten() const override { return accepted_; }  // uncompressed bytes

 private:
  ZstdOutputStream(std::unique_ptr<OutputStream> inner, void* cctx);
  Status Drive(std::string_view in, bool end);
  std::unique_ptr<OutputStream> inner_;
  void* cctx_;
  std::string out_buf_;
  uint64_t accepted_ = 0;
  bool closed_ = false;
  Status failed_;
};

class ZstdInputStream : public InputStream {
 public:
  // Decodes concatenated zstd frames until the inner stream ends; `name` is used in errors.
  // file_offset: bytes of the stored file before the compressed stream (16 when encrypted), so that
  // errors give the position in the file.
  ZstdInputStream(std::unique_ptr<InputStream> inner, std::string name, uint64_t file_offset = 0);
  ~ZstdInputStream() override;
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  std::unique_ptr<InputStream> inner_;
  std::string name_;
  void* dctx_;
  std::string in_buf_;
  size_t in_pos_ = 0, in_size_ = 0;
  uint64_t consumed_ = 0;  // file position of the next compressed byte handed to the decoder
  bool inner_eof_ = false;
  bool fed_ = false;
  size_t last_ret_ = 0;
  Status failed_;
};

// ---- AES-CTR ----
class AesCtrOutputStream : public OutputStream {
 public:
  // aes_key: 16 or 32 bytes (DeriveAesKey). iv0: for tests; default as asbackup: 4 bytes Unix time
  // big-endian + 12 random bytes. Writes the 16-byte encrypted IV to `inner` at once.
  static Result<std::unique_ptr<AesCtrOutputStream>> Create(std::unique_ptr<OutputStream> inner,
                                                            std::string_view aes_key,
                                                            std::optional<AesBlock> iv0 = std::nullopt);
  ~AesCtrOutputStream() override;
  Status Write(std::string_view bytes) override;
  Status Close() override;
  uint64_t BytesWritten() const override { return accepted_; }  // plaintext bytes, without the IV

 private:
  AesCtrOutputStream(std::unique_ptr<OutputStream> inner, void* ctx);
  std::unique_ptr<OutputStream> inner_;
  void* ctx_;
  std::string scratch_;
  uint64_t accepted_ = 0;
  bool closed_ = false;
};

class AesCtrInputStream : public InputStream {
 public:
  AesCtrInputStream(std::unique_ptr<InputStream> inner, std::string_view aes_key, std::string name);
  ~AesCtrInputStream() override;
  Result<size_t> Read(char* buf, size_t n) override;

 private:
  Status Init();
  std::unique_ptr<InputStream> inner_;
  std::string key_;
  std::string name_;
  void* ctx_ = nullptr;
  bool initialized_ = false;
  uint64_t position_ = 0;  // file bytes read so far, including the 16-byte IV
  Status failed_;
};

// ---- chains ----
struct CodecOptions {
  CompressionMode compression = CompressionMode::kNone;
  int compression_level = 0;
  EncryptionMode encryption = EncryptionMode::kNone;
  std::string key_material;  // from LoadKeyFile / KeyMaterialFromEnvValue; required with encryption
};

// storage <- [AES] <- [zstd]: returns the stream to write .asb text into (it owns `storage`).
Result<std::unique_ptr<OutputStream>> WrapOutput(std::unique_ptr<OutputStream> storage, const CodecOptions& options);
// storage -> [AES] -> [zstd]: returns the stream to read .asb text from (it owns `storage`).
Result<std::unique_ptr<InputStream>> WrapInput(std::unique_ptr<InputStream> storage, const CodecOptions& options,
                                               const std::string& file_name);

}  // namespace aero
