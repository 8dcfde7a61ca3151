// Info protocol helpers; see info.h.
#include "protocol/info.h"

#include "common/base64.h"
#include "protocol/constants.h"
#include "protocol/message.h"

namespace aero::proto {

std::string BuildInfoRequest(const std::vector<std::string>& commands) {
  std::string body;
  for (const auto& c : commands) {
    body.append(c);
    body.push_back('\n');
  }
  std::string out;
  PutProtoHeader(out, kInfo, body.size());
  out.append(body);
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseInfoResponse(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t pos = 0;
  while (pos < body.size()) {
    size_t nl = body.find('\n', pos);
    std::string_view line = body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? body.size() : nl + 1;
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) {
      // A bare line: the server echoed a command without a value.
      out.emplace_back(std::string(line), "");
    } else {
      out.emplace_back(std::string(line.substr(0, tab)), std::string(line.substr(tab + 1)));
    }
  }
  return out;
}

std::map<std::string, std::string> ParseKeyValues(std::string_view text, char sep) {
  std::map<std::string, std::string> out;
  for (const auto& item : SplitNonEmpty(text, sep)) {
    size_t eq = item.find('=');
    if (eq == std::string::npos)
      out[item] = "";
    else
      out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

std::vector<std::string> SplitNonEmpty(std::string_view text, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t next = text.find(sep, pos);
    if (next == std::string_view::npos) next = text.size();
    if (next > pos) out.emplace_back(text.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

bool IsInfoError(std::string_view v) {
  return v.rfind("ERROR", 0) == 0 || v.rfind("FAIL", 0) == 0 || v.rfind("error=", 0) == 0;
}

bool DecodePartitionBitmap(std::string_view b64, std::vector<bool>& owned) {
  auto bytes = Base64Decode(b64);
  if (!bytes || bytes->size() != 512) return false;
  owned.assign(4096, false);
  for (int p = 0; p < 4096; ++p)
    owned[p] = (static_cast<uint8_t>((*bytes)[p >> 3]) & (0x80 >> (p & 7))) != 0;
  return true;
}

std::string EncodePartitionBitmap(const std::vector<bool>& owned) {
  std::string bytes(512, '\0');
  for (int p = 0; p < 4096 && p < static_cast<int>(owned.size()); ++p)
    if (owned[p]) bytes[p >> 3] = static_cast<char>(static_cast<uint8_t>(bytes[p >> 3]) | (0x80 >> (p & 7)));
  return Base64Encode(bytes);
}

}  // namespace aero::proto
