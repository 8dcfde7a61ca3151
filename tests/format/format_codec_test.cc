// Compression and encryption wrappers: the AES-CTR test vectors of asb-format.md §12, 128-bit counter
// carry, key-file handling (PKCS#1 and PKCS#8 PEM give the same key; expected SHA-256 computed with
// the openssl CLI), zstd framing (standard frames, concatenated frames), and the errors for wrong
// keys, truncated and damaged files.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <zstd.h>

#include "common/bytes.h"
#include "format/asb_writer.h"
#include "format/codec.h"
#include "format_test_util.h"

namespace aero {
namespace {

using namespace aero::testing;

std::string Unhex(std::string_view hex) {
  std::string out;
  EXPECT_TRUE(FromHex(hex, out)) << hex;
  return out;
}

AesBlock Block(std::string_view hex) {
  std::string b = Unhex(hex);
  AesBlock out{};
  std::memcpy(out.data(), b.data(), 16);
  return out;
}

std::string EncryptWith(std::string_view key, const AesBlock& iv, std::string_view payload) {
  std::string stored;
  auto s = AesCtrOutputStream::Create(std::make_unique<StringOutputStream>(&stored), key, iv);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_TRUE((*s)->Write(payload).ok());
  EXPECT_TRUE((*s)->Close().ok());
  return stored;
}

Result<std::string> ReadAll(InputStream* in, size_t chunk = 4096) {
  std::string out;
  std::string buf(chunk, '\0');
  for (;;) {
    ABS_ASSIGN_OR_RETURN(size_t n, in->Read(buf.data(), buf.size()));
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

const char kSpecDigest[] = "84a1baf3fe4111b646cf2e688b1585018989ad61973ed302a56be2fe8cadb6a2";
const char kSpecIv[] = "65a1b2c300112233445566778899aabb";
const char kSpecPayload[] = "Version 3.1\n# namespace test\n";

TEST(Aes, SpecTestVectors) {
  struct V {
    size_t key_len;
    const char* c0;
    const char* body;
  } vs[] = {{16, "4d5e4b08901a0b47e220adfae27443ce", "46b594e876822856f4779f31036c8f2d6c8580da7c802839a939535411"},
            {32, "bfaf8e2c9c47d914b2598c43749db650", "404d8d2a3de73db158a7d287e8135d562ec324094c8248110b7ad4ffbd"}};
  for (const V& v : vs) {
    std::string key = Unhex(kSpecDigest).substr(0, v.key_len);
    std::string stored = EncryptWith(key, Block(kSpecIv), kSpecPayload);
    ASSERT_EQ(stored.size(), 16 + 29u);
    EXPECT_EQ(ToHex(stored.substr(0, 16)), v.c0);
    EXPECT_EQ(ToHex(stored.substr(16)), v.body);
    // And back, in odd read sizes.
    for (size_t chunk : {size_t{1}, size_t{5}, size_t{100}}) {
      AesCtrInputStream in(std::make_unique<StringInputStream>(stored, chunk), key, "vector.asb");
      auto plain = ReadAll(&in, 3);
      ASSERT_TRUE(plain.ok()) << plain.status().ToString();
      EXPECT_EQ(*plain, kSpecPayload);
    }
  }
}

TEST(Aes, DerivedKeyIsSha256Prefix) {
  auto k128 = DeriveAesKey("abc", EncryptionMode::kAes128);
  auto k256 = DeriveAesKey("abc", EncryptionMode::kAes256);
  ASSERT_TRUE(k128.ok() && k256.ok());
  EXPECT_EQ(ToHex(*k256), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ToHex(*k128), "ba7816bf8f01cfea414140de5dae2223");
  EXPECT_FALSE(DeriveAesKey("", EncryptionMode::kAes128).ok());
  EXPECT_FALSE(DeriveAesKey("abc", EncryptionMode::kNone).ok());
}

// The keystream is AES(IV0+1), AES(IV0+2), ... with a full 128-bit big-endian carry.
TEST(Aes, CounterCarriesAcross128Bits) {
  std::string key(16, '\x42');
  AesBlock iv;
  iv.fill(0xff);
  iv[0] = 0x00;  // 00 ff..ff: +1 carries through 15 bytes
  std::string payload(80, '\0');
  std::string stored = EncryptWith(key, iv, payload);
  ASSERT_EQ(stored.size(), 96u);
  auto ecb = [&](AesBlock counter) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    unsigned char out[32];
    int len = 0;
    EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), nullptr, reinterpret_cast<const unsigned char*>(key.data()), nullptr);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    EVP_EncryptUpdate(ctx, out, &len, counter.data(), 16);
    EVP_CIPHER_CTX_free(ctx);
    return std::string(reinterpret_cast<char*>(out), 16);
  };
  AesBlock c = iv;
  EXPECT_EQ(stored.substr(0, 16), ecb(c));  // encrypted IV
  for (int i = 0; i < 5; ++i) {
    for (int b = 15; b >= 0; --b)
      if (++c[b] != 0) break;
    EXPECT_EQ(stored.substr(16 + 16 * i, 16), ecb(c)) << "block " << i;  // payload is zero: keystream
  }
  EXPECT_EQ(c[0], 0x01);  // the carry reached the top byte
}

TEST(Aes, RandomIvsDifferAndStartWithTheTime) {
  std::string key(32, 'k');
  std::string a, b;
  {
    auto s = AesCtrOutputStream::Create(std::make_unique<StringOutputStream>(&a), key);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Close().ok());
  }
  {
    auto s = AesCtrOutputStream::Create(std::make_unique<StringOutputStream>(&b), key);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE((*s)->Close().ok());
  }
  ASSERT_EQ(a.size(), 16u);
  EXPECT_NE(a, b);
  // Decrypt the IV: first 4 bytes are the current Unix time.
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  unsigned char iv[32];
  int len = 0;
  EVP_DecryptInit_ex(ctx, EVP_aes_256_ecb(), nullptr, reinterpret_cast<const unsigned char*>(key.data()), nullptr);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  EVP_DecryptUpdate(ctx, iv, &len, reinterpret_cast<const unsigned char*>(a.data()), 16);
  EVP_CIPHER_CTX_free(ctx);
  int64_t t = GetU32BE(iv);
  EXPECT_LE(std::abs(t - static_cast<int64_t>(std::time(nullptr))), 5);
}

