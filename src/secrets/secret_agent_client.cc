// Aerospike Secret Agent client: framing, transports, TLS and timeouts (see secret_agent_client.h).
#include "secrets/secret_agent_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/nosigpipe_bio.h"

namespace aero::secrets {

namespace {

using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

std::string ErrnoText(int err) { return std::strerror(err); }

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error detail" : out;
}

void PutBe32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}
uint32_t GetBe32(const char* p) {
  auto b = reinterpret_cast<const unsigned char*>(p);
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | uint32_t(b[3]);
}

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }  // no shutdown round trip: it could block on a dead agent
};

// One connection to the agent: a non-blocking socket, optionally wrapped in TLS. Every wait is a
// poll() bounded by the caller's deadline.
class Conn {
 public:
  explicit Conn(std::string peer) : peer_(std::move(peer)) {}
  ~Conn() {
    ssl_.reset();
    if (fd_ >= 0) ::close(fd_);
  }
  Conn(const Conn&) = delete;
  Conn& operator=(const Conn&) = delete;

  Status ConnectTcp(const std::string& host, int port, Deadline deadline) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    // getaddrinfo has no timeout of its own; the agent is normally given as an IP or a local name.
    int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list);
    if (rc != 0) return Status(ErrorCode::kNetwork, "cannot resolve " + host + ": " + gai_strerror(rc));
    std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(list, freeaddrinfo);
    Status last(ErrorCode::kNetwork, "no address for " + host);
    for (addrinfo* a = list; a; a = a->ai_next) {
      last = ConnectAddr(a->ai_family, a->ai_addr, a->ai_addrlen, deadline);
      if (last.ok() || last.code() == ErrorCode::kTimeout) return last;
    }
    return last;
  }

  Status ConnectUnix(const std::string& path, Deadline deadline) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    if (path.size() >= sizeof(sa.sun_path)) {
      return Status(ErrorCode::kInvalidArgument, "unix socket path is longer than " +
                                                     std::to_string(sizeof(sa.sun_path) - 1) + " bytes");
    }
    std::memcpy(sa.sun_path, path.data(), path.size());
    return ConnectAddr(AF_UNIX, reinterpret_cast<sockaddr*>(&sa), sizeof sa, deadline);
  }

  // TLS client handshake; the agent's certificate must chain to `ca_file` and name `host`.
  Status StartTls(const std::string& ca_file, const std::string& host, Deadline deadline) {
    std::unique_ptr<SSL_CTX, SslCtxFree> ctx(SSL_CTX_new(TLS_client_method()));
    if (!ctx) return Status(ErrorCode::kInternal, "cannot create a TLS context: " + OpenSslErrors());
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
      return Status(ErrorCode::kInvalidArgument, "cannot load tls-ca-file " + ca_file + ": " + OpenSslErrors());
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    ssl_.reset(SSL_new(ctx.get()));
    if (!ssl_) return Status(ErrorCode::kInternal, "cannot create a TLS session: " + OpenSslErrors());
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl_.get());
    in6_addr ip6;
    in_addr ip4;
    bool is_ip = inet_pton(AF_INET, host.c_str(), &ip4) == 1 || inet_pton(AF_INET6, host.c_str(), &ip6) == 1;
    if (is_ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
      SSL_set_tlsext_host_name(ssl_.get(), host.c_str());
    }
    // Sends with MSG_NOSIGNAL: an agent that went away must not raise SIGPIPE.
    if (!AttachNoSigpipeSocket(ssl_.get(), fd_)) {
      return Status(ErrorCode::kInternal, "cannot create a TLS socket BIO: " + OpenSslErrors());
    }
    for (;;) {
      ERR_clear_error();
      int rc = SSL_connect(ssl_.get());
      if (rc == 1) return Status::Ok();
      int err = SSL_get_error(ssl_.get(), rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        ABS_RETURN_IF_ERROR(Wait(err == SSL_ERROR_WANT_WRITE, deadline, "TLS handshake"));
        continue;
      }
      long verify = SSL_get_verify_result(ssl_.get());
      if (verify != X509_V_OK) {
        return Status(ErrorCode::kNetwork, std::string("TLS handshake: certificate not accepted: ") +
                                               X509_verify_cert_error_string(verify));
      }
      return Status(ErrorCode::kNetwork, "TLS handshake failed: " + OpenSslErrors());
    }
  }

  Status WriteAll(const std::string& data, Deadline deadline) {
    size_t off = 0;
    while (off < data.size()) {
      if (ssl_) {
        ERR_clear_error();
        int n = SSL_write(ssl_.get(), data.data() + off, static_cast<int>(data.size() - off));
        if (n > 0) {
          off += static_cast<size_t>(n);
          continue;
        }
        int err = SSL_get_error(ssl_.get(), n);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
          ABS_RETURN_IF_ERROR(Wait(err == SSL_ERROR_WANT_WRITE, deadline, "sending the request"));
          continue;
        }
        return Status(ErrorCode::kNetwork, "sending the request: " + OpenSslErrors());
      }
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        ABS_RETURN_IF_ERROR(Wait(true, deadline, "sending the request"));
      } else {
        return Status(ErrorCode::kNetwork, "sending the request: " + ErrnoText(errno));
      }
    }
    return Status::Ok();
  }

  // Reads exactly n bytes; a close before that is a protocol error naming what was being read.
  Status ReadExact(char* out, size_t n, Deadline deadline, const char* what) {
    size_t got = 0;
    while (got < n) {
      if (ssl_) {
        ERR_clear_error();
        int r = SSL_read(ssl_.get(), out + got, static_cast<int>(std::min<size_t>(n - got, 1 << 30)));
        if (r > 0) {
          got += static_cast<size_t>(r);
          continue;
        }
        int err = SSL_get_error(ssl_.get(), r);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
          ABS_RETURN_IF_ERROR(Wait(err == SSL_ERROR_WANT_WRITE, deadline, what));
          continue;
        }
        if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
          return Closed(got, n, what);
        }
        return Status(ErrorCode::kNetwork, std::string(what) + ": " + OpenSslErrors());
      }
      ssize_t r = ::recv(fd_, out + got, n - got, 0);
      if (r > 0) {
        got += static_cast<size_t>(r);
      } else if (r == 0) {
        return Closed(got, n, what);
      } else if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        ABS_RETURN_IF_ERROR(Wait(false, deadline, what));
      } else {
        return Status(ErrorCode::kNetwork, std::string(what) + ": " + ErrnoText(errno));
      }
    }
    return Status::Ok();
  }

 private:
  static Status Closed(size_t got, size_t n, const char* what) {
    return Status(ErrorCode::kProtocol, std::string("the agent closed the connection while ") + what + " (" +
                                            std::to_string(got) + " of " + std::to_string(n) + " bytes)");
  }

  Status ConnectAddr(int family, const sockaddr* addr, socklen_t len, Deadline deadline) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return Status(ErrorCode::kNetwork, "socket: " + ErrnoText(errno));
    if (::connect(fd_, addr, len) == 0) return Status::Ok();
    if (errno != EINPROGRESS && errno != EAGAIN) return Status(ErrorCode::kNetwork, "connect: " + ErrnoText(errno));
    ABS_RETURN_IF_ERROR(Wait(true, deadline, "connecting"));
    int err = 0;
    socklen_t elen = sizeof err;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &elen) != 0) err = errno;
    if (err != 0) return Status(ErrorCode::kNetwork, "connect: " + ErrnoText(err));
    return Status::Ok();
  }

  Status Wait(bool for_write, Deadline deadline, const char* what) {
    for (;;) {
      auto now = SteadyClock::now();
      if (now >= deadline) return Status(ErrorCode::kTimeout, std::string(what) + " timed out");
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
      pollfd p{fd_, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
      int rc = ::poll(&p, 1, static_cast<int>(std::clamp<int64_t>(left, 1, 1 << 30)));
      if (rc > 0) return Status::Ok();  // ready, or an error the next call reports
      if (rc < 0 && errno != EINTR) return Status(ErrorCode::kNetwork, std::string("poll: ") + ErrnoText(errno));
    }
  }

  std::string peer_;
  int fd_ = -1;
  std::unique_ptr<SSL, SslFree> ssl_;
};

