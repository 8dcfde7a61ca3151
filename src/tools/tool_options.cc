// Shared command-line pieces of abs-backup and abs-restore (see tool_options.h).
#include "tools/tool_options.h"

#include <pthread.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>

#include "common/base64.h"
#include "secrets/secret_ref.h"
#include "storage/factory.h"

namespace aero::tools {

namespace {
std::string TrimCopy(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

Result<std::string> PromptPassword() {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (!tty) return Status(ErrorCode::kInvalidArgument, "-P without a value needs a terminal to prompt for the password");
  std::fputs("Enter Password: ", tty);
  std::fflush(tty);
  termios old{};
  bool restore = tcgetattr(fileno(tty), &old) == 0;
  if (restore) {
    termios noecho = old;
    noecho.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(fileno(tty), TCSAFLUSH, &noecho);
  }
  char buf[1024];
  char* got = std::fgets(buf, sizeof buf, tty);
  if (restore) tcsetattr(fileno(tty), TCSAFLUSH, &old);
  std::fputs("\n", tty);
  std::fclose(tty);
  if (!got) return Status(ErrorCode::kInvalidArgument, "no password entered");
  std::string pw(buf);
  while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
  return pw;
}
}  // namespace

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string item = TrimCopy(text.substr(pos, comma - pos));
    if (item.size() >= 2 && ((item.front() == '"' && item.back() == '"') || (item.front() == '\'' && item.back() == '\'')))
      item = item.substr(1, item.size() - 2);
    if (!item.empty()) out.push_back(item);
    pos = comma + 1;
  }
  return out;
}

// ---- connection ----

void AddConnectionOptions(CLI::App& app, ConnectionFlags& f) {
  AddSecretAgentOptions(app, f.secret_agent);
  const char* g = "Connection";
  app.add_option("-h,--host", f.hosts, "Seed hosts host[:tls-name][:port][,...]")->group(g)->capture_default_str();
  app.add_option("-p,--port", f.port, "Default port")->group(g)->capture_default_str()->check(CLI::Range(1, 65535));
  app.add_option("-U,--user", f.user, "User name")->group(g);
  f.password_option =
      app.add_option("-P,--password", f.password, "Password (-P alone prompts)")->group(g)->expected(0, 1);
  app.add_option("-A,--auth", f.auth_mode, "Authentication mode INTERNAL|EXTERNAL|EXTERNAL_INSECURE|PKI")
      ->group(g)
      ->capture_default_str();
  app.add_flag("-S,--services-alternate", f.services_alternate, "Use the alternate access addresses")->group(g);
  app.add_flag("--tls-enable,--tlsEnable", f.tls_enable, "Use TLS")->group(g);
  app.add_option("--tls-name,--tlsName", f.tls_name, "Default TLS name of the hosts")->group(g);
  app.add_option("--tls-cafile,--tlsCaFile", f.tls_cafile, "CA bundle (PEM)")->group(g);
  app.add_option("--tls-capath,--tlsCaPath", f.tls_capath, "Directory of CA certificates")->group(g);
  app.add_option("--tls-certfile,--tlsCertFile", f.tls_certfile, "Client certificate chain (PEM)")->group(g);
  app.add_option("--tls-keyfile,--tlsKeyFile", f.tls_keyfile, "Client private key (PEM)")->group(g);
  app.add_option("--tls-keyfile-password,--tlsKeyFilePassword", f.tls_keyfile_password,
                 "Key password: env:VAR, file:PATH or the literal")
      ->group(g);
  app.add_option("--tls-protocols,--tlsProtocols", f.tls_protocols, "TLS protocols (not supported)")->group(g);
  app.add_option("--tls-cipher-suite,--tlsCipherSuite", f.tls_cipher_suite, "Cipher suite (not supported)")->group(g);
  app.add_option("--connect-timeout", f.connect_timeout_ms, "Connect + login timeout per socket (ms)")
      ->group(g)
      ->capture_default_str();
  app.add_option("--info-timeout", f.info_timeout_ms, "Info command timeout (ms)")->group(g)->capture_default_str();
  app.add_option("--socket-timeout", f.socket_timeout_ms, "Socket idle timeout (ms)")->group(g)->capture_default_str();
  app.add_option("--total-timeout", f.total_timeout_ms, "Total timeout of a scan/transaction (ms, 0 = none)")
      ->group(g)
      ->capture_default_str();
  app.add_option("--max-retries", f.max_retries, "Retries")->group(g)->capture_default_str();
  app.add_option("--sleep-between-retries,--retry-delay", f.sleep_between_retries_ms, "Delay between retries (ms)")
      ->group(g)
      ->capture_default_str();
}