TEST(Aes, BadKeysAndShortFiles) {
  EXPECT_EQ(AesCtrOutputStream::Create(std::make_unique<StringOutputStream>(), "short").status().code(),
            ErrorCode::kInvalidArgument);
  AesCtrInputStream in(std::make_unique<StringInputStream>(std::string(10, 'x')), std::string(16, 'k'), "tiny.asb");
  char buf[8];
  auto r = in.Read(buf, sizeof buf);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
  EXPECT_NE(r.status().message().find("tiny.asb: encrypted file is only 10 bytes"), std::string::npos)
      << r.status().message();
}

TEST(KeyFile, Pkcs1AndPkcs8GiveTheSameMaterial) {
  auto k1 = LoadKeyFile(DataPath("test_key_pkcs1.pem"));
  auto k8 = LoadKeyFile(DataPath("test_key_pkcs8.pem"));
  ASSERT_TRUE(k1.ok()) << k1.status().ToString();
  ASSERT_TRUE(k8.ok()) << k8.status().ToString();
  EXPECT_EQ(*k1, *k8);
  // `openssl rsa -in test_key_pkcs1.pem -traditional -outform DER | sha256sum`
  auto key = DeriveAesKey(*k1, EncryptionMode::kAes256);
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(ToHex(*key), "4bc0fe7dedab1887be910af46303637206405297db92d61dae914d676231ada5");
}