// The agent's reply body: the value, or its error text, or why the body is unusable.
Result<std::string> ParseReply(const std::string& body) {
  auto doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status(ErrorCode::kProtocol, "the reply is not a JSON object (" + std::to_string(body.size()) + " bytes)");
  }
  auto err = doc.find("Error");
  if (err != doc.end() && err->is_string() && !err->get<std::string>().empty()) {
    std::string reason = err->get<std::string>();
    if (reason.size() > 300) reason = reason.substr(0, 300) + "...";
    return Status(ErrorCode::kNotFound, "the agent answered with an error: " + reason);
  }
  auto value = doc.find("SecretValue");
  if (value == doc.end() || !value->is_string()) {
    return Status(ErrorCode::kProtocol, "the reply has neither a SecretValue string nor an Error");
  }
  std::string secret = value->get<std::string>();
  if (secret.empty()) return Status(ErrorCode::kNotFound, "the agent returned an empty secret");
  return secret;
}

}  // namespace

std::string SecretAgentConfig::Describe() const {
  if (transport == Transport::kUnix) return "unix " + address;
  std::string host = address.find(':') != std::string::npos ? "[" + address + "]" : address;
  return std::string(tls_ca_file.empty() ? "tcp " : "tcp+tls ") + host + ":" + std::to_string(port);
}

