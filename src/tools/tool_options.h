// Command-line pieces shared by abs-backup and abs-restore, under asbackup/asrestore's option names
// (backup-tools.md §1-§2): cluster connection (hosts, user/password, auth mode, TLS, timeouts),
// the Secret Agent (--sa-*; any option value may be "secrets:<resource>:<key>"),
// storage backend flags (--s3-*, --azure-*, --gcp-*) and splitting a path/URI into a storage root
// and a key, compression/encryption flags, asbackup's local-time format, a progress reporter
// (terminal bar or periodic lines, machine-readable lines) and cancel-on-SIGINT/SIGTERM.
//
// Each group is a struct filled by CLI11 (Add*Options) and converted to the engine's types with a
// function returning Result, so bad values are reported with the option's name.
#pragma once

#include <CLI/CLI.hpp>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/cluster.h"
#include "client/policy.h"
#include "common/cancel.h"
#include "common/status.h"
#include "format/codec.h"
#include "secrets/command_line.h"
#include "storage/options.h"
#include "storage/storage.h"

namespace aero::tools {

// ---- cluster connection ----
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
// Seeds from -h/-p. Errors name the bad entry.
Result<std::vector<client::Host>> SeedHosts(const ConnectionFlags& flags);
// Client policy (TLS, user, timeouts). A "secrets:" value left unresolved (no --sa-address) is an
// error naming the option. Prompts for the password on the terminal when -P was given
// without a value. Unsupported modes (EXTERNAL, PKI, TLS protocol/cipher selection) are errors.
Result<client::ClientPolicy> ClientPolicyOf(const ConnectionFlags& flags);
Result<std::shared_ptr<client::Cluster>> ConnectCluster(const ConnectionFlags& flags);
// asbackup's secret forms for TLS key passwords: "env:VAR", "file:PATH" or a literal.
Result<std::string> ResolveSecretValue(const std::string& value, const std::string& what);

// ---- Secret Agent ----
// Adds asbackup's --sa-address host[:port], --sa-port, --sa-timeout (ms), --sa-cafile and
// --sa-is-base64 as the option group "Secret Agent". When any of them is given, every other option
// value of `app` of the form "secrets:<resource>:<key>" is replaced by the secret before the
// options store their values: CLI11 (2.1) runs an option group's parse_complete_callback before
// the callbacks of the main app's options. For --encryption-key-file the secret is the PEM key
// itself (as asbackup has it), not a path: CodecOptionsOf takes a value that is PEM content as the
// key. Failures throw CLI::ParseError naming the option (and the agent,
// resource and key, never a secret): exit code 2 for bad --sa-* options or a malformed reference,
// 1 when the agent cannot be reached or does not know the secret.
// Without any --sa-* option the group does nothing, and the *Of() converters below reject a
// "secrets:" value left in their options ("... give --sa-address").
void AddSecretAgentOptions(CLI::App& app, secrets::CommandLineAgentOptions& flags);
// What AddSecretAgentOptions throws from CLI::App::parse, so a tool can tell it from CLI11's own
// errors (no "Run with --help" advice for an agent that is down). A CLI::ParseError, so callers
// that catch only those still see it.
class SecretOptionError : public CLI::ParseError {
 public:
  SecretOptionError(std::string message, int exit_code) : CLI::ParseError(std::move(message), exit_code) {}
};
// Error naming `option` when `value` is a "secrets:" reference that was not resolved, else Ok.
Status RejectUnresolvedSecret(const std::string& value, const std::string& option);
// RejectUnresolvedSecret over every string option of the connection (hosts, user, password, TLS).
Status RejectUnresolvedSecrets(const ConnectionFlags& flags);

// ---- storage ----
struct StorageFlags {
  std::string s3_region, s3_profile, s3_endpoint_override, s3_log_level;
  uint64_t s3_min_part_size_mib = 5;
  int s3_max_async_uploads = 16;
  int s3_max_async_downloads = 32;
  int s3_connect_timeout_ms = 10000;
  bool s3_allow_system_proxy = false;
  std::string azure_account_name, azure_account_key, azure_tenant_id, azure_client_id, azure_client_secret,
      azure_endpoint, azure_sas_token;
  uint64_t azure_block_size_mib = 5;
  std::string gcp_key_path, gcp_endpoint_override;
  uint64_t gcp_chunk_size_mib = 8;
  int storage_max_retries = 5;
};
void AddStorageOptions(CLI::App& app, StorageFlags& flags, bool uploads);
// Rejects unresolved "secrets:" values (see AddSecretAgentOptions).
Result<StorageOptions> StorageOptionsOf(const StorageFlags& flags);

// A directory (-d) or file (-o/-i) argument as a storage root plus a key under it:
// "s3://b/dir/f.asb" as file -> root "s3://b/dir", key "f.asb"; "/x/dir" as directory -> root
// "/x/dir", key "". "-" (stdin/stdout) is not supported and is an error.
struct StorageLocation {
  std::string root;  // URI or local path handed to OpenStorage
  std::string key;   // "" for a directory
};
Result<StorageLocation> DirectoryLocation(const std::string& path);
Result<StorageLocation> FileLocation(const std::string& path);
Result<std::unique_ptr<Storage>> OpenStorageAt(const std::string& root, const StorageFlags& flags);

// ---- compression / encryption ----
struct CodecFlags {
  std::string compress;  // -z zstd
  int compression_level = 0;
  std::string encrypt;   // -y aes128|aes256
  std::string key_file;  // --encryption-key-file: a path, or the PEM itself when fetched from the agent
  std::string key_env;   // --encryption-key-env (variable holding the base64 key)
};
void AddCodecOptions(CLI::App& app, CodecFlags& flags);
// A key_file value starting with "-----BEGIN " is PEM content (the Secret Agent's answer to
// --encryption-key-file secrets:...), anything else a path. Rejects unresolved "secrets:" values.
Result<CodecOptions> CodecOptionsOf(const CodecFlags& flags);

// asbackup -a/-b: "YYYY-MM-DD_HH:MM:SS", "YYYY-MM-DD" (midnight) or "HH:MM:SS" (today), all in the
// local time zone; returns ms since the Unix epoch.
Result<int64_t> ParseLocalTime(std::string_view text, int64_t now_unix_ms);

// Comma-separated list ("a,b , c" -> {a,b,c}); surrounding quotes of an item are removed.
std::vector<std::string> SplitList(std::string_view text);

// ---- progress ----
// Calls `line(final)` every `interval` from its own thread and writes the result: on a terminal as a
// bar redrawn in place, else as a line; out = nullptr only calls `line` (for its side effects, e.g.
// machine-readable lines). Stop() (or the destructor) prints the final line and joins.
class ProgressReporter {
 public:
  ProgressReporter(std::function<std::string()> line, bool terminal, std::chrono::milliseconds interval,
                   FILE* out = stderr);
  ~ProgressReporter();
  void Stop();

