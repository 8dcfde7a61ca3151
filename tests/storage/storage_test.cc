// Unit tests for the storage layer that need no peer process: URI parsing, key validation, AWS credential
// resolution, ETag verification, and SigV4 signatures checked by an independent implementation of
// AWS's algorithm against requests captured by a local HTTP server (s3rver does not check V4 signatures).
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <sys/xattr.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "common/bytes.h"
#include "storage/crc32c.h"
#include "storage/factory.h"
#include "storage/object_io.h"
#include "storage/s3/s3_credentials.h"
#include "storage/s3/s3_storage.h"
#include "tests/support/temp_dir.h"

namespace aero {
namespace {

TEST(StorageUriTest, Schemes) {
  auto s3 = ParseStorageUri("s3://bucket/some/prefix/");
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(s3->kind, StorageUri::Kind::kS3);
  EXPECT_EQ(s3->bucket, "bucket");
  EXPECT_EQ(s3->path, "some/prefix");
  auto az = ParseStorageUri("azure://container");
  ASSERT_TRUE(az.ok());
  EXPECT_EQ(az->kind, StorageUri::Kind::kAzure);
  EXPECT_EQ(az->path, "");
  auto gs = ParseStorageUri("gs://b/p");
  ASSERT_TRUE(gs.ok());
  EXPECT_EQ(gs->kind, StorageUri::Kind::kGcs);
  auto local = ParseStorageUri("/var/lib/abs");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->kind, StorageUri::Kind::kLocal);
  EXPECT_EQ(local->path, "/var/lib/abs");
  EXPECT_EQ(ParseStorageUri("file:///x")->path, "/x");
  EXPECT_EQ(ParseStorageUri("ftp://x/y").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseStorageUri("s3:///prefix").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseStorageUri("s3://b/a/../c").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ParseStorageUri("").status().code(), ErrorCode::kInvalidArgument);
}

TEST(StorageKeyTest, Validation) {
  EXPECT_TRUE(ValidateKey("a/b/c.asb").ok());
  EXPECT_TRUE(ValidateKey("", true).ok());
  for (const char* bad : {"", "/a", "a/", "a//b", ".", "..", "a/../b", "a/./b"}) {
    EXPECT_EQ(ValidateKey(bad).code(), ErrorCode::kInvalidArgument) << bad;
  }
}

class EnvGuard {
 public:
  explicit EnvGuard(std::vector<std::pair<std::string, std::string>> vars) {
    for (const char* n : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                          "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"}) {
      const char* v = std::getenv(n);
      if (v) saved_.emplace_back(n, v);
      ::unsetenv(n);
    }
    for (const auto& [n, v] : vars) ::setenv(n.c_str(), v.c_str(), 1);
    names_ = vars;
  }
  ~EnvGuard() {
    for (const auto& [n, v] : names_) ::unsetenv(n.c_str());
    for (const auto& [n, v] : saved_) ::setenv(n.c_str(), v.c_str(), 1);
  }

 private:
  std::vector<std::pair<std::string, std::string>> saved_, names_;
};

TEST(S3CredentialsTest, ResolutionOrder) {
  testing::TempDir dir;
  std::string creds = dir.path() + "/credentials", config = dir.path() + "/config";
  std::ofstream(creds) << "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = defsecret\n"
                          "[backup]\naws_access_key_id=PROFKEY\naws_secret_access_key=profsecret\n"
                          "aws_session_token=proftoken\n";
  std::ofstream(config) << "[default]\nregion = eu-west-1\n[profile backup]\nregion = ap-south-1\n";
  EnvGuard env({{"AWS_SHARED_CREDENTIALS_FILE", creds}, {"AWS_CONFIG_FILE", config}});
  S3Options o;
  auto c = ResolveS3Credentials(o);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key_id, "DEFAULTKEY");
  EXPECT_EQ(c->region, "eu-west-1");

  o.profile = "backup";
  c = ResolveS3Credentials(o);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "PROFKEY");
  EXPECT_EQ(c->session_token, "proftoken");
  EXPECT_EQ(c->region, "ap-south-1");

  ::setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
  ::setenv("AWS_SESSION_TOKEN", "envtoken", 1);
  c = ResolveS3Credentials(o);  // an explicitly configured profile wins over the environment
  EXPECT_EQ(c->access_key_id, "PROFKEY");
  o.profile.clear();
  c = ResolveS3Credentials(o);
  EXPECT_EQ(c->access_key_id, "ENVKEY");
  EXPECT_EQ(c->session_token, "envtoken");
  EXPECT_EQ(c->source, "environment");

  o.access_key_id = "CFGKEY";
  o.secret_access_key = "cfgsecret";
  o.region = "us-west-2";
  c = ResolveS3Credentials(o);
  EXPECT_EQ(c->access_key_id, "CFGKEY");
  EXPECT_EQ(c->session_token, "");
  EXPECT_EQ(c->region, "us-west-2");

  o = S3Options{};
  o.profile = "nosuch";
  EXPECT_EQ(ResolveS3Credentials(o).status().code(), ErrorCode::kInvalidArgument);
}

