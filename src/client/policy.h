// Client configuration: seed hosts, timeouts, authentication, TLS and tending options shared by
// every part of the Aerospike client (cluster, scans, writes, metadata).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace aero::client {

using Millis = std::chrono::milliseconds;

// One server address. tls_name is the name the server certificate must carry (empty = no TLS name;
// with TLS on, the host name is used then).
struct Host {
  std::string name;  // IP literal (IPv6 without brackets) or DNS name
  std::string tls_name;
  uint16_t port = 3000;

  std::string ToString() const;  // "10.0.0.1:3000", "[::1]:3000", "host:tlsname:4333"
  bool operator==(const Host&) const = default;
};

// Parses "h1[:port],h2:tlsname:port,[2001:db8::1]:3100" (comma separated). A host without a port
// gets default_port. Errors name the offending entry.
Result<std::vector<Host>> ParseHosts(std::string_view text, uint16_t default_port = 3000);

struct TlsPolicy {
  bool enabled = false;
  std::string ca_file;    // PEM bundle of trusted CAs (empty: ca_path or system default)
  std::string ca_path;    // directory of hashed CA certificates
  std::string cert_file;  // client certificate chain (mutual TLS), optional
  std::string key_file;   // client private key, optional
  std::string key_password;
  bool verify_peer = true;  // false only for tests against self-signed peers without a CA
};

struct ClientPolicy {
  // Internal authentication (LOGIN with bcrypt credential). Empty user = no authentication.
  std::string user;
  std::string password;

  TlsPolicy tls;

  Millis connect_timeout{2000};  // TCP connect + TLS handshake + authentication of a new socket
  Millis info_timeout{2000};     // each info request (one round trip)
  Millis login_timeout{5000};

  Millis tend_interval{1000};
  // Consecutive failed tends after which a node is dropped from the cluster.
  int max_node_failures = 5;

  // When set, every node must answer `cluster-name` with this value.
  std::string cluster_name;
  // Use the alternate access addresses (peers-*-alt) instead of the standard ones.
  bool use_alternate_access = false;

  // Upper bound of open data connections per node; a caller waits (up to its deadline) for one.
  size_t max_connections_per_node = 64;
  // Idle pooled connections older than this are closed instead of reused.
  Millis max_idle{55000};

  // Sent to 8.1+ servers with `user-agent-set` (identifies the application in server logs).
  std::string app_id = "not-set";
};

}  // namespace aero::client
