// Interface-level tests run against every backend (local disk, S3 via s3rver, Azure via azurite, GCS via
// the in-process fake), as pgBackRest tests its storage drivers: the same contract, once, for all.
// Then fault tests through a loopback fault proxy for the network backends: throttling, 5xx, resets
// mid-upload and after the reply was lost, stalls; the object must end up whole or absent.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>
#include <filesystem>
#include <fstream>
#include <random>

#include "common/base64.h"
#include "storage/factory.h"
#include "tests/storage/backends.h"
#include "tests/storage/fault_proxy.h"
#include "tests/support/peers.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace aero::testing {
namespace {

void WriteFileOrDie(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  ASSERT_TRUE(out.good()) << path;
  out << text;
}

// Deterministic pseudo-random bytes with a unique marker at the front (found again by corruption hooks).
std::string TestData(size_t n, const std::string& marker, uint32_t seed = 1) {
  std::string s = marker;
  std::mt19937 rng(seed);
  while (s.size() < n) s.push_back(static_cast<char>(rng()));
  s.resize(std::max(n, marker.size()));
  return s;
}

Result<std::string> ReadAll(Storage& st, const std::string& key, ByteRange range = {}) {
  ABS_ASSIGN_OR_RETURN(auto reader, st.NewReader(key, range));
  std::string out;
  std::vector<char> buf(7777);  // odd size: reads never line up with chunks
  for (;;) {
    ABS_ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
    if (n == 0) return out;
    out.append(buf.data(), n);
  }
}

Status WriteAll(Storage& st, const std::string& key, const std::string& data, size_t piece = 100000) {
  ABS_ASSIGN_OR_RETURN(auto w, st.NewWriter(key));
  for (size_t i = 0; i < data.size(); i += piece) ABS_RETURN_IF_ERROR(w->Write(std::string_view(data).substr(i, piece)));
  if (w->BytesWritten() != data.size()) return Status(ErrorCode::kInternal, "BytesWritten mismatch");
  return w->Close();
}

std::string UniquePrefix() {
  static int n = 0;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->name());
  for (char& c : name) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '-';
  }
  return "t" + std::to_string(++n) + "-" + name;
}

class StorageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto backend = GetBackend(GetParam());
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    backend_ = *backend;
    prefix_ = UniquePrefix();
    auto s = backend_->Open(prefix_, TestOptions());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    storage_ = std::move(s).value();
  }
  Backend* backend_ = nullptr;
  std::string prefix_;
  std::unique_ptr<Storage> storage_;
};

TEST_P(StorageTest, SmallObjectRoundTripAndStat) {
  std::string data = "{\"records\": 42}\n";
  ASSERT_TRUE(storage_->WriteObject("backup/metadata.yaml", data).ok());
  auto got = storage_->ReadObject("backup/metadata.yaml");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
  auto info = storage_->Stat("backup/metadata.yaml");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->key, "backup/metadata.yaml");
  EXPECT_GT(info->mtime_unix_ms, 1600000000000);
  EXPECT_TRUE(*storage_->Exists("backup/metadata.yaml"));
  EXPECT_FALSE(*storage_->Exists("backup/other.yaml"));
}

TEST_P(StorageTest, EmptyObject) {
  ASSERT_TRUE(storage_->WriteObject("empty", "").ok());
  auto got = ReadAll(*storage_, "empty");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "");
  EXPECT_EQ(storage_->Stat("empty")->size, 0u);
}

TEST_P(StorageTest, MultiPartUploadRoundTrip) {
  // 3.5 parts, written in pieces that do not line up with part boundaries.
  std::string data = TestData(backend_->part_size() * 7 / 2, "MARKER-" + prefix_);
  Status s = WriteAll(*storage_, "ns/big.asb", data, 333333);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto got = ReadAll(*storage_, "ns/big.asb");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->size(), data.size());
  EXPECT_TRUE(*got == data);
}

