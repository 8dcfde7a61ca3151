// The Secret Agent option group of both tools (asbackup's --sa-*), and what the other option
// groups use to refuse a "secrets:<resource>:<key>" value that was never resolved.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>

#include "common/status.h"
#include "secrets/command_line.h"

namespace aero::tools {

// --encryption-key-file's secret is the PEM key itself (as asbackup has it), not a path: a value
// starting with kPemStart is key content (CodecOptionsOf), anything else a file name.
inline constexpr const char* kEncryptionKeyFileOption = "--encryption-key-file";
inline constexpr std::string_view kPemStart = "-----BEGIN ";

// Adds asbackup's --sa-address host[:port], --sa-port, --sa-timeout (ms), --sa-cafile and
// --sa-is-base64 as the option group "Secret Agent". When any of them is given, every other option
// value of `app` of the form "secrets:<resource>:<key>" is replaced by the secret before the
// options store their values: CLI11 (2.1) runs an option group's parse_complete_callback before
// the callbacks of the main app's options. For --encryption-key-file the secret is the PEM key
// itself (see kPemStart). Failures throw SecretOptionError naming the option (and the agent,
// resource and key, never a secret): exit code 2 for bad --sa-* options or a malformed reference,
// 1 when the agent cannot be reached or does not know the secret.
// Without any --sa-* option the group does nothing, and the *Of() converters of the other option
// groups reject a "secrets:" value left in their options ("... give --sa-address").
void AddSecretAgentOptions(CLI::App& app, secrets::CommandLineAgentOptions& flags);

// What AddSecretAgentOptions throws from CLI::App::parse, so a tool can tell it from CLI11's own
// errors (no "Run with --help" advice for an agent that is down). A CLI::ParseError, so callers
// that catch only those still see it.
class SecretOptionError : public CLI::ParseError {
 public:
  SecretOptionError(std::string message, int exit_code) : CLI::ParseError(std::move(message), exit_code) {}
};

// Error naming `option` when `value` is a "secrets:" reference that was not resolved, else Ok.
Status RejectUnresolvedSecret(const std::string& value, const std::string& option);

}  // namespace aero::tools
