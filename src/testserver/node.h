// One node of the test cluster: its listeners (clear and optional TLS), a bounded set of
// connection threads (one per client socket, all joined on Stop) and the dispatch of each proto
// to the info, admin, record, batch and scan handlers.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"
#include "testserver/cluster_state.h"

namespace aero::testserver {

// A client socket, clear or TLS. Every read and write has a deadline.
class Conn {
 public:
  Conn(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~Conn();
  // Waits up to timeout_ms for the first byte; returns kTimeout if none came, kNetwork on close.
  Status WaitReadable(int timeout_ms);
  Status ReadFull(char* buf, size_t n, int timeout_ms);
  Status WriteAll(std::string_view data, int timeout_ms);
  void Shutdown();
  // Server side of the TLS handshake (bounded by the socket's timeouts).
  bool TlsAccept();
  int fd() const { return fd_; }

 private:
  int fd_;
  SSL* ssl_;
};

class Node;

// Per-connection request context handed to the handlers.
struct Session {
  ClusterState& state;
  Node& node;
  int node_index;
  Conn& conn;
  bool authenticated = false;
};

// Handlers (info.cc, record.cc, scan.cc). Each writes its reply to the connection itself; a
// non-OK status closes the connection.
std::string HandleInfo(Session& s, std::string_view body);
Status HandleMessage(Session& s, std::string_view body);
Status HandleAdmin(Session& s, std::string_view body);

class Node {
 public:
  Node(ClusterState& state, int index, SSL_CTX* tls_ctx) : state_(state), index_(index), tls_ctx_(tls_ctx) {}
  ~Node() { Stop(); }
  // Binds the listeners (reusing the previous ports after a restart) and starts accepting.
  Status Start();
  // Stops listening, shuts every connection down and joins all threads.
  void Stop();
  bool running() const { return running_.load(); }
  int index() const { return index_; }
  // Cancelled when the node stops; connection threads wait on it instead of sleeping.
  CancelToken& stop_token() { return *stop_token_; }

 private:
  void AcceptLoop();
  void Serve(std::shared_ptr<Conn> conn, bool tls, int raw_fd);
  void ReapFinished();
  Status Listen(uint16_t port, int& fd, uint16_t& bound);

  ClusterState& state_;
  int index_;
  SSL_CTX* tls_ctx_;
  std::atomic<bool> running_{false};
  int listen_fd_ = -1, tls_listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::unique_ptr<CancelToken> stop_token_ = std::make_unique<CancelToken>();
  std::thread accept_thread_;

  struct Worker {
    std::thread thread;
    std::shared_ptr<Conn> conn;
    std::atomic<bool> done{false};
  };
  std::mutex workers_mu_;
  std::list<std::unique_ptr<Worker>> workers_;
};

}  // namespace aero::testserver
