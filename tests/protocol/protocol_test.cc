// Unit tests for the wire codec against the byte examples of wire-protocol.md.
#include <gtest/gtest.h>

#include <algorithm>

#include "common/bytes.h"
#include "common/digest.h"
#include "protocol/info.h"
#include "protocol/message.h"
#include "protocol/msgpack.h"

namespace aero::proto {
namespace {

std::string Unhex(std::string_view hex) {
  std::string clean;
  for (char c : hex)
    if (c != ' ' && c != '\n') clean.push_back(c);
  std::string out;
  EXPECT_TRUE(FromHex(clean, out));
  return out;
}

TEST(Expression, SpecVectors) {
  const int64_t t1 = 1704067200LL * 1000000000LL, t2 = 1735689600LL * 1000000000LL;
  EXPECT_EQ(exp::ModifiedWindow(t1, 0), Unhex("93 04 91 42 cf 17 a6 10 17 01 65 00 00"));
  EXPECT_EQ(exp::ModifiedWindow(0, t2), Unhex("93 05 91 42 cf 18 16 68 7e c0 57 00 00"));
  EXPECT_EQ(exp::ModifiedWindow(t1, t2),
            Unhex("93 10 93 04 91 42 cf 17 a6 10 17 01 65 00 00 93 05 91 42 cf 18 16 68 7e c0 57 00 00"));
  EXPECT_EQ(exp::Cmp(exp::kEq, exp::SetName(), exp::Str("demo")), Unhex("93 01 91 46 a5 03 64 65 6d 6f"));
  EXPECT_EQ(exp::Or({exp::Cmp(exp::kEq, exp::SetName(), exp::Str("demo")),
                     exp::Cmp(exp::kEq, exp::SetName(), exp::Str("users"))}),
            Unhex("93 11 93 01 91 46 a5 03 64 65 6d 6f 93 01 91 46 a6 03 75 73 65 72 73"));
  EXPECT_EQ(exp::ModifiedWindow(0, 0), "");
}

TEST(Msgpack, DecodeRoundTrip) {
  std::string buf;
  msgpack::PutArrayHeader(buf, 4);
  msgpack::PutInt(buf, -1);
  msgpack::PutInt(buf, 1LL << 40);
  msgpack::PutString(buf, "x");
  msgpack::PutDouble(buf, 2.5);
  auto v = msgpack::DecodeAll(buf);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_EQ(v->items.size(), 4u);
  EXPECT_EQ(v->items[0].i, -1);
  EXPECT_EQ(v->items[1].u, 1ull << 40);
  EXPECT_EQ(v->items[2].s, std::string("\x03x"));
  EXPECT_EQ(v->items[3].d, 2.5);
  EXPECT_FALSE(msgpack::DecodeAll(buf.substr(0, buf.size() - 1)).ok());
  EXPECT_FALSE(msgpack::DecodeAll(Unhex("dd ff ff ff ff")).ok());  // huge array, no items
}

TEST(Message, ScanRequestMatchesSpecExample) {
  MsgHeader h;
  h.info1 = kInfo1Read;
  h.info3 = kInfo3PartitionDone;
  std::string pids;
  PutU16LE(pids, 5);
  PutU16LE(pids, 300);
  std::string task;
  PutU64BE(task, 0x0102030405060708ull);
  std::string bytes = MessageBuilder(h)
                          .Field(kFieldNamespace, "test")
                          .Field(kFieldSet, "demo")
                          .FieldU32(kFieldSocketTimeout, 30000)
                          .Field(kFieldTaskId, task)
                          .Field(kFieldPidArray, pids)
                          .Finish();
  EXPECT_EQ(bytes, Unhex("02 03 00 00 00 00 00 47 16 01 00 04 00 00 00 00 00 00 00 00 00 00"
                         "00 00 00 00 00 05 00 00 00 00 00 05 00 74 65 73 74 00 00 00 05 01 64 65 6d 6f"
                         "00 00 00 05 09 00 00 75 30 00 00 00 09 07 01 02 03 04 05 06 07 08"
                         "00 00 00 05 0b 05 00 2c 01"));
}

TEST(Message, ParsesRecordExample) {
  std::string body = Unhex(
      "16 00 00 00 00 00 00 00 00 03 1d cd 65 00 00 00 00 00 00 04 00 02"
      "00 00 00 05 00 74 65 73 74"
      "00 00 00 15 04 03 16 1f 35 2c 8a b8 54 48 95 2c 89 6e cd aa 12 2b 3c 4e 71"
      "00 00 00 05 01 64 65 6d 6f"
      "00 00 00 07 02 03 75 73 65 72 31"
      "00 00 00 0f 01 01 00 03 61 67 65 00 00 00 00 00 00 00 2a"
      "00 00 00 0b 01 03 00 04 6e 61 6d 65 42 6f 62");
  MsgView m;
  ASSERT_TRUE(ParseSingleMsg(body, m).ok());
  Record r;
  ASSERT_TRUE(MsgToRecord(m, r).ok());
  EXPECT_EQ(r.ns, "test");
  EXPECT_EQ(r.set, "demo");
  EXPECT_EQ(r.generation, 3u);
  EXPECT_EQ(r.void_time, 500000000u);
  ASSERT_TRUE(r.key.has_value());
  EXPECT_EQ(r.key->data, "user1");
  EXPECT_EQ(r.digest, ComputeDigest("demo", std::string_view("user1")));
  EXPECT_EQ(PartitionId(r.digest), 1539);
  ASSERT_EQ(r.bins.size(), 2u);
  EXPECT_EQ(r.bins[0].name, "age");
  EXPECT_EQ(GetU64BE(r.bins[0].data.data()), 42u);
  EXPECT_EQ(r.bins[1].data, "Bob");
  // Every truncation is an error, never a crash.
  for (size_t n = 0; n < body.size(); ++n) EXPECT_FALSE(ParseSingleMsg(body.substr(0, n), m).ok()) << n;
}

TEST(Message, ProtoHeaderValidation) {
  ProtoHeader h;
  EXPECT_TRUE(ParseProtoHeader(Unhex("02 03 00 00 00 00 00 16"), h).ok());
  EXPECT_EQ(h.size, 22u);
  EXPECT_FALSE(ParseProtoHeader(Unhex("03 03 00 00 00 00 00 16"), h).ok());
  EXPECT_FALSE(ParseProtoHeader(Unhex("02 09 00 00 00 00 00 16"), h).ok());
  EXPECT_FALSE(ParseProtoHeader(Unhex("02 03 00 00 08 00 00 01"), h).ok());
}

TEST(Message, CompressRoundTrip) {
  std::string proto = MessageBuilder(MsgHeader{}).Field(kFieldNamespace, std::string(500, 'x')).Finish();
  auto c = CompressProto(proto);
  ASSERT_TRUE(c.ok());
  auto inner = InflateCompressed(std::string_view(*c).substr(8));
  ASSERT_TRUE(inner.ok()) << inner.status().ToString();
  EXPECT_EQ(*inner, proto.substr(8));
}

TEST(Info, RequestAndResponse) {
  EXPECT_EQ(BuildInfoRequest({"node", "build"}), Unhex("02 01 00 00 00 00 00 0b 6e 6f 64 65 0a 62 75 69 6c 64 0a"));
  auto r = ParseInfoResponse("node\tBB9\nbuild\t8.1.2.0\n");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].second, "8.1.2.0");
  auto kv = ParseKeyValues("objects=10;master_objects=5;x");
  EXPECT_EQ(kv["objects"], "10");
  EXPECT_TRUE(kv.count("x"));
}