TEST(KeyFile, Errors) {
  auto missing = LoadKeyFile(DataPath("no_such_key.pem"));
  EXPECT_EQ(missing.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.status().message().find("no_such_key.pem"), std::string::npos);
  // Passphrase-protected: refused without prompting.
  auto enc = LoadKeyFile(DataPath("test_key_encrypted.pem"));
  EXPECT_EQ(enc.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(enc.status().message().find("test_key_encrypted.pem"), std::string::npos);
  auto garbage = KeyMaterialFromPem("not a key", "inline key");
  EXPECT_EQ(garbage.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(garbage.status().message().find("inline key"), std::string::npos);
}

TEST(KeyFile, EnvValueIsDecodedBase64UsedAsIs) {
  auto k = KeyMaterialFromEnvValue("AQIDBA==\n");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(*k, std::string("\x01\x02\x03\x04"));
  EXPECT_FALSE(KeyMaterialFromEnvValue("***").ok());
  EXPECT_FALSE(KeyMaterialFromEnvValue("").ok());
}

TEST(Modes, Parse) {
  EXPECT_EQ(ParseCompressionMode("ZSTD"), CompressionMode::kZstd);
  EXPECT_EQ(ParseCompressionMode("none"), CompressionMode::kNone);
  EXPECT_FALSE(ParseCompressionMode("gzip").has_value());
  EXPECT_EQ(ParseEncryptionMode("aes128"), EncryptionMode::kAes128);
  EXPECT_EQ(ParseEncryptionMode("AES256"), EncryptionMode::kAes256);
  EXPECT_FALSE(ParseEncryptionMode("aes192").has_value());
}

std::string Compress(std::string_view text, int level = 0) {
  std::string stored;
  auto z = ZstdOutputStream::Create(std::make_unique<StringOutputStream>(&stored), level);
  EXPECT_TRUE(z.ok()) << z.status().ToString();
  // Several writes, as the writer does one per entity.
  for (size_t i = 0; i < text.size(); i += 1000) EXPECT_TRUE((*z)->Write(text.substr(i, 1000)).ok());
  EXPECT_EQ((*z)->BytesWritten(), text.size());
  EXPECT_TRUE((*z)->Close().ok());
  return stored;
}

TEST(Zstd, StandardFramesAnyDecoderReads) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "- S bin " + std::to_string(i % 97) + " value\n";
  std::string stored = Compress(text, 19);
  EXPECT_EQ(ToHex(stored.substr(0, 4)), "28b52ffd");  // zstd frame magic, no custom header
  EXPECT_LT(stored.size(), text.size() / 5);
  // libzstd's one-shot decoder (independent of the streaming path) agrees.
  std::string out(text.size(), '\0');
  size_t n = ZSTD_decompress(out.data(), out.size(), stored.data(), stored.size());
  ASSERT_FALSE(ZSTD_isError(n)) << ZSTD_getErrorName(n);
  EXPECT_EQ(out.substr(0, n), text);
}

TEST(Zstd, ConcatenatedFramesAndEmptyInput) {
  std::string a = "Version 3.1\n# namespace test\n", b = "+ n test\n";
  std::string stored = Compress(a) + Compress(b) + Compress("");
  ZstdInputStream in(std::make_unique<StringInputStream>(stored, 3), "multi.asb");
  auto all = ReadAll(&in, 5);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, a + b);

  ZstdInputStream empty(std::make_unique<StringInputStream>(std::string()), "empty.asb");
  auto none = ReadAll(&empty);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
}

TEST(Zstd, TruncatedAndDamagedStreams) {
  std::string text(100000, 'a');
  for (size_t i = 0; i < text.size(); i += 7) text[i] = static_cast<char>('a' + i % 26);
  std::string stored = Compress(text);
  for (size_t cut : {size_t{1}, size_t{6}, stored.size() / 2, stored.size() - 1}) {
    ZstdInputStream in(std::make_unique<StringInputStream>(stored.substr(0, cut)), "cut.asb");
    auto r = ReadAll(&in);
    ASSERT_FALSE(r.ok()) << "cut at " << cut;
    EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt);
    EXPECT_NE(r.status().message().find("cut.asb"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("byte"), std::string::npos) << r.status().message();
  }
  ZstdInputStream plain(std::make_unique<StringInputStream>(std::string("Version 3.1\n")), "plain.asb");
  auto r = ReadAll(&plain);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("plain.asb: zstd decompression failed near file byte 0"),
            std::string::npos)
      << r.status().message();
}