TEST(S3CredentialsTest, NothingConfigured) {
  EnvGuard env({{"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/c"}, {"AWS_CONFIG_FILE", "/nonexistent/f"}});
  auto c = ResolveS3Credentials(S3Options{});
  EXPECT_EQ(c.status().code(), ErrorCode::kAuth);
  S3Options o;
  o.access_key_id = "K";
  o.secret_access_key = "S";
  EXPECT_EQ(ResolveS3Credentials(o).status().code(), ErrorCode::kInvalidArgument) << "no region anywhere";
}

TEST(S3EtagTest, PlainAndMultipart) {
  std::string data(12 * 1024 + 5, 'q');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
  std::string plain = ToHex(storage::Md5::Of(data));
  auto v = storage::NewS3EtagVerifier(plain, 0, "x");
  ASSERT_NE(v, nullptr);
  v->Update(data.substr(0, 100));
  v->Update(data.substr(100));
  EXPECT_TRUE(v->Finish().ok());
  // Multipart: MD5 of the concatenated part MD5s, "-<parts>".
  const uint64_t part = 4096;
  std::string md5s;
  for (size_t i = 0; i < data.size(); i += part) md5s += storage::Md5::Of(data.substr(i, part));
  std::string multi = ToHex(storage::Md5::Of(md5s)) + "-4";
  v = storage::NewS3EtagVerifier(multi, part, "x");
  ASSERT_NE(v, nullptr);
  for (size_t i = 0; i < data.size(); i += 1000) v->Update(data.substr(i, 1000));
  EXPECT_TRUE(v->Finish().ok());
  data[5000] ^= 1;
  v = storage::NewS3EtagVerifier(multi, part, "x");
  v->Update(data);
  Status s = v->Finish();
  EXPECT_EQ(s.code(), ErrorCode::kCorrupt);
  EXPECT_EQ(storage::NewS3EtagVerifier(multi, 0, "x"), nullptr) << "part size unknown: cannot verify";
  EXPECT_EQ(storage::NewS3EtagVerifier("not-an-md5", 0, "x"), nullptr);
}

// ---- SigV4, checked independently ----

