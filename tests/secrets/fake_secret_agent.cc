// The test Secret Agent peer and the throwaway certificate helper (see fake_secret_agent.h).
#include "tests/secrets/fake_secret_agent.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "tests/support/certs.h"

namespace aero::secrets::testing {

namespace {

constexpr uint32_t kMagic = 0x51DEC1CC;

void PutBe32(std::string& s, uint32_t v) {
  s.push_back(static_cast<char>(v >> 24));
  s.push_back(static_cast<char>(v >> 16));
  s.push_back(static_cast<char>(v >> 8));
  s.push_back(static_cast<char>(v));
}
uint32_t GetBe32(const unsigned char* b) {
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

// One accepted connection, plain or TLS, blocking with 5 s socket timeouts (a safety net: the
// tests never rely on them).
struct Peer {
  int fd;
  SSL* ssl = nullptr;
  bool ReadExact(void* out, size_t n) {
    auto* p = static_cast<char*>(out);
    size_t got = 0;
    while (got < n) {
      long r = ssl ? SSL_read(ssl, p + got, static_cast<int>(n - got)) : ::recv(fd, p + got, n - got, 0);
      if (r <= 0) return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }
  bool WriteAll(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      long w = ssl ? SSL_write(ssl, data.data() + off, static_cast<int>(data.size() - off))
                   : ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (w <= 0) return false;
      off += static_cast<size_t>(w);
    }
    return true;
  }
  std::string Frame(const std::string& body) {
    std::string out;
    PutBe32(out, kMagic);
    PutBe32(out, static_cast<uint32_t>(body.size()));
    return out + body;
  }
};

}  // namespace

Result<std::unique_ptr<FakeSecretAgent>> FakeSecretAgent::Start(Options options) {
  // The TLS side writes with OpenSSL's socket BIO (write()); a client that gives up early must not
  // kill the test process.
  ::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<FakeSecretAgent> agent(new FakeSecretAgent(std::move(options)));
  const Options& o = agent->options_;
  if (!o.tls_cert_file.empty()) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    agent->ssl_ctx_ = ctx;
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, o.tls_cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, o.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
      return Status(ErrorCode::kInvalidArgument, "fake agent: cannot load " + o.tls_cert_file);
    }
  }
  if (o.unix_path.empty()) {
    agent->listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(agent->listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      return Status(ErrorCode::kNetwork, std::string("fake agent: bind: ") + std::strerror(errno));
    }
    socklen_t len = sizeof sa;
    ::getsockname(agent->listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
    agent->port_ = ntohs(sa.sin_port);
  } else {
    agent->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::snprintf(sa.sun_path, sizeof sa.sun_path, "%s", o.unix_path.c_str());
    ::unlink(o.unix_path.c_str());
    if (::bind(agent->listen_fd_, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
      return Status(ErrorCode::kNetwork, std::string("fake agent: bind ") + o.unix_path + ": " + std::strerror(errno));
    }
  }
  if (::listen(agent->listen_fd_, 16) != 0) {
    return Status(ErrorCode::kNetwork, std::string("fake agent: listen: ") + std::strerror(errno));
  }
  agent->wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  agent->thread_ = std::thread([a = agent.get()] { a->Serve(); });
  return agent;
}

FakeSecretAgent::~FakeSecretAgent() {
  Stop();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (!options_.unix_path.empty()) ::unlink(options_.unix_path.c_str());
  SSL_CTX_free(static_cast<SSL_CTX*>(ssl_ctx_));
}

void FakeSecretAgent::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
  (void)ignored;
  thread_.join();
}

void FakeSecretAgent::SetSecret(const std::string& resource, const std::string& key, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  secrets_[{resource, key}] = value;
}

std::vector<std::pair<std::string, std::string>> FakeSecretAgent::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void FakeSecretAgent::Serve() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    Handle(fd);
    ::close(fd);
  }
}

void FakeSecretAgent::Handle(int fd) {
  Peer peer{fd};
  std::unique_ptr<SSL, decltype(&SSL_free)> ssl(nullptr, SSL_free);
  if (ssl_ctx_) {
    ssl.reset(SSL_new(static_cast<SSL_CTX*>(ssl_ctx_)));
    SSL_set_fd(ssl.get(), fd);
    if (SSL_accept(ssl.get()) != 1) {
      ERR_clear_error();
      ++bad_requests_;
      return;
    }
    peer.ssl = ssl.get();
  }
  unsigned char header[8];
  if (!peer.ReadExact(header, sizeof header) || GetBe32(header) != kMagic || GetBe32(header + 4) > (1u << 20)) {
    ++bad_requests_;
    return;
  }
  std::string body(GetBe32(header + 4), '\0');
  if (!peer.ReadExact(body.data(), body.size())) {
    ++bad_requests_;
    return;
  }
  auto req = nlohmann::json::parse(body, nullptr, false);
  if (req.is_discarded() || !req.is_object() || !req.contains("SecretKey") || !req["SecretKey"].is_string()) {
    ++bad_requests_;
    peer.WriteAll(peer.Frame(R"({"Error":"invalid request"})"));
    return;
  }
  std::string resource = req.value("Resource", "");
  std::string key = req["SecretKey"].get<std::string>();
  std::string value;
  bool found = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    requests_.emplace_back(resource, key);
    auto it = secrets_.find({resource, key});
    if (it != secrets_.end()) {
      found = true;
      value = it->second;
    }
  }
  switch (behaviour_.load()) {
    case Behaviour::kAnswer: {
      nlohmann::json reply;
      if (found) {
        reply["SecretValue"] = options_.base64 ? Base64Encode(value) : value;
      } else {
        reply["Error"] = "secret not found: resource \"" + resource + "\" key \"" + key + "\"";
      }
      peer.WriteAll(peer.Frame(reply.dump()));
      return;
    }
    case Behaviour::kSilent: {
      // Wait for the client to give up (EOF) or for Stop(); 30 s cap as a safety net.
      pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      ::poll(fds, 2, 30000);
      return;
    }
    case Behaviour::kBadMagic: {
      std::string out;
      PutBe32(out, 0x48545450);  // "HTTP"
      PutBe32(out, 2);
      peer.WriteAll(out + "{}");
      return;
    }
    case Behaviour::kHugeLength: {
      std::string out;
      PutBe32(out, kMagic);
      PutBe32(out, 0x80000000u);
      peer.WriteAll(out);
      return;
    }
    case Behaviour::kCloseAtOnce:
      return;
    case Behaviour::kTruncatedBody: {
      std::string out;
      PutBe32(out, kMagic);
      PutBe32(out, 100);
      peer.WriteAll(out + R"({"SecretVa)");
      return;
    }
    case Behaviour::kNotJson:
      peer.WriteAll(peer.Frame("SecretValue=hunter2"));
      return;
  }
}

Status WriteSelfSignedCert(const std::string& dir, const std::string& name) {
  aero::testing::CertSpec spec;
  spec.common_name = name;
  spec.subject_alt_names = "IP:127.0.0.1,IP:::1,DNS:localhost";
  Status st = aero::testing::WriteSelfSignedCert(dir + "/" + name + ".pem", dir + "/" + name + ".key", spec);
  return st.ok() ? st : st.WithContext("the test certificate " + name + " in " + dir);
}

}  // namespace aero::secrets::testing
