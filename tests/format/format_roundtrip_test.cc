// Property tests: many random records of every key kind and bin type (names and values full of
// bytes that need escaping), plus random sindex and UDF lines, written and read back equal — plain,
// compact, zstd, AES-128/256, and through 1-byte reads. The seed is printed; set ABS_FORMAT_SEED to
// replay a failure.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>
#include <random>

#include "format/asb_writer.h"
#include "format/codec.h"
#include "format_test_util.h"

namespace aero {
namespace {

using namespace aero::testing;

uint64_t Seed() {
  if (const char* s = std::getenv("ABS_FORMAT_SEED")) return std::strtoull(s, nullptr, 10);
  return std::random_device{}();
}

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}

  uint64_t U(uint64_t lo, uint64_t hi) { return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_); }
  bool Coin(int percent = 50) { return U(0, 99) < static_cast<uint64_t>(percent); }

  // Bytes biased towards the characters the format treats specially.
  std::string Bytes(size_t max_len) {
    static const char kSpecial[] = {' ', '\n', '\\', '\0', '+', '-', '*', '#', '!', '=', '\r', '\t'};
    size_t n = U(0, max_len);
    std::string s(n, '\0');
    for (auto& c : s) c = Coin(30) ? kSpecial[U(0, sizeof kSpecial - 1)] : static_cast<char>(U(0, 255));
    return s;
  }
  std::string Name(size_t max_len, bool allow_empty = true) {
    std::string s = Bytes(max_len);
    if (!allow_empty && s.empty()) s = "n";
    return s;
  }
  int64_t Int() {
    switch (U(0, 3)) {
      case 0: return std::numeric_limits<int64_t>::min() + static_cast<int64_t>(U(0, 3));
      case 1: return std::numeric_limits<int64_t>::max() - static_cast<int64_t>(U(0, 3));
      case 2: return static_cast<int64_t>(U(0, 2000)) - 1000;
      default: return static_cast<int64_t>(rng_());
    }
  }
  double Double() {
    switch (U(0, 6)) {
      case 0: return std::numeric_limits<double>::quiet_NaN();
      case 1: return -std::numeric_limits<double>::quiet_NaN();
      case 2: return Coin() ? INFINITY : -INFINITY;
      case 3: return Coin() ? 0.0 : -0.0;
      case 4: return std::numeric_limits<double>::denorm_min() * static_cast<double>(U(1, 1000));
      default: {
        // Any finite bit pattern (NaN payloads other than the default cannot round-trip through
        // text, in asbackup either).
        for (;;) {
          uint64_t bits = rng_();
          double d;
          std::memcpy(&d, &bits, sizeof d);
          if (std::isfinite(d)) return d;
        }
      }
    }
  }

  Bin RandomBin() {
    static const ParticleType kBytesTypes[] = {
        ParticleType::kBlob,     ParticleType::kJavaBlob,   ParticleType::kCSharpBlob, ParticleType::kPythonBlob,
        ParticleType::kRubyBlob, ParticleType::kPhpBlob,    ParticleType::kErlangBlob, ParticleType::kHll,
        ParticleType::kMap,      ParticleType::kList};
    std::string name = Name(15);
    switch (U(0, 7)) {
      case 0: return NilBin(name);
      case 1: return BoolBin(name, Coin());
      case 2: return IntBin(name, Int());
      case 3: return DoubleBin(name, Double());
      case 4: return StrBin(name, Bytes(Coin(5) ? 5000 : 60));
      case 5: return GeoBin(name, Bytes(80));
      default: return BytesBin(name, kBytesTypes[U(0, 9)], Bytes(Coin(5) ? 5000 : 60));
    }
  }

  Record RandomRecord() {
    Record r;
    r.ns = Name(31, false);
    r.set = Coin(20) ? "" : Name(63);
    for (auto& b : r.digest) b = static_cast<uint8_t>(U(0, 255));
    switch (U(0, 4)) {
      case 0: break;  // digest only
      case 1: r.key = IntUserKey(Int()); break;
      case 2: r.key = DoubleUserKey(Double()); break;
      case 3: r.key = UserKey{ParticleType::kString, Bytes(40)}; break;
      default: r.key = UserKey{ParticleType::kBlob, Bytes(40)}; break;
    }
    r.generation = static_cast<uint32_t>(U(0, 65535));
    r.void_time = Coin(30) ? 0 : static_cast<uint32_t>(U(0, 0xFFFFFFFFull));
    size_t nbins = Coin(5) ? 0 : U(1, 12);
    for (size_t i = 0; i < nbins; ++i) r.bins.push_back(RandomBin());
    return r;
  }

  SecondaryIndex RandomSindex() {
    SecondaryIndex s;
    s.ns = Name(31, false);
    s.set = Name(20);
    s.name = Name(30, false);
    static const SindexCollection kC[] = {SindexCollection::kNone, SindexCollection::kList,
                                          SindexCollection::kMapKeys, SindexCollection::kMapValues};
    static const SindexDataType kT[] = {SindexDataType::kNumeric, SindexDataType::kString, SindexDataType::kGeo,
                                        SindexDataType::kBlob};
    s.collection = kC[U(0, 3)];
    size_t n = U(1, 3);
    for (size_t i = 0; i < n; ++i) s.paths.push_back(SindexPath{Name(15), kT[U(0, 3)]});
    if (Coin()) s.context = Name(40, false);
    if (Coin(20)) s.expression = Name(40, false);
    return s;
  }

  UdfModule RandomUdf() { return UdfModule{UdfType::kLua, Name(40, false), Bytes(300)}; }

 private:
  std::mt19937_64 rng_;
};