TEST_P(StorageTest, RangedReads) {
  std::string data = TestData(3 * 1024 * 1024 + 17, "R");
  ASSERT_TRUE(WriteAll(*storage_, "r", data).ok());
  struct Case {
    uint64_t off;
    std::optional<uint64_t> len;
  } cases[] = {{0, 10}, {5, 1}, {1 << 20, 1 << 20}, {data.size() - 5, std::nullopt}, {data.size() - 5, 100},
               {data.size(), std::nullopt}, {123456, 2500000}};
  for (const auto& c : cases) {
    auto got = ReadAll(*storage_, "r", ByteRange{c.off, c.len});
    ASSERT_TRUE(got.ok()) << c.off << ": " << got.status().ToString();
    size_t len = c.len ? std::min<size_t>(*c.len, data.size() - c.off) : data.size() - c.off;
    EXPECT_TRUE(*got == data.substr(c.off, len)) << "offset " << c.off;
  }
  auto past = storage_->NewReader("r", ByteRange{data.size() + 1, std::nullopt});
  EXPECT_EQ(past.status().code(), ErrorCode::kInvalidArgument);
}

TEST_P(StorageTest, AbandonedWriterLeavesNothing) {
  {
    auto w = storage_->NewWriter("dir/partial.asb");
    ASSERT_TRUE(w.ok());
    std::string data = TestData(backend_->part_size() * 2 + 100, "A");  // parts already uploaded
    ASSERT_TRUE((*w)->Write(data).ok());
  }  // destroyed without Close()
  EXPECT_EQ(storage_->Stat("dir/partial.asb").status().code(), ErrorCode::kNotFound);
  auto list = storage_->List("");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->empty()) << list->front().key;
}

TEST_P(StorageTest, OverwriteReplacesWholeObject) {
  ASSERT_TRUE(storage_->WriteObject("o", std::string(5000, 'a')).ok());
  ASSERT_TRUE(storage_->WriteObject("o", "short").ok());
  EXPECT_EQ(*storage_->ReadObject("o"), "short");
}

TEST_P(StorageTest, ListRecursiveChildrenAndPaging) {
  std::vector<std::string> keys = {"a/1", "a/b/2", "a/b/c/3", "a/d/4", "a/e", "ab/x", "z"};
  for (size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(storage_->WriteObject(keys[i], std::string(i + 1, 'x')).ok());
  }
  StorageOptions o = TestOptions();
  o.list_page_size = 2;  // forces continuation tokens / markers / page tokens
  auto paged = backend_->Open(prefix_, o);
  ASSERT_TRUE(paged.ok());
  for (Storage* st : {storage_.get(), paged->get()}) {
    auto all = st->List("");
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_EQ(all->size(), keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      EXPECT_EQ((*all)[i].key, keys[i]);
      EXPECT_EQ((*all)[i].size, i + 1);
      EXPECT_FALSE((*all)[i].is_directory);
    }
    auto a = st->List("a");
    ASSERT_TRUE(a.ok());
    std::vector<std::string> got;
    for (const auto& e : *a) got.push_back(e.key);
    EXPECT_EQ(got, (std::vector<std::string>{"a/1", "a/b/2", "a/b/c/3", "a/d/4", "a/e"}));  // not "ab/x"
    auto children = st->List("a", ListMode::kChildren);
    ASSERT_TRUE(children.ok()) << children.status().ToString();
    got.clear();
    for (const auto& e : *children) got.push_back(e.key + (e.is_directory ? "/" : ""));
    EXPECT_EQ(got, (std::vector<std::string>{"a/1", "a/b/", "a/d/", "a/e"}));
    auto none = st->List("missing");
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
  }
}

