// Child-process test peers (s3rver, azurite) and temp-dir helpers.
#include "tests/storage/peers.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "common/base64.h"
#include "storage/azure/azure_storage.h"
#include "storage/http/http_client.h"

extern char** environ;

namespace aero::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/abs-storage-test-XXXXXX";
  char* p = ::mkdtemp(tmpl.data());
  path_ = p ? p : "";
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

int FreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

ChildProcess::~ChildProcess() { Stop(); }

Status ChildProcess::Start(const std::vector<std::string>& argv, const std::string& log_path,
                           const std::vector<std::string>& extra_env) {
  log_path_ = log_path;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<char*> env;
  for (char** e = environ; *e; ++e) env.push_back(*e);
  for (const auto& e : extra_env) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);
  int rc = ::posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    pid_ = -1;
    return Status(ErrorCode::kIo, "cannot start " + argv[0] + ": " + std::strerror(rc));
  }
  return Status::Ok();
}

Status ChildProcess::WaitForPort(int port, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (pid_ > 0 && ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      std::ifstream log(log_path_);
      std::stringstream ss;
      ss << log.rdbuf();
      return Status(ErrorCode::kIo, "peer exited before listening on port " + std::to_string(port) + "; log:\n" + ss.str());
    }
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return Status::Ok();
    // Readiness polling: the peer gives no other signal that it is listening.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Status(ErrorCode::kTimeout, "peer did not listen on port " + std::to_string(port) + " within " +
                                         std::to_string(timeout_ms) + " ms (log: " + log_path_ + ")");
}

int ChildProcess::Wait() {
  int status = 0;
  if (pid_ <= 0) return -1;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ChildProcess::Stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) {  // up to 5 s for a clean exit
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string NodeDir() { return ABS_TEST_NODE_DIR; }

Status S3rverPeer::Start() {
  std::string bin = NodeDir() + "/node_modules/.bin/s3rver";
  if (::access(bin.c_str(), X_OK) != 0) {
    return Status(ErrorCode::kNotFound, bin + " missing: run `npm ci` in " + NodeDir());
  }
  std::filesystem::create_directories(data_dir());
  port = FreeLoopbackPort();
  ABS_RETURN_IF_ERROR(process.Start({bin, "--directory", data_dir(), "--port", std::to_string(port), "--address",
                                     "127.0.0.1", "--silent", "--configure-bucket", bucket},
                                    dir.path() + "/s3rver.log",
                                    // s3rver's continuation tokens use DES, which Node 20's OpenSSL 3 only
                                    // offers through the legacy provider.
                                    {"NODE_OPTIONS=--openssl-legacy-provider"}));
  return process.WaitForPort(port, 30000);
}

Status AzuritePeer::Start() {
  std::string bin = NodeDir() + "/node_modules/.bin/azurite-blob";
  if (::access(bin.c_str(), X_OK) != 0) {
    return Status(ErrorCode::kNotFound, bin + " missing: run `npm ci` in " + NodeDir());
  }
  std::filesystem::create_directories(data_dir());
  port = FreeLoopbackPort();
  std::vector<std::string> args{bin, "--blobHost", "127.0.0.1", "--blobPort", std::to_string(port), "--location",
                                data_dir(), "--silent", "--skipApiVersionCheck", "--disableTelemetry"};
  http::ClientOptions co;
  if (https) {
    std::string key = dir.path() + "/key.pem";
    ABS_RETURN_IF_ERROR(WriteSelfSignedCert(cert_path(), key));
    args.insert(args.end(), {"--cert", cert_path(), "--key", key, "--oauth", "basic"});
    co.ca_file = cert_path();
  }
  ABS_RETURN_IF_ERROR(process.Start(args, dir.path() + "/azurite.log"));
  ABS_RETURN_IF_ERROR(process.WaitForPort(port, 30000));
  // Create Container, signed with the well-known emulator key.
  std::string path = std::string("/") + kAccount + "/" + container;
  std::vector<std::string> headers{"x-ms-date: " + std::string(), "x-ms-version: 2021-08-06"};
  char date[64];
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  headers[0] = std::string("x-ms-date: ") + date;
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

Status WriteSelfSignedCert(const std::string& cert_path, const std::string& key_path) {
  EVP_PKEY* key = EVP_RSA_gen(2048);
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("127.0.0.1"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  bool ok = true;
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "IP:127.0.0.1"}, std::pair{NID_basic_constraints, "critical,CA:TRUE"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    ok = ok && ext && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
  }
  ok = ok && X509_sign(x, key, EVP_sha256()) > 0;
  FILE* cf = ok ? std::fopen(cert_path.c_str(), "w") : nullptr;
  FILE* kf = ok ? std::fopen(key_path.c_str(), "w") : nullptr;
  ok = cf && kf && PEM_write_X509(cf, x) == 1 && PEM_write_PrivateKey(kf, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (cf) std::fclose(cf);
  if (kf) std::fclose(kf);
  X509_free(x);
  EVP_PKEY_free(key);
  return ok ? Status::Ok() : Status(ErrorCode::kInternal, "cannot create a self-signed certificate");
}

Result<int> RunCommand(const std::vector<std::string>& argv, const std::string& log_path) {
  ChildProcess p;
  ABS_RETURN_IF_ERROR(p.Start(argv, log_path));
  return p.Wait();
}

Status CorruptFileContaining(const std::string& dir, const std::string& needle) {
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto pos = data.find(needle);
    if (pos == std::string::npos) continue;
    std::fstream f(it->path(), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(pos + needle.size() / 2));
    char c = static_cast<char>(data[pos + needle.size() / 2] ^ 0x5a);
    f.write(&c, 1);
    return f ? Status::Ok() : Status(ErrorCode::kIo, "cannot rewrite " + it->path().string());
  }
  return Status(ErrorCode::kNotFound, "no file under " + dir + " contains the marker");
}

}  // namespace aero::testing