// Double bins/keys compare as bit patterns: the generator only makes canonical NaNs (sign kept).
struct Corpus {
  std::string ns;
  std::vector<AsbEntity> items;
};

Corpus MakeCorpus(Gen& g, size_t n) {
  Corpus c;
  c.ns = g.Name(31, false);
  for (size_t i = 0; i < n; ++i) {
    AsbEntity e;
    uint64_t pick = g.U(0, 99);
    if (pick < 3) {
      e.kind = AsbEntityKind::kSecondaryIndex;
      e.sindex = g.RandomSindex();
    } else if (pick < 5) {
      e.kind = AsbEntityKind::kUdf;
      e.udf = g.RandomUdf();
    } else {
      e.kind = AsbEntityKind::kRecord;
      e.record = g.RandomRecord();
    }
    c.items.push_back(std::move(e));
  }
  return c;
}

void WriteCorpus(const Corpus& c, OutputStream* out, bool compact) {
  AsbWriter w(out, AsbWriterOptions{compact});
  ASSERT_TRUE(w.WriteHeader(c.ns, true).ok());
  for (const auto& e : c.items) {
    Status s;
    switch (e.kind) {
      case AsbEntityKind::kRecord: s = w.WriteRecord(e.record); break;
      case AsbEntityKind::kSecondaryIndex: s = w.WriteSecondaryIndex(e.sindex); break;
      case AsbEntityKind::kUdf: s = w.WriteUdf(e.udf); break;
    }
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
}

void ExpectCorpus(const Corpus& c, InputStream* in) {
  AsbReader reader(in, "roundtrip.asb");
  auto h = reader.ReadHeader();
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->ns, c.ns);
  EXPECT_TRUE(h->first_file);
  AsbEntity got;
  for (size_t i = 0; i < c.items.size(); ++i) {
    auto r = reader.Next(&got);
    ASSERT_TRUE(r.ok()) << "entity " << i << ": " << r.status().ToString();
    ASSERT_TRUE(*r) << "early end at entity " << i;
    const AsbEntity& want = c.items[i];
    ASSERT_EQ(got.kind, want.kind) << "entity " << i;
    switch (want.kind) {
      case AsbEntityKind::kRecord: ASSERT_EQ(got.record, want.record) << "record " << i; break;
      case AsbEntityKind::kSecondaryIndex: ASSERT_EQ(got.sindex, want.sindex) << "sindex " << i; break;
      case AsbEntityKind::kUdf: ASSERT_EQ(got.udf, want.udf) << "udf " << i; break;
    }
  }
  auto end = reader.Next(&got);
  ASSERT_TRUE(end.ok()) << end.status().ToString();
  EXPECT_FALSE(*end) << "extra entity after the corpus";
}

class RoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = Seed();
    std::cout << "[ seed     ] ABS_FORMAT_SEED=" << seed_ << std::endl;
    RecordProperty("seed", std::to_string(seed_));
  }
  uint64_t seed_ = 0;
};

TEST_F(RoundTrip, PlainAndCompactWithOddReadSizes) {
  Gen g(seed_);
  for (bool compact : {false, true}) {
    Corpus c = MakeCorpus(g, 1500);
    std::string text;
    StringOutputStream out(&text);
    WriteCorpus(c, &out, compact);
    for (size_t chunk : {size_t{1}, size_t{13}, size_t{4096}, SIZE_MAX}) {
      SCOPED_TRACE("compact=" + std::to_string(compact) + " chunk=" + std::to_string(chunk));
      auto in = StringInputStream::View(text, chunk);
      ExpectCorpus(c, &in);
    }
  }
}

