// A loopback HTTP fault-injection proxy for the storage fault tests: it sits between a backend and its
// peer (s3rver, azurite, the fake GCS), forwards each request on its own upstream connection, and on the
// requests a rule selects (method + path substring, n-th match, for `times` matches) it answers an error
// status with a backend-style body, resets the connection half-way through the request body, resets it
// after the upstream has processed the request (reply lost), or stalls without answering.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace aero::testing {

class FaultProxy {
 public:
  enum class Fault {
    kStatus,             // reply `status` with `body`, request not forwarded
    kResetMidRequest,    // read half the request body, then RST
    kResetAfterForward,  // forward, let upstream answer, then RST instead of relaying the reply
    kStall,              // read the request and never answer
  };
  struct Rule {
    std::string method;         // "" = any
    std::string path_contains;  // "" = any; matched against the request target (path + query)
    int nth = 1;                // first matching request that gets the fault (1-based)
    int times = 1;              // how many consecutive matches from nth on
    Fault fault = Fault::kStatus;
    int status = 503;
    std::string body;
    std::string content_type = "application/xml";
    bool omit_content_length = false;  // kStatus: no Content-Length; the connection closes after the body
  };

  explicit FaultProxy(int upstream_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  Status Start();
  int port() const { return port_; }
  void AddRule(Rule rule);
  void ClearRules();
  int faults_injected() const { return faults_.load(); }
  int requests_seen() const { return requests_.load(); }

 private:
  struct ActiveRule {
    Rule rule;
    int matches = 0;
  };
  void AcceptLoop();
  void Serve(int client);
  // Returns the fault for this request, if any.
  bool Match(const std::string& method, const std::string& target, Rule* out);

  int upstream_port_;
  int port_ = 0;
  int listen_fd_ = -1;
  int stop_pipe_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<ActiveRule> rules_;
  std::atomic<int> faults_{0};
  std::atomic<int> requests_{0};
};

}  // namespace aero::testing