Status SecretAgentConfig::Validate() const {
  const std::string who = "secret agent " + Describe() + ": ";
  if (address.empty()) return Status(ErrorCode::kInvalidArgument, who + "address is required");
  if (transport == Transport::kTcp && (port < 1 || port > 65535)) {
    return Status(ErrorCode::kInvalidArgument, who + "port " + std::to_string(port) + " is outside 1-65535");
  }
  if (timeout.count() <= 0) {
    return Status(ErrorCode::kInvalidArgument, who + "timeout must be > 0 ms, got " + std::to_string(timeout.count()));
  }
  if (transport == Transport::kUnix && !tls_ca_file.empty()) {
    return Status(ErrorCode::kInvalidArgument, who + "TLS (tls-ca-file) is only supported with connection-type tcp");
  }
  return Status::Ok();
}

Result<SecretAgentConfig::Transport> ParseTransport(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "tcp") return SecretAgentConfig::Transport::kTcp;
  if (lower == "unix") return SecretAgentConfig::Transport::kUnix;
  return Status(ErrorCode::kInvalidArgument,
                "secret agent connection-type \"" + std::string(name) + "\" is not tcp or unix");
}

Result<std::string> SecretAgentClient::GetSecret(const SecretRef& ref) const {
  const std::string context = "secret agent " + config_.Describe() + ", resource \"" + ref.resource + "\", key \"" +
                              ref.key + "\"";
  auto fail = [&](const Status& st) { return Status(st.code(), context + ": " + st.message()); };
  if (Status st = config_.Validate(); !st.ok()) return st;

  Conn conn(config_.Describe());
  Deadline deadline = SteadyClock::now() + config_.timeout;  // connect + TLS handshake
  Status st = config_.transport == SecretAgentConfig::Transport::kUnix
                  ? conn.ConnectUnix(config_.address, deadline)
                  : conn.ConnectTcp(config_.address, config_.port, deadline);
  if (st.ok() && !config_.tls_ca_file.empty()) st = conn.StartTls(config_.tls_ca_file, config_.address, deadline);
  if (!st.ok()) return fail(st);

  const std::string body = nlohmann::json{{"Resource", ref.resource}, {"SecretKey", ref.key}}.dump();
  std::string request(8, '\0');
  PutBe32(request.data(), kSecretAgentMagic);
  PutBe32(request.data() + 4, static_cast<uint32_t>(body.size()));
  request += body;
  if (st = conn.WriteAll(request, SteadyClock::now() + config_.timeout); !st.ok()) return fail(st);

  deadline = SteadyClock::now() + config_.timeout;  // the whole reply, not each byte: no slow drip
  char header[8];
  if (st = conn.ReadExact(header, sizeof header, deadline, "reading the reply header"); !st.ok()) return fail(st);
  uint32_t magic = GetBe32(header);
  if (magic != kSecretAgentMagic) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "%08x", magic);
    return fail(Status(ErrorCode::kProtocol, std::string("the reply starts with 0x") + hex +
                                                 ", not the agent's magic 0x51dec1cc (is this a Secret Agent?)"));
  }
  uint32_t length = GetBe32(header + 4);
  if (length > kMaxSecretAgentReply) {
    return fail(Status(ErrorCode::kProtocol, "the reply announces " + std::to_string(length) +
                                                 " bytes, more than the " + std::to_string(kMaxSecretAgentReply) +
                                                 " accepted"));
  }
  std::string reply(length, '\0');
  if (st = conn.ReadExact(reply.data(), length, deadline, "reading the reply body"); !st.ok()) return fail(st);
  auto value = ParseReply(reply);
  if (!value.ok()) return fail(value.status());
  if (!config_.is_base64) return value;
  // Line breaks inside base64 are tolerated, as Go's decoder (the agent's own clients) does.
  std::string compact;
  for (char ch : *value) {
    if (ch != '\r' && ch != '\n') compact.push_back(ch);
  }
  auto decoded = Base64Decode(compact);
  if (!decoded) {
    return fail(Status(ErrorCode::kCorrupt, "is-base64 is set but the value is not valid base64 (" +
                                                std::to_string(value->size()) + " characters)"));
  }
  return *decoded;
}

Result<std::string> SecretAgentClient::Fetch(std::string_view reference) const {
  ABS_ASSIGN_OR_RETURN(auto ref, ParseSecretRef(reference));
  return GetSecret(ref);
}

}  // namespace aero::secrets
