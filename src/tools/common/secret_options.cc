// The Secret Agent option group (see secret_options.h): resolving "secrets:" option values while
// CLI11 parses, before any option stores its value.
#include "tools/common/secret_options.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "secrets/secret_ref.h"

namespace aero::tools {

namespace {

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

}  // namespace aero::tools