Result<std::vector<client::Host>> SeedHosts(const ConnectionFlags& f) {
  ABS_RETURN_IF_ERROR(RejectUnresolvedSecret(f.hosts, "--host"));
  if (f.port < 1 || f.port > 65535) return Status(ErrorCode::kInvalidArgument, "--port must be 1..65535");
  auto hosts = client::ParseHosts(f.hosts, static_cast<uint16_t>(f.port));
  if (!hosts.ok()) return hosts.status().WithContext("--host");
  if (hosts->empty()) return Status(ErrorCode::kInvalidArgument, "--host: no host given");
  if (!f.tls_name.empty())
    for (auto& h : *hosts)
      if (h.tls_name.empty()) h.tls_name = f.tls_name;
  return hosts;
}

Result<std::string> ResolveSecretValue(const std::string& value, const std::string& what) {
  if (value.rfind("env:", 0) == 0) {
    const char* v = std::getenv(value.substr(4).c_str());
    if (!v) return Status(ErrorCode::kInvalidArgument, what + ": environment variable " + value.substr(4) + " is not set");
    return std::string(v);
  }
  if (value.rfind("file:", 0) == 0) {
    std::ifstream in(value.substr(5), std::ios::binary);
    if (!in) return Status(ErrorCode::kInvalidArgument, what + ": cannot read " + value.substr(5));
    std::stringstream ss;
    ss << in.rdbuf();
    return TrimCopy(ss.str());
  }
  return value;
}

Status RejectUnresolvedSecrets(const ConnectionFlags& f) {
  for (const auto& [value, option] : {std::pair<const std::string&, const char*>{f.hosts, "--host"},
                                      {f.user, "--user"},
                                      {f.password, "--password"},
                                      {f.auth_mode, "--auth"},
                                      {f.tls_name, "--tls-name"},
                                      {f.tls_cafile, "--tls-cafile"},
                                      {f.tls_capath, "--tls-capath"},
                                      {f.tls_certfile, "--tls-certfile"},
                                      {f.tls_keyfile, "--tls-keyfile"},
                                      {f.tls_keyfile_password, "--tls-keyfile-password"},
                                      {f.tls_protocols, "--tls-protocols"},
                                      {f.tls_cipher_suite, "--tls-cipher-suite"}}) {
    ABS_RETURN_IF_ERROR(RejectUnresolvedSecret(value, option));
  }
  return Status::Ok();
}

Result<client::ClientPolicy> ClientPolicyOf(const ConnectionFlags& f) {
  ABS_RETURN_IF_ERROR(RejectUnresolvedSecrets(f));
  client::ClientPolicy p;
  std::string mode = f.auth_mode;
  for (auto& c : mode) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (mode != "INTERNAL")
    return Status(ErrorCode::kUnsupported, "--auth " + f.auth_mode + " is not supported (only INTERNAL)");
  if (!f.tls_protocols.empty() || !f.tls_cipher_suite.empty())
    return Status(ErrorCode::kUnsupported, "--tls-protocols/--tls-cipher-suite are not supported (OpenSSL defaults apply)");
  p.user = f.user;
  bool given = f.password_given || (f.password_option && f.password_option->count() > 0);
  if (given && f.password.empty()) {
    if (f.user.empty()) return Status(ErrorCode::kInvalidArgument, "--password needs --user");
    ABS_ASSIGN_OR_RETURN(p.password, PromptPassword());
  } else {
    p.password = f.password;
  }
  if (!p.password.empty() && p.user.empty()) return Status(ErrorCode::kInvalidArgument, "--password needs --user");
  p.use_alternate_access = f.services_alternate;
  p.tls.enabled = f.tls_enable;
  p.tls.ca_file = f.tls_cafile;
  p.tls.ca_path = f.tls_capath;
  p.tls.cert_file = f.tls_certfile;
  p.tls.key_file = f.tls_keyfile;
  if (!f.tls_keyfile_password.empty()) {
    ABS_ASSIGN_OR_RETURN(p.tls.key_password, ResolveSecretValue(f.tls_keyfile_password, "--tls-keyfile-password"));
  }
  if (f.connect_timeout_ms <= 0 || f.info_timeout_ms <= 0)
    return Status(ErrorCode::kInvalidArgument, "--connect-timeout and --info-timeout must be positive");
  p.connect_timeout = client::Millis(f.connect_timeout_ms);
  p.info_timeout = client::Millis(f.info_timeout_ms);
  p.app_id = "abs-tools";
  return p;
}