TEST_P(StorageTest, DeleteAndDeleteDirectory) {
  for (const char* k : {"d/1", "d/sub/2", "d/sub/3", "d/sub/a&b <c>.asb", "dd/4", "keep"}) {
    ASSERT_TRUE(storage_->WriteObject(k, k).ok()) << k;
  }
  ASSERT_TRUE(storage_->Delete("d/1").ok());
  EXPECT_EQ(storage_->Stat("d/1").status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(storage_->Delete("d/1").ok()) << "deleting an absent object is not an error";
  ASSERT_TRUE(storage_->DeleteDirectory("d").ok());
  auto left = storage_->List("");
  ASSERT_TRUE(left.ok());
  std::vector<std::string> got;
  for (const auto& e : *left) got.push_back(e.key);
  EXPECT_EQ(got, (std::vector<std::string>{"dd/4", "keep"}));
  auto children = storage_->List("", ListMode::kChildren);
  ASSERT_TRUE(children.ok());
  EXPECT_EQ(children->size(), 2u) << "no empty directory left behind";
}

TEST_P(StorageTest, MissingObjects) {
  EXPECT_EQ(storage_->NewReader("nope").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(storage_->Stat("nope/x").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(storage_->ReadObject("nope").status().code(), ErrorCode::kNotFound);
}

TEST_P(StorageTest, InvalidKeysRejected) {
  for (const char* k : {"", "/abs", "../up", "a//b", "a/./b", "a/"}) {
    EXPECT_EQ(storage_->NewWriter(k).status().code(), ErrorCode::kInvalidArgument) << k;
    EXPECT_EQ(storage_->Stat(k).status().code(), ErrorCode::kInvalidArgument) << k;
  }
}

TEST_P(StorageTest, KeysWithSpecialCharacters) {
  std::string key = "ns name/file+1 (copy)=x.asb";
  ASSERT_TRUE(storage_->WriteObject(key, "payload").ok());
  EXPECT_EQ(*storage_->ReadObject(key), "payload");
  auto list = storage_->List("ns name");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().key, key);
}

TEST_P(StorageTest, ConcurrentWritersAndReadersOnOneStorage) {
  constexpr int kThreads = 4;
  std::vector<std::string> data(kThreads);
  std::vector<Status> results(kThreads);
  for (int i = 0; i < kThreads; ++i) data[i] = TestData(backend_->part_size() + 4096 * i, "W", 100 + i);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      std::string key = "par/file_" + std::to_string(i) + ".asb";
      results[i] = WriteAll(*storage_, key, data[i], 50000);
      if (!results[i].ok()) return;
      auto got = ReadAll(*storage_, key);
      if (!got.ok()) results[i] = got.status();
      else if (*got != data[i]) results[i] = Status(ErrorCode::kCorrupt, key + " read back different bytes");
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) EXPECT_TRUE(results[i].ok()) << i << ": " << results[i].ToString();
  auto list = storage_->List("par");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), static_cast<size_t>(kThreads));
}

TEST_P(StorageTest, CorruptedObjectFailsChecksum) {
  std::string marker = "CORRUPT-ME-" + prefix_;
  std::string data = TestData(backend_->part_size() + 1000, marker);
  ASSERT_TRUE(WriteAll(*storage_, "c.asb", data).ok());
  ASSERT_TRUE(ReadAll(*storage_, "c.asb").ok());
  Status s = backend_->Corrupt(prefix_, "c.asb", marker);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto got = ReadAll(*storage_, "c.asb");
  ASSERT_FALSE(got.ok()) << "corrupted object read back without error";
  EXPECT_EQ(got.status().code(), ErrorCode::kCorrupt) << got.status().ToString();
  EXPECT_NE(got.status().message().find("checksum mismatch"), std::string::npos) << got.status().ToString();
  // Ranged reads cannot be checked; they still return the (damaged) bytes.
  EXPECT_TRUE(ReadAll(*storage_, "c.asb", ByteRange{0, 10}).ok());
}

INSTANTIATE_TEST_SUITE_P(AllBackends, StorageTest, ::testing::Values("local", "s3", "azure", "azure_sas", "gcs"),
                         [](const auto& info) { return info.param; });

// ---- Fault injection (network backends) ----

class StorageFaultTest : public StorageTest {
 protected:
  void SetUp() override {
    StorageTest::SetUp();
    if (HasFatalFailure()) return;
    proxy_ = std::make_unique<FaultProxy>(backend_->upstream_port());
    ASSERT_TRUE(proxy_->Start().ok());
    auto s = backend_->Open(prefix_, TestOptions(), proxy_->port());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    faulty_ = std::move(s).value();
  }
  FaultProxy::Rule Throttle(std::string method, std::string path, int nth, int times) {
    FaultProxy::Rule r;
    r.method = std::move(method);
    r.path_contains = std::move(path);
    r.nth = nth;
    r.times = times;
    r.status = backend_->throttle_status();
    r.body = backend_->throttle_body();
    r.content_type = backend_->content_type();
    return r;
  }
  // Request-target fragments selecting part uploads and the final commit of each backend.
  std::string PartPath() const {
    return GetParam() == "s3" ? "partNumber=" : GetParam() == "azure" ? "blockid=" : "upload_id=";
  }
  std::string CommitPath() const {
    return GetParam() == "s3" ? "uploadId=" : GetParam() == "azure" ? "comp=blocklist" : "upload_id=";
  }
  std::string CommitMethod() const { return GetParam() == "s3" ? "POST" : "PUT"; }

