// Parsing of "secrets:<resource>:<key>" references (see secret_ref.h).
#include "secrets/secret_ref.h"

namespace aero::secrets {

std::string SecretRef::ToString() const { return std::string(kSecretRefPrefix) + resource + ":" + key; }

bool IsSecretRef(std::string_view value) { return value.substr(0, kSecretRefPrefix.size()) == kSecretRefPrefix; }

Result<SecretRef> ParseSecretRef(std::string_view value) {
  const std::string quoted = "\"" + std::string(value) + "\"";
  if (!IsSecretRef(value)) {
    return Status(ErrorCode::kInvalidArgument,
                  "secret reference " + quoted + " does not start with \"secrets:\" (format secrets:<resource>:<key>)");
  }
  std::string_view rest = value.substr(kSecretRefPrefix.size());
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos || rest.find(':', colon + 1) != std::string_view::npos) {
    return Status(ErrorCode::kInvalidArgument,
                  "secret reference " + quoted + " must have exactly three parts: secrets:<resource>:<key>");
  }
  SecretRef ref{std::string(rest.substr(0, colon)), std::string(rest.substr(colon + 1))};
  if (ref.key.empty()) {
    return Status(ErrorCode::kInvalidArgument, "secret reference " + quoted + " has an empty key");
  }
  return ref;
}

}  // namespace aero::secrets
