// Certificates for tests, made at test time with OpenSSL: self-signed ones for TLS peers (azurite,
// the test Secret Agent, the service's HTTPS listener, the test server's TLS port) and small PKIs (a
// CA and the certificates it signs) for client-authentication and certificate-reload tests.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <string>

#include "common/status.h"

namespace aero::testing {

struct CertSpec {
  std::string common_name = "127.0.0.1";
  // OpenSSL's subjectAltName syntax ("IP:127.0.0.1,DNS:localhost"); empty for none.
  std::string subject_alt_names = "IP:127.0.0.1";
  // basicConstraints; a self-signed certificate is its own CA. Empty for none.
  std::string basic_constraints = "critical,CA:TRUE";
  std::string key_usage;  // keyUsage ("critical,keyCertSign,cRLSign"); empty for none
  bool rsa = false;       // RSA-2048 instead of P-256 (fast to make)
  long serial = 1;
  long not_before_seconds = -60;  // relative to now
  long valid_seconds = 3600;      // from now
};

// A private key and its certificate, freed together.
class TestCert {
 public:
  // Made from `spec`, signed by `issuer`, or self-signed when there is none.
  static Result<TestCert> Make(const CertSpec& spec, const TestCert* issuer = nullptr);
  TestCert(TestCert&& other) noexcept;
  TestCert& operator=(TestCert&& other) noexcept;
  ~TestCert();

  X509* cert() const { return cert_; }
  EVP_PKEY* key() const { return key_; }
  std::string CertPem() const;
  // The private key as PEM; encrypted (AES-256-CBC) with `passphrase` when one is given.
  std::string KeyPem(const std::string& passphrase = "") const;
  // Writes CertPem() to cert_path and, when key_path is not empty, KeyPem() to key_path.
  Status Write(const std::string& cert_path, const std::string& key_path) const;

 private:
  TestCert() = default;
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
};

// Writes a self-signed certificate made from `spec` and its unencrypted key as PEM files.
Status WriteSelfSignedCert(const std::string& cert_path, const std::string& key_path, const CertSpec& spec = {});

}  // namespace aero::testing