  void ExpectWholeOrAbsent(const std::string& key, const std::string& data, bool must_exist) {
    auto got = ReadAll(*storage_, key);  // direct, not through the proxy
    if (!got.ok()) {
      EXPECT_FALSE(must_exist) << got.status().ToString();
      EXPECT_EQ(got.status().code(), ErrorCode::kNotFound) << got.status().ToString();
      return;
    }
    EXPECT_EQ(got->size(), data.size());
    EXPECT_TRUE(*got == data) << "object present but not whole";
  }

  std::unique_ptr<FaultProxy> proxy_;
  std::unique_ptr<Storage> faulty_;
};

TEST_P(StorageFaultTest, ThrottledPartUploadsAreRetried) {
  std::string data = TestData(backend_->part_size() * 3 + 5, "T");
  proxy_->AddRule(Throttle("PUT", PartPath(), 2, 2));
  Status s = WriteAll(*faulty_, "t.asb", data);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->faults_injected(), 2);
  ExpectWholeOrAbsent("t.asb", data, true);
}

TEST_P(StorageFaultTest, ServerErrorsOnSmallPutAreRetried) {
  FaultProxy::Rule r = Throttle("", "", 1, 2);  // the first two requests of any kind
  r.status = 500;
  r.body = GetParam() == "gcs" ? R"({"error":{"code":500,"message":"Backend Error","errors":[{"reason":"backendError"}]}})"
                               : "<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>";
  proxy_->AddRule(r);
  ASSERT_TRUE(faulty_->WriteObject("m.yaml", "meta: 1\n").ok());
  EXPECT_EQ(*storage_->ReadObject("m.yaml"), "meta: 1\n");
  EXPECT_EQ(proxy_->faults_injected(), 2);
}

TEST_P(StorageFaultTest, ConnectionResetMidUploadIsRetried) {
  std::string data = TestData(backend_->part_size() * 2 + 77, "M");
  FaultProxy::Rule r;
  r.method = "PUT";
  r.path_contains = PartPath();
  r.nth = 2;
  r.fault = FaultProxy::Fault::kResetMidRequest;
  proxy_->AddRule(r);
  Status s = WriteAll(*faulty_, "reset.asb", data);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->faults_injected(), 1);
  ExpectWholeOrAbsent("reset.asb", data, true);
}

TEST_P(StorageFaultTest, LostReplyToCommitIsRecovered) {
  // The service completes the upload but the reply never arrives: the retry must not fail the
  // backup, and the object must be whole.
  std::string data = TestData(backend_->part_size() * 2 + 3, "L");
  FaultProxy::Rule r;
  r.method = CommitMethod();
  r.path_contains = CommitPath();
  r.nth = GetParam() == "gcs" ? 3 : 1;  // GCS: chunk, chunk, final chunk
  r.fault = FaultProxy::Fault::kResetAfterForward;
  proxy_->AddRule(r);
  Status s = WriteAll(*faulty_, "lost.asb", data);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(proxy_->faults_injected(), 1);
  ExpectWholeOrAbsent("lost.asb", data, true);
}

TEST_P(StorageFaultTest, PermanentErrorCarriesBackendMessage) {
  FaultProxy::Rule r = Throttle("", "", 1, 1);
  r.status = 403;
  r.body = backend_->denied_body();
  proxy_->AddRule(r);
  Status s = faulty_->WriteObject("denied", "x");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kAuth) << s.ToString();
  EXPECT_NE(s.message().find(backend_->denied_message()), std::string::npos) << s.ToString();
  EXPECT_EQ(proxy_->faults_injected(), 1) << "a 403 must not be retried";
  ExpectWholeOrAbsent("denied", "x", false);
}

TEST_P(StorageFaultTest, PersistentThrottlingGivesUpAndLeavesNothing) {
  std::string data = TestData(backend_->part_size() * 2 + 1, "P");
  proxy_->AddRule(Throttle("PUT", PartPath(), 2, 1000));
  Status s = WriteAll(*faulty_, "gaveup.asb", data);
  ASSERT_FALSE(s.ok());
  const int attempts = TestOptions().retry.max_attempts;
  EXPECT_NE(s.message().find(std::to_string(attempts) + " attempts"), std::string::npos) << s.ToString();
  // Parts in flight in parallel may each use up their attempts.
  EXPECT_GE(proxy_->faults_injected(), attempts) << s.ToString();
  ExpectWholeOrAbsent("gaveup.asb", data, false);
}