TEST_F(RoundTrip, ThroughZstdAndAes) {
  Gen g(seed_ ^ 0x5eed);
  const std::string material = g.Bytes(200) + "x";
  struct Mode {
    CompressionMode c;
    EncryptionMode e;
  } modes[] = {{CompressionMode::kZstd, EncryptionMode::kNone},
               {CompressionMode::kNone, EncryptionMode::kAes128},
               {CompressionMode::kZstd, EncryptionMode::kAes128},
               {CompressionMode::kZstd, EncryptionMode::kAes256},
               {CompressionMode::kNone, EncryptionMode::kAes256}};
  for (const Mode& m : modes) {
    SCOPED_TRACE(std::string(CompressionModeName(m.c)) + "+" + std::string(EncryptionModeName(m.e)));
    Corpus c = MakeCorpus(g, 500);
    CodecOptions opt{m.c, static_cast<int>(g.U(0, 5)), m.e, material};
    std::string stored;
    auto storage = std::make_unique<StringOutputStream>(&stored);
    StringOutputStream* storage_raw = storage.get();
    auto top = WrapOutput(std::move(storage), opt);
    ASSERT_TRUE(top.ok()) << top.status().ToString();
    WriteCorpus(c, top->get(), g.Coin());
    ASSERT_TRUE((*top)->Close().ok());
    EXPECT_TRUE(storage_raw->closed());
    EXPECT_EQ(storage_raw->BytesWritten(), stored.size());
    for (size_t chunk : {size_t{7}, SIZE_MAX}) {
      auto in = WrapInput(std::make_unique<StringInputStream>(stored, chunk), opt, "roundtrip.asb");
      ASSERT_TRUE(in.ok()) << in.status().ToString();
      ExpectCorpus(c, in->get());
    }
  }
}

TEST(Writer, RejectsWhatTheFormatCannotStore) {
  std::string out;
  Record r;
  r.ns = "test";
  r.bins = {Bin{"v", ParticleType::kVector, "abcd"}};
  Status s = EncodeRecord(r, {}, &out);
  EXPECT_EQ(s.code(), ErrorCode::kUnsupported);
  EXPECT_NE(s.message().find("bin 'v' is a VECTOR"), std::string::npos) << s.message();

  r.bins = {Bin{"i", ParticleType::kInteger, "abc"}};
  EXPECT_EQ(EncodeRecord(r, {}, &out).code(), ErrorCode::kInvalidArgument);
  r.bins = {Bin{"g", ParticleType::kGeoJson, std::string("\0\0\x05", 3) + "{}"}};
  EXPECT_EQ(EncodeRecord(r, {}, &out).code(), ErrorCode::kInvalidArgument);
  r.bins = {};
  r.key = UserKey{ParticleType::kJavaBlob, "x"};
  EXPECT_EQ(EncodeRecord(r, {}, &out).code(), ErrorCode::kUnsupported);
  r.key.reset();
  r.generation = 65536;
  EXPECT_EQ(EncodeRecord(r, {}, &out).code(), ErrorCode::kInvalidArgument);
  r.generation = 1;
  r.ns.clear();
  EXPECT_EQ(EncodeRecord(r, {}, &out).code(), ErrorCode::kInvalidArgument);

  // A failed record leaves nothing in the stream.
  std::string text;
  StringOutputStream stream(&text);
  AsbWriter w(&stream);
  ASSERT_TRUE(w.WriteHeader("test").ok());
  size_t before = text.size();
  Record bad;
  bad.ns = "test";
  bad.bins = {IntBin("ok", 1), Bin{"v", ParticleType::kVector, "x"}};
  EXPECT_FALSE(w.WriteRecord(bad).ok());
  EXPECT_EQ(text.size(), before);
  EXPECT_EQ(w.records_written(), 0u);
  SecondaryIndex no_paths;
  no_paths.ns = "test";
  no_paths.name = "i";
  EXPECT_FALSE(w.WriteSecondaryIndex(no_paths).ok());
  EXPECT_EQ(text.size(), before);
}

TEST(Writer, DoublesAsGlibcPrintsThem) {
  struct Case {
    double v;
    const char* text;
  } cases[] = {{1.1, "1.1000000000000001"},
               {0.1, "0.10000000000000001"},
               {98.6, "98.599999999999994"},
               {3.0, "3"},
               {1e21, "1e+21"},
               {-0.0, "-0"},
               {12345, "12345"},
               {1e-5, "1.0000000000000001e-05"},
               {std::numeric_limits<double>::min(), "2.2250738585072014e-308"},
               {std::numeric_limits<double>::max(), "1.7976931348623157e+308"},
               {std::numeric_limits<double>::denorm_min(), "4.9406564584124654e-324"},
               {std::numeric_limits<double>::quiet_NaN(), "nan"},
               {-std::numeric_limits<double>::quiet_NaN(), "-nan"},
               {INFINITY, "inf"},
               {-INFINITY, "-inf"}};
  for (const auto& c : cases) {
    std::string out;
    AppendDouble(c.v, &out);
    EXPECT_EQ(out, c.text);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", c.v);
    EXPECT_EQ(out, buf) << "differs from this libc's %.17g";
  }
}

TEST(Writer, Escaping) {
  std::string out;
  AppendEscaped(std::string("a b\\c\nd\te\0f", 11), &out);
  EXPECT_EQ(out, std::string("a\\ b\\\\c\\\nd\te\0f", 14));
}

}  // namespace
}  // namespace aero
