// Resolving the configuration's indirect values: SecretResolver turns "secrets:<resource>:<key>"
// references (abs-config.md §8) into the secrets the Aerospike Secret Agent holds, choosing the
// agent from the owning object, the configuration's named agents and the run.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "secrets/secret_agent_client.h"
#include "service/config/config.h"

namespace aero::service::model {

// The Secret Agent client settings of a configured agent (connection-type, address, port, timeout,
// tls-ca-file, is-base64). A timeout of 0 or less means the default 1000 ms: no agent request
// may wait forever.
Result<secrets::SecretAgentConfig> SecretAgentConfigFor(const SecretAgent& agent, const std::string& where);

// Resolves configuration values that may be "secrets:<resource>:<key>" references (abs-config.md
// §8). The agent for a value is the owning object's inline `secret-agent`, else its
// `secret-agent-name` looked up in the configuration's `secret-agents`, else the run's agent (a
// routine's `secret-agent`, a restore request's agent), else there is none and a reference is an
// error. Literal values come back unchanged. Errors name the field and, for references, the agent,
// resource and key; never a secret value. The resolver holds copies, so a job can keep the one it
// started with while the configuration changes.
class SecretResolver {
 public:
  SecretResolver() = default;  // no named agents and no run agent: only inline agents resolve
  SecretResolver(std::map<std::string, SecretAgent> agents, std::optional<SecretAgent> run_agent,
                 std::string run_agent_label = "the run's secret-agent");

  // The configuration's agents; the run agent is `agent_name` (a routine's `secret-agent`) or
  // `inline_agent` (a restore request's `secret-agent`). Unknown names are an error.
  static Result<SecretResolver> ForRun(const Config& config, const std::optional<std::string>& agent_name,
                                       const std::optional<SecretAgent>& inline_agent = std::nullopt);

  // `value` as is, or the secret it references. `field` names it in errors (e.g. "cluster prod
  // credentials password"); `inline_agent` / `agent_name` are the owning object's agent settings.
  Result<std::string> Resolve(std::string_view value, const std::string& field,
                              const std::optional<SecretAgent>& inline_agent = std::nullopt,
                              const std::optional<std::string>& agent_name = std::nullopt) const;
  // Same for an optional value (absent stays "").
  Result<std::string> Resolve(const std::optional<std::string>& value, const std::string& field,
                              const std::optional<SecretAgent>& inline_agent = std::nullopt,
                              const std::optional<std::string>& agent_name = std::nullopt) const;

  // Encryption `key-secret`: it must be a reference and is fetched through the run's agent.
  Result<std::string> ResolveRunSecret(std::string_view reference, const std::string& field) const;

 private:
  std::map<std::string, SecretAgent> agents_;
  std::optional<SecretAgent> run_agent_;
  std::string run_agent_label_ = "the run's secret-agent";
};

}  // namespace aero::service::model
