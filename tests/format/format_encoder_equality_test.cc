// The single-pass record encoder (EncodeRecord / EncodeRecordView) against the reference encoder
// the format layer used before (reference_encoder.h): byte-equal text for random records of every
// particle type, key kind, escaping case and option, and the same error (code and message) for
// records that cannot be encoded.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "format/asb_writer.h"
#include "reference_encoder.h"

namespace aero {
namespace {

class RandomRecords {
 public:
  explicit RandomRecords(uint64_t seed) : rng_(seed) {}

  Record Next() {
    Record r;
    r.ns = Token(1 + Pick(12));
    if (Pick(20) == 0) r.ns.clear();  // rejected: empty namespace
    r.set = Pick(4) == 0 ? "" : Token(Pick(20));
    for (auto& b : r.digest) b = static_cast<uint8_t>(rng_());
    r.generation = Pick(50) == 0 ? 65536 + Pick(1000) : Pick(65536);
    r.void_time = static_cast<uint32_t>(rng_());
    switch (Pick(7)) {
      case 0: break;  // no key
      case 1: r.key = UserKey{ParticleType::kInteger, Bytes(Pick(30) == 0 ? 7 : 8)}; break;
      case 2: r.key = UserKey{ParticleType::kFloat, Bytes(Pick(30) == 0 ? 9 : 8)}; break;
      case 3: r.key = UserKey{ParticleType::kString, Text(Pick(40))}; break;
      case 4: r.key = UserKey{ParticleType::kBlob, Bytes(Pick(40))}; break;
      case 5: r.key = UserKey{Pick(10) == 0 ? ParticleType::kJavaBlob : ParticleType::kString, Text(Pick(5))}; break;
      default: r.key = UserKey{ParticleType::kInteger, Bytes(8)}; break;
    }
    size_t nbins = Pick(8) == 0 ? 17 + Pick(30) : Pick(8);  // more than 16: the heap path
    for (size_t i = 0; i < nbins; ++i) r.bins.push_back(RandomBin());
    return r;
  }

 private:
  uint32_t Pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

  std::string Bytes(size_t n) {
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng_());
    return s;
  }
  // Printable text with the characters the format escapes mixed in.
  std::string Text(size_t n) {
    static const char kChars[] = "abcXYZ019 \\\n\t-_:{}\"";
    std::string s(n, ' ');
    for (auto& c : s) c = kChars[Pick(sizeof kChars - 1)];
    return s;
  }
  std::string Token(size_t n) { return Pick(3) == 0 ? Text(n) : std::string(n, static_cast<char>('a' + Pick(26))); }

  std::string DoubleBytes() {
    static const double kSpecial[] = {0.0, -0.0, 1.1, 1e21, -1e-300, 5e-324, 1.0 / 0.0, -1.0 / 0.0, 0.0 / 0.0,
                                      123456789012345678.0, 0.1, 3.141592653589793};
    uint64_t bits;
    if (Pick(2) == 0) {
      double d = kSpecial[Pick(sizeof kSpecial / sizeof kSpecial[0])];
      if (Pick(4) == 0) d = -d;
      std::memcpy(&bits, &d, sizeof bits);
    } else {
      bits = rng_();  // any bit pattern: NaNs with payloads, denormals, ...
    }
    std::string s;
    PutU64BE(s, bits);
    return s;
  }

  Bin RandomBin() {
    static const ParticleType kTypes[] = {
        ParticleType::kNull,       ParticleType::kInteger,   ParticleType::kFloat,      ParticleType::kString,
        ParticleType::kBlob,       ParticleType::kJavaBlob,  ParticleType::kCSharpBlob, ParticleType::kPythonBlob,
        ParticleType::kRubyBlob,   ParticleType::kPhpBlob,   ParticleType::kErlangBlob, ParticleType::kBool,
        ParticleType::kHll,        ParticleType::kMap,       ParticleType::kList,       ParticleType::kGeoJson};
    Bin b;
    b.name = Text(1 + Pick(15));
    bool bad = Pick(200) == 0;  // a value of the wrong size
    if (Pick(300) == 0) {
      // A type the format cannot store (VECTOR or an unknown particle).
      static const uint8_t kOdd[] = {5, 6, 13, 14, 15, 16, 21, 22, 24, 255};
      b.type = static_cast<ParticleType>(kOdd[Pick(sizeof kOdd)]);
      b.data = Bytes(Pick(10));
      return b;
    }
    b.type = kTypes[Pick(sizeof kTypes / sizeof kTypes[0])];
    switch (b.type) {
      case ParticleType::kNull: break;
      case ParticleType::kInteger: b.data = Bytes(bad ? 4 : 8); break;
      case ParticleType::kFloat: b.data = bad ? Bytes(3) : DoubleBytes(); break;
      case ParticleType::kBool: b.data = bad ? Bytes(2) : std::string(1, static_cast<char>(Pick(3))); break;
      case ParticleType::kString: b.data = Text(Pick(300)); break;
      case ParticleType::kGeoJson: {
        uint16_t cells = static_cast<uint16_t>(Pick(4));
        b.data.push_back(static_cast<char>(Pick(2)));
        PutU16BE(b.data, cells);
        b.data += Bytes(cells * 8);
        b.data += "{\"type\": \"Point\", \"coordinates\": [1.5, 2]}";
        if (bad) b.data.resize(Pick(static_cast<uint32_t>(3 + cells * 8)));
        break;
      }
      default: b.data = Bytes(Pick(4) == 0 ? Pick(2000) : Pick(130)); break;  // every length mod 3
    }
    return b;
  }

