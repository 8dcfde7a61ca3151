// aerospike-backup-service: the service executable. Loads and validates the configuration (local
// file, http(s) URL, or --remote storage descriptor), sets up logging, serves the REST API until
// SIGINT/SIGTERM/SIGQUIT, then stops accepting requests and shuts down cleanly.
//
// Exit codes: 0 after a clean shutdown (or -v / -h), 1 when the configuration cannot be loaded or is
// invalid (each problem printed on its own line), 2 for bad command-line usage, 3 when the server
// cannot start (port in use, bad TLS files).
#include <CLI/CLI.hpp>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "app/logging.h"
#include "service/api/api_server.h"
#include "service/config/config_io.h"
#include "service/jobs/backup_service.h"
#include "service/jobs/connections.h"
#include "service/metrics/metrics.h"
#include "service/model/config_sources.h"
#include "service/model/config_store.h"
#include "service/model/operations.h"
#include "service/model/secret_resolver.h"

#ifndef ABS_VERSION
#define ABS_VERSION "0.0.0"
#endif

namespace {

using namespace aero;
using namespace aero::service;

constexpr const char* kVersion = "v" ABS_VERSION;

// Used only to build the route table for --print-routes.
class NoSource : public model::ConfigSource {
 public:
  Result<std::string> Read() override { return Status(ErrorCode::kUnsupported, "no configuration source"); }
  Status Write(const Config&) override { return Status(ErrorCode::kUnsupported, "no configuration source"); }
  std::string Describe() const override { return "(none)"; }
};

void PrintIssues(const std::string& where, const Status& st) {
  // IssuesToStatus joins problems with "; " after a prefix: print one per line for the operator.
  std::string msg = st.message();
  std::cerr << "aerospike-backup-service: cannot start: configuration " << where << " is not valid:\n";
  size_t colon = msg.find(": ");
  std::string head = colon == std::string::npos ? "" : msg.substr(0, colon);
  std::string rest = (head == "invalid configuration" || head == "invalid document") ? msg.substr(colon + 2) : msg;
  size_t i = 0;
  while (i < rest.size()) {
    size_t j = rest.find("; ", i);
    if (j == std::string::npos) j = rest.size();
    std::cerr << "  - " << rest.substr(i, j - i) << "\n";
    i = j + 2;
  }
}

int Run(const std::string& location, bool remote) {
  // Block the shutdown signals in every thread; the main thread collects them with sigwait().
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGQUIT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto source = model::OpenConfigSource(location, remote);
  if (!source.ok()) {
    std::cerr << "aerospike-backup-service: cannot start: " << source.status().message() << "\n";
    return 1;
  }
  auto text = (*source)->Read();
  if (!text.ok()) {
    std::cerr << "aerospike-backup-service: cannot start: " << text.status().message() << "\n";
    return 1;
  }
  auto parsed = ParseConfigYaml(*text);
  if (!parsed.ok()) {
    PrintIssues((*source)->Describe(), parsed.status());
    return 1;
  }
  if (Status st = CheckConfig(parsed->config); !st.ok()) {
    PrintIssues((*source)->Describe(), st);
    return 1;
  }
  const Config& config = parsed->config;
  if (Status st = app::SetUpLogging(config.service.logger.value_or(LoggerConfig{})); !st.ok()) {
    std::cerr << "aerospike-backup-service: cannot start: " << st.message() << "\n";
    return 1;
  }
  spdlog::info("aerospike-backup-service {} starting, configuration from {}", kVersion, (*source)->Describe());
  for (const auto& w : parsed->warnings) spdlog::warn("configuration: ABS 2.0 form converted: {}", w.ToString());

  metrics::Registry registry;
  metrics::AbsMetrics abs_metrics(registry);
  // The scheduler and the backup/restore jobs behind the API (jobs/backup_service.h).
  auto ops = std::make_unique<jobs::BackupService>(registry, abs_metrics);
  model::ConfigStore store(config, std::move(source).value());
  store.SetListener(ops.get());
  if (Status st = ops->Start(config); !st.ok()) {
    spdlog::error("cannot start the scheduler: {}", st.message());
    return 1;
  }
  api::ApiServer server(store, *ops, registry, abs_metrics, kVersion);
  // POST /v1/config/clusters/check-connectivity connects exactly as a backup would, then lets go.
  server.SetClusterProbe([](const Cluster& cluster) -> Status {
    auto connected = jobs::ConnectCluster(cluster);
    return connected.ok() ? Status::Ok() : connected.status();
  });
  // The HTTPS key's passphrase may be a secrets: reference: fetched once here, through the
  // listener's own agent or a named one, and only handed to the TLS context.
  ServiceConfig service = config.service;
  if (service.https && service.https->key_file_password) {
    model::SecretResolver secrets(config.secret_agents, std::nullopt);
    auto password = secrets.Resolve(service.https->key_file_password, "service.https key-file-password",
                                    service.https->secret_agent, service.https->secret_agent_name);
    if (!password.ok()) {
      spdlog::error("cannot start the REST API: {}", password.status().message());
      return 3;
    }
    service.https->key_file_password = std::move(*password);
  }
  if (Status st = server.Start(service); !st.ok()) {
    spdlog::error("cannot start the REST API: {}", st.message());
    return 3;
  }
  for (const auto& e : server.Endpoints()) spdlog::info("REST API listening on {}", e);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received signal {}, shutting down", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGQUIT");
  server.Stop();
  ops->Shutdown();  // running jobs finish within the grace period or are cancelled cleanly
  spdlog::info("stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"Aerospike Backup Service: scheduled backups and restores of Aerospike clusters, with a REST API.",
               "aerospike-backup-service"};
  std::string config;
  bool remote = false, version = false, print_routes = false;
  cli.add_option("-c,--config", config, "Configuration file path or http(s) URL");
  cli.add_flag("-r,--remote", remote,
               "The --config file is a storage descriptor naming where the configuration lives");
  cli.add_flag("-v,--version", version, "Print the version and exit");
  cli.add_flag("--print-routes", print_routes, "Print the REST routes and exit")->group("");  // hidden (tests)
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = cli.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (version) {
    std::cout << kVersion << "\n";
    return 0;
  }
  if (print_routes) {
    metrics::Registry registry;
    metrics::AbsMetrics abs_metrics(registry);
    auto ops = model::NewUnavailableBackupOperations();
    model::ConfigStore store(Config{}, std::make_unique<NoSource>());
    api::ApiServer server(store, *ops, registry, abs_metrics, kVersion);
    for (const auto& r : server.RouteList()) std::cout << r << "\n";
    return 0;
  }
  if (config.empty()) {
    std::cerr << "aerospike-backup-service: --config is required (see --help)\n";
    return 2;
  }
  return Run(config, remote);
}
