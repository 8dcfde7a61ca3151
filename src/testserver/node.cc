// Listeners, connection threads and proto dispatch of one test-server node; see node.h.
#include "testserver/node.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/bytes.h"
#include "common/nosigpipe_bio.h"
#include "protocol/message.h"

namespace aero::testserver {

// ---- Conn ---------------------------------------------------------------------------------

Conn::~Conn() {
  if (ssl_) SSL_free(ssl_);
  if (fd_ >= 0) ::close(fd_);
}

bool Conn::TlsAccept() { return ssl_ && SSL_accept(ssl_) == 1; }

void Conn::Shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

static Status PollFd(int fd, short events, int timeout_ms, const char* what) {
  pollfd p{fd, events, 0};
  for (;;) {
    int rc = ::poll(&p, 1, timeout_ms < 0 ? -1 : timeout_ms);
    if (rc > 0) return Status::Ok();
    if (rc == 0) return Status(ErrorCode::kTimeout, std::string("no progress ") + what + " within " +
                                                        std::to_string(timeout_ms) + " ms");
    if (errno != EINTR) return Status(ErrorCode::kNetwork, std::string("poll: ") + std::strerror(errno));
  }
}

Status Conn::WaitReadable(int timeout_ms) {
  if (ssl_ && SSL_pending(ssl_) > 0) return Status::Ok();
  return PollFd(fd_, POLLIN, timeout_ms, "waiting for a request");
}

Status Conn::ReadFull(char* buf, size_t n, int timeout_ms) {
  size_t got = 0;
  while (got < n) {
    if (!(ssl_ && SSL_pending(ssl_) > 0)) ABS_RETURN_IF_ERROR(PollFd(fd_, POLLIN, timeout_ms, "reading"));
    if (ssl_) {
      int rc = SSL_read(ssl_, buf + got, static_cast<int>(std::min<size_t>(n - got, 1 << 30)));
      if (rc <= 0) {
        int err = SSL_get_error(ssl_, rc);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) continue;
        return Status(ErrorCode::kNetwork, "TLS connection closed by peer");
      }
      got += static_cast<size_t>(rc);
    } else {
      ssize_t rc = ::recv(fd_, buf + got, n - got, 0);
      if (rc == 0) return Status(ErrorCode::kNetwork, "connection closed by peer");
      if (rc < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return Status(ErrorCode::kNetwork, std::string("recv: ") + std::strerror(errno));
      }
      got += static_cast<size_t>(rc);
    }
  }
  return Status::Ok();
}

Status Conn::WriteAll(std::string_view data, int timeout_ms) {
  size_t sent = 0;
  while (sent < data.size()) {
    if (ssl_) {
      int rc = SSL_write(ssl_, data.data() + sent, static_cast<int>(std::min<size_t>(data.size() - sent, 1 << 30)));
      if (rc <= 0) {
        int err = SSL_get_error(ssl_, rc);
        if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
          ABS_RETURN_IF_ERROR(PollFd(fd_, POLLOUT, timeout_ms, "writing"));
          continue;
        }
        return Status(ErrorCode::kNetwork, "TLS write failed");
      }
      sent += static_cast<size_t>(rc);
    } else {
      ABS_RETURN_IF_ERROR(PollFd(fd_, POLLOUT, timeout_ms, "writing"));
      ssize_t rc = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (rc < 0) {
        if (errno == EINTR || errno == EAGAIN) continue;
        return Status(ErrorCode::kNetwork, std::string("send: ") + std::strerror(errno));
      }
      sent += static_cast<size_t>(rc);
    }
  }
  return Status::Ok();
}

// ---- Node ---------------------------------------------------------------------------------

Status Node::Listen(uint16_t port, int& fd, uint16_t& bound) {
  fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status(ErrorCode::kNetwork, std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, state_.options().bind_address.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    fd = -1;
    return Status(ErrorCode::kInvalidArgument, "bind address '" + state_.options().bind_address + "' is not IPv4");
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 128) != 0) {
    Status st(ErrorCode::kNetwork, "cannot listen on " + state_.options().bind_address + ":" + std::to_string(port) +
                                       ": " + std::strerror(errno));
    ::close(fd);
    fd = -1;
    return st;
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  bound = ntohs(addr.sin_port);
  return Status::Ok();
}