  std::mt19937_64 rng_;
};

TEST(EncoderEquality, RandomRecordsOfEveryTypeMatchTheReferenceEncoder) {
  RandomRecords gen(20261126);
  int encoded = 0, rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    Record r = gen.Next();
    for (bool compact : {false, true}) {
      AsbWriterOptions o{compact};
      // Both append to text already in the buffer (as the backup's chunks do).
      std::string want = "previous record\n", got = want;
      Status ws = testing::reference::EncodeRecord(r, o, &want);
      Status gs = EncodeRecord(r, o, &got);
      ASSERT_EQ(ws.code(), gs.code()) << "record " << i << " compact " << compact << ": " << ws.ToString() << " vs "
                                      << gs.ToString();
      ASSERT_EQ(ws.message(), gs.message()) << "record " << i;
      if (ws.ok()) {
        ASSERT_EQ(want, got) << "record " << i << " compact " << compact;
        ++encoded;
      } else {
        EXPECT_EQ(got, "previous record\n") << "a rejected record must leave the buffer as it was";
        ++rejected;
      }
    }
  }
  // The generator must exercise both outcomes, or the comparison proves little.
  EXPECT_GT(encoded, 20000);
  EXPECT_GT(rejected, 500);
}

TEST(EncoderEquality, ViewOfWireBytesEncodesLikeTheRecord) {
  RandomRecords gen(7);
  for (int i = 0; i < 2000; ++i) {
    Record r = gen.Next();
    // The views point into one separate buffer, as they do into a scan reply.
    std::string wire;
    for (const auto& b : r.bins) wire += b.name + b.data;
    std::vector<BinView> bins;
    size_t at = 0;
    for (const auto& b : r.bins) {
      std::string_view w(wire);
      bins.push_back(BinView{w.substr(at, b.name.size()), b.type, w.substr(at + b.name.size(), b.data.size())});
      at += b.name.size() + b.data.size();
    }
    RecordView v;
    v.ns = r.ns;
    v.set = r.set;
    v.digest = &r.digest;
    v.has_key = r.key.has_value();
    if (r.key) {
      v.key_type = r.key->type;
      v.key_data = r.key->data;
    }
    v.generation = r.generation;
    v.void_time = r.void_time;
    v.bins = bins.data();
    v.n_bins = bins.size();
    std::string want, got;
    Status ws = testing::reference::EncodeRecord(r, {}, &want);
    Status gs = EncodeRecordView(v, {}, &got);
    ASSERT_EQ(ws.ToString(), gs.ToString()) << "record " << i;
    if (ws.ok()) ASSERT_EQ(want, got) << "record " << i;
  }
}

// Every blob length up to 100 (the base64 path takes 6 bytes per step while 8 can be read, then 3,
// then the padded tail) and every escaped character in every position of a short name.
TEST(EncoderEquality, EveryBase64LengthAndEscapePosition) {
  std::mt19937_64 rng(3);
  for (size_t len = 0; len <= 100; ++len) {
    std::string v(len, '\0');
    for (auto& c : v) c = static_cast<char>(rng());
    Record r;
    r.ns = "test";
    r.digest = Digest{};
    r.digest[0] = static_cast<uint8_t>(len);
    r.key = UserKey{ParticleType::kBlob, v};
    r.bins.push_back(Bin{"b", ParticleType::kBlob, v});
    r.bins.push_back(Bin{"l", ParticleType::kList, v.substr(len / 2)});
    std::string want, got;
    ASSERT_TRUE(testing::reference::EncodeRecord(r, {}, &want).ok());
    ASSERT_TRUE(EncodeRecord(r, {}, &got).ok());
    ASSERT_EQ(want, got) << "length " << len;
  }
  for (char special : {'\\', ' ', '\n'})
    for (size_t pos = 0; pos < 5; ++pos) {
      std::string name = "abcd";
      name.insert(pos, 1, special);
      Record r;
      r.ns = name;
      r.set = name;
      r.bins.push_back(Bin{name, ParticleType::kNull, ""});
      std::string want, got;
      ASSERT_TRUE(testing::reference::EncodeRecord(r, {}, &want).ok());
      ASSERT_TRUE(EncodeRecord(r, {}, &got).ok());
      ASSERT_EQ(want, got) << "special " << int(special) << " at " << pos;
    }
}

TEST(EncoderEquality, ViewWithoutDigestIsAnError) {
  RecordView v;
  v.ns = "test";
  std::string out = "x";
  Status s = EncodeRecordView(v, {}, &out);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(s.message().find("digest"), std::string::npos);
  EXPECT_EQ(out, "x");
}

}  // namespace
}  // namespace aero