std::string Sha256Hex(std::string_view s) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out);
  return ToHex(std::string_view(reinterpret_cast<char*>(out), sizeof out));
}
std::string Hmac(const std::string& key, const std::string& data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

// Recomputes the signature of a captured request per AWS's documented SigV4 algorithm.
std::string ExpectedSignature(const httplib::Request& req, const std::string& secret, std::string* signed_headers) {
  std::string auth = req.get_header_value("Authorization");
  auto sh = auth.find("SignedHeaders=");
  *signed_headers = auth.substr(sh + 14, auth.find(',', sh) - sh - 14);
  auto cred = auth.find("Credential=");
  std::string scope = auth.substr(cred + 11, auth.find(',', cred) - cred - 11);
  scope = scope.substr(scope.find('/') + 1);  // date/region/service/aws4_request
  std::string target = req.target;
  std::string path = target.substr(0, target.find('?'));
  std::string query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
  // Canonical query: parameters sorted by name (values stay as sent: already RFC 3986 encoded).
  std::vector<std::string> params;
  for (size_t start = 0; start < query.size();) {
    size_t amp = query.find('&', start);
    if (amp == std::string::npos) amp = query.size();
    std::string kv = query.substr(start, amp - start);
    if (kv.find('=') == std::string::npos) kv += "=";
    params.push_back(kv);
    start = amp + 1;
  }
  std::sort(params.begin(), params.end());
  std::string cq;
  for (const auto& p : params) cq += (cq.empty() ? "" : "&") + p;
  std::string ch;
  for (size_t start = 0; start <= signed_headers->size();) {
    size_t semi = signed_headers->find(';', start);
    if (semi == std::string::npos) semi = signed_headers->size();
    std::string name = signed_headers->substr(start, semi - start);
    ch += name + ":" + req.get_header_value(name.c_str()) + "\n";
    start = semi + 1;
  }
  std::string canonical = req.method + "\n" + path + "\n" + cq + "\n" + ch + "\n" + *signed_headers + "\n" +
                          req.get_header_value("x-amz-content-sha256");
  std::string date = req.get_header_value("x-amz-date");
  std::string to_sign = "AWS4-HMAC-SHA256\n" + date + "\n" + scope + "\n" + Sha256Hex(canonical);
  std::string region = scope.substr(9, scope.find('/', 9) - 9);
  std::string k = Hmac("AWS4" + secret, date.substr(0, 8));
  k = Hmac(k, region);
  k = Hmac(k, "s3");
  k = Hmac(k, "aws4_request");
  return ToHex(Hmac(k, to_sign));
}

TEST(S3SigV4Test, RequestsAreSignedCorrectly) {
  httplib::Server server;
  std::mutex mu;
  std::vector<std::string> failures;
  int checked = 0;
  auto check = [&](const httplib::Request& req, httplib::Response& res) {
    std::string signed_headers;
    std::string expected = ExpectedSignature(req, "SECRET/key+1", &signed_headers);
    std::string auth = req.get_header_value("Authorization");
    std::string got = auth.substr(auth.find("Signature=") + 10);
    std::lock_guard<std::mutex> lock(mu);
    ++checked;
    if (got != expected) failures.push_back(req.method + " " + req.target + ": signature " + got + " != " + expected);
    for (const char* h : {"host", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token"}) {
      if (signed_headers.find(h) == std::string::npos) failures.push_back(req.target + ": " + h + " not signed");
    }
    if (!auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/")) failures.push_back("bad credential: " + auth);
    if (req.get_header_value("x-amz-security-token") != "TOKEN") failures.push_back("session token not sent");
    if (req.method == "GET") {
      res.set_content("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>", "application/xml");
    } else {
      res.set_header("ETag", "\"" + ToHex(storage::Md5::Of(req.body)) + "\"");
    }
  };
  server.Put(".*", check);
  server.Get(".*", check);
  int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });


  StorageOptions o;
  o.s3.region = "eu-central-1";
  o.s3.access_key_id = "AKIDTEST";
  o.s3.secret_access_key = "SECRET/key+1";
  o.s3.session_token = "TOKEN";
  o.s3.endpoint_override = "http://127.0.0.1:" + std::to_string(port);
  auto st = OpenStorage("s3://bucket/pre fix", o);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  Status w = (*st)->WriteObject("a b/c+d=e.asb", "hello");
  auto l = (*st)->List("x y", ListMode::kChildren);
  st->reset();  // closes the kept-alive connection so the server stops at once
  server.stop();
  t.join();
  EXPECT_TRUE(w.ok()) << w.ToString();
  EXPECT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(checked, 2);
  for (const auto& f : failures) ADD_FAILURE() << f;
}

}  // namespace
// CRC-32C: the standard check value, and the CPU path (when the CPU has one) equals the table path
// on every length and alignment around the 8-byte steps, fed whole or in pieces.
TEST(Crc32cTest, KnownValueAndPathsAgree) {
  storage::Crc32c c;
  c.Update("123456789");
  EXPECT_EQ(c.value(), 0xE3069283u);
  EXPECT_EQ(storage::Crc32cByTable("123456789"), 0xE3069283u);
  EXPECT_EQ(storage::Crc32c().value(), 0u);
  std::string data(300, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + 7);
  for (size_t off = 0; off < 9; ++off) {
    for (size_t len = 0; len + off <= data.size(); len += 13) {
      std::string_view v(data.data() + off, len);
      storage::Crc32c whole;
      whole.Update(v);
      EXPECT_EQ(whole.value(), storage::Crc32cByTable(v)) << off << " " << len;
      storage::Crc32c pieces;
      pieces.Update(v.substr(0, len / 3));
      pieces.Update(v.substr(len / 3));
      EXPECT_EQ(pieces.value(), whole.value()) << off << " " << len;
    }
  }
}