TEST_P(StorageFaultTest, StalledAndResetReadsAreRetried) {
  std::string data = TestData(3 * 1024 * 1024, "S");
  ASSERT_TRUE(WriteAll(*storage_, "read.asb", data).ok());
  StorageOptions o = TestOptions();
  o.io_timeout_ms = 1000;  // the stalled request times out after ~1 s
  auto st = backend_->Open(prefix_, o, proxy_->port());
  ASSERT_TRUE(st.ok());
  FaultProxy::Rule stall;
  stall.method = "GET";
  stall.path_contains = GetParam() == "gcs" ? "alt=media" : "read.asb";
  stall.nth = 2;
  stall.fault = FaultProxy::Fault::kStall;
  proxy_->AddRule(stall);
  FaultProxy::Rule reset = stall;
  reset.nth = 4;
  reset.fault = FaultProxy::Fault::kResetAfterForward;
  proxy_->AddRule(reset);
  auto got = ReadAll(**st, "read.asb");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  EXPECT_EQ(proxy_->faults_injected(), 2);
}

TEST_P(StorageFaultTest, MalformedRepliesAreProtocolErrors) {
  ASSERT_TRUE(storage_->WriteObject("obj", "payload").ok());
  // A listing that is not XML/JSON.
  FaultProxy::Rule list = Throttle("GET", GetParam() == "gcs" ? "/o?" : "list", 1, 1);
  list.status = 200;
  list.body = "<<this is not a listing>>";
  proxy_->AddRule(list);
  auto l = faulty_->List("");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), ErrorCode::kProtocol) << l.status().ToString();
  // Object metadata without a size.
  proxy_->ClearRules();
  FaultProxy::Rule meta = Throttle(GetParam() == "gcs" ? "GET" : "HEAD", "obj", 1, 1);
  meta.status = 200;
  meta.body = GetParam() == "gcs" ? R"({"kind":"storage#object","name":42})" : "";
  meta.omit_content_length = true;
  proxy_->AddRule(meta);
  auto st = faulty_->Stat("obj");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.status().code(), ErrorCode::kProtocol) << st.status().ToString();
}

