// zstd and AES-CTR stream wrappers and key handling (libzstd streaming API, OpenSSL EVP).
#include "format/codec.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <zstd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

#include "common/base64.h"

namespace aero {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string OpenSslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

// Never prompt on a terminal for a passphrase.
int NoPassphrase(char*, int, int, void*) { return -1; }

const EVP_CIPHER* CtrCipher(size_t key_len) {
  return key_len == 16 ? EVP_aes_128_ctr() : EVP_aes_256_ctr();
}
const EVP_CIPHER* EcbCipher(size_t key_len) {
  return key_len == 16 ? EVP_aes_128_ecb() : EVP_aes_256_ecb();
}

Status CheckKeyLength(std::string_view key) {
  if (key.size() != 16 && key.size() != 32)
    return Status(ErrorCode::kInvalidArgument,
                  "AES key must be 16 or 32 bytes, got " + std::to_string(key.size()));
  return Status::Ok();
}

// 128-bit big-endian increment with carry, as OpenSSL's CTR counter.
void Increment(AesBlock& b) {
  for (int i = 15; i >= 0; --i)
    if (++b[i] != 0) break;
}

// One AES block in ECB mode (encrypt or decrypt).
Status EcbBlock(std::string_view key, const uint8_t* in, uint8_t* out, bool encrypt) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return Status(ErrorCode::kInternal, "EVP_CIPHER_CTX_new failed");
  int len = 0;
  bool ok = EVP_CipherInit_ex(ctx, EcbCipher(key.size()), nullptr,
                              reinterpret_cast<const unsigned char*>(key.data()), nullptr, encrypt ? 1 : 0) == 1 &&
            EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 && EVP_CipherUpdate(ctx, out, &len, in, 16) == 1 && len == 16;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return Status(ErrorCode::kInternal, "AES-ECB failed: " + OpenSslError());
  return Status::Ok();
}

Result<EVP_CIPHER_CTX*> NewCtr(std::string_view key, const AesBlock& counter) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx) return Status(ErrorCode::kInternal, "EVP_CIPHER_CTX_new failed");
  // CTR encryption and decryption are the same operation.
  if (EVP_EncryptInit_ex(ctx, CtrCipher(key.size()), nullptr, reinterpret_cast<const unsigned char*>(key.data()),
                         counter.data()) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return Status(ErrorCode::kInternal, "AES-CTR init failed: " + OpenSslError());
  }
  return ctx;
}

constexpr size_t kChunk = 64 << 10;

}  // namespace

std::optional<CompressionMode> ParseCompressionMode(std::string_view s) {
  std::string l = Lower(s);
  if (l == "none" || l.empty()) return CompressionMode::kNone;
  if (l == "zstd") return CompressionMode::kZstd;
  return std::nullopt;
}

std::optional<EncryptionMode> ParseEncryptionMode(std::string_view s) {
  std::string l = Lower(s);
  if (l == "none" || l.empty()) return EncryptionMode::kNone;
  if (l == "aes128") return EncryptionMode::kAes128;
  if (l == "aes256") return EncryptionMode::kAes256;
  return std::nullopt;
}

std::string_view CompressionModeName(CompressionMode m) { return m == CompressionMode::kZstd ? "zstd" : "none"; }
std::string_view EncryptionModeName(EncryptionMode m) {
  switch (m) {
    case EncryptionMode::kAes128: return "aes128";
    case EncryptionMode::kAes256: return "aes256";
    default: return "none";
  }
}

// ---------------------------------------------------------------- keys

Result<std::string> KeyMaterialFromPem(std::string_view pem, std::string_view source) {
  ERR_clear_error();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return Status(ErrorCode::kInternal, "BIO_new_mem_buf failed");
  EVP_PKEY* pkey = PEM_read_bio_PrivateKey(bio, nullptr, NoPassphrase, nullptr);
  BIO_free(bio);
  if (!pkey)
    return Status(ErrorCode::kInvalidArgument, std::string(source) +
                                                   ": not a PEM private key (or it is passphrase-protected): " +
                                                   OpenSslError());
  unsigned char* der = nullptr;
  int len = i2d_PrivateKey(pkey, &der);
  EVP_PKEY_free(pkey);
  if (len <= 0) return Status(ErrorCode::kInvalidArgument, std::string(source) + ": cannot encode key: " + OpenSslError());
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_clear_free(der, static_cast<size_t>(len));
  return out;
}

