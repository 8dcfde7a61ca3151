// TLS context and certificate name checks; see tls.h.
#include "client/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>

namespace aero::client {

std::string OpenSslErrors() {
  std::string out;
  unsigned long e;
  while ((e = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

static bool IEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

bool TlsNameMatches(std::string_view pattern, std::string_view name) {
  if (pattern.empty() || name.empty()) return false;
  if (pattern.size() > 2 && pattern[0] == '*' && pattern[1] == '.') {
    // "*.example.com" matches "a.example.com" but neither "example.com" nor "a.b.example.com".
    size_t dot = name.find('.');
    if (dot == std::string_view::npos || dot == 0) return false;
    return IEquals(pattern.substr(1), name.substr(dot));
  }
  return IEquals(pattern, name);
}

std::vector<std::string> CertificateNames(X509* cert) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* gn = sk_GENERAL_NAME_value(sans, i);
      if (gn->type != GEN_DNS) continue;
      const unsigned char* p = ASN1_STRING_get0_data(gn->d.dNSName);
      names.emplace_back(reinterpret_cast<const char*>(p), ASN1_STRING_length(gn->d.dNSName));
    }
    GENERAL_NAMES_free(sans);
  }
  if (!names.empty()) return names;
  X509_NAME* subject = X509_get_subject_name(cert);
  int idx = -1;
  while ((idx = X509_NAME_get_index_by_NID(subject, NID_commonName, idx)) >= 0) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx));
    names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), ASN1_STRING_length(s));
  }
  return names;
}

Status VerifyCertificateName(X509* cert, std::string_view name) {
  auto names = CertificateNames(cert);
  for (const auto& n : names)
    if (n.find('\0') == std::string::npos && TlsNameMatches(n, name)) return Status::Ok();
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  return Status(ErrorCode::kAuth, "certificate names [" + list + "] do not match TLS name '" + std::string(name) + "'");
}

TlsContext::~TlsContext() {
  if (ctx_) SSL_CTX_free(ctx_);
}

Result<std::shared_ptr<TlsContext>> TlsContext::Create(const TlsPolicy& policy) {
  std::shared_ptr<TlsContext> t(new TlsContext());
  t->verify_peer_ = policy.verify_peer;
  t->ctx_ = SSL_CTX_new(TLS_client_method());
  if (!t->ctx_) return Status(ErrorCode::kInternal, "SSL_CTX_new: " + OpenSslErrors());
  SSL_CTX_set_min_proto_version(t->ctx_, TLS1_2_VERSION);
  SSL_CTX_set_mode(t->ctx_, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (!policy.ca_file.empty() || !policy.ca_path.empty()) {
    if (SSL_CTX_load_verify_locations(t->ctx_, policy.ca_file.empty() ? nullptr : policy.ca_file.c_str(),
                                      policy.ca_path.empty() ? nullptr : policy.ca_path.c_str()) != 1)
      return Status(ErrorCode::kInvalidArgument, "cannot load TLS CA '" + policy.ca_file + policy.ca_path +
                                                     "': " + OpenSslErrors());
  } else if (SSL_CTX_set_default_verify_paths(t->ctx_) != 1) {
    return Status(ErrorCode::kInvalidArgument, "cannot load the system CA store: " + OpenSslErrors());
  }
  if (!policy.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(t->ctx_, policy.cert_file.c_str()) != 1)
      return Status(ErrorCode::kInvalidArgument,
                    "cannot load TLS client certificate '" + policy.cert_file + "': " + OpenSslErrors());
    if (!policy.key_password.empty())
      SSL_CTX_set_default_passwd_cb_userdata(t->ctx_, const_cast<char*>(policy.key_password.c_str()));
    const std::string& key = policy.key_file.empty() ? policy.cert_file : policy.key_file;
    if (SSL_CTX_use_PrivateKey_file(t->ctx_, key.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(t->ctx_) != 1)
      return Status(ErrorCode::kInvalidArgument, "cannot load TLS client key '" + key + "': " + OpenSslErrors());
  }
  // The chain is verified by OpenSSL during the handshake; the name is checked against the TLS name
  // afterwards (VerifyCertificateName), because the server is addressed by IP.
  SSL_CTX_set_verify(t->ctx_, policy.verify_peer ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
  return t;
}

}  // namespace aero::client
