// A socket BIO for OpenSSL that sends with MSG_NOSIGNAL. OpenSSL's own socket BIO uses write(), which
// raises SIGPIPE (and kills the process) when the peer has closed the connection; a library must not
// depend on the process ignoring that signal. Used by the client, the Secret Agent client and the
// test server for every TLS connection they make or accept.
#pragma once

#include <openssl/ssl.h>

namespace aero {

// Attaches `fd` to `ssl` for both directions through the no-SIGPIPE BIO (the SSL owns the BIO; the
// fd stays the caller's to close). SSL_get_fd works on it. False if OpenSSL could not allocate it.
bool AttachNoSigpipeSocket(SSL* ssl, int fd);

}  // namespace aero