Result<std::string> LoadKeyFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return Status(ErrorCode::kNotFound, "cannot open encryption key file " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return Status(ErrorCode::kIo, "cannot read encryption key file " + path);
  return KeyMaterialFromPem(ss.str(), "encryption key file " + path);
}

Result<std::string> KeyMaterialFromEnvValue(std::string_view base64_value) {
  std::string trimmed(base64_value);
  while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back()))) trimmed.pop_back();
  auto dec = Base64Decode(trimmed);
  if (!dec || dec->empty())
    return Status(ErrorCode::kInvalidArgument, "encryption key from the environment is not valid base64");
  return std::move(*dec);
}

Result<std::string> DeriveAesKey(std::string_view material, EncryptionMode mode) {
  if (mode == EncryptionMode::kNone) return Status(ErrorCode::kInvalidArgument, "no encryption mode given");
  if (material.empty()) return Status(ErrorCode::kInvalidArgument, "empty encryption key material");
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(material.data(), material.size(), md, &md_len, EVP_sha256(), nullptr) != 1 || md_len != 32)
    return Status(ErrorCode::kInternal, "SHA-256 failed: " + OpenSslError());
  size_t n = mode == EncryptionMode::kAes128 ? 16 : 32;
  std::string key(reinterpret_cast<char*>(md), n);
  OPENSSL_cleanse(md, sizeof md);
  return key;
}

// ---------------------------------------------------------------- zstd

Result<std::unique_ptr<ZstdOutputStream>> ZstdOutputStream::Create(std::unique_ptr<OutputStream> inner, int level) {
  if (level != 0 && (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()))
    return Status(ErrorCode::kInvalidArgument, "zstd compression level " + std::to_string(level) +
                                                   " outside " + std::to_string(ZSTD_minCLevel()) + ".." +
                                                   std::to_string(ZSTD_maxCLevel()));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (!cctx) return Status(ErrorCode::kInternal, "ZSTD_createCCtx failed");
  size_t r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level == 0 ? ZSTD_CLEVEL_DEFAULT : level);
  if (ZSTD_isError(r)) {
    ZSTD_freeCCtx(cctx);
    return Status(ErrorCode::kInvalidArgument, std::string("zstd level: ") + ZSTD_getErrorName(r));
  }
  return std::unique_ptr<ZstdOutputStream>(new ZstdOutputStream(std::move(inner), cctx));
}

ZstdOutputStream::ZstdOutputStream(std::unique_ptr<OutputStream> inner, void* cctx)
    : inner_(std::move(inner)), cctx_(cctx) {
  out_buf_.resize(ZSTD_CStreamOutSize());
}

ZstdOutputStream::~ZstdOutputStream() { ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_)); }

Status ZstdOutputStream::Drive(std::string_view data, bool end) {
  auto* cctx = static_cast<ZSTD_CCtx*>(cctx_);
  ZSTD_inBuffer in{data.data(), data.size(), 0};
  for (;;) {
    ZSTD_outBuffer out{out_buf_.data(), out_buf_.size(), 0};
    size_t rem = ZSTD_compressStream2(cctx, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
    if (ZSTD_isError(rem)) return Status(ErrorCode::kInternal, std::string("zstd compression failed: ") + ZSTD_getErrorName(rem));
    if (out.pos > 0) ABS_RETURN_IF_ERROR(inner_->Write(std::string_view(out_buf_.data(), out.pos)));
    if (end ? rem == 0 : in.pos == in.size) return Status::Ok();
  }
}

Status ZstdOutputStream::Write(std::string_view bytes) {
  if (closed_) return Status(ErrorCode::kInternal, "zstd stream: write after close");
  if (!failed_.ok()) return failed_;
  Status s = Drive(bytes, false);
  if (!s.ok()) return failed_ = s;
  accepted_ += bytes.size();
  return Status::Ok();
}

Status ZstdOutputStream::Close() {
  if (closed_) return Status::Ok();
  if (!failed_.ok()) return failed_;
  closed_ = true;
  ABS_RETURN_IF_ERROR(Drive({}, true));
  return inner_->Close();
}

ZstdInputStream::ZstdInputStream(std::unique_ptr<InputStream> inner, std::string name, uint64_t file_offset)
    : inner_(std::move(inner)), name_(std::move(name)), dctx_(ZSTD_createDCtx()), consumed_(file_offset) {
  in_buf_.resize(ZSTD_DStreamInSize());
}

ZstdInputStream::~ZstdInputStream() { ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_)); }

