// Test certificates (certs.h).
#include "tests/support/certs.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <utility>

#include "tests/support/temp_dir.h"

namespace aero::testing {

namespace {

bool AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  if (value.empty()) return true;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  bool ok = ext != nullptr && X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

std::string BioText(BIO* bio) {
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

}  // namespace

Result<TestCert> TestCert::Make(const CertSpec& spec, const TestCert* issuer) {
  TestCert c;
  c.key_ = spec.rsa ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256");
  c.cert_ = X509_new();
  if (!c.key_ || !c.cert_) return Status(ErrorCode::kInternal, "cannot generate a test key");
  X509* x = c.cert_;
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), spec.serial);
  X509_gmtime_adj(X509_getm_notBefore(x), spec.not_before_seconds);
  X509_gmtime_adj(X509_getm_notAfter(x), spec.valid_seconds);
  X509_set_pubkey(x, c.key_);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(spec.common_name.c_str()),
                             -1, -1, 0);
  X509* issuer_cert = issuer ? issuer->cert_ : x;
  X509_set_issuer_name(x, X509_get_subject_name(issuer_cert));
  bool ok = AddExt(x, issuer_cert, NID_basic_constraints, spec.basic_constraints) &&
            AddExt(x, issuer_cert, NID_key_usage, spec.key_usage) &&
            AddExt(x, issuer_cert, NID_subject_alt_name, spec.subject_alt_names);
  if (!ok) return Status(ErrorCode::kInvalidArgument, "bad certificate extension in the test's CertSpec");
  if (X509_sign(x, issuer ? issuer->key_ : c.key_, EVP_sha256()) <= 0) {
    return Status(ErrorCode::kInternal, "cannot sign the test certificate " + spec.common_name);
  }
  return c;
}

TestCert::TestCert(TestCert&& other) noexcept
    : key_(std::exchange(other.key_, nullptr)), cert_(std::exchange(other.cert_, nullptr)) {}

TestCert& TestCert::operator=(TestCert&& other) noexcept {
  std::swap(key_, other.key_);
  std::swap(cert_, other.cert_);
  return *this;
}

TestCert::~TestCert() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

std::string TestCert::CertPem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert_);
  return BioText(bio);
}

std::string TestCert::KeyPem(const std::string& passphrase) const {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key_, passphrase.empty() ? nullptr : EVP_aes_256_cbc(),
                           reinterpret_cast<const unsigned char*>(passphrase.data()),
                           static_cast<int>(passphrase.size()), nullptr, nullptr);
  return BioText(bio);
}

Status TestCert::Write(const std::string& cert_path, const std::string& key_path) const {
  if (!WriteFile(cert_path, CertPem())) return Status(ErrorCode::kIo, "cannot write " + cert_path);
  if (!key_path.empty() && !WriteFile(key_path, KeyPem())) return Status(ErrorCode::kIo, "cannot write " + key_path);
  return Status::Ok();
}

Status WriteSelfSignedCert(const std::string& cert_path, const std::string& key_path, const CertSpec& spec) {
  ABS_ASSIGN_OR_RETURN(TestCert c, TestCert::Make(spec));
  return c.Write(cert_path, key_path);
}

}  // namespace aero::testing