Result<std::shared_ptr<client::Cluster>> ConnectCluster(const ConnectionFlags& f) {
  ABS_ASSIGN_OR_RETURN(auto seeds, SeedHosts(f));
  ABS_ASSIGN_OR_RETURN(auto policy, ClientPolicyOf(f));
  return client::Cluster::Connect(seeds, policy);
}

// ---- Secret Agent ----

namespace {
constexpr const char* kEncryptionKeyFileOption = "--encryption-key-file";
constexpr std::string_view kPemStart = "-----BEGIN ";

// Replaces every "secrets:" value of the options of `app` and of its option groups (except `skip`,
// the Secret Agent group itself) with the secret. Throws SecretOptionError on failure; the message
// names the option, agent, resource and key, never a secret value.
void ResolveSecretsIn(CLI::App& app, const CLI::App* skip, const std::optional<secrets::SecretAgentConfig>& agent) {
  for (CLI::Option* opt : app.get_options()) {
    const auto& results = opt->results();
    if (std::none_of(results.begin(), results.end(), [](const std::string& r) { return secrets::IsSecretRef(r); }))
      continue;
    std::vector<std::string> resolved;
    resolved.reserve(results.size());
    for (const std::string& r : results) {
      auto v = secrets::ResolveOptionValue(r, opt->get_name(), agent);
      if (!v.ok()) {
        // Bad references and missing --sa-address are option errors (2); an agent that cannot be
        // reached or does not know the key is a failure of the run (1), as for the cluster.
        int code = v.status().code() == ErrorCode::kInvalidArgument ? 2 : 1;
        throw SecretOptionError(v.status().ToString(), code);
      }
      // --encryption-key-file's secret is the PEM itself; CodecOptionsOf tells it from a path by
      // its first line, so anything else from the agent must stop here (else it would be taken as
      // a file name and quoted in "cannot open ...").
      if (opt->get_name() == kEncryptionKeyFileOption && v->rfind(kPemStart, 0) != 0)
        throw SecretOptionError(std::string(kEncryptionKeyFileOption) + ": the Secret Agent's value for " + r +
                                    " is not a PEM key (no \"" + std::string(kPemStart) + "\" line)",
                                2);
      resolved.push_back(std::move(*v));
    }
    std::string refs;
    for (const std::string& r : results) refs += (refs.empty() ? "" : ", ") + r;
    opt->clear();
    opt->add_result(std::move(resolved));
    // Store the value now (CLI11 then skips this option's callback) so a conversion or check
    // error, whose CLI11 message quotes the value, is replaced by one that names only references.
    try {
      opt->run_callback();
    } catch (const CLI::Error&) {
      throw SecretOptionError(opt->get_name() + ": the value the Secret Agent gave for " + refs +
                                  " is not valid for this option",
                              2);
    }
  }
  for (CLI::App* sub : app.get_subcommands([skip](CLI::App* a) { return a != skip && a->get_name().empty(); }))
    ResolveSecretsIn(*sub, skip, agent);
}
}  // namespace