Result<size_t> ZstdInputStream::Read(char* buf, size_t n) {
  if (!failed_.ok()) return failed_;
  if (!dctx_) return failed_ = Status(ErrorCode::kInternal, "ZSTD_createDCtx failed");
  if (n == 0) return size_t{0};
  auto* dctx = static_cast<ZSTD_DCtx*>(dctx_);
  for (;;) {
    ZSTD_outBuffer out{buf, n, 0};
    ZSTD_inBuffer in{in_buf_.data(), in_size_, in_pos_};
    size_t ret = ZSTD_decompressStream(dctx, &out, &in);
    size_t used = in.pos - in_pos_;
    if (ZSTD_isError(ret))
      return failed_ = Status(ErrorCode::kCorrupt,
                              name_ + ": zstd decompression failed near file byte " + std::to_string(consumed_) +
                                  ": " + ZSTD_getErrorName(ret) +
                                  " (file not zstd-compressed, damaged, or wrong encryption key?)");
    consumed_ += used;
    in_pos_ = in.pos;
    if (used > 0 || out.pos > 0) last_ret_ = ret;
    if (out.pos > 0) return out.pos;
    if (in_pos_ < in_size_) continue;
    if (inner_eof_) {
      if (fed_ && last_ret_ != 0)
        return failed_ = Status(ErrorCode::kCorrupt, name_ + ": truncated: zstd stream ends inside a frame at file byte " +
                                                         std::to_string(consumed_));
      return size_t{0};
    }
    auto r = inner_->Read(in_buf_.data(), in_buf_.size());
    if (!r.ok()) return failed_ = r.status();
    in_pos_ = 0;
    in_size_ = *r;
    if (*r == 0) {
      inner_eof_ = true;
    } else {
      fed_ = true;
    }
  }
}

// ---------------------------------------------------------------- AES-CTR

Result<std::unique_ptr<AesCtrOutputStream>> AesCtrOutputStream::Create(std::unique_ptr<OutputStream> inner,
                                                                       std::string_view aes_key,
                                                                       std::optional<AesBlock> iv0) {
  ABS_RETURN_IF_ERROR(CheckKeyLength(aes_key));
  AesBlock iv{};
  if (iv0) {
    iv = *iv0;
  } else {
    // asbackup: most significant 4 bytes = current time (big-endian), 12 random bytes.
    uint32_t now = static_cast<uint32_t>(std::time(nullptr));
    iv[0] = static_cast<uint8_t>(now >> 24);
    iv[1] = static_cast<uint8_t>(now >> 16);
    iv[2] = static_cast<uint8_t>(now >> 8);
    iv[3] = static_cast<uint8_t>(now);
    if (RAND_bytes(iv.data() + 4, 12) != 1) return Status(ErrorCode::kInternal, "RAND_bytes failed: " + OpenSslError());
  }
  uint8_t header[16];
  ABS_RETURN_IF_ERROR(EcbBlock(aes_key, iv.data(), header, true));
  Increment(iv);
  ABS_ASSIGN_OR_RETURN(EVP_CIPHER_CTX * ctx, NewCtr(aes_key, iv));
  std::unique_ptr<AesCtrOutputStream> s(new AesCtrOutputStream(std::move(inner), ctx));
  ABS_RETURN_IF_ERROR(s->inner_->Write(std::string_view(reinterpret_cast<char*>(header), 16)));
  return s;
}

AesCtrOutputStream::AesCtrOutputStream(std::unique_ptr<OutputStream> inner, void* ctx)
    : inner_(std::move(inner)), ctx_(ctx) {}

AesCtrOutputStream::~AesCtrOutputStream() { EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(ctx_)); }

Status AesCtrOutputStream::Write(std::string_view bytes) {
  if (closed_) return Status(ErrorCode::kInternal, "AES stream: write after close");
  auto* ctx = static_cast<EVP_CIPHER_CTX*>(ctx_);
  while (!bytes.empty()) {
    size_t take = std::min(bytes.size(), kChunk);
    scratch_.resize(take);
    int len = 0;
    if (EVP_EncryptUpdate(ctx, reinterpret_cast<unsigned char*>(scratch_.data()), &len,
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(take)) != 1 ||
        static_cast<size_t>(len) != take)
      return Status(ErrorCode::kInternal, "AES-CTR encryption failed: " + OpenSslError());
    ABS_RETURN_IF_ERROR(inner_->Write(scratch_));
    accepted_ += take;
    bytes.remove_prefix(take);
  }
  return Status::Ok();
}