Status Node::Start() {
  if (running_) return Status::Ok();
  const auto& o = state_.options();
  NodeSlot slot = state_.Slot(index_);
  uint16_t want = slot.port ? slot.port : (o.base_port ? static_cast<uint16_t>(o.base_port + index_) : 0);
  uint16_t port = 0, tls_port = 0;
  ABS_RETURN_IF_ERROR(Listen(want, listen_fd_, port));
  if (tls_ctx_) {
    uint16_t want_tls =
        slot.tls_port ? slot.tls_port : (o.tls_base_port ? static_cast<uint16_t>(o.tls_base_port + index_) : 0);
    Status st = Listen(want_tls, tls_listen_fd_, tls_port);
    if (!st.ok()) {
      ::close(listen_fd_);
      listen_fd_ = -1;
      return st;
    }
  }
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) {
    ::close(listen_fd_);
    if (tls_listen_fd_ >= 0) ::close(tls_listen_fd_);
    listen_fd_ = tls_listen_fd_ = -1;
    return Status(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  state_.SetSlotPorts(index_, port, tls_port);
  stop_token_ = std::make_unique<CancelToken>();
  running_ = true;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return Status::Ok();
}

void Node::Stop() {
  if (!running_.exchange(false)) return;
  stop_token_->Cancel("node stopped");
  char c = 1;
  (void)!::write(wake_pipe_[1], &c, 1);
  if (accept_thread_.joinable()) accept_thread_.join();
  ::close(listen_fd_);
  if (tls_listen_fd_ >= 0) ::close(tls_listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
  listen_fd_ = tls_listen_fd_ = wake_pipe_[0] = wake_pipe_[1] = -1;
  std::list<std::unique_ptr<Worker>> workers;
  {
    std::lock_guard lock(workers_mu_);
    workers.swap(workers_);
    for (auto& w : workers) w->conn->Shutdown();
  }
  for (auto& w : workers)
    if (w->thread.joinable()) w->thread.join();
}

void Node::ReapFinished() {
  std::list<std::unique_ptr<Worker>> finished;
  {
    std::lock_guard lock(workers_mu_);
    for (auto it = workers_.begin(); it != workers_.end();) {
      if ((*it)->done) {
        finished.push_back(std::move(*it));
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : finished) w->thread.join();
}

void Node::AcceptLoop() {
  while (running_) {
    pollfd fds[3] = {{wake_pipe_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}, {tls_listen_fd_, POLLIN, 0}};
    int nfds = tls_listen_fd_ >= 0 ? 3 : 2;
    // The timeout only bounds how long finished connection threads wait to be joined.
    int rc = ::poll(fds, nfds, 1000);
    ReapFinished();
    if (rc <= 0) continue;
    if (fds[0].revents) break;
    for (int i = 1; i < nfds; ++i) {
      if (!(fds[i].revents & POLLIN)) continue;
      int cfd = ::accept4(fds[i].fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (cfd < 0) continue;
      int one = 1;
      ::setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      size_t active = 0;
      {
        std::lock_guard lock(workers_mu_);
        for (const auto& w : workers_) active += w->done ? 0 : 1;
      }
      if (static_cast<int>(active) >= state_.options().max_connections_per_node) {
        ::close(cfd);  // over the cap: refuse, as a server out of connections would
        continue;
      }
      bool tls = i == 2;
      SSL* ssl = nullptr;
      if (tls) {
        ssl = SSL_new(tls_ctx_);
        if (!ssl || !AttachNoSigpipeSocket(ssl, cfd)) {
          if (ssl) SSL_free(ssl);
          ::close(cfd);  // out of memory in OpenSSL: refuse this connection, keep serving
          continue;
        }
      }
      auto conn = std::make_shared<Conn>(cfd, ssl);
      auto w = std::make_unique<Worker>();
      w->conn = conn;
      Worker* raw = w.get();
      std::lock_guard lock(workers_mu_);
      workers_.push_back(std::move(w));
      raw->thread = std::thread([this, conn, tls, raw] {
        Serve(conn, tls, conn->fd());
        conn->Shutdown();  // the peer sees the close now; the fd is released when the thread is joined
        raw->done = true;
      });
    }
  }
}

void Node::Serve(std::shared_ptr<Conn> conn, bool tls, int raw_fd) {
  const auto& o = state_.options();
  if (tls) {
    // Bound the handshake with socket timeouts so a silent client cannot hold the thread.
    timeval tv{o.io_timeout_ms / 1000, (o.io_timeout_ms % 1000) * 1000};
    ::setsockopt(raw_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(raw_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  Session s{state_, *this, index_, *conn, !state_.security_enabled()};
  if (tls && !conn->TlsAccept()) return;  // failed handshake: nothing to answer
  std::string body;
  while (running_) {
    if (!conn->WaitReadable(o.idle_timeout_ms).ok()) return;
    char hdr[8];
    if (!conn->ReadFull(hdr, 8, o.io_timeout_ms).ok()) return;
    proto::ProtoHeader ph;
    if (!proto::ParseProtoHeader(std::string_view(hdr, 8), ph).ok()) return;  // garbage: close like the server
    body.resize(ph.size);
    if (ph.size && !conn->ReadFull(body.data(), ph.size, o.io_timeout_ms).ok()) return;
    int delay = state_.Faults(index_).delay_ms;
    if (delay > 0 && stop_token_->WaitFor(std::chrono::milliseconds(delay))) return;
    Status st;
    switch (ph.type) {
      case proto::kInfo: {
        std::string reply = HandleInfo(s, body);
        std::string out;
        proto::PutProtoHeader(out, proto::kInfo, reply.size());
        out += reply;
        st = conn->WriteAll(out, o.io_timeout_ms);
        break;
      }
      case proto::kAdmin:
        st = HandleAdmin(s, body);
        break;
      case proto::kMessage:
        st = HandleMessage(s, body);
        break;
      case proto::kCompressed: {
        // Community Edition does not accept compressed requests: a plain type-3 reply, result 25.
        proto::MsgHeader h;
        h.result_code = s.authenticated ? proto::kEnterpriseOnly : proto::kNotAuthenticated;
        st = conn->WriteAll(proto::MessageBuilder(h).Finish(), o.io_timeout_ms);
        break;
      }
      default:
        return;
    }
    if (!st.ok()) return;
  }
}

}  // namespace aero::testserver
