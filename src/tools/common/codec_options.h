// The compression and encryption options of both tools (-z, --compression-level, -y,
// --encryption-key-file, --encryption-key-env) and their conversion to the format's CodecOptions.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "common/status.h"
#include "format/codec.h"

namespace aero::tools {

struct CodecFlags {
  std::string compress;  // -z zstd
  int compression_level = 0;
  std::string encrypt;   // -y aes128|aes256
  std::string key_file;  // --encryption-key-file: a path, or the PEM itself when fetched from the agent
  std::string key_env;   // --encryption-key-env (variable holding the base64 key)
};
void AddCodecOptions(CLI::App& app, CodecFlags& flags);
// A key_file value starting with "-----BEGIN " is PEM content (the Secret Agent's answer to
// --encryption-key-file secrets:...), anything else a path. Rejects unresolved "secrets:" values.
Result<CodecOptions> CodecOptionsOf(const CodecFlags& flags);

}  // namespace aero::tools
