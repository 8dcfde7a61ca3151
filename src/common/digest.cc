// RIPEMD-160 through OpenSSL's EVP interface.
#include "common/digest.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "common/bytes.h"

namespace aero {

Digest ComputeDigest(std::string_view set, const UserKey& key) {
  Digest out{};
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const uint8_t type = static_cast<uint8_t>(key.type);
  unsigned int len = 0;
  bool ok = ctx && EVP_DigestInit_ex(ctx, EVP_ripemd160(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, set.data(), set.size()) == 1 &&
            EVP_DigestUpdate(ctx, &type, 1) == 1 &&
            EVP_DigestUpdate(ctx, key.data.data(), key.data.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, out.data(), &len) == 1;
  EVP_MD_CTX_free(ctx);
  // RIPEMD-160 is built into the OpenSSL we link; failure means a broken installation.
  if (!ok || len != out.size()) throw std::runtime_error("RIPEMD-160 is not available from OpenSSL");
  return out;
}

Digest ComputeDigest(std::string_view set, int64_t integer_key) {
  return ComputeDigest(set, IntegerKey(integer_key));
}

Digest ComputeDigest(std::string_view set, std::string_view string_key) {
  return ComputeDigest(set, StringKey(string_key));
}

UserKey IntegerKey(int64_t v) {
  UserKey k;
  k.type = ParticleType::kInteger;
  PutU64BE(k.data, static_cast<uint64_t>(v));
  return k;
}

UserKey StringKey(std::string_view s) { return UserKey{ParticleType::kString, std::string(s)}; }

UserKey BlobKey(std::string_view bytes, ParticleType type) { return UserKey{type, std::string(bytes)}; }

}  // namespace aero