 private:
  void Loop();
  std::function<std::string()> line_;
  bool terminal_;
  std::chrono::milliseconds interval_;
  FILE* out_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};
// "[#####.....]  45.0%" for a percent in [0,100], "[ ? ]" for unknown (< 0).
std::string ProgressBar(double percent, int width = 30);
// "1h02m03s", "4m05s", "12s"; "?" for < 0.
std::string FormatDuration(double seconds);
// "1.5 MiB" style.
std::string FormatBytes(double bytes);

// ---- run output: progress, machine lines, JSON summary ----
struct OutputFlags {
  bool json = false;             // --json: one JSON summary object on stdout
  bool no_progress = false;      // --no-progress
  std::string machine;           // -m/--machine PATH: append PROGRESS:/REMAINING:/SUMMARY: lines
  int progress_interval_ms = 0;  // --progress-interval; 0 = 1 s on a terminal, 10 s otherwise
};
void AddOutputOptions(CLI::App& app, OutputFlags& flags);
// Appends one line to the machine-readable file (no-op for an empty path). Write errors are
// returned so callers can report them.
Status AppendMachineLine(const std::string& path, const std::string& line);
// Starts a reporter for `line` on stderr per the flags (terminal bar, periodic lines, or silent when
// --no-progress; `line` is still called so it can write machine lines). nullptr when nothing is
// wanted at all.
std::unique_ptr<ProgressReporter> StartProgress(const OutputFlags& flags, std::function<std::string(bool terminal)> line);

// ---- signals ----
// While alive, SIGINT and SIGTERM cancel `token` (handled on a dedicated thread with sigwait, not in
// a signal handler). Construct it before starting other threads so they inherit the blocked mask.
class SignalCanceller {
 public:
  explicit SignalCanceller(CancelToken& token);
  ~SignalCanceller();

 private:
  CancelToken& token_;
  std::thread thread_;
};

}  // namespace aero::tools
