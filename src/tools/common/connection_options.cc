// The cluster connection options (see connection_options.h), including the password prompt.
#include "tools/common/connection_options.h"

#include <termios.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <utility>

#include "tools/common/secret_options.h"
#include "tools/common/values.h"

namespace aero::tools {

namespace {

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

void DetachFromParser(ConnectionFlags& f) {
  if (f.password_option && f.password_option->count() > 0) f.password_given = true;
  f.password_option = nullptr;
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
    return Trim(ss.str());
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

}  // namespace aero::tools