// With the file-system root as the storage root, paths in messages are "/tmp/...", not "//tmp/...".
TEST(LocalStorageChecksumTest, RootDirectoryPathsHaveOneSlash) {
  aero::testing::TempDir dir;
  auto st = OpenStorage("file:///", StorageOptions{});
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  const std::string key = dir.path().substr(1) + "/a.asb";
  ASSERT_TRUE((*st)->WriteObject(key, "x").ok());
  EXPECT_TRUE(std::ifstream(dir.path() + "/a.asb").good());
  auto missing = (*st)->ReadObject(dir.path().substr(1) + "/missing.asb");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(dir.path() + "/missing.asb"), std::string::npos)
      << missing.status().message();
  EXPECT_EQ(missing.status().message().find("//"), std::string::npos) << missing.status().message();
}

// The local backend stores a CRC-32C of each file in the user.abs.crc32c xattr and checks it on a whole
// read; a file written by an earlier version carries only an MD5 (user.abs.md5), which is still
// checked. A flipped byte fails the read with kCorrupt whichever checksum the file has.
TEST(LocalStorageChecksumTest, Crc32cAndLegacyMd5) {
  aero::testing::TempDir dir;
  auto st = OpenStorage("file://" + dir.path(), StorageOptions{});
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  const std::string body = "Version 3.1\n# namespace test\n" + std::string(100000, 'r');
  ASSERT_TRUE((*st)->WriteObject("a.asb", body).ok());
  const std::string path = dir.path() + "/a.asb";
  unsigned char be[4];
  if (::getxattr(path.c_str(), "user.abs.crc32c", be, sizeof be) != 4) {
    GTEST_SKIP() << "the file system under " << dir.path() << " has no user xattrs";
  }
  const uint32_t expected = storage::Crc32cByTable(body);
  EXPECT_EQ(static_cast<uint32_t>(be[0]) << 24 | be[1] << 16 | be[2] << 8 | be[3], expected);
  EXPECT_EQ(::getxattr(path.c_str(), "user.abs.md5", nullptr, 0), -1);  // MD5 no longer computed
  auto back = (*st)->ReadObject("a.asb");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, body);

  auto flip = [&](size_t at) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at));
    f.put('R');
  };
  flip(5000);
  auto bad = (*st)->ReadObject("a.asb");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kCorrupt);
  EXPECT_NE(bad.status().message().find("CRC-32C"), std::string::npos) << bad.status().message();

  // An earlier version's file: MD5 only.
  ASSERT_TRUE((*st)->WriteObject("old.asb", body).ok());
  const std::string old_path = dir.path() + "/old.asb";
  ASSERT_EQ(::removexattr(old_path.c_str(), "user.abs.crc32c"), 0);
  const std::string md5 = storage::Md5::Of(body);
  ASSERT_EQ(::setxattr(old_path.c_str(), "user.abs.md5", md5.data(), md5.size(), 0), 0);
  auto old_back = (*st)->ReadObject("old.asb");
  ASSERT_TRUE(old_back.ok()) << old_back.status().ToString();
  EXPECT_EQ(*old_back, body);
  {
    std::fstream f(old_path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(7000);
    f.put('R');
  }
  auto old_bad = (*st)->ReadObject("old.asb");
  ASSERT_FALSE(old_bad.ok());
  EXPECT_EQ(old_bad.status().code(), ErrorCode::kCorrupt);
  EXPECT_NE(old_bad.status().message().find("MD5"), std::string::npos) << old_bad.status().message();
}

}  // namespace aero
