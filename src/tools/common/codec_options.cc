// The compression and encryption options (see codec_options.h).
#include "tools/common/codec_options.h"

#include <cstdlib>
#include <utility>

#include "tools/common/secret_options.h"

namespace aero::tools {

void AddCodecOptions(CLI::App& app, CodecFlags& f) {
  const char* g = "Compression and encryption";
  app.add_option("-z,--compress", f.compress, "Compression: zstd")->group(g);
  app.add_option("--compression-level", f.compression_level, "zstd level (0 = default 3)")->group(g);
  app.add_option("-y,--encrypt", f.encrypt, "Encryption: aes128 | aes256")->group(g);
  app.add_option(kEncryptionKeyFileOption, f.key_file, "PEM private key the AES key is derived from")->group(g);
  app.add_option("--encryption-key-env", f.key_env, "Environment variable holding the base64 key")->group(g);
}

Result<CodecOptions> CodecOptionsOf(const CodecFlags& f) {
  for (const auto& [value, option] : {std::pair<const std::string&, const char*>{f.compress, "--compress"},
                                      {f.encrypt, "--encrypt"},
                                      {f.key_file, "--encryption-key-file"},
                                      {f.key_env, "--encryption-key-env"}}) {
    ABS_RETURN_IF_ERROR(RejectUnresolvedSecret(value, option));
  }
  CodecOptions o;
  if (!f.compress.empty()) {
    auto c = ParseCompressionMode(f.compress);
    if (!c) return Status(ErrorCode::kInvalidArgument, "--compress: unknown mode '" + f.compress + "' (zstd)");
    o.compression = *c;
  }
  if (f.compression_level != 0 && o.compression == CompressionMode::kNone)
    return Status(ErrorCode::kInvalidArgument, "--compression-level needs --compress");
  if (f.compression_level < 0 || f.compression_level > 22)
    return Status(ErrorCode::kInvalidArgument, "--compression-level must be 0..22");
  o.compression_level = f.compression_level;
  if (!f.encrypt.empty()) {
    auto e = ParseEncryptionMode(f.encrypt);
    if (!e) return Status(ErrorCode::kInvalidArgument, "--encrypt: unknown mode '" + f.encrypt + "' (aes128|aes256)");
    o.encryption = *e;
  }
  bool has_key = !f.key_file.empty() || !f.key_env.empty();
  if (!f.key_file.empty() && !f.key_env.empty())
    return Status(ErrorCode::kInvalidArgument, "give --encryption-key-file or --encryption-key-env, not both");
  if (o.encryption != EncryptionMode::kNone && !has_key)
    return Status(ErrorCode::kInvalidArgument, "--encrypt needs --encryption-key-file or --encryption-key-env");
  if (o.encryption == EncryptionMode::kNone && has_key)
    return Status(ErrorCode::kInvalidArgument, "an encryption key was given without --encrypt");
  if (f.key_file.rfind(kPemStart, 0) == 0) {
    // The PEM itself: --encryption-key-file secrets:... answered by the Secret Agent. No path
    // starts like this, and the content must never be echoed as if it were a file name.
    ABS_ASSIGN_OR_RETURN(o.key_material, KeyMaterialFromPem(f.key_file, "--encryption-key-file (from the Secret Agent)"));
  } else if (!f.key_file.empty()) {
    ABS_ASSIGN_OR_RETURN(o.key_material, LoadKeyFile(f.key_file));
  } else if (!f.key_env.empty()) {
    const char* v = std::getenv(f.key_env.c_str());
    if (!v) return Status(ErrorCode::kInvalidArgument, "--encryption-key-env: variable " + f.key_env + " is not set");
    ABS_ASSIGN_OR_RETURN(o.key_material, KeyMaterialFromEnvValue(v));
  }
  return o;
}

}  // namespace aero::tools
