// References to secrets held by the Aerospike Secret Agent: "secrets:<resource>:<key>".
//
// A configuration value (password, storage key, encryption key) that starts with "secrets:" is not
// the secret but the name of one; the agent is asked for <key> within <resource>. The split follows
// ABS (backup-go): exactly three ':'-separated parts, so neither part may contain ':'.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace aero::secrets {

inline constexpr std::string_view kSecretRefPrefix = "secrets:";

struct SecretRef {
  std::string resource;  // may be empty: the agent then uses its default resource
  std::string key;       // never empty
  // "secrets:<resource>:<key>": the reference as written (names only, never a secret value).
  std::string ToString() const;
  bool operator==(const SecretRef&) const = default;
};

// True when `value` starts with "secrets:".
bool IsSecretRef(std::string_view value);

// Parses a reference. Errors (kInvalidArgument) quote the reference: it holds names, not secrets.
Result<SecretRef> ParseSecretRef(std::string_view value);

}  // namespace aero::secrets
