// The REST server of the backup service: ABS 3.7's routes (abs-api.md §2) on cpp-httplib listeners.
//
// ApiServer builds the route table at construction (so `--print-routes` can list it without
// listening), and Start() opens the HTTP listener (service.http, unless disabled) and the optional
// HTTPS listener (service.https), each with its own rate limiter, and serves them from threads that
// Stop() joins. The HTTPS listener re-reads cert-file / key-file every cert-poll interval (10 s as
// ABS) and serves a changed, valid pair on new handshakes; an invalid replacement is logged and the
// last good pair kept (abs-config.md §3.2). Conventions applied to every route (abs-api.md §1): context-path prefix, 8 MiB body
// limit (413), "request body is empty" (400), plain-text error bodies, 404/405, per-client rate
// limiting (429), request metrics.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "service/api/router.h"
#include "service/metrics/metrics.h"
#include "service/model/config_store.h"
#include "service/model/operations.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace httplib {
class Server;
}

namespace aero::service::api {

inline constexpr size_t kMaxBodyBytes = 8u << 20;  // ABS 3.7: 8 MiB
// How often a running HTTPS listener checks cert-file and key-file for a replacement (ABS 3.7: 10 s).
inline constexpr std::chrono::milliseconds kDefaultCertPollInterval{10'000};

// The OpenAPI 3 document (api/openapi.yaml), embedded at build time.
extern const char* const kOpenApiYaml;

// How a listener's timeout settings (service.http / service.https: timeout, read-timeout,
// write-timeout, idle-timeout) map onto cpp-httplib, which only has per-read and per-write socket
// timeouts and a keep-alive wait in whole seconds (see TimeoutsFor in api_server.cc for the why).
inline constexpr int64_t kMaxKeepAliveSeconds = 5;
struct ListenerTimeouts {
  std::chrono::milliseconds read{0};   // every socket read of a request (header and body)
  std::chrono::milliseconds write{0};  // every socket write of a response
  int64_t keep_alive_seconds = 0;      // wait for the next request on a connection (also the first)
  bool idle_capped = false;            // idle-timeout was set above kMaxKeepAliveSeconds
};
ListenerTimeouts TimeoutsFor(const ListenerConfig& cfg);

// Applies service.https's min-version, cipher-suites, client-auth and client-ca-file to the
// listener's OpenSSL context. kInvalidArgument naming the setting when one cannot be applied.
Status ConfigureTls(ssl_ctx_st& ctx, const HttpsServerConfig& https);

class ApiServer {
 public:
  // `version` is what GET /version answers ("v0.1.0"). The references must outlive the server.
  ApiServer(model::ConfigStore& store, model::BackupOperations& ops, metrics::Registry& registry,
            metrics::AbsMetrics& metrics, std::string version);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // How POST /v1/config/clusters/check-connectivity reaches a cluster: connect with the cluster's
  // settings (seeds, credentials, TLS, conn-timeout), OK when it answered. The executable wires the
  // client in (jobs::ConnectCluster); without a probe the route answers 503. Set before Start().
  using ClusterProbe = std::function<Status(const Cluster&)>;
  void SetClusterProbe(ClusterProbe probe) { cluster_probe_ = std::move(probe); }

  // How often the HTTPS listener polls cert-file / key-file (default kDefaultCertPollInterval; at
  // least 1 ms). Set before Start(); tests use a short one.
  void SetCertPollInterval(std::chrono::milliseconds interval) {
    cert_poll_interval_ = std::max(interval, std::chrono::milliseconds(1));
  }

  // Every registered route as "METHOD /pattern" (without context path), in registration order.
  std::vector<std::string> RouteList() const;

  // Binds the listeners described by `service` and starts serving. Errors name the listener and
  // address (kIo when a port cannot be bound, kInvalidArgument for bad TLS/white-list settings).
  Status Start(const ServiceConfig& service);
  // Stops accepting connections, lets in-flight requests finish, joins the listener threads and the
  // certificate watcher.
  void Stop();

  // Where the listeners are bound ("127.0.0.1:8080"); empty when not running.
  std::vector<std::string> Endpoints() const { return endpoints_; }

 private:
  struct Listener;
  class CertWatcher;  // the HTTPS listener's certificate pair and its polling thread
  void RegisterRoutes();
  void RegisterConfigRoutes();
  void RegisterBackupRoutes();
  void RegisterSystemRoutes();
  Status AddListener(std::unique_ptr<httplib::Server> server, const ListenerConfig& cfg, int port,
                     const std::string& scheme);

  model::ConfigStore& store_;
  model::BackupOperations& ops_;
  metrics::Registry& registry_;
  metrics::AbsMetrics& metrics_;
  std::string version_;
  Router router_;
  std::string openapi_json_;
  ClusterProbe cluster_probe_;
  std::chrono::milliseconds cert_poll_interval_ = kDefaultCertPollInterval;
  std::unique_ptr<CertWatcher> cert_watcher_;  // set while an HTTPS listener runs
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::string> endpoints_;
};

}  // namespace aero::service::api
