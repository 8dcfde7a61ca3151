// TLS for client connections (OpenSSL): one context per cluster, certificate verification
// against the host's TLS name (subjectAltName DNS entries, else the Common Name; case-insensitive,
// "*." matches exactly one left-most label).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/policy.h"
#include "common/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct x509_st X509;

namespace aero::client {

// True if a certificate name pattern (possibly "*.example.com") matches host name `name`.
bool TlsNameMatches(std::string_view pattern, std::string_view name);

// Checks cert against name: DNS subjectAltNames if there are any, otherwise the subject CNs.
Status VerifyCertificateName(X509* cert, std::string_view name);

// Names a certificate carries (SAN DNS entries, then CNs) for error messages and tests.
std::vector<std::string> CertificateNames(X509* cert);

class TlsContext {
 public:
  static Result<std::shared_ptr<TlsContext>> Create(const TlsPolicy& policy);
  ~TlsContext();
  SSL_CTX* ctx() const { return ctx_; }
  bool verify_peer() const { return verify_peer_; }

 private:
  TlsContext() = default;
  SSL_CTX* ctx_ = nullptr;
  bool verify_peer_ = true;
};

// The OpenSSL error queue as text (drains it).
std::string OpenSslErrors();

}  // namespace aero::client
