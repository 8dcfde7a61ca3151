// Standard base64 (RFC 4648, '+' '/', '=' padding), as used by Aerospike info commands and .asb files.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace aero {

std::string Base64Encode(std::string_view bytes);
// Strict: rejects characters outside the alphabet, bad padding and lengths not a multiple of 4.
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace aero