TEST(Zstd, LevelBounds) {
  EXPECT_EQ(ZstdOutputStream::Create(std::make_unique<StringOutputStream>(), 1000).status().code(),
            ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ZstdOutputStream::Create(std::make_unique<StringOutputStream>(), -5).ok());
}

// Full chain, asbackup order: text -> zstd -> AES -> storage; and the wrong key on the way back.
TEST(Chain, WrongKeyIsAnErrorNamingTheFile) {
  auto k1 = LoadKeyFile(DataPath("test_key_pkcs1.pem"));
  ASSERT_TRUE(k1.ok());
  std::string text = ReadDataFile("example.asb");
  for (CompressionMode c : {CompressionMode::kZstd, CompressionMode::kNone}) {
    CodecOptions opt{c, 0, EncryptionMode::kAes256, *k1};
    std::string stored;
    auto out = WrapOutput(std::make_unique<StringOutputStream>(&stored), opt);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    ASSERT_TRUE((*out)->Write(text).ok());
    ASSERT_TRUE((*out)->Close().ok());

    auto good = WrapInput(std::make_unique<StringInputStream>(stored), opt, "/backups/test_00000.asb");
    ASSERT_TRUE(good.ok());
    Parsed ok_parse;
    {
      AsbReader reader(good->get(), "/backups/test_00000.asb");
      AsbEntity e;
      size_t n = 0;
      for (;;) {
        auto r = reader.Next(&e);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        if (!*r) break;
        ++n;
      }
      EXPECT_EQ(n, 5u);
    }

    CodecOptions wrong = opt;
    wrong.key_material = "some other key";
    auto bad = WrapInput(std::make_unique<StringInputStream>(stored), wrong, "/backups/test_00000.asb");
    ASSERT_TRUE(bad.ok());
    AsbReader reader(bad->get(), "/backups/test_00000.asb");
    AsbEntity e;
    auto r = reader.Next(&e);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kCorrupt) << r.status().ToString();
    EXPECT_NE(r.status().message().find("/backups/test_00000.asb"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("byte"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("wrong encryption key"), std::string::npos) << r.status().message();
    if (c == CompressionMode::kZstd) {
      // The zstd frame starts after the 16-byte encrypted IV.
      EXPECT_NE(r.status().message().find("near file byte 16"), std::string::npos) << r.status().message();
    }
  }
}

TEST(Chain, MissingKeyMaterialIsAnError) {
  CodecOptions opt{CompressionMode::kNone, 0, EncryptionMode::kAes128, ""};
  EXPECT_FALSE(WrapOutput(std::make_unique<StringOutputStream>(), opt).ok());
  EXPECT_FALSE(WrapInput(std::make_unique<StringInputStream>(std::string()), opt, "x.asb").ok());
}

// What reaches storage is what file splitting counts; the IV header counts from the start.
TEST(Chain, StorageBytesAreCountedBelowTheWrappers) {
  CodecOptions opt{CompressionMode::kZstd, 0, EncryptionMode::kAes128, "material"};
  std::string stored;
  auto storage = std::make_unique<StringOutputStream>(&stored);
  StringOutputStream* raw = storage.get();
  auto out = WrapOutput(std::move(storage), opt);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(raw->BytesWritten(), 16u);
  std::string text(1 << 20, 'z');
  ASSERT_TRUE((*out)->Write(text).ok());
  EXPECT_EQ((*out)->BytesWritten(), text.size());
  ASSERT_TRUE((*out)->Close().ok());
  EXPECT_EQ(raw->BytesWritten(), stored.size());
  EXPECT_LT(stored.size(), 1000u);
}

}  // namespace
}  // namespace aero