void AddSecretAgentOptions(CLI::App& app, secrets::CommandLineAgentOptions& f) {
  CLI::Option_group* g = app.add_option_group("Secret Agent", "Fetch option values given as secrets:<resource>:<key>");
  g->add_option("--sa-address", f.address, "Secret Agent host[:port], [IPv6]:port")->option_text("HOST[:PORT]");
  g->add_option_function<int>(
       "--sa-port", [&f](const int& port) { f.port = port; }, "Secret Agent port (default 3005)")
      ->option_text("PORT");
  g->add_option("--sa-timeout", f.timeout_ms, "Secret Agent connect/read timeout (ms)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  g->add_option("--sa-cafile", f.cafile, "CA (PEM) to verify the Secret Agent's TLS certificate; enables TLS");
  g->add_flag("--sa-is-base64", f.is_base64, "The Secret Agent sends values base64-encoded");
  // Runs (only when a --sa-* option was given) after the group's own options are stored and before
  // any option of the main app stores its value.
  g->parse_complete_callback([&app, &f, g] {
    auto agent = secrets::AgentConfigFromOptions(f);
    if (!agent.ok()) throw SecretOptionError(agent.status().ToString(), 2);
    ResolveSecretsIn(app, g, *agent);
  });
}

Status RejectUnresolvedSecret(const std::string& value, const std::string& option) {
  if (!secrets::IsSecretRef(value)) return Status::Ok();
  // Without an agent this is always an error: "<option>: secrets:r:k is a Secret Agent reference:
  // give --sa-address ..." (or the reference's own syntax error).
  auto r = secrets::ResolveOptionValue(value, option, std::nullopt);
  return r.ok() ? Status(ErrorCode::kInvalidArgument, option + ": unresolved Secret Agent reference") : r.status();
}

// ---- storage ----

void AddStorageOptions(CLI::App& app, StorageFlags& f, bool uploads) {
  const char* g = "Storage";
  app.add_option("--s3-region", f.s3_region, "S3 region")->group(g);
  app.add_option("--s3-profile", f.s3_profile, "AWS profile")->group(g);
  app.add_option("--s3-endpoint-override", f.s3_endpoint_override, "S3 endpoint URL")->group(g);
  app.add_option("--s3-log-level", f.s3_log_level, "S3 log level (DEBUG/TRACE: HTTP trace)")->group(g);
  app.add_option("--s3-connect-timeout", f.s3_connect_timeout_ms, "Connect timeout (ms)")->group(g)->capture_default_str();
  app.add_flag("--s3-allow-system-proxy", f.s3_allow_system_proxy, "Honour http(s)_proxy")->group(g);
  app.add_option("--s3-max-async-downloads", f.s3_max_async_downloads, "Parallel downloads")->group(g)->capture_default_str();
  if (uploads) {
    app.add_option("--s3-min-part-size", f.s3_min_part_size_mib, "Multipart part size (MiB, 5..5120)")
        ->group(g)
        ->capture_default_str()
        ->check(CLI::Range(5, 5120));
    app.add_option("--s3-max-async-uploads", f.s3_max_async_uploads, "Parts in flight per file")
        ->group(g)
        ->capture_default_str();
    app.add_option("--azure-block-size", f.azure_block_size_mib, "Azure block size (MiB)")->group(g)->capture_default_str();
    app.add_option("--gcp-chunk-size", f.gcp_chunk_size_mib, "GCS upload chunk (MiB)")->group(g)->capture_default_str();
  }
  app.add_option("--azure-account-name", f.azure_account_name, "Azure storage account")->group(g);
  app.add_option("--azure-account-key", f.azure_account_key, "Azure account key")->group(g);
  app.add_option("--azure-sas-token", f.azure_sas_token, "Azure SAS token")->group(g);
  app.add_option("--azure-tenant-id", f.azure_tenant_id, "Azure AD tenant")->group(g);
  app.add_option("--azure-client-id", f.azure_client_id, "Azure AD client id")->group(g);
  app.add_option("--azure-client-secret", f.azure_client_secret, "Azure AD client secret")->group(g);
  app.add_option("--azure-endpoint", f.azure_endpoint, "Azure blob endpoint URL")->group(g);
  app.add_option("--gcp-key-path", f.gcp_key_path, "GCS service-account key file")->group(g);
  app.add_option("--gcp-endpoint-override", f.gcp_endpoint_override, "GCS endpoint URL")->group(g);
  app.add_option("--storage-max-retries", f.storage_max_retries, "Attempts per storage request")
      ->group(g)
      ->capture_default_str();
}

Result<StorageOptions> StorageOptionsOf(const StorageFlags& f) {
  for (const auto& [value, option] :
       {std::pair<const std::string&, const char*>{f.s3_region, "--s3-region"},
        {f.s3_profile, "--s3-profile"},
        {f.s3_endpoint_override, "--s3-endpoint-override"},
        {f.s3_log_level, "--s3-log-level"},
        {f.azure_account_name, "--azure-account-name"},
        {f.azure_account_key, "--azure-account-key"},
        {f.azure_tenant_id, "--azure-tenant-id"},
        {f.azure_client_id, "--azure-client-id"},
        {f.azure_client_secret, "--azure-client-secret"},
        {f.azure_endpoint, "--azure-endpoint"},
        {f.azure_sas_token, "--azure-sas-token"},
        {f.gcp_key_path, "--gcp-key-path"},
        {f.gcp_endpoint_override, "--gcp-endpoint-override"}}) {
    ABS_RETURN_IF_ERROR(RejectUnresolvedSecret(value, option));
  }
  StorageOptions o;
  o.s3.region = f.s3_region;
  o.s3.profile = f.s3_profile;
  o.s3.endpoint_override = f.s3_endpoint_override;
  o.s3.log_level = f.s3_log_level;
  o.s3.allow_system_proxy = f.s3_allow_system_proxy;
  if (f.s3_min_part_size_mib < 5 || f.s3_min_part_size_mib > 5120)
    return Status(ErrorCode::kInvalidArgument, "--s3-min-part-size must be 5..5120 MiB");
  o.s3.min_part_size = f.s3_min_part_size_mib << 20;
  if (f.s3_max_async_uploads < 1) return Status(ErrorCode::kInvalidArgument, "--s3-max-async-uploads must be >= 1");
  o.s3.upload_parallelism = std::min(f.s3_max_async_uploads, 16);
  if (f.s3_connect_timeout_ms <= 0) return Status(ErrorCode::kInvalidArgument, "--s3-connect-timeout must be positive");
  o.connect_timeout_ms = f.s3_connect_timeout_ms;
  o.azure.account_name = f.azure_account_name;
  o.azure.account_key = f.azure_account_key;
  o.azure.sas_token = f.azure_sas_token;
  o.azure.tenant_id = f.azure_tenant_id;
  o.azure.client_id = f.azure_client_id;
  o.azure.client_secret = f.azure_client_secret;
  o.azure.endpoint = f.azure_endpoint;
  o.azure.block_size = f.azure_block_size_mib << 20;
  o.gcs.key_file_path = f.gcp_key_path;
  o.gcs.endpoint = f.gcp_endpoint_override;
  o.gcs.chunk_size = f.gcp_chunk_size_mib << 20;
  if (f.storage_max_retries < 1) return Status(ErrorCode::kInvalidArgument, "--storage-max-retries must be >= 1");
  o.retry.max_attempts = f.storage_max_retries;
  return o;
}

Result<StorageLocation> DirectoryLocation(const std::string& path) {
  if (path.empty()) return Status(ErrorCode::kInvalidArgument, "empty directory");
  if (path == "-") return Status(ErrorCode::kUnsupported, "'-' (stdin/stdout) is not supported; give a directory or file");
  return StorageLocation{path, ""};
}

Result<StorageLocation> FileLocation(const std::string& path) {
  if (path.empty()) return Status(ErrorCode::kInvalidArgument, "empty file name");
  if (path == "-") return Status(ErrorCode::kUnsupported, "'-' (stdin/stdout) is not supported; give a file name");
  size_t scheme = path.find("://");
  size_t slash = path.rfind('/');
  // The bucket part of a URI is never the file name.
  size_t min_slash = scheme == std::string::npos ? 0 : path.find('/', scheme + 3);
  if (slash == std::string::npos || (scheme != std::string::npos && (min_slash == std::string::npos || slash <= min_slash))) {
    if (scheme != std::string::npos)
      return Status(ErrorCode::kInvalidArgument, "'" + path + "' names no file inside the bucket");
    return StorageLocation{".", path};
  }
  std::string name = path.substr(slash + 1);
  if (name.empty()) return Status(ErrorCode::kInvalidArgument, "'" + path + "' ends with '/': a file name is needed");
  std::string root = slash == 0 ? "/" : path.substr(0, slash);
  return StorageLocation{root, name};
}

Result<std::unique_ptr<Storage>> OpenStorageAt(const std::string& root, const StorageFlags& flags) {
  ABS_ASSIGN_OR_RETURN(StorageOptions o, StorageOptionsOf(flags));
  auto st = OpenStorage(root, o);
  if (!st.ok()) return st.status().WithContext("storage '" + root + "'");
  return st;
}

// ---- codec ----

void AddCodecOptions(CLI::App& app, CodecFlags& f) {
  const char* g = "Compression and encryption";
  app.add_option("-z,--compress", f.compress, "Compression: zstd")->group(g);
  app.add_option("--compression-level", f.compression_level, "zstd level (0 = default 3)")->group(g);
  app.add_option("-y,--encrypt", f.encrypt, "Encryption: aes128 | aes256")->group(g);
  app.add_option(kEncryptionKeyFileOption, f.key_file, "PEM private key the AES key is derived from")->group(g);
  app.add_option("--encryption-key-env", f.key_env, "Environment variable holding the base64 key")->group(g);
}

Result<CodecOptions> CodecOptionsOf(const CodecFlags& f) {
  for (const auto& [value, option] : {std::pair<const std::string&, const char*>{f.compress, "--compress"},
                                      {f.encrypt, "--encrypt"},
                                      {f.key_file, "--encryption-key-file"},
                                      {f.key_env, "--encryption-key-env"}}) {
    ABS_RETURN_IF_ERROR(RejectUnresolvedSecret(value, option));
  }
  CodecOptions o;
  if (!f.compress.empty()) {
    auto c = ParseCompressionMode(f.compress);
    if (!c) return Status(ErrorCode::kInvalidArgument, "--compress: unknown mode '" + f.compress + "' (zstd)");
    o.compression = *c;
  }
  if (f.compression_level != 0 && o.compression == CompressionMode::kNone)
    return Status(ErrorCode::kInvalidArgument, "--compression-level needs --compress");
  if (f.compression_level < 0 || f.compression_level > 22)
    return Status(ErrorCode::kInvalidArgument, "--compression-level must be 0..22");
  o.compression_level = f.compression_level;
  if (!f.encrypt.empty()) {
    auto e = ParseEncryptionMode(f.encrypt);
    if (!e) return Status(ErrorCode::kInvalidArgument, "--encrypt: unknown mode '" + f.encrypt + "' (aes128|aes256)");
    o.encryption = *e;
  }
  bool has_key = !f.key_file.empty() || !f.key_env.empty();
  if (!f.key_file.empty() && !f.key_env.empty())
    return Status(ErrorCode::kInvalidArgument, "give --encryption-key-file or --encryption-key-env, not both");
  if (o.encryption != EncryptionMode::kNone && !has_key)
    return Status(ErrorCode::kInvalidArgument, "--encrypt needs --encryption-key-file or --encryption-key-env");
  if (o.encryption == EncryptionMode::kNone && has_key)
    return Status(ErrorCode::kInvalidArgument, "an encryption key was given without --encrypt");
  if (f.key_file.rfind(kPemStart, 0) == 0) {
    // The PEM itself: --encryption-key-file secrets:... answered by the Secret Agent. No path
    // starts like this, and the content must never be echoed as if it were a file name.
    ABS_ASSIGN_OR_RETURN(o.key_material, KeyMaterialFromPem(f.key_file, "--encryption-key-file (from the Secret Agent)"));
  } else if (!f.key_file.empty()) {
    ABS_ASSIGN_OR_RETURN(o.key_material, LoadKeyFile(f.key_file));
  } else if (!f.key_env.empty()) {
    const char* v = std::getenv(f.key_env.c_str());
    if (!v) return Status(ErrorCode::kInvalidArgument, "--encryption-key-env: variable " + f.key_env + " is not set");
    ABS_ASSIGN_OR_RETURN(o.key_material, KeyMaterialFromEnvValue(v));
  }
  return o;
}

// ---- time ----

Result<int64_t> ParseLocalTime(std::string_view text, int64_t now_unix_ms) {
  auto bad = [&] {
    return Status(ErrorCode::kInvalidArgument, "time '" + std::string(text) +
                                                   "' is not YYYY-MM-DD_HH:MM:SS, YYYY-MM-DD or HH:MM:SS");
  };
  std::tm tm{};
  std::string s(text);
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
  char tail = 0;
  time_t now = static_cast<time_t>(now_unix_ms / 1000);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d_%2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &tail) == 6 &&
      s.size() == 19) {
  } else if (std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &mo, &d, &tail) == 3 && s.size() == 10) {
    h = mi = se = 0;
  } else if (std::sscanf(s.c_str(), "%2d:%2d:%2d%c", &h, &mi, &se, &tail) == 3 && s.size() == 8) {
    std::tm today{};
    localtime_r(&now, &today);
    y = today.tm_year + 1900;
    mo = today.tm_mon + 1;
    d = today.tm_mday;
  } else {
    return bad();
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 || y < 1970 || h < 0 || mi < 0 || se < 0)
    return bad();
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = se;
  tm.tm_isdst = -1;
  time_t t = std::mktime(&tm);
  if (t == static_cast<time_t>(-1)) return bad();
  return static_cast<int64_t>(t) * 1000;
}

