// Socket I/O with deadlines; see connection.h.
#include "client/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cerrno>
#include <cstring>

#include "common/nosigpipe_bio.h"

namespace aero::client {

namespace {

// Poll in slices so a cancel is noticed within this time even while a peer is silent.
constexpr auto kCancelSlice = std::chrono::milliseconds(100);

std::string ErrnoText(int err) { return std::strerror(err); }

std::string AddrText(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = {0};
  uint16_t port = 0;
  if (sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    port = ntohs(in->sin_port);
    return std::string(buf) + ":" + std::to_string(port);
  }
  auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
  inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
  port = ntohs(in6->sin6_port);
  return "[" + std::string(buf) + "]:" + std::to_string(port);
}

}  // namespace

Connection::~Connection() {
  if (ssl_) {
    SSL_free(ssl_);  // no shutdown round trip: it could block on a dead peer
  }
  if (fd_ >= 0) ::close(fd_);
}

Status Connection::WaitIo(bool for_write, Deadline deadline, const CancelToken* cancel, const char* what) {
  for (;;) {
    if (cancel && cancel->cancelled()) return Status(ErrorCode::kCancelled, std::string(what) + " cancelled: " + cancel->reason());
    auto now = SteadyClock::now();
    if (now >= deadline)
      return Status(ErrorCode::kTimeout, std::string(what) + " on " + peer_ + " timed out");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (cancel) left = std::min<std::chrono::milliseconds>(left, kCancelSlice);
    pollfd p{fd_, static_cast<short>(for_write ? POLLOUT : POLLIN), 0};
    int rc = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count())));
    if (rc > 0) return Status::Ok();  // readable/writable or error: the following call reports it
    if (rc < 0 && errno != EINTR)
      return Status(ErrorCode::kNetwork, std::string("poll on ") + peer_ + ": " + ErrnoText(errno));
  }
}

Result<std::unique_ptr<Connection>> Connection::Open(const Host& host, const TlsContext* tls, Deadline deadline,
                                                     const CancelToken* cancel) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port = std::to_string(host.port);
  int grc = ::getaddrinfo(host.name.c_str(), port.c_str(), &hints, &res);
  if (grc != 0)
    return Status(ErrorCode::kNetwork, "cannot resolve " + host.ToString() + ": " + gai_strerror(grc));
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(res, freeaddrinfo);

  Status last(ErrorCode::kNetwork, "no address for " + host.ToString());
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    std::unique_ptr<Connection> c(new Connection());
    c->host_ = host;
    c->peer_ = AddrText(ai->ai_addr);
    c->fd_ = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (c->fd_ < 0) {
      last = Status(ErrorCode::kNetwork, "socket(): " + ErrnoText(errno));
      continue;
    }
    int one = 1;
    ::setsockopt(c->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = ::connect(c->fd_, ai->ai_addr, ai->ai_addrlen);
    if (rc != 0 && errno != EINPROGRESS) {
      last = Status(ErrorCode::kNetwork, "connect to " + c->peer_ + ": " + ErrnoText(errno));
      continue;
    }
    if (rc != 0) {
      Status w = c->WaitIo(true, deadline, cancel, "connect");
      if (!w.ok()) {
        last = w;
        if (w.code() == ErrorCode::kCancelled) return w;
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(c->fd_, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err != 0) {
        last = Status(ErrorCode::kNetwork, "connect to " + c->peer_ + ": " + ErrnoText(err));
        continue;
      }
    }
    if (tls) {
      Status t = c->TlsHandshake(*tls, deadline, cancel);
      if (!t.ok()) return t;  // a TLS failure is not cured by another address of the same host
    }
    return c;
  }
  return last;
}

Status Connection::TlsHandshake(const TlsContext& tls, Deadline deadline, const CancelToken* cancel) {
  ssl_ = SSL_new(tls.ctx());
  if (!ssl_) return Status(ErrorCode::kInternal, "SSL_new: " + OpenSslErrors());
  // Sends with MSG_NOSIGNAL: a peer that closed the connection must not raise SIGPIPE.
  if (!AttachNoSigpipeSocket(ssl_, fd_)) return Status(ErrorCode::kInternal, "BIO_new: " + OpenSslErrors());
  const std::string& name = host_.tls_name.empty() ? host_.name : host_.tls_name;
  for (;;) {
    ERR_clear_error();
    int rc = SSL_connect(ssl_);
    if (rc == 1) break;
    int err = SSL_get_error(ssl_, rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      ABS_RETURN_IF_ERROR(WaitIo(err == SSL_ERROR_WANT_WRITE, deadline, cancel, "TLS handshake"));
      continue;
    }
    std::string detail = OpenSslErrors();
    long vr = SSL_get_verify_result(ssl_);
    if (vr != X509_V_OK) detail += std::string(" (certificate: ") + X509_verify_cert_error_string(vr) + ")";
    return Status(ErrorCode::kNetwork, "TLS handshake with " + peer_ + " (tls name " + name + ") failed: " + detail);
  }
  if (tls.verify_peer()) {
    X509* cert = SSL_get1_peer_certificate(ssl_);
    if (!cert) return Status(ErrorCode::kAuth, "TLS peer " + peer_ + " sent no certificate");
    Status s = VerifyCertificateName(cert, name);
    X509_free(cert);
    if (!s.ok()) return s.WithContext("TLS peer " + peer_);
  }
  return Status::Ok();
}

