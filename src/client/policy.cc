// Host list parsing; see policy.h.
#include "client/policy.h"

#include <charconv>

namespace aero::client {

std::string Host::ToString() const {
  std::string h = name.find(':') != std::string::npos ? "[" + name + "]" : name;
  if (!tls_name.empty()) h += ":" + tls_name;
  return h + ":" + std::to_string(port);
}

static bool ParsePort(std::string_view s, uint16_t& out) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 65535) return false;
  out = static_cast<uint16_t>(v);
  return true;
}

Result<std::vector<Host>> ParseHosts(std::string_view text, uint16_t default_port) {
  std::vector<Host> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    std::string_view item = text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    pos = comma == std::string_view::npos ? text.size() + 1 : comma + 1;
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    Host h;
    h.port = default_port;
    std::string_view rest;
    if (item.front() == '[') {
      size_t close = item.find(']');
      if (close == std::string_view::npos || close == 1)
        return Status(ErrorCode::kInvalidArgument, "host '" + std::string(item) + "': unterminated IPv6 literal");
      h.name = std::string(item.substr(1, close - 1));
      rest = item.substr(close + 1);
      if (!rest.empty() && rest.front() != ':')
        return Status(ErrorCode::kInvalidArgument, "host '" + std::string(item) + "': junk after ']'");
      if (!rest.empty()) rest.remove_prefix(1);
    } else {
      size_t colon = item.find(':');
      h.name = std::string(item.substr(0, colon));
      if (colon != std::string_view::npos) rest = item.substr(colon + 1);
      if (h.name.empty()) return Status(ErrorCode::kInvalidArgument, "host '" + std::string(item) + "': empty name");
    }
    if (!rest.empty()) {
      // Either "port" or "tlsname:port" or "tlsname".
      size_t colon = rest.find(':');
      if (colon == std::string_view::npos) {
        if (!ParsePort(rest, h.port)) {
          if (rest.find_first_not_of("0123456789") == std::string_view::npos)
            return Status(ErrorCode::kInvalidArgument, "host '" + std::string(item) + "': bad port");
          h.tls_name = std::string(rest);
        }
      } else {
        h.tls_name = std::string(rest.substr(0, colon));
        if (!ParsePort(rest.substr(colon + 1), h.port))
          return Status(ErrorCode::kInvalidArgument, "host '" + std::string(item) + "': bad port");
      }
    }
    out.push_back(std::move(h));
  }
  if (out.empty()) return Status(ErrorCode::kInvalidArgument, "no hosts in '" + std::string(text) + "'");
  return out;
}

}  // namespace aero::client
