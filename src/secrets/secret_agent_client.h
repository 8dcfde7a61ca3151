// Client of the Aerospike Secret Agent, the sidecar that fetches secrets from Vault, AWS/GCP secret
// managers and the like on behalf of Aerospike tools (abs-config.md §8).
//
// Wire protocol (one request per connection, as the agent's own clients do):
//   request : 8-byte header = magic 0x51DEC1CC (big-endian u32) + body length (big-endian u32),
//             then the JSON body {"Resource":"<resource>","SecretKey":"<key>"}
//   reply   : the same header, then {"SecretValue":"<value>"} or {"Error":"<reason>"}
// With is-base64 the agent's values are base64 and are decoded here.
//
// Transports: tcp (address + port, optionally TLS verified against a CA file and the address as
// host name / IP) or a unix socket (address = path). Connect (with the TLS handshake), the write and
// the read each get the configured timeout, so a silent or slow agent never hangs the caller.
//
// Secret values never appear in any Status this client returns: errors name the agent, the
// resource and the key only.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"
#include "secrets/secret_ref.h"

namespace aero::secrets {

inline constexpr uint32_t kSecretAgentMagic = 0x51DEC1CC;  // "sidekick" in the agent's hexspeak
inline constexpr int kDefaultSecretAgentPort = 3005;       // asbackup --sa-port default
inline constexpr std::chrono::milliseconds kDefaultSecretAgentTimeout{1000};
// Largest reply body accepted. The agent's C client stops at 100 KiB; keys and passwords are far
// smaller, so anything bigger is a broken or hostile peer.
inline constexpr uint32_t kMaxSecretAgentReply = 1u << 20;

struct SecretAgentConfig {
  enum class Transport { kTcp, kUnix };
  Transport transport = Transport::kTcp;
  std::string address;  // host name / IP (tcp) or socket path (unix)
  int port = kDefaultSecretAgentPort;  // tcp only
  std::chrono::milliseconds timeout = kDefaultSecretAgentTimeout;
  std::string tls_ca_file;  // non-empty: TLS, peer verified against this CA (tcp only)
  bool is_base64 = false;   // the agent returns base64-encoded values

  // "tcp 127.0.0.1:3005", "tcp+tls host:3005" or "unix /run/agent.sock": used in error messages.
  std::string Describe() const;
  // Address set, port in range, timeout > 0, TLS only with tcp.
  Status Validate() const;
};

// "tcp" or "unix" (case-insensitive).
Result<SecretAgentConfig::Transport> ParseTransport(std::string_view name);

class SecretAgentClient {
 public:
  explicit SecretAgentClient(SecretAgentConfig config) : config_(std::move(config)) {}

  const SecretAgentConfig& config() const { return config_; }

  // Asks the agent for `ref`. Errors: kInvalidArgument (bad configuration), kNetwork (connect/IO),
  // kTimeout, kProtocol (bad magic, oversized or malformed reply), kNotFound (the agent answered with
  // an error, e.g. unknown key), kCorrupt (is-base64 but the value is not base64).
  Result<std::string> GetSecret(const SecretRef& ref) const;

  // ParseSecretRef + GetSecret.
  Result<std::string> Fetch(std::string_view reference) const;

 private:
  SecretAgentConfig config_;
};

}  // namespace aero::secrets
