// Unit tests for the common layer: digests (spec test vectors), base64, hex, Status.
#include <gtest/gtest.h>

#include <vector>

#include "common/base64.h"
#include "common/bytes.h"
#include "common/digest.h"
#include "common/status.h"

namespace aero {
namespace {

std::string Hex(const Digest& d) { return ToHex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size())); }

TEST(Digest, SpecVectors) {
  EXPECT_EQ(Hex(ComputeDigest("set", int64_t{0})), "93d943aae37b017ad7e011b0c1d2e2143c2fb37d");
  EXPECT_EQ(Hex(ComputeDigest("set", int64_t{-1})), "22116d253745e29fc63fdf760b6e26f7e197e01d");
  EXPECT_EQ(Hex(ComputeDigest("set", std::string_view(""))), "2819b1ff6e346a43b4f5f6b77a88bc3eaac22a83");
  EXPECT_EQ(Hex(ComputeDigest("set", std::string_view("aaaaaaaaaa"))), "5979fb32a80da070ff356f7695455592272e36c2");
  EXPECT_EQ(Hex(ComputeDigest("set", BlobKey(""))), "327e2877b8815c7aeede0d5a8620d4ef8df4a4b4");
  EXPECT_EQ(Hex(ComputeDigest("set", BlobKey("s"))), "ca2d96dc9a184d15a7fa2927565e844e9254e001");
  EXPECT_EQ(PartitionId(ComputeDigest("set", int64_t{-1})), 290);
}

TEST(Base64, RoundTripAndStrictness) {
  for (std::string s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto enc = Base64Encode(s);
    auto dec = Base64Decode(enc);
    ASSERT_TRUE(dec.has_value()) << enc;
    EXPECT_EQ(*dec, s);
  }
  EXPECT_EQ(Base64Encode("demo"), "ZGVtbw==");
  EXPECT_FALSE(Base64Decode("ZGVtbw=").has_value());
  EXPECT_FALSE(Base64Decode("ZG*tbw==").has_value());
  EXPECT_FALSE(Base64Decode("ZG=tbw==").has_value());
}

TEST(Hex, RoundTrip) {
  std::string out;
  ASSERT_TRUE(FromHex("00ff10", out));
  EXPECT_EQ(out, std::string("\0\xff\x10", 3));
  EXPECT_EQ(ToHex(out), "00ff10");
  EXPECT_FALSE(FromHex("0g", out));
  EXPECT_FALSE(FromHex("abc", out));
}

TEST(StatusTest, ContextAndCodes) {
  Status s(ErrorCode::kServer, "write failed", 5);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.WithContext("restore").message(), "restore: write failed");
  EXPECT_EQ(s.WithContext("restore").server_code(), 5);
  Result<int> r = Status(ErrorCode::kNotFound, "x");
  EXPECT_FALSE(r.ok());
  Result<int> v = 3;
  EXPECT_EQ(*v, 3);
}

}  // namespace
}  // namespace aero

#include <thread>

#include "common/bounded_queue.h"
#include "common/cancel.h"

namespace aero {
namespace {

TEST(BoundedQueueTest, BackPressureAndClose) {
  BoundedQueue<int> q(2);
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(q.Push(i));
    q.Close();
  });
  int expected = 0;
  while (auto v = q.Pop()) {
    EXPECT_LE(q.size(), 2u);
    EXPECT_EQ(*v, expected++);
  }
  producer.join();
  EXPECT_EQ(expected, 100);
  EXPECT_FALSE(q.Push(1));
}

TEST(CancelTokenTest, WakesWaiters) {
  CancelToken t;
  std::thread th([&] { t.Cancel("stop"); });
  EXPECT_TRUE(t.WaitFor(std::chrono::seconds(30)));
  th.join();
  EXPECT_EQ(t.reason(), "stop");
  CancelToken idle;
  EXPECT_FALSE(idle.WaitFor(std::chrono::milliseconds(1)));
}

}  // namespace
}  // namespace aero
