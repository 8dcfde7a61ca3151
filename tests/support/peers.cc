// The s3rver and azurite test peers (peers.h).
#include "tests/support/peers.h"

#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.h"
#include "storage/azure/azure_storage.h"
#include "storage/http/http_client.h"
#include "tests/support/certs.h"
#include "tests/support/ports.h"

namespace aero::testing {

std::string NodeDir() {
  const char* dir = std::getenv("ABS_TEST_NODE_DIR");
  return dir && *dir ? std::string(dir) : std::string(ABS_TEST_NODE_DIR);
}

Result<std::string> NodePeerBinary(const std::string& name, const std::string& peer) {
  std::string bin = NodeDir() + "/node_modules/.bin/" + name;
  if (::access(bin.c_str(), X_OK) != 0) {
    return Status(ErrorCode::kNotFound, "test peer " + peer + " is missing (no " + bin +
                                            "): install the test peers with `bash scripts/setup.sh` (npm ci in tests/node)");
  }
  return bin;
}

Status S3rverPeer::Start() {
  ABS_ASSIGN_OR_RETURN(std::string bin, NodePeerBinary("s3rver", "s3rver (S3)"));
  std::filesystem::create_directories(data_dir());
  port = FreeLoopbackPort();
  ProcessOptions o;
  o.log_path = dir.File("s3rver.log");
  // s3rver's continuation tokens use DES, which Node 20's OpenSSL 3 only offers through the legacy
  // provider.
  o.env = {"NODE_OPTIONS=--openssl-legacy-provider"};
  ABS_RETURN_IF_ERROR(process.Start({bin, "--directory", data_dir(), "--port", std::to_string(port), "--address",
                                     "127.0.0.1", "--silent", "--configure-bucket", bucket},
                                    o));
  return process.WaitForPort(port, std::chrono::seconds(30));
}

Status AzuritePeer::Start() {
  ABS_ASSIGN_OR_RETURN(std::string bin, NodePeerBinary("azurite-blob", "azurite (Azure Blob)"));
  std::filesystem::create_directories(data_dir());
  port = FreeLoopbackPort();
  std::vector<std::string> args{bin, "--blobHost", "127.0.0.1", "--blobPort", std::to_string(port), "--location",
                                data_dir(), "--silent", "--skipApiVersionCheck", "--disableTelemetry"};
  http::ClientOptions co;
  if (https) {
    std::string key = dir.File("key.pem");
    CertSpec spec;
    spec.rsa = true;
    spec.not_before_seconds = -3600;
    spec.valid_seconds = 86400;
    ABS_RETURN_IF_ERROR(WriteSelfSignedCert(cert_path(), key, spec));
    args.insert(args.end(), {"--cert", cert_path(), "--key", key, "--oauth", "basic"});
    co.ca_file = cert_path();
  }
  ProcessOptions o;
  o.log_path = dir.File("azurite.log");
  ABS_RETURN_IF_ERROR(process.Start(args, o));
  ABS_RETURN_IF_ERROR(process.WaitForPort(port, std::chrono::seconds(30)));
  // Create Container, signed with the well-known emulator key.
  std::string path = std::string("/") + kAccount + "/" + container;
  char date[64];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  std::vector<std::string> headers{std::string("x-ms-date: ") + date, "x-ms-version: 2021-08-06"};
  headers.push_back("Authorization: " + storage::AzureSharedKeyAuthorization(kAccount, kKey, "PUT",
                                                                           path + "?restype=container", headers, 0));
  http::Client client(co);
  http::Request req;
  req.method = "PUT";
  req.url = std::string(https ? "https" : "http") + "://127.0.0.1:" + std::to_string(port) + path + "?restype=container";
  req.headers = headers;
  ABS_ASSIGN_OR_RETURN(http::Response r, client.Perform(req));
  if (r.status != 201) {
    return Status(ErrorCode::kIo, "azurite Create Container: HTTP " + std::to_string(r.status) + ": " + r.body);
  }
  return Status::Ok();
}

std::string AzuritePeer::AccountSas() const {
  const std::string sv = "2021-08-06", ss = "b", srt = "sco", sp = "rwdlac", se = "2099-01-01T00:00:00Z",
                    spr = "https,http";
  // Account SAS string-to-sign for versions from 2020-12-06 (with the encryption-scope line).
  std::string to_sign = std::string(kAccount) + "\n" + sp + "\n" + ss + "\n" + srt + "\n\n" + se + "\n\n" + spr +
                        "\n" + sv + "\n\n";
  std::string key = *Base64Decode(kKey);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(to_sign.data()),
       to_sign.size(), mac, &len);
  std::string sig = Base64Encode(std::string(reinterpret_cast<char*>(mac), len));
  return "sv=" + sv + "&ss=" + ss + "&srt=" + srt + "&sp=" + sp + "&se=" + http::UrlEncode(se) +
         "&spr=" + http::UrlEncode(spr) + "&sig=" + http::UrlEncode(sig);
}

}  // namespace aero::testing