// ---- progress ----

std::string FormatDuration(double seconds) {
  if (seconds < 0) return "?";
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm%02lds", s / 3600, s / 60 % 60, s % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

std::string FormatBytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string ProgressBar(double percent, int width) {
  if (percent < 0) return "[" + std::string(static_cast<size_t>(width / 2), ' ') + "?" +
                          std::string(static_cast<size_t>(width - width / 2 - 1), ' ') + "]";
  percent = std::min(100.0, percent);
  int fill = static_cast<int>(percent / 100.0 * width);
  char pct[16];
  std::snprintf(pct, sizeof pct, " %5.1f%%", percent);
  return "[" + std::string(static_cast<size_t>(fill), '#') + std::string(static_cast<size_t>(width - fill), '.') + "]" + pct;
}

ProgressReporter::ProgressReporter(std::function<std::string()> line, bool terminal,
                                   std::chrono::milliseconds interval, FILE* out)
    : line_(std::move(line)), terminal_(terminal), interval_(interval), out_(out) {
  thread_ = std::thread([this] { Loop(); });
}

ProgressReporter::~ProgressReporter() { Stop(); }

void ProgressReporter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::string l = line_();
  if (!out_) return;
  std::fprintf(out_, terminal_ ? "\r%s\x1b[K\n" : "%s\n", l.c_str());
  std::fflush(out_);
}