TEST_P(StorageFaultTest, CancellationInterruptsAStalledRequest) {
  std::string data = TestData(100000, "C");
  ASSERT_TRUE(WriteAll(*storage_, "cancel.asb", data).ok());
  std::atomic<bool> cancel{false};
  StorageOptions o = TestOptions();
  o.io_timeout_ms = 60000;  // only cancellation can end the stall quickly
  o.cancel = &cancel;
  auto st = backend_->Open(prefix_, o, proxy_->port());
  ASSERT_TRUE(st.ok());
  FaultProxy::Rule stall;
  stall.method = "GET";
  stall.path_contains = GetParam() == "gcs" ? "alt=media" : "cancel.asb";
  stall.fault = FaultProxy::Fault::kStall;
  proxy_->AddRule(stall);
  auto start = std::chrono::steady_clock::now();
  std::thread canceller([&] {
    // Wait (bounded) until the proxy holds the stalled request, then cancel.
    WaitUntil([&] { return proxy_->faults_injected() > 0; }, std::chrono::seconds(2));
    cancel = true;
  });
  auto got = ReadAll(**st, "cancel.asb");
  canceller.join();
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), ErrorCode::kCancelled) << got.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST_P(StorageFaultTest, StorageClassesAreSentAndBadOnesRejected) {
  StorageOptions o = TestOptions();
  std::string good = GetParam() == "s3" ? "STANDARD_IA" : GetParam() == "azure" ? "Cool" : "Nearline";
  o.s3.storage_class = {"NO_SUCH_CLASS", good};
  o.azure.access_tier = {"NoSuchTier", good};
  o.gcs.storage_class = {"NO_SUCH_CLASS", good};
  auto st = backend_->Open(prefix_, o);
  ASSERT_TRUE(st.ok());
  Status meta = (*st)->WriteObject("metadata.yaml", "m", WriteOptions{ObjectClass::kMetadata});
  EXPECT_TRUE(meta.ok()) << meta.ToString();
  Status data = (*st)->WriteObject("data.asb", "d", WriteOptions{ObjectClass::kData});
  ASSERT_FALSE(data.ok()) << "the service must have seen the bad class";
  EXPECT_EQ(data.code(), ErrorCode::kInvalidArgument) << data.ToString();
  EXPECT_EQ((*st)->Stat("data.asb").status().code(), ErrorCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(NetworkBackends, StorageFaultTest, ::testing::Values("s3", "azure", "gcs"),
                         [](const auto& info) { return info.param; });

// ---- Azure AD (service principal) against azurite over HTTPS ----

// A fake Microsoft identity platform token endpoint (client-credentials grant) issuing tokens whose claims
// azurite's "--oauth basic" mode checks (issuer, audience, lifetime).
class FakeAadEndpoint {
 public:
  FakeAadEndpoint() {
    server_.Post(R"(/([^/]+)/oauth2/v2.0/token)", [this](const httplib::Request& req, httplib::Response& res) {
      requests_++;
      auto fail = [&](const std::string& err, const std::string& desc) {
        res.status = 401;
        res.set_content("{\"error\":\"" + err + "\",\"error_description\":\"" + desc + "\"}", "application/json");
      };
      if (req.get_param_value("grant_type") != "client_credentials") return fail("unsupported_grant_type", "AADSTS70003");
      if (req.get_param_value("scope") != "https://storage.azure.com/.default") return fail("invalid_scope", "AADSTS70011");
      if (req.get_param_value("client_id") != "app-id" || req.get_param_value("client_secret") != "s3cret") {
        return fail("invalid_client", "AADSTS7000215: Invalid client secret provided.");
      }
      std::string tenant = req.matches[1];
      int64_t now = static_cast<int64_t>(std::time(nullptr));
      auto b64url = [](const std::string& s) {
        std::string b = Base64Encode(s);
        for (char& c : b) c = c == '+' ? '-' : c == '/' ? '_' : c;
        while (!b.empty() && b.back() == '=') b.pop_back();
        return b;
      };
      std::string claims = "{\"aud\":\"https://storage.azure.com\",\"iss\":\"https://sts.windows.net/" + tenant +
                           "/\",\"iat\":" + std::to_string(now - 60) + ",\"nbf\":" + std::to_string(now - 60) +
                           ",\"exp\":" + std::to_string(now + 3600) + ",\"appid\":\"app-id\"}";
      std::string jwt = b64url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}") + "." + b64url(claims) + "." + b64url("sig");
      res.set_content("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"" + jwt + "\"}",
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~FakeAadEndpoint() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_.load(); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
};

// An S3-compatible store named only by a profile (`endpoint_url` in the AWS config file, as ABS 2.0's
// README uses `"s3-profile": "minio"`) or by AWS_ENDPOINT_URL_S3: no s3-endpoint-override needed.
TEST(S3EndpointTest, FromProfileAndEnvironment) {
  S3rverPeer peer;
  Status started = peer.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  TempDir dir;
  const std::string creds = dir.path() + "/credentials", config = dir.path() + "/config";
  WriteFileOrDie(creds, "[minio]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n");
  WriteFileOrDie(config, "[profile minio]\nregion = us-east-1\nendpoint_url = " + peer.endpoint() + "\n");
  ::setenv("AWS_SHARED_CREDENTIALS_FILE", creds.c_str(), 1);
  ::setenv("AWS_CONFIG_FILE", config.c_str(), 1);
  StorageOptions o = TestOptions();
  o.s3.profile = "minio";
  auto st = OpenStorage("s3://" + peer.bucket + "/profile", o);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  ASSERT_TRUE((*st)->WriteObject("a.asb", "from the profile's endpoint").ok());
  auto back = (*st)->ReadObject("a.asb");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, "from the profile's endpoint");

  // The environment variable wins over the profile; a bad one is named in the error.
  ::setenv("AWS_ENDPOINT_URL_S3", "127.0.0.1:1", 1);
  auto bad = OpenStorage("s3://" + peer.bucket + "/profile", o);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("AWS_ENDPOINT_URL_S3"), std::string::npos) << bad.status().message();
  ::setenv("AWS_ENDPOINT_URL_S3", peer.endpoint().c_str(), 1);
  WriteFileOrDie(config, "[profile minio]\nregion = us-east-1\n");
  auto env = OpenStorage("s3://" + peer.bucket + "/profile", o);
  ASSERT_TRUE(env.ok()) << env.status().ToString();
  auto again = (*env)->ReadObject("a.asb");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, "from the profile's endpoint");
  for (const char* n : {"AWS_ENDPOINT_URL_S3", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"}) ::unsetenv(n);
}

TEST(AzureAdTest, ServicePrincipalRoundTripOverHttps) {
  AzuritePeer peer;
  peer.https = true;
  Status started = peer.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  FakeAadEndpoint aad;
  StorageOptions o = TestOptions();
  o.azure.endpoint = peer.endpoint();
  o.azure.tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  o.azure.client_id = "app-id";
  o.azure.client_secret = "s3cret";
  o.azure.authority_host = aad.url();
  o.ca_file = peer.cert_path();
  auto st = OpenStorage("azure://" + peer.container + "/aad", o);
  ASSERT_TRUE(st.ok()) << st.status().ToString();
  std::string data = TestData(600 * 1024, "AAD");  // several blocks
  ASSERT_TRUE(WriteAll(**st, "x/data.asb", data).ok());
  auto got = ReadAll(**st, "x/data.asb");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  auto list = (*st)->List("x");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  ASSERT_TRUE((*st)->Delete("x/data.asb").ok());
  EXPECT_EQ(aad.requests(), 1) << "the token is cached";

  o.azure.client_secret = "wrong";
  auto bad = OpenStorage("azure://" + peer.container + "/aad", o);
  ASSERT_TRUE(bad.ok());
  Status s = (*bad)->WriteObject("y", "z");
  EXPECT_EQ(s.code(), ErrorCode::kAuth) << s.ToString();
  EXPECT_NE(s.message().find("AADSTS7000215"), std::string::npos) << s.ToString();
}

// ---- Local-disk specifics ----

TEST(LocalStorageTest, FileTooLargeLeavesNoFileAndNamesTheError) {
  TempDir dir;
  auto st = OpenStorage(dir.path(), TestOptions());
  ASSERT_TRUE(st.ok());
  // A file-size limit stands in for a full disk: write() fails part-way (EFBIG instead of ENOSPC).
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit old{};
  getrlimit(RLIMIT_FSIZE, &old);
  rlimit small = old;
  small.rlim_cur = 64 * 1024;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  Status s;
  {
    auto w = (*st)->NewWriter("ns/full.asb");
    ASSERT_TRUE(w.ok());
    s = (*w)->Write(std::string(200 * 1024, 'x'));
    if (s.ok()) s = (*w)->Close();
  }
  setrlimit(RLIMIT_FSIZE, &old);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kIo);
  EXPECT_NE(s.message().find("ns/full.asb"), std::string::npos) << s.ToString();
  EXPECT_EQ((*st)->Stat("ns/full.asb").status().code(), ErrorCode::kNotFound);
  auto list = (*st)->List("", ListMode::kRecursive);
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path() + "/ns")) << "temporary file left behind";
}

TEST(LocalStorageTest, RootThatIsAFileIsReported) {
  TempDir dir;
  std::string file = dir.path() + "/plain";
  ASSERT_TRUE(OpenStorage(dir.path(), TestOptions()).value()->WriteObject("plain", "x").ok());
  auto st = OpenStorage(file, TestOptions());
  ASSERT_TRUE(st.ok());
  auto w = (*st)->NewWriter("a/b");
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("not a directory"), std::string::npos) << w.status().ToString();
}

TEST(LocalStorageTest, ModesAndNoTempFilesVisible) {
  TempDir dir;
  auto st = OpenStorage(dir.path() + "/root", TestOptions());
  ASSERT_TRUE(st.ok());
  auto w = (*st)->NewWriter("x/y.asb");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write("abc").ok());
  auto list = (*st)->List("");  // the temporary file exists now but is not listed
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  ASSERT_TRUE((*w)->Close().ok());
  struct stat f, d;
  ASSERT_EQ(::stat((dir.path() + "/root/x/y.asb").c_str(), &f), 0);
  ASSERT_EQ(::stat((dir.path() + "/root/x").c_str(), &d), 0);
  EXPECT_EQ(f.st_mode & 0777, 0600u);
  EXPECT_EQ(d.st_mode & 0777, 0700u);
}

}  // namespace
}  // namespace aero::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int rc = RUN_ALL_TESTS();
  aero::testing::ShutdownBackends();  // stop s3rver/azurite/fake GCS before static destruction
  return rc;
}
