// One client socket to a server node: TCP (optionally TLS) with a deadline on every connect, read
// and write (non-blocking socket + poll), and proto-framed message I/O that reuses its buffers.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "client/policy.h"
#include "client/tls.h"
#include "common/cancel.h"
#include "common/status.h"
#include "protocol/message.h"

typedef struct ssl_st SSL;

namespace aero::client {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

inline Deadline DeadlineAfter(Millis d) { return SteadyClock::now() + d; }
// The earlier of two deadlines.
inline Deadline MinDeadline(Deadline a, Deadline b) { return a < b ? a : b; }

class Connection {
 public:
  // Resolves host.name (all addresses are tried in order), connects within the deadline and, if
  // tls is given, runs the handshake and verifies the certificate against host.tls_name (or
  // host.name when tls_name is empty).
  static Result<std::unique_ptr<Connection>> Open(const Host& host, const TlsContext* tls, Deadline deadline,
                                                  const CancelToken* cancel = nullptr);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status Write(std::string_view data, Deadline deadline, const CancelToken* cancel = nullptr);
  // Reads exactly n bytes.
  Status ReadFully(char* out, size_t n, Deadline deadline, const CancelToken* cancel = nullptr);
  // Reads one proto: validated header and its body (into body, reusing its capacity).
  Status ReadProto(proto::ProtoHeader& header, std::string& body, Deadline deadline,
                   const CancelToken* cancel = nullptr);

  // One request/response round trip (info or admin or single-record message).
  Status Exchange(std::string_view request, proto::ProtoHeader& header, std::string& body, Deadline deadline,
                  const CancelToken* cancel = nullptr);

  const Host& host() const { return host_; }
  const std::string& peer() const { return peer_; }  // "ip:port" actually connected to
  // A connection whose stream state is unknown (error mid-message, abandoned reply) must not be reused.
  bool broken() const { return broken_; }
  void MarkBroken() { broken_ = true; }
  Deadline last_used() const { return last_used_; }
  void Touch() { last_used_ = SteadyClock::now(); }

  // Authentication state of this socket (token it was authenticated with).
  std::string auth_token;

 private:
  Connection() = default;
  Status WaitIo(bool for_write, Deadline deadline, const CancelToken* cancel, const char* what);
  Status TlsHandshake(const TlsContext& tls, Deadline deadline, const CancelToken* cancel);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  Host host_;
  std::string peer_;
  bool broken_ = false;
  Deadline last_used_ = SteadyClock::now();
};

}  // namespace aero::client
