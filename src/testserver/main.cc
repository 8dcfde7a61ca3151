// abs-test-server: runs the in-memory Aerospike test cluster as a process (for Node.js tests, the
// service demo and manual use). Prints the seed address(es) and runs until SIGTERM/SIGINT.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "protocol/info.h"
#include "testserver/test_cluster.h"

using aero::testserver::TestCluster;
using aero::testserver::TestClusterOptions;

int main(int argc, char** argv) {
  CLI::App app{"In-memory, protocol-compatible Aerospike test server (CE 8.1.2.0 behaviour)"};
  TestClusterOptions o;
  int port = 0, tls_port = 0;
  std::string namespaces = "test,bar";
  std::vector<std::string> users;
  uint64_t sample_records = 0;
  app.add_option("--nodes", o.nodes, "number of nodes")->check(CLI::Range(1, 64));
  app.add_option("--port", port, "port of the first node (others: port+1..); 0 = ephemeral")
      ->check(CLI::Range(0, 65535));
  app.add_option("--bind", o.bind_address, "IPv4 address to listen on");
  app.add_option("--namespaces", namespaces, "comma-separated namespaces");
  app.add_option("--replication-factor", o.replication_factor, "replication factor")->check(CLI::Range(1, 64));
  app.add_option("--cluster-name", o.cluster_name, "cluster name");
  app.add_option("--user", users, "user:password (repeatable); enables login");
  app.add_option("--sample-records", sample_records, "seed N sample records into test/sample");
  app.add_option("--tls-cert", o.tls.cert_file, "PEM certificate: enables a TLS listener per node");
  app.add_option("--tls-key", o.tls.key_file, "PEM private key of the TLS certificate");
  app.add_option("--tls-port", tls_port, "TLS port of the first node (others: +1..); 0 = ephemeral")
      ->check(CLI::Range(0, 65535));
  app.add_option("--tls-name", o.tls.tls_name, "TLS name reported in peers-tls-std");
  app.add_option("--nsup-period", o.nsup_period, "namespace nsup-period (0 forbids TTL writes)");
  app.add_option("--default-ttl", o.default_ttl, "namespace default-ttl in seconds");
  CLI11_PARSE(app, argc, argv);

  o.base_port = static_cast<uint16_t>(port);
  o.tls_base_port = static_cast<uint16_t>(tls_port);
  o.namespaces = aero::proto::SplitNonEmpty(namespaces, ',');
  for (const auto& u : users) {
    size_t colon = u.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "abs-test-server: --user must be user:password, got '" << u << "'\n";
      return 2;
    }
    o.users[u.substr(0, colon)] = u.substr(colon + 1);
  }
  if (o.tls.cert_file.empty() != o.tls.key_file.empty()) {
    std::cerr << "abs-test-server: --tls-cert and --tls-key go together\n";
    return 2;
  }

  // Block the signals in every thread; the main thread collects them with sigwait.
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

  auto cluster = TestCluster::Start(o);
  if (!cluster.ok()) {
    std::cerr << "abs-test-server: " << cluster.status().ToString() << "\n";
    return 1;
  }
  if (sample_records > 0) {
    if (o.namespaces.end() == std::find(o.namespaces.begin(), o.namespaces.end(), "test")) {
      std::cerr << "abs-test-server: --sample-records needs namespace 'test'\n";
      return 2;
    }
    auto st = aero::testserver::SeedSampleRecords(**cluster, "test", "sample", sample_records);
    if (!st.ok()) {
      std::cerr << "abs-test-server: seeding failed: " << st.ToString() << "\n";
      return 1;
    }
  }
  for (int i = 0; i < (*cluster)->NodeCount(); ++i) {
    std::cout << "node " << (*cluster)->NodeId(i) << " " << o.bind_address << ":" << (*cluster)->Port(i);
    if ((*cluster)->TlsPort(i)) std::cout << " tls " << o.bind_address << ":" << (*cluster)->TlsPort(i);
    std::cout << "\n";
  }
  std::cout << "seed " << (*cluster)->SeedHost() << std::endl;

  int sig = 0;
  sigwait(&sigs, &sig);
  std::cout << "abs-test-server: signal " << sig << ", stopping" << std::endl;
  (*cluster)->Stop();
  return 0;
}
