// Info protocol (wire-protocol.md §2): request text building, response parsing, and helpers for the
// `k=v;k=v` and record-list value formats.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace aero::proto {

// Full proto (header included) for an info request; each command gets a trailing '\n'.
std::string BuildInfoRequest(const std::vector<std::string>& commands);

// Parses an info response body into (command as echoed, value) pairs, in order.
Result<std::vector<std::pair<std::string, std::string>>> ParseInfoResponse(std::string_view body);

// Splits "a=1;b=2" (separator sep, then '=') into a map. Items without '=' map to "".
std::map<std::string, std::string> ParseKeyValues(std::string_view text, char sep = ';');

// Splits on a separator, dropping empty pieces.
std::vector<std::string> SplitNonEmpty(std::string_view text, char sep);

// True if a value is an info error ("ERROR:...", "FAIL:...", "error=...").
bool IsInfoError(std::string_view value);

// Partition bitmap from a base64 `replicas` column: 4096 bits, MSB first.
bool DecodePartitionBitmap(std::string_view b64, std::vector<bool>& owned);
std::string EncodePartitionBitmap(const std::vector<bool>& owned);

}  // namespace aero::proto
