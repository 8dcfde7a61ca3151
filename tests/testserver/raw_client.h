// A minimal blocking wire client for the test-server tests: sends requests built with src/protocol
// over a real socket and reads replies (single protos, or streams up to a LAST message). It does
// not depend on src/client, which is developed separately.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/status.h"
#include "protocol/info.h"
#include "protocol/message.h"

namespace aero::testserver::testing {

struct Proto {
  uint8_t type = 0;
  std::string body;
};

class RawClient {
 public:
  RawClient() = default;
  ~RawClient() { Close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  Status Connect(uint16_t port, const std::string& host = "127.0.0.1") {
    Close();
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    ::inet_pton(AF_INET, host.c_str(), &a.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      Close();
      return Status(ErrorCode::kNetwork, "connect to port " + std::to_string(port) + " failed");
    }
    return Status::Ok();
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // Half-closes the socket: the peer sees end of input after what was sent.
  void ShutdownWrite() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
  }

  Status Send(std::string_view bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return Status(ErrorCode::kNetwork, "send failed");
      off += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  Status ReadExact(char* buf, size_t n, int timeout_ms) {
    size_t got = 0;
    while (got < n) {
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, timeout_ms);
      if (rc == 0) return Status(ErrorCode::kTimeout, "no reply within " + std::to_string(timeout_ms) + " ms");
      if (rc < 0) return Status(ErrorCode::kNetwork, "poll failed");
      ssize_t r = ::recv(fd_, buf + got, n - got, 0);
      if (r <= 0) return Status(ErrorCode::kNetwork, "connection closed");
      got += static_cast<size_t>(r);
    }
    return Status::Ok();
  }

  Result<Proto> ReadProto(int timeout_ms = 5000) {
    char hdr[8];
    ABS_RETURN_IF_ERROR(ReadExact(hdr, 8, timeout_ms));
    proto::ProtoHeader ph;
    ABS_RETURN_IF_ERROR(proto::ParseProtoHeader(std::string_view(hdr, 8), ph));
    Proto p;
    p.type = ph.type;
    p.body.resize(ph.size);
    if (ph.size) ABS_RETURN_IF_ERROR(ReadExact(p.body.data(), ph.size, timeout_ms));
    return p;
  }

  Result<std::vector<std::pair<std::string, std::string>>> InfoPairs(const std::vector<std::string>& cmds) {
    ABS_RETURN_IF_ERROR(Send(proto::BuildInfoRequest(cmds)));
    ABS_ASSIGN_OR_RETURN(Proto p, ReadProto());
    return proto::ParseInfoResponse(p.body);
  }

  // Value of one info command ("" on transport errors, which tests then see as a mismatch).
  std::string Info(const std::string& cmd) {
    auto r = InfoPairs({cmd});
    if (!r.ok() || r->empty()) return "<transport error: " + r.status().ToString() + ">";
    return (*r)[0].second;
  }

  // Sends one type-3 request and parses its single-message reply.
  Result<proto::MsgView> Call(const std::string& request, std::string& storage) {
    ABS_RETURN_IF_ERROR(Send(request));
    ABS_ASSIGN_OR_RETURN(Proto p, ReadProto());
    storage = std::move(p.body);
    proto::MsgView v;
    ABS_RETURN_IF_ERROR(proto::ParseSingleMsg(storage, v));
    return v;
  }

  // Reads a multi-message stream (scan/batch) until a message with info3 LAST, or a single
  // error message without LAST; every message is returned, owned copies of the bodies kept.
  struct Stream {
    std::deque<std::string> bodies;  // proto bodies in arrival order (deque: views stay valid)
    std::vector<proto::MsgView> msgs;  // views into bodies
    bool saw_last = false;
  };
  Status ReadStream(Stream& out, bool error_ends = true, int timeout_ms = 10000) {
    out = Stream{};
    for (;;) {
      ABS_ASSIGN_OR_RETURN(Proto p, ReadProto(timeout_ms));
      if (p.type != proto::kMessage) return Status(ErrorCode::kProtocol, "stream proto of type " + std::to_string(p.type));
      out.bodies.push_back(std::move(p.body));
      const std::string& b = out.bodies.back();
      ByteReader r(b);
      bool end = false;
      while (r.remaining() > 0) {
        proto::MsgView v;
        ABS_RETURN_IF_ERROR(proto::ParseMsg(r, v));
        out.msgs.push_back(v);
        bool is_marker = v.header.info3 & proto::kInfo3PartitionDone;
        if (v.header.info3 & proto::kInfo3Last) {
          out.saw_last = true;
          end = true;
        } else if (error_ends && v.header.result_code != 0 && !is_marker && v.fields.empty() && out.msgs.size() == 1) {
          end = true;  // scan that could not start
        }
      }
      if (end) return Status::Ok();
    }
  }

 private:
  int fd_ = -1;
};

}  // namespace aero::testserver::testing
