// The no-SIGPIPE socket BIO (nosigpipe_bio.h).
#include "common/nosigpipe_bio.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace aero {
namespace {

int BioFd(BIO* b) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(b))); }

int NoSigWrite(BIO* b, const char* data, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n = ::send(BioFd(b), data, static_cast<size_t>(len), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

int NoSigRead(BIO* b, char* data, int len) {
  BIO_clear_retry_flags(b);
  ssize_t n = ::recv(BioFd(b), data, static_cast<size_t>(len), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) BIO_set_retry_read(b);
  return static_cast<int>(n);
}

int NoSigPuts(BIO* b, const char* s) { return NoSigWrite(b, s, static_cast<int>(std::strlen(s))); }

long NoSigCtrl(BIO* b, int cmd, long, void* ptr) {
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // nothing buffered here
    case BIO_C_GET_FD:  // SSL_get_fd
      if (ptr) *static_cast<int*>(ptr) = BioFd(b);
      return BioFd(b);
    default:
      return 0;
  }
}

// Created once, shared by every connection, never freed (it lives as long as the process).
BIO_METHOD* NoSigMethod() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "abs socket (no SIGPIPE)");
    if (!m) return m;
    BIO_meth_set_write(m, NoSigWrite);
    BIO_meth_set_read(m, NoSigRead);
    BIO_meth_set_puts(m, NoSigPuts);
    BIO_meth_set_ctrl(m, NoSigCtrl);
    BIO_meth_set_create(m, [](BIO* b) {
      BIO_set_init(b, 1);
      return 1;
    });
    return m;
  }();
  return method;
}

}  // namespace

bool AttachNoSigpipeSocket(SSL* ssl, int fd) {
  BIO_METHOD* m = NoSigMethod();
  BIO* bio = m ? BIO_new(m) : nullptr;
  if (!bio) return false;
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  SSL_set_bio(ssl, bio, bio);  // one reference serves both directions
  return true;
}

}  // namespace aero
