// Integration test of `--remote` with a cloud descriptor: the configuration lives as an object in an
// S3-compatible store (s3rver, the storage layer's test peer), the service reads it from there and
// writes API changes back to the same object.
#include <gtest/gtest.h>
#include <httplib.h>

#include "storage/factory.h"
#include "tests/support/peers.h"
#include "tests/support/ports.h"
#include "tests/support/service_process.h"
#include "tests/support/temp_dir.h"

namespace aero::apptest {
namespace {

using testing::FreeLoopbackPort;
using testing::ReadFile;
using testing::ServiceProcess;
using testing::TempDir;

TEST(ServiceRemote, ConfigInS3IsReadAndWrittenBack) {
  testing::S3rverPeer peer;
  Status started = peer.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();

  StorageOptions opts;
  opts.s3.region = "us-east-1";
  opts.s3.endpoint_override = peer.endpoint();
  opts.s3.access_key_id = "S3RVER";
  opts.s3.secret_access_key = "S3RVER";
  StorageUri uri;
  uri.kind = StorageUri::Kind::kS3;
  uri.bucket = peer.bucket;
  auto storage = OpenStorage(uri, opts);
  ASSERT_TRUE(storage.ok()) << storage.status().ToString();

  TempDir dir;
  int port = FreeLoopbackPort();
  std::string text = ReadFile(std::string(ABS_TEST_DATA) + "/base.yml");
  auto replace = [&](const std::string& from, const std::string& to) {
    for (size_t i = text.find(from); i != std::string::npos; i = text.find(from, i + to.size())) {
      text.replace(i, from.size(), to);
    }
  };
  replace("@PORT@", std::to_string(port));
  replace("@DIR@", dir.path());
  ASSERT_TRUE((*storage)->WriteObject("service/abs.yml", text).ok());

  dir.Write("remote.yml", "s3-storage:\n  bucket: " + peer.bucket + "\n  path: service/abs.yml\n  s3-region: us-east-1\n"
                          "  s3-endpoint-override: " + peer.endpoint() + "\n  access-key-id: S3RVER\n"
                          "  secret-access-key: S3RVER\n");
  ServiceProcess svc;
  ASSERT_TRUE(svc.Start({"-c", dir.File("remote.yml"), "--remote"}).ok()) << svc.output();
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(std::chrono::seconds(10));
  auto h = c.Get("/v1/config/routines/daily");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);
  auto add = c.Post("/v1/config/policies/inS3", R"({"parallel":7})", "application/json");
  ASSERT_TRUE(add);
  EXPECT_EQ(add->status, 201) << add->body;
  auto stored = (*storage)->ReadObject("service/abs.yml");
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_NE(stored->find("inS3"), std::string::npos);
  EXPECT_NE(stored->find("hunter2"), std::string::npos);  // persisted with the real secrets
  // apply re-reads the object.
  std::string edited = *stored + "\n";
  size_t at = edited.find("inS3:");
  ASSERT_NE(at, std::string::npos);
  edited.insert(at, "fromObject:\n    parallel: 2\n  ");
  ASSERT_TRUE((*storage)->WriteObject("service/abs.yml", edited).ok());
  auto apply = c.Post("/v1/config/apply");
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->status, 200) << apply->body;
  auto p = c.Get("/v1/config/policies/fromObject");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->status, 200);
  EXPECT_EQ(svc.Stop(), 0);

  // A descriptor pointing at a missing object: refused at start with the location in the message.
  dir.Write("missing.yml", "s3-storage:\n  bucket: " + peer.bucket + "\n  path: nothing/here.yml\n  s3-region: us-east-1\n"
                           "  s3-endpoint-override: " + peer.endpoint() + "\n  access-key-id: S3RVER\n"
                           "  secret-access-key: S3RVER\n");
  ServiceProcess bad;
  EXPECT_EQ(bad.RunToExit({"-c", dir.File("missing.yml"), "-r"}), 1);
  EXPECT_NE(bad.output().find("nothing/here.yml"), std::string::npos) << bad.output();
}

}  // namespace
}  // namespace aero::apptest