void ProgressReporter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval_, [&] { return stop_; })) {
    lock.unlock();
    std::string l = line_();
    if (out_) {
      std::fprintf(out_, terminal_ ? "\r%s\x1b[K" : "%s\n", l.c_str());
      std::fflush(out_);
    }
    lock.lock();
  }
}

// ---- run output ----

void AddOutputOptions(CLI::App& app, OutputFlags& f) {
  const char* g = "Output";
  app.add_flag("--json", f.json, "Print a JSON summary on stdout")->group(g);
  app.add_flag("--no-progress", f.no_progress, "No progress output")->group(g);
  app.add_option("-m,--machine", f.machine, "Append machine-readable progress lines to this file")->group(g);
  app.add_option("--progress-interval", f.progress_interval_ms, "Progress interval (ms)")->group(g);
}

Status AppendMachineLine(const std::string& path, const std::string& line) {
  if (path.empty()) return Status::Ok();
  std::ofstream out(path, std::ios::app);
  if (!out) return Status(ErrorCode::kIo, "cannot open the machine-readable output " + path);
  out << line << "\n";
  out.flush();
  if (!out) return Status(ErrorCode::kIo, "cannot write the machine-readable output " + path);
  return Status::Ok();
}

std::unique_ptr<ProgressReporter> StartProgress(const OutputFlags& f, std::function<std::string(bool terminal)> line) {
  if (f.no_progress && f.machine.empty()) return nullptr;
  bool terminal = !f.no_progress && ::isatty(STDERR_FILENO) != 0;
  auto interval = std::chrono::milliseconds(f.progress_interval_ms > 0 ? f.progress_interval_ms : (terminal ? 1000 : 10000));
  return std::make_unique<ProgressReporter>([line, terminal] { return line(terminal); }, terminal, interval,
                                            f.no_progress ? nullptr : stderr);
}

// ---- signals ----

SignalCanceller::SignalCanceller(CancelToken& token) : token_(token) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR2);  // used by the destructor to end the waiting thread
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, set] {
    for (;;) {
      int sig = 0;
      if (sigwait(&set, &sig) != 0) return;
      if (sig == SIGUSR2) return;
      token_.Cancel(std::string("interrupted by ") + (sig == SIGINT ? "SIGINT" : "SIGTERM"));
    }
  });
}

SignalCanceller::~SignalCanceller() {
  pthread_kill(thread_.native_handle(), SIGUSR2);
  thread_.join();
}

}  // namespace aero::tools
