// Loopback HTTP fault proxy: one thread per client connection, every wait bounded by poll() on the
// socket and a stop pipe, all threads joined on destruction.
#include "tests/storage/fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace aero::testing {
namespace {

constexpr int kIoTimeoutMs = 15000;

// Waits until fd is readable (or the stop pipe fires); false on timeout/stop.
bool WaitReadable(int fd, int stop_fd, int timeout_ms) {
  pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  int rc = ::poll(p, 2, timeout_ms);
  return rc > 0 && (p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !(p[1].revents & POLLIN);
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

void Reset(int fd) {
  linger l{1, 0};  // close with RST
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

}  // namespace

FaultProxy::FaultProxy(int upstream_port) : upstream_port_(upstream_port) {}

FaultProxy::~FaultProxy() {
  stopping_ = true;
  if (stop_pipe_[1] >= 0) (void)!::write(stop_pipe_[1], "x", 1);
  if (acceptor_.joinable()) acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers.swap(workers_);
  }
  for (auto& t : workers) t.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (int fd : stop_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

Status FaultProxy::Start() {
  if (::pipe(stop_pipe_) != 0) return Status(ErrorCode::kIo, "pipe failed");
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 64) != 0) {
    return Status(ErrorCode::kIo, std::string("fault proxy bind/listen: ") + std::strerror(errno));
  }
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  acceptor_ = std::thread([this] { AcceptLoop(); });
  return Status::Ok();
}

void FaultProxy::AddRule(Rule rule) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(ActiveRule{std::move(rule), 0});
}

void FaultProxy::ClearRules() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

bool FaultProxy::Match(const std::string& method, const std::string& target, Rule* out) {
  std::lock_guard<std::mutex> lock(mu_);
  bool hit = false;
  // Every rule counts every request it matches, even when an earlier rule supplies the fault.
  for (auto& r : rules_) {
    if (!r.rule.method.empty() && r.rule.method != method) continue;
    if (!r.rule.path_contains.empty() && target.find(r.rule.path_contains) == std::string::npos) continue;
    int n = ++r.matches;
    if (!hit && n >= r.rule.nth && n < r.rule.nth + r.rule.times) {
      *out = r.rule;
      hit = true;
    }
  }
  return hit;
}

void FaultProxy::AcceptLoop() {
  while (!stopping_) {
    if (!WaitReadable(listen_fd_, stop_pipe_[0], 1000)) continue;
    int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    workers_.emplace_back([this, client] { Serve(client); });
  }
}

void FaultProxy::Serve(int client) {
  std::string buf;
  char tmp[64 * 1024];
  for (;;) {  // one request per iteration (keep-alive from the client side)
    size_t head_end;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (!WaitReadable(client, stop_pipe_[0], kIoTimeoutMs)) return (void)::close(client);
      ssize_t n = ::recv(client, tmp, sizeof tmp, 0);
      if (n <= 0) return (void)::close(client);
      buf.append(tmp, static_cast<size_t>(n));
    }
    std::string head = buf.substr(0, head_end + 2);  // through the last header's CRLF
    buf.erase(0, head_end + 4);
    std::string request_line = head.substr(0, head.find("\r\n"));
    std::string method = request_line.substr(0, request_line.find(' '));
    std::string target = request_line.substr(method.size() + 1);
    target = target.substr(0, target.find(' '));
    size_t content_length = 0;
    std::string lower = Lower(head);
    if (auto p = lower.find("\r\ncontent-length:"); p != std::string::npos) {
      content_length = std::strtoull(lower.c_str() + p + 17, nullptr, 10);
    }
    requests_++;
    Rule rule;
    bool fault = Match(method, target, &rule);
    if (fault) faults_++;

    if (fault && rule.fault == Fault::kResetMidRequest) {
      while (buf.size() < content_length / 2) {
        if (!WaitReadable(client, stop_pipe_[0], kIoTimeoutMs)) break;
        ssize_t n = ::recv(client, tmp, sizeof tmp, 0);
        if (n <= 0) break;
        buf.append(tmp, static_cast<size_t>(n));
      }
      return Reset(client);
    }
    while (buf.size() < content_length) {
      if (!WaitReadable(client, stop_pipe_[0], kIoTimeoutMs)) return (void)::close(client);
      ssize_t n = ::recv(client, tmp, sizeof tmp, 0);
      if (n <= 0) return (void)::close(client);
      buf.append(tmp, static_cast<size_t>(n));
    }
    std::string body = buf.substr(0, content_length);
    buf.erase(0, content_length);

    if (fault && rule.fault == Fault::kStatus) {
      std::string length = rule.omit_content_length ? "Connection: close\r\n"
                                                    : "Content-Length: " + std::to_string(rule.body.size()) + "\r\n";
      std::string resp = "HTTP/1.1 " + std::to_string(rule.status) + " Injected\r\nContent-Type: " + rule.content_type +
                         "\r\n" + length + "\r\n" + (method == "HEAD" ? "" : rule.body);
      if (!WriteAll(client, resp)) return (void)::close(client);
      if (rule.omit_content_length) {
        ::shutdown(client, SHUT_WR);
        return (void)::close(client);
      }
      continue;
    }
    if (fault && rule.fault == Fault::kStall) {
      // Hold the request until the client gives up (closes) or the proxy stops.
      while (WaitReadable(client, stop_pipe_[0], kIoTimeoutMs)) {
        if (::recv(client, tmp, sizeof tmp, 0) <= 0) break;
      }
      return (void)::close(client);
    }

    // Forward on a fresh upstream connection that closes after the reply.
    int up = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    if (::connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(up);
      return Reset(client);
    }
    std::string out = head + "Connection: close\r\n\r\n" + body;
    if (!WriteAll(up, out)) {
      ::close(up);
      return Reset(client);
    }
    std::string reply;
    while (WaitReadable(up, stop_pipe_[0], kIoTimeoutMs)) {
      ssize_t n = ::recv(up, tmp, sizeof tmp, 0);
      if (n <= 0) break;
      reply.append(tmp, static_cast<size_t>(n));
    }
    ::close(up);
    if (fault && rule.fault == Fault::kResetAfterForward) return Reset(client);
    // The upstream closed after its reply, so tell the client too.
    std::string reply_head = Lower(reply.substr(0, reply.find("\r\n\r\n")));
    if (reply_head.find("\r\nconnection:") == std::string::npos) {
      if (auto p = reply.find("\r\n"); p != std::string::npos) reply.insert(p + 2, "Connection: close\r\n");
    }
    WriteAll(client, reply);
    ::shutdown(client, SHUT_WR);
    return (void)::close(client);
  }
}

}  // namespace aero::testing
