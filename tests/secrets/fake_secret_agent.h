// A stand-in for the Aerospike Secret Agent, for tests: a real socket server (tcp or unix, optionally
// TLS) on its own thread, speaking the agent's protocol (8-byte magic+length header, JSON body
// {"Resource","SecretKey"}, reply {"SecretValue"} or {"Error"}).
//
// Why a fake: the real agent is a Go binary that is not packaged for this build environment, so
// the tests run this peer instead. It is not a mock: the client under test talks to it over real
// sockets, through the same kernel and OpenSSL paths it uses against the real agent. Besides
// answering like the agent (including its error replies for unknown keys and its base64 mode), it
// can misbehave on request: stay silent, send a wrong magic, announce a huge body, close at once,
// send a truncated body or a body that is not JSON.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/status.h"

namespace aero::secrets::testing {

class FakeSecretAgent {
 public:
  enum class Behaviour {
    kAnswer,         // like the agent: the value, or {"Error": "..."} for an unknown resource/key
    kSilent,         // read the request, never answer (until the client goes away or Stop())
    kBadMagic,       // a reply header with the wrong magic
    kHugeLength,     // a header announcing a 2 GiB body
    kCloseAtOnce,    // close right after reading the request
    kTruncatedBody,  // announce 100 bytes, send 10, close
    kNotJson,        // a well-framed body that is not JSON
  };

  struct Options {
    std::string unix_path;      // non-empty: listen on this unix socket instead of 127.0.0.1:<any>
    std::string tls_cert_file;  // non-empty (with key): TLS listener
    std::string tls_key_file;
    bool base64 = false;  // the agent's "convert to base64" mode: values are sent base64-encoded
  };

  // Binds, listens and starts the serving thread.
  static Result<std::unique_ptr<FakeSecretAgent>> Start(Options options);
  ~FakeSecretAgent();  // Stop()
  void Stop();         // wakes the serving thread and joins it

  void SetSecret(const std::string& resource, const std::string& key, const std::string& value);
  void SetBehaviour(Behaviour b) { behaviour_ = b; }

  int port() const { return port_; }
  const std::string& unix_path() const { return options_.unix_path; }
  // Requests seen, as (resource, key), in order; and requests whose framing was wrong.
  std::vector<std::pair<std::string, std::string>> requests() const;
  int bad_requests() const { return bad_requests_; }

 private:
  explicit FakeSecretAgent(Options options) : options_(std::move(options)) {}
  void Serve();
  void Handle(int fd);

  Options options_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Stop() makes it readable
  int port_ = 0;
  void* ssl_ctx_ = nullptr;  // SSL_CTX*, kept opaque so tests need not include OpenSSL
  std::atomic<Behaviour> behaviour_{Behaviour::kAnswer};
  std::atomic<int> bad_requests_{0};
  mutable std::mutex mu_;
  std::map<std::pair<std::string, std::string>, std::string> secrets_;
  std::vector<std::pair<std::string, std::string>> requests_;
  std::thread thread_;
};

// A throwaway self-signed certificate (CA:TRUE, so it is its own CA) and key, written as
// <dir>/<name>.pem and <dir>/<name>.key, valid for 127.0.0.1, ::1 and "localhost".
Status WriteSelfSignedCert(const std::string& dir, const std::string& name);

}  // namespace aero::secrets::testing
