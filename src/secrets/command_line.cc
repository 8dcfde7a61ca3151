// Command-line Secret Agent options and option-value resolution (see command_line.h).
#include "secrets/command_line.h"

#include <charconv>

namespace aero::secrets {

Result<std::optional<SecretAgentConfig>> AgentConfigFromOptions(const CommandLineAgentOptions& o) {
  if (o.address.empty()) {
    if (o.port || !o.cafile.empty()) {
      return Status(ErrorCode::kInvalidArgument, "--sa-port/--sa-cafile need --sa-address");
    }
    return std::optional<SecretAgentConfig>();
  }
  SecretAgentConfig c;
  c.address = o.address;
  // "host:port" or "[v6]:port"; a bare IPv6 address (several ':') has no port part.
  std::string_view port_text;
  if (o.address.front() == '[') {
    size_t close = o.address.find(']');
    if (close == std::string::npos) {
      return Status(ErrorCode::kInvalidArgument, "--sa-address " + o.address + ": missing ']'");
    }
    c.address = o.address.substr(1, close - 1);
    if (close + 1 < o.address.size()) {
      if (o.address[close + 1] != ':') {
        return Status(ErrorCode::kInvalidArgument, "--sa-address " + o.address + ": expected ':' after ']'");
      }
      port_text = std::string_view(o.address).substr(close + 2);
    }
  } else if (size_t colon = o.address.find(':');
             colon != std::string::npos && o.address.find(':', colon + 1) == std::string::npos) {
    c.address = o.address.substr(0, colon);
    port_text = std::string_view(o.address).substr(colon + 1);
  }
  if (!port_text.empty()) {
    int port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size()) {
      return Status(ErrorCode::kInvalidArgument, "--sa-address " + o.address + ": bad port '" +
                                                     std::string(port_text) + "'");
    }
    c.port = port;
  }
  if (o.port) c.port = *o.port;
  c.timeout = std::chrono::milliseconds(o.timeout_ms);
  c.tls_ca_file = o.cafile;
  c.is_base64 = o.is_base64;
  if (Status st = c.Validate(); !st.ok()) return st.WithContext("--sa-* options");
  return std::optional<SecretAgentConfig>(std::move(c));
}

Result<std::string> ResolveOptionValue(std::string_view value, const std::string& option,
                                       const std::optional<SecretAgentConfig>& agent) {
  if (!IsSecretRef(value)) return std::string(value);
  ABS_ASSIGN_OR_RETURN(auto ref, ParseSecretRef(value));
  if (!agent) {
    return Status(ErrorCode::kInvalidArgument,
                  option + ": " + ref.ToString() + " is a Secret Agent reference: give --sa-address (and --sa-port)");
  }
  auto secret = SecretAgentClient(*agent).GetSecret(ref);
  if (!secret.ok()) return secret.status().WithContext(option);
  return secret;
}

}  // namespace aero::secrets