Status AesCtrOutputStream::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  return inner_->Close();
}

AesCtrInputStream::AesCtrInputStream(std::unique_ptr<InputStream> inner, std::string_view aes_key, std::string name)
    : inner_(std::move(inner)), key_(aes_key), name_(std::move(name)) {}

AesCtrInputStream::~AesCtrInputStream() {
  EVP_CIPHER_CTX_free(static_cast<EVP_CIPHER_CTX*>(ctx_));
  OPENSSL_cleanse(key_.data(), key_.size());
}

Status AesCtrInputStream::Init() {
  ABS_RETURN_IF_ERROR(CheckKeyLength(key_));
  uint8_t header[16];
  size_t got = 0;
  while (got < 16) {
    ABS_ASSIGN_OR_RETURN(size_t r, inner_->Read(reinterpret_cast<char*>(header) + got, 16 - got));
    if (r == 0) break;
    got += r;
  }
  position_ = got;
  if (got < 16)
    return Status(ErrorCode::kCorrupt, name_ + ": encrypted file is only " + std::to_string(got) +
                                           " bytes long, shorter than its 16-byte IV header");
  AesBlock iv;
  ABS_RETURN_IF_ERROR(EcbBlock(key_, header, iv.data(), false));
  Increment(iv);
  ABS_ASSIGN_OR_RETURN(EVP_CIPHER_CTX * ctx, NewCtr(key_, iv));
  ctx_ = ctx;
  initialized_ = true;
  return Status::Ok();
}

Result<size_t> AesCtrInputStream::Read(char* buf, size_t n) {
  if (!failed_.ok()) return failed_;
  if (!initialized_) {
    Status s = Init();
    if (!s.ok()) return failed_ = s;
  }
  auto r = inner_->Read(buf, n);
  if (!r.ok()) return failed_ = r.status().WithContext(name_ + ": at file byte " + std::to_string(position_));
  size_t got = *r;
  if (got == 0) return size_t{0};
  int len = 0;
  // CTR decryption is the keystream XOR, i.e. the encrypt operation; in place (in == out is allowed).
  if (EVP_EncryptUpdate(static_cast<EVP_CIPHER_CTX*>(ctx_), reinterpret_cast<unsigned char*>(buf), &len,
                        reinterpret_cast<const unsigned char*>(buf), static_cast<int>(got)) != 1 ||
      static_cast<size_t>(len) != got)
    return failed_ = Status(ErrorCode::kInternal, name_ + ": AES-CTR decryption failed at file byte " +
                                                      std::to_string(position_) + ": " + OpenSslError());
  position_ += got;
  return got;
}

// ---------------------------------------------------------------- chains

Result<std::unique_ptr<OutputStream>> WrapOutput(std::unique_ptr<OutputStream> storage, const CodecOptions& options) {
  std::unique_ptr<OutputStream> top = std::move(storage);
  if (options.encryption != EncryptionMode::kNone) {
    ABS_ASSIGN_OR_RETURN(std::string key, DeriveAesKey(options.key_material, options.encryption));
    ABS_ASSIGN_OR_RETURN(auto aes, AesCtrOutputStream::Create(std::move(top), key));
    OPENSSL_cleanse(key.data(), key.size());
    top = std::move(aes);
  }
  if (options.compression == CompressionMode::kZstd) {
    ABS_ASSIGN_OR_RETURN(auto z, ZstdOutputStream::Create(std::move(top), options.compression_level));
    top = std::move(z);
  }
  return top;
}

Result<std::unique_ptr<InputStream>> WrapInput(std::unique_ptr<InputStream> storage, const CodecOptions& options,
                                               const std::string& file_name) {
  std::unique_ptr<InputStream> top = std::move(storage);
  if (options.encryption != EncryptionMode::kNone) {
    ABS_ASSIGN_OR_RETURN(std::string key, DeriveAesKey(options.key_material, options.encryption));
    top = std::make_unique<AesCtrInputStream>(std::move(top), key, file_name);
    OPENSSL_cleanse(key.data(), key.size());
  }
  if (options.compression == CompressionMode::kZstd) {
    uint64_t iv_bytes = options.encryption != EncryptionMode::kNone ? 16 : 0;
    top = std::make_unique<ZstdInputStream>(std::move(top), file_name, iv_bytes);
  }
  return top;
}

}  // namespace aero
