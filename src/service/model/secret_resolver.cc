// SecretResolver and the Secret Agent client settings of a configured agent (secret_resolver.h).
#include "service/model/secret_resolver.h"

#include "secrets/secret_ref.h"

namespace aero::service::model {

Result<secrets::SecretAgentConfig> SecretAgentConfigFor(const SecretAgent& agent, const std::string& where) {
  secrets::SecretAgentConfig c;
  if (!agent.connection_type) {
    return Status(ErrorCode::kInvalidArgument, where + ": connection-type is required (tcp or unix)");
  }
  auto transport = secrets::ParseTransport(*agent.connection_type);
  if (!transport.ok()) return transport.status().WithContext(where);
  c.transport = *transport;
  c.address = agent.address.value_or("");
  if (agent.port) c.port = *agent.port;
  // ABS leaves 0 as "no deadline"; here every agent request is bounded, so 0 means the default.
  int64_t timeout = agent.EffectiveTimeoutMs();
  c.timeout = std::chrono::milliseconds(timeout > 0 ? timeout : kDefaultSecretAgentTimeoutMs);
  c.tls_ca_file = agent.tls_ca_file.value_or("");
  c.is_base64 = agent.is_base64.value_or(false);
  if (Status st = c.Validate(); !st.ok()) return st.WithContext(where);
  return c;
}

SecretResolver::SecretResolver(std::map<std::string, SecretAgent> agents, std::optional<SecretAgent> run_agent,
                               std::string run_agent_label)
    : agents_(std::move(agents)), run_agent_(std::move(run_agent)), run_agent_label_(std::move(run_agent_label)) {}

Result<SecretResolver> SecretResolver::ForRun(const Config& config, const std::optional<std::string>& agent_name,
                                              const std::optional<SecretAgent>& inline_agent) {
  if (agent_name && !agent_name->empty()) {
    auto it = config.secret_agents.find(*agent_name);
    if (it == config.secret_agents.end()) {
      return Status(ErrorCode::kInvalidArgument, "secret agent \"" + *agent_name + "\" is not configured");
    }
    return SecretResolver(config.secret_agents, it->second, "secret agent \"" + *agent_name + "\"");
  }
  if (inline_agent) return SecretResolver(config.secret_agents, *inline_agent, "the inline secret-agent");
  return SecretResolver(config.secret_agents, std::nullopt);
}

Result<std::string> SecretResolver::Resolve(const std::optional<std::string>& value, const std::string& field,
                                            const std::optional<SecretAgent>& inline_agent,
                                            const std::optional<std::string>& agent_name) const {
  if (!value) return std::string();
  return Resolve(std::string_view(*value), field, inline_agent, agent_name);
}

Result<std::string> SecretResolver::Resolve(std::string_view value, const std::string& field,
                                            const std::optional<SecretAgent>& inline_agent,
                                            const std::optional<std::string>& agent_name) const {
  if (!secrets::IsSecretRef(value)) return std::string(value);
  auto ref = secrets::ParseSecretRef(value);
  if (!ref.ok()) return ref.status().WithContext(field);
  const SecretAgent* agent = nullptr;
  std::string label;
  if (inline_agent) {
    agent = &*inline_agent;
    label = field + " (inline secret-agent)";
  } else if (agent_name && !agent_name->empty()) {
    auto it = agents_.find(*agent_name);
    if (it == agents_.end()) {
      return Status(ErrorCode::kInvalidArgument,
                    field + ": secret-agent-name \"" + *agent_name + "\" is not among the configured secret-agents");
    }
    agent = &it->second;
    label = field + " (secret agent \"" + *agent_name + "\")";
  } else if (run_agent_) {
    agent = &*run_agent_;
    label = field + " (" + run_agent_label_ + ")";
  } else {
    return Status(ErrorCode::kInvalidArgument,
                  field + ": " + ref->ToString() +
                      " is a Secret Agent reference but no agent is set: give secret-agent or secret-agent-name");
  }
  ABS_ASSIGN_OR_RETURN(auto config, SecretAgentConfigFor(*agent, label));
  auto secret = secrets::SecretAgentClient(std::move(config)).GetSecret(*ref);
  if (!secret.ok()) return secret.status().WithContext(label);
  return secret;
}

Result<std::string> SecretResolver::ResolveRunSecret(std::string_view reference, const std::string& field) const {
  if (!secrets::IsSecretRef(reference)) {
    return Status(ErrorCode::kInvalidArgument,
                  field + ": \"" + std::string(reference) + "\" is not a secrets:<resource>:<key> reference");
  }
  if (!run_agent_) {
    return Status(ErrorCode::kInvalidArgument, field + ": needs the routine's (or restore request's) secret-agent");
  }
  return Resolve(reference, field);
}

}  // namespace aero::service::model