TEST(Info, PartitionBitmap) {
  std::string all = std::string(682, '/') + "8=";
  std::vector<bool> owned;
  ASSERT_TRUE(DecodePartitionBitmap(all, owned));
  EXPECT_EQ(std::count(owned.begin(), owned.end(), true), 4096);
  std::vector<bool> some(4096, false);
  some[0] = some[4095] = some[300] = true;
  std::vector<bool> back;
  ASSERT_TRUE(DecodePartitionBitmap(EncodePartitionBitmap(some), back));
  EXPECT_EQ(back, some);
  EXPECT_EQ(EncodePartitionBitmap(std::vector<bool>(4096, true)), all);
}

TEST(Admin, LoginRoundTrip) {
  AdminMessage m;
  m.command = kAdminLogin;
  m.fields = {{kAdminUser, "admin"}, {kAdminCredential, "$2a$10$x"}};
  std::string bytes = BuildAdmin(m);
  ProtoHeader h;
  ASSERT_TRUE(ParseProtoHeader(bytes, h).ok());
  EXPECT_EQ(h.type, kAdmin);
  AdminMessage back;
  ASSERT_TRUE(ParseAdminBody(std::string_view(bytes).substr(8), back).ok());
  EXPECT_EQ(back.command, kAdminLogin);
  ASSERT_NE(back.Find(kAdminUser), nullptr);
  EXPECT_EQ(*back.Find(kAdminUser), "admin");
}

}  // namespace
}  // namespace aero::proto