Status Connection::Write(std::string_view data, Deadline deadline, const CancelToken* cancel) {
  size_t off = 0;
  while (off < data.size()) {
    if (ssl_) {
      ERR_clear_error();
      int n = SSL_write(ssl_, data.data() + off, static_cast<int>(std::min<size_t>(data.size() - off, 1 << 30)));
      if (n > 0) {
        off += static_cast<size_t>(n);
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        Status w = WaitIo(err == SSL_ERROR_WANT_WRITE, deadline, cancel, "write");
        if (!w.ok()) return broken_ = true, w;
        continue;
      }
      broken_ = true;
      return Status(ErrorCode::kNetwork, "TLS write to " + peer_ + " failed: " + OpenSslErrors());
    }
    ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      Status w = WaitIo(true, deadline, cancel, "write");
      if (!w.ok()) return broken_ = true, w;
      continue;
    }
    broken_ = true;
    return Status(ErrorCode::kNetwork, "write to " + peer_ + ": " + ErrnoText(errno));
  }
  last_used_ = SteadyClock::now();
  return Status::Ok();
}

Status Connection::ReadFully(char* out, size_t n, Deadline deadline, const CancelToken* cancel) {
  size_t off = 0;
  while (off < n) {
    if (ssl_) {
      ERR_clear_error();
      int r = SSL_read(ssl_, out + off, static_cast<int>(std::min<size_t>(n - off, 1 << 30)));
      if (r > 0) {
        off += static_cast<size_t>(r);
        continue;
      }
      int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        Status w = WaitIo(err == SSL_ERROR_WANT_WRITE, deadline, cancel, "read");
        if (!w.ok()) return broken_ = true, w;
        continue;
      }
      broken_ = true;
      if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && r == 0))
        return Status(ErrorCode::kNetwork, "connection to " + peer_ + " closed by peer after " +
                                               std::to_string(off) + " of " + std::to_string(n) + " bytes");
      return Status(ErrorCode::kNetwork, "TLS read from " + peer_ + " failed: " + OpenSslErrors());
    }
    ssize_t r = ::recv(fd_, out + off, n - off, 0);
    if (r > 0) {
      off += static_cast<size_t>(r);
      continue;
    }
    if (r == 0) {
      broken_ = true;
      return Status(ErrorCode::kNetwork, "connection to " + peer_ + " closed by peer after " + std::to_string(off) +
                                             " of " + std::to_string(n) + " bytes");
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      Status w = WaitIo(false, deadline, cancel, "read");
      if (!w.ok()) return broken_ = true, w;
      continue;
    }
    broken_ = true;
    return Status(ErrorCode::kNetwork, "read from " + peer_ + ": " + ErrnoText(errno));
  }
  return Status::Ok();
}

Status Connection::ReadProto(proto::ProtoHeader& header, std::string& body, Deadline deadline,
                             const CancelToken* cancel) {
  char hdr[8];
  ABS_RETURN_IF_ERROR(ReadFully(hdr, 8, deadline, cancel));
  Status s = proto::ParseProtoHeader(std::string_view(hdr, 8), header);
  if (!s.ok()) {
    broken_ = true;
    return s.WithContext("reply from " + peer_);
  }
  // resize() on a string with enough capacity does not allocate: buffers are reused across reads.
  body.resize(header.size);
  ABS_RETURN_IF_ERROR(ReadFully(body.data(), header.size, deadline, cancel));
  last_used_ = SteadyClock::now();
  return Status::Ok();
}

Status Connection::Exchange(std::string_view request, proto::ProtoHeader& header, std::string& body,
                            Deadline deadline, const CancelToken* cancel) {
  ABS_RETURN_IF_ERROR(Write(request, deadline, cancel));
  return ReadProto(header, body, deadline, cancel);
}

}  // namespace aero::client
