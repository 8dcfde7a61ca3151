// Golden-file tests: the files in tests/data/format were written by hand from asb-format.md (and
// checked with asbackup 4.5.8's `asrestore --validate`). The writer must produce them byte for byte
// from hand-built records, and the reader must parse them back into the same records.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/base64.h"
#include "common/digest.h"
#include "format/asb_writer.h"
#include "format_test_util.h"

namespace aero {
namespace {

using namespace aero::testing;

struct Golden {
  std::string ns;
  bool first_file = false;
  bool compact = false;
  std::vector<SecondaryIndex> sindexes;
  std::vector<UdfModule> udfs;
  std::vector<Record> records;
};

std::string Write(const Golden& g) {
  StringOutputStream out;
  AsbWriter w(&out, AsbWriterOptions{g.compact});
  EXPECT_TRUE(w.WriteHeader(g.ns, g.first_file).ok());
  for (const auto& s : g.sindexes) EXPECT_TRUE(w.WriteSecondaryIndex(s).ok());
  for (const auto& u : g.udfs) EXPECT_TRUE(w.WriteUdf(u).ok());
  for (const auto& r : g.records) {
    Status s = w.WriteRecord(r);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  EXPECT_EQ(w.bytes_written(), out.data().size());
  EXPECT_EQ(w.records_written(), g.records.size());
  return out.data();
}

// Reader output equals the hand-built entities (in file order: sindexes, UDFs, records).
void ExpectParsesTo(const std::string& file, const Golden& g) {
  std::string data = ReadDataFile(file);
  for (size_t chunk : {size_t{1}, size_t{7}, SIZE_MAX}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    Parsed p = ParseAll(data, file, chunk);
    ASSERT_TRUE(p.status.ok()) << p.status.ToString();
    EXPECT_EQ(p.header.version, "3.1");
    ASSERT_TRUE(p.header.ns.has_value());
    EXPECT_EQ(*p.header.ns, g.ns);
    EXPECT_EQ(p.header.first_file, g.first_file);
    ASSERT_EQ(p.entities.size(), g.sindexes.size() + g.udfs.size() + g.records.size());
    size_t i = 0;
    for (const auto& s : g.sindexes) {
      ASSERT_EQ(p.entities[i].kind, AsbEntityKind::kSecondaryIndex);
      EXPECT_EQ(p.entities[i++].sindex, s);
    }
    for (const auto& u : g.udfs) {
      ASSERT_EQ(p.entities[i].kind, AsbEntityKind::kUdf);
      EXPECT_EQ(p.entities[i++].udf, u);
    }
    for (const auto& r : g.records) {
      ASSERT_EQ(p.entities[i].kind, AsbEntityKind::kRecord);
      EXPECT_EQ(p.entities[i++].record, r);
    }
    EXPECT_EQ(p.end_offsets.back(), data.size());
  }
}

SecondaryIndex Sindex(std::string ns, std::string set, std::string name, SindexCollection c, std::string bin,
                      SindexDataType t, std::string ctx = "") {
  SecondaryIndex s;
  s.ns = std::move(ns);
  s.set = std::move(set);
  s.name = std::move(name);
  s.collection = c;
  s.paths = {SindexPath{std::move(bin), t}};
  s.context = std::move(ctx);
  return s;
}

Digest DigestFromBase64(const std::string& b64) {
  auto d = Base64Decode(b64);
  Digest out{};
  EXPECT_TRUE(d && d->size() == 20);
  if (d && d->size() == 20) std::memcpy(out.data(), d->data(), 20);
  return out;
}

Golden ExampleGolden() {
  Golden g;
  g.ns = "test";
  g.first_file = true;
  g.sindexes = {Sindex("test", "demo", "age_idx", SindexCollection::kNone, "age", SindexDataType::kNumeric),
                Sindex("test", "", "name_idx", SindexCollection::kNone, "name", SindexDataType::kString)};
  g.udfs = {UdfModule{UdfType::kLua, "filters.lua", "function f(r)\n  return 1\nend\n"}};
  Record r1;
  r1.ns = "test";
  r1.set = "demo";
  r1.key = StringKey("user1");
  r1.digest = ComputeDigest("demo", *r1.key);
  r1.generation = 3;
  r1.void_time = 468000000;
  r1.bins = {IntBin("age", 42),
             DoubleBin("score", 1.1),
             StrBin("my bin", "hello world"),
             BoolBin("active", true),
             NilBin("gone"),
             BytesBin("raw", ParticleType::kBlob, "\x01\x02\x03"),
             BytesBin("lst", ParticleType::kList, "\x92\x01\xa2\x03\x61"),
             BytesBin("mp", ParticleType::kMap, "\x81\xa2\x03\x61\x01"),
             GeoBin("loc", R"({"type":"Point","coordinates":[0.0,0.0]})"),
             StrBin("empty", "")};
  Record r2;
  r2.ns = "test";
  r2.set = "demo";
  r2.digest = ComputeDigest("demo", int64_t{42});
  r2.generation = 1;
  r2.void_time = 0;
  g.records = {r1, r2};
  return g;
}

TEST(Golden, ExampleFromSpec) {
  Golden g = ExampleGolden();
  // The spec's digests are the real RIPEMD-160 digests of these keys.
  EXPECT_EQ(g.records[0].digest, DigestFromBase64("AxYfNSyKuFRIlSyJbs2qEis8TnE="));
  EXPECT_EQ(g.records[1].digest, DigestFromBase64("z1oTZe/6TcUzM/IWbRAzWPhxEJY="));
  std::string file = ReadDataFile("example.asb");
  ASSERT_EQ(file.size(), 522u);
  EXPECT_EQ(Write(g), file);
  ExpectParsesTo("example.asb", g);
}

TEST(Golden, GeoJsonCellsAreDroppedOnWrite) {
  Golden g = ExampleGolden();
  // The server's form of the geo bin carries flags and two cell ids; only the JSON is stored.
  std::string wire = std::string("\x01\x00\x02", 3) + std::string(16, '\x7f') +
                     R"({"type":"Point","coordinates":[0.0,0.0]})";
  g.records[0].bins[8].data = wire;
  EXPECT_EQ(Write(g), ReadDataFile("example.asb"));
}

TEST(Golden, UpstreamFixture) {
  Golden g;
  g.ns = "test";
  g.first_file = true;
  Record r;
  r.ns = "test";
  r.set = "demo";
  r.key = StringKey("key1");
  r.digest = ComputeDigest("demo", *r.key);
  r.generation = 1;
  r.void_time = 428179113;
  r.bins = {IntBin("foo", 123), StrBin("bar", "abc"), BoolBin("baz", true)};
  g.records = {r};
  EXPECT_EQ(r.digest, DigestFromBase64("7JEZLUt/jONdXXjTS8ply6qqyWA="));
  EXPECT_EQ(Write(g), ReadDataFile("upstream_fixture.asb"));
  ExpectParsesTo("upstream_fixture.asb", g);
}

TEST(Golden, UpstreamBadFixtureIsRejectedWithLine) {
  Parsed p = ParseAll(ReadDataFile("upstream_fixture_bad.asb"), "upstream_fixture_bad.asb");
  ASSERT_FALSE(p.status.ok());
  EXPECT_EQ(p.status.code(), ErrorCode::kCorrupt);
  EXPECT_NE(p.status.message().find("upstream_fixture_bad.asb: line 13"), std::string::npos) << p.status.message();
  EXPECT_NE(p.status.message().find("unknown bin type 'x'"), std::string::npos) << p.status.message();
  EXPECT_TRUE(p.entities.empty());
}

Record KeyRecord(std::optional<UserKey> key, int seed, std::string set, uint32_t gen, uint32_t vt, int64_t v) {
  Record r;
  r.ns = "test";
  r.set = std::move(set);
  r.key = std::move(key);
  r.digest = SeqDigest(seed);
  r.generation = gen;
  r.void_time = vt;
  r.bins = {IntBin("v", v)};
  return r;
}

TEST(Golden, EveryKeyKind) {
  Golden g;
  g.ns = "test";
  g.records = {KeyRecord(IntUserKey(-7), 1, "demo", 1, 0, 1),
               KeyRecord(IntUserKey(std::numeric_limits<int64_t>::max()), 2, "", 65535, 4294967295u, 2),
               KeyRecord(DoubleUserKey(0.1), 3, "", 2, 1, 3),
               KeyRecord(StringKey(std::string("a b\\c\nd!\0", 9)), 4, "demo", 3, 468000000, 4),
               KeyRecord(BlobKey("\x01\x02\x03"), 5, "demo", 4, 2, 5),
               KeyRecord(std::nullopt, 6, "demo", 5, 3, 6)};
  EXPECT_EQ(Write(g), ReadDataFile("keys.asb"));
  ExpectParsesTo("keys.asb", g);
}

Golden BinsGolden() {
  Golden g;
  g.ns = "test";
  Record r;
  r.ns = "test";
  r.set = "my set";
  r.key = StringKey("all");
  r.digest = SeqDigest(1);
  r.generation = 7;
  r.void_time = 500000000;
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  r.bins = {IntBin("i.max", std::numeric_limits<int64_t>::max()),
            IntBin("i.min", std::numeric_limits<int64_t>::min()),
            IntBin("i.zero", 0),
            DoubleBin("d.tenth", 0.1),
            DoubleBin("d.three", 3.0),
            DoubleBin("d.nan", nan),
            DoubleBin("d.negnan", -nan),
            DoubleBin("d.inf", inf),
            DoubleBin("d.ninf", -inf),
            DoubleBin("d.nzero", -0.0),
            DoubleBin("d.big", 1e21),
            DoubleBin("d.min", std::numeric_limits<double>::min()),
            DoubleBin("d.max", std::numeric_limits<double>::max()),
            StrBin("s.raw", "a\nb c\\d"),
            StrBin("sp ace", ""),
            StrBin("back\\slash", "x"),
            StrBin("new\nline", "y"),
            BoolBin("b.t", true),
            BoolBin("b.f", false),
            NilBin("nil"),
            BytesBin("blob", ParticleType::kBlob, "\x01\x02\x03"),
            BytesBin("blob.empty", ParticleType::kBlob, ""),
            BytesBin("java", ParticleType::kJavaBlob, "\x01\x02\x03"),
            BytesBin("csharp", ParticleType::kCSharpBlob, "\x01\x02\x03"),
            BytesBin("python", ParticleType::kPythonBlob, "\x01\x02\x03"),
            BytesBin("ruby", ParticleType::kRubyBlob, "\x01\x02\x03"),
            BytesBin("php", ParticleType::kPhpBlob, "\x01\x02\x03"),
            BytesBin("erlang", ParticleType::kErlangBlob, "\x01\x02\x03"),
            BytesBin("hll", ParticleType::kHll, std::string("\x00\x01\x02\x03\x04\x05", 6)),
            BytesBin("lst", ParticleType::kList, "\x92\x01\xa2\x03\x61"),
            BytesBin("mp", ParticleType::kMap, "\x81\xa2\x03\x61\x01"),
            GeoBin("geo", R"({"type":"Point","coordinates":[0.0,0.0]})"),
            IntBin("", 5)};
  g.records = {r};
  return g;
}

TEST(Golden, EveryBinTypeAndEscaping) {
  Golden g = BinsGolden();
  EXPECT_EQ(Write(g), ReadDataFile("bins.asb"));
  ExpectParsesTo("bins.asb", g);
}

TEST(Golden, CompactMode) {
  Golden g;
  g.ns = "test";
  g.compact = true;
  Record r;
  r.ns = "test";
  r.key = BlobKey("\x01\x02\x03");
  r.digest = SeqDigest(2);
  r.generation = 1;
  r.bins = {BytesBin("raw", ParticleType::kBlob, "\x01\x02\x03"),
            BytesBin("nl", ParticleType::kBlob, "\n \n"),
            BytesBin("java", ParticleType::kJavaBlob, std::string(1, '\0')),
            BytesBin("csharp", ParticleType::kCSharpBlob, "\xff"),
            BytesBin("python", ParticleType::kPythonBlob, ""),
            BytesBin("ruby", ParticleType::kRubyBlob, "ab"),
            BytesBin("php", ParticleType::kPhpBlob, "cd"),
            BytesBin("erlang", ParticleType::kErlangBlob, "ef"),
            BytesBin("hll", ParticleType::kHll, std::string("\x00\x01\x02\x03\x04\x05", 6)),
            BytesBin("lst", ParticleType::kList, "\x92\x01\xa2\x03\x61"),
            BytesBin("mp", ParticleType::kMap, "\x81\xa2\x03\x61\x01"),
            StrBin("str", "hi")};
  g.records = {r};
  EXPECT_EQ(Write(g), ReadDataFile("compact.asb"));
  ExpectParsesTo("compact.asb", g);
}

TEST(Golden, GlobalLines) {
  Golden g;
  g.ns = "te st";
  g.first_file = true;
  using C = SindexCollection;
  using T = SindexDataType;
  g.sindexes = {Sindex("te st", "demo", "idx_num", C::kNone, "age", T::kNumeric),
                Sindex("te st", "", "idx_str", C::kNone, "name", T::kString),
                Sindex("te st", "demo", "idx_list", C::kList, "tags", T::kString),
                Sindex("te st", "demo", "idx_mk", C::kMapKeys, "attrs", T::kString),
                Sindex("te st", "demo", "idx_mv", C::kMapValues, "attrs", T::kNumeric),
                Sindex("te st", "demo", "idx_geo", C::kNone, "loc", T::kGeo),
                Sindex("te st", "demo", "idx_blob", C::kNone, "bb", T::kBlob),
                Sindex("te st", "demo", "idx_ctx", C::kList, "my bin", T::kNumeric, "kwOBpGFiYw==")};
  g.udfs = {UdfModule{UdfType::kLua, "filters.lua", "function f(r)\n  return 1\nend\n"},
            UdfModule{UdfType::kLua, "empty.lua", ""},
            UdfModule{UdfType::kLua, "my mod.lua", "return 2 -- x"}};
  EXPECT_EQ(Write(g), ReadDataFile("globals.asb"));
  ExpectParsesTo("globals.asb", g);
}

}  // namespace
}  // namespace aero
