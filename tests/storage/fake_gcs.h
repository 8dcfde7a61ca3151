// A small in-process fake of the Google Cloud Storage JSON API and OAuth2 token endpoint (cpp-httplib),
// following Google's documented request/response formats and error bodies, for testing the GCS backend
// where no emulator runs. It checks what the real service checks: the JWT bearer assertion's RS256
// signature, audience and scope; bearer tokens on every call; resumable-upload offsets and 256 KiB chunk
// multiples; the final X-Goog-Hash MD5; ranges and ifGenerationMatch on downloads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/status.h"

namespace httplib {
class Server;
}

namespace aero::testing {

class FakeGcs {
 public:
  FakeGcs();
  ~FakeGcs();
  FakeGcs(const FakeGcs&) = delete;
  FakeGcs& operator=(const FakeGcs&) = delete;

  Status Start();  // listens on a free loopback port
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string token_uri() const { return endpoint() + "/token"; }
  // Service-account key JSON for a freshly generated RSA key whose public half the fake trusts.
  const std::string& key_json() const { return key_json_; }
  std::string bucket() const { return "abs-test"; }
  // Objects per list page (small, to exercise page tokens).
  void set_page_size(int n) { page_size_ = n; }
  // Flips one byte of a stored object without updating its md5Hash.
  Status Corrupt(const std::string& name);
  int tokens_issued() const;

 private:
  struct Object {
    std::string data;
    int64_t generation = 0;
    std::string storage_class;
    std::string updated;
    std::string md5;  // computed at upload, like Google's stored md5Hash
  };
  struct Session {
    std::string name;
    std::string storage_class;
    std::string data;
    std::string result;  // object metadata once complete; later PUTs to the session get it again
  };
  void Routes();
  std::string Metadata(const std::string& name, const Object& o) const;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::string key_json_;
  std::string public_pem_;
  int page_size_ = 3;
  mutable std::mutex mu_;
  std::map<std::string, Object> objects_;  // bucket "abs-test" only
  std::map<std::string, Session> sessions_;
  std::map<std::string, bool> tokens_;
  int64_t next_generation_ = 1000;
  int next_id_ = 1;
};

}  // namespace aero::testing
