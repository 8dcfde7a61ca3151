// The cluster connection options of both tools, under asbackup/asrestore's names (backup-tools.md
// §1-§2): hosts, user/password, auth mode, TLS, timeouts, retries, and the Secret Agent group (any
// option value may be "secrets:<resource>:<key>"). ConnectionFlags is filled by CLI11
// (AddConnectionOptions) and converted to the client's types by functions returning Result, so a
// bad value is reported with the option's name.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "client/cluster.h"
#include "client/policy.h"
#include "common/status.h"
#include "secrets/command_line.h"

namespace aero::tools {

struct ConnectionFlags {
  std::string hosts = "127.0.0.1";  // -h host[:tls-name][:port],...
  int port = 3000;                  // -p, default port for hosts without one
  std::string user;                 // -U
  std::string password;             // -P[password]; -P alone prompts
  bool password_given = false;      // -P was on the command line (empty = prompt); set by callers
  CLI::Option* password_option = nullptr;  // set by AddConnectionOptions: -P seen even without a value
  std::string auth_mode = "INTERNAL";  // -A INTERNAL|EXTERNAL|EXTERNAL_INSECURE|PKI
  bool services_alternate = false;  // -S
  bool tls_enable = false;
  std::string tls_name, tls_cafile, tls_capath, tls_certfile, tls_keyfile, tls_keyfile_password;
  std::string tls_protocols, tls_cipher_suite;
  int connect_timeout_ms = 2000;  // connect + TLS + login of each socket
  int info_timeout_ms = 10000;    // -T/--timeout on asrestore; info commands here
  int socket_timeout_ms = 10000;
  int total_timeout_ms = 0;
  int max_retries = 5;
  int sleep_between_retries_ms = 0;
  secrets::CommandLineAgentOptions secret_agent;  // --sa-*: added by AddConnectionOptions
};

// Adds the connection options and the Secret Agent group (AddSecretAgentOptions on
// flags.secret_agent), so both tools get secret resolution from this one call.
void AddConnectionOptions(CLI::App& app, ConnectionFlags& flags);

// After parsing: records whether -P was given in flags.password_given and forgets the option, so
// the flags are a plain value that outlives the CLI::App.
void DetachFromParser(ConnectionFlags& flags);

// Seeds from -h/-p. Errors name the bad entry.
Result<std::vector<client::Host>> SeedHosts(const ConnectionFlags& flags);
// Client policy (TLS, user, timeouts). A "secrets:" value left unresolved (no --sa-address) is an
// error naming the option. Prompts for the password on the terminal when -P was given
// without a value. Unsupported modes (EXTERNAL, PKI, TLS protocol/cipher selection) are errors.
Result<client::ClientPolicy> ClientPolicyOf(const ConnectionFlags& flags);
Result<std::shared_ptr<client::Cluster>> ConnectCluster(const ConnectionFlags& flags);
// asbackup's secret forms for TLS key passwords: "env:VAR", "file:PATH" or a literal.
Result<std::string> ResolveSecretValue(const std::string& value, const std::string& what);
// RejectUnresolvedSecret over every string option of the connection (hosts, user, password, TLS).
Status RejectUnresolvedSecrets(const ConnectionFlags& flags);

}  // namespace aero::tools
