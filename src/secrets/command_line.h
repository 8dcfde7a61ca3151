// The Secret Agent on the command line, as asbackup/asrestore have it (backup-tools.md §1):
// --sa-address host[:port], --sa-port (3005), --sa-timeout ms (1000), --sa-cafile, --sa-is-base64,
// and the rule that any option value may be a "secrets:<resource>:<key>" reference fetched through
// that agent. CLI-library independent: the tools' option parser feeds it raw option values.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "secrets/secret_agent_client.h"

namespace aero::secrets {

struct CommandLineAgentOptions {
  std::string address;        // --sa-address: "host", "host:port", "[v6]:port" or "v6"
  std::optional<int> port;    // --sa-port (wins over a port inside --sa-address, as in asbackup)
  int timeout_ms = static_cast<int>(kDefaultSecretAgentTimeout.count());  // --sa-timeout
  std::string cafile;         // --sa-cafile: TLS to the agent, verified with this CA
  bool is_base64 = false;     // --sa-is-base64: the agent sends values base64-encoded
};

// The client settings; nullopt when no --sa-address was given (no agent). Errors name the option.
Result<std::optional<SecretAgentConfig>> AgentConfigFromOptions(const CommandLineAgentOptions& options);

// `value` unchanged, or the secret it references. A reference without an agent is an error naming
// `option` and saying --sa-address is needed; agent errors name `option`, agent, resource and key.
Result<std::string> ResolveOptionValue(std::string_view value, const std::string& option,
                                       const std::optional<SecretAgentConfig>& agent);

}  // namespace aero::secrets
