// Reader tests: tolerant forms (backup-go spellings, 3.0/3.2 headers, `X` and `* e` lines), every
// error class (truncation at every byte, bad escapes, bad base64, limits, overflow) with file name
// and line in the message, and bounded memory on oversized lengths. The fast record path is checked
// against the general parser: same entities, lines and offsets on random files of every type, and
// the same error (message, line, byte) on randomly damaged ones, whatever the read chunking.
#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <random>

#include "format/asb_writer.h"
#include "format_test_util.h"

namespace aero {
namespace {

using namespace aero::testing;

const std::string kHead = "Version 3.1\n# namespace test\n";
const std::string kRec = "+ n test\n+ d BwgJCgsMDQ4PEBESExQVFhcYGRo=\n+ g 1\n+ t 0\n";

// Parses one record made of kHead + kRec + "+ b N\n" + bins; returns the status and the record.
Parsed OneRecord(const std::string& bins_part, int nbins = 1) {
  return ParseAll(kHead + kRec + "+ b " + std::to_string(nbins) + "\n" + bins_part, "one.asb");
}

void ExpectCorrupt(const Parsed& p, const std::string& needle, const std::string& file = "one.asb") {
  ASSERT_FALSE(p.status.ok()) << "expected an error containing: " << needle;
  EXPECT_EQ(p.status.code(), ErrorCode::kCorrupt) << p.status.ToString();
  EXPECT_NE(p.status.message().find(file + ": line "), std::string::npos) << p.status.message();
  EXPECT_NE(p.status.message().find(needle), std::string::npos) << p.status.message();
}

TEST(Reader, GoSpellingsOfDoubles) {
  struct Case {
    const char* text;
    double want;
  } cases[] = {{"1.1", 1.1}, {"NaN", NAN}, {"+Inf", INFINITY}, {"-Inf", -INFINITY}, {"1E+21", 1e21},
               {"1e21", 1e21}, {"-2.5e-3", -2.5e-3}, {"Infinity", INFINITY}, {"+3", 3.0}, {".5", 0.5},
               {"5.", 5.0}, {"1e-400", 0.0}};
  for (const auto& c : cases) {
    Parsed p = OneRecord(std::string("- D x ") + c.text + "\n");
    ASSERT_TRUE(p.status.ok()) << c.text << ": " << p.status.ToString();
    const std::string& data = p.entities.at(0).record.bins.at(0).data;
    uint64_t bits = GetU64BE(data.data());
    double got;
    std::memcpy(&got, &bits, sizeof got);
    if (std::isnan(c.want)) {
      EXPECT_TRUE(std::isnan(got)) << c.text;
    } else {
      EXPECT_EQ(got, c.want) << c.text;
    }
  }
  for (const char* bad : {"1.2.3", "e5", "1e", "0x10", "nan(1)", "1,5", "--1", "", "inf5", "1e+"}) {
    ExpectCorrupt(OneRecord(std::string("- D x ") + bad + "\n"), "double value");
  }
}

TEST(Reader, LegacyAndGoForms) {
  // X (base64) string forms for keys and bins, '!' on any bytes letter, a `* e` line, a global
  // line between records, version 3.2.
  std::string f =
      "Version 3.2\n# namespace test\n"
      "+ k X 8 a2V5MQ==\n" + kRec + "+ b 2\n- X s 4 YWJj\n- L! l 2 \x91\x01\n"
      "* e test demo eidx N 1 b N kwOBpGFiYw== ZXhwcg==\n"
      "* e test demo eidx2 N 1 b N ZXhwcg==\n"
      "* i test demo ctxidx L 1 b S kwOBpGFiYw==\n" +
      kRec + "+ b 0\n";
  Parsed p = ParseAll(f);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.header.version, "3.2");
  ASSERT_EQ(p.entities.size(), 5u);
  const Record& r = p.entities[0].record;
  ASSERT_TRUE(r.key.has_value());
  EXPECT_EQ(r.key->type, ParticleType::kString);
  EXPECT_EQ(r.key->data, "key1");
  EXPECT_EQ(r.bins[0], StrBin("s", "abc"));
  EXPECT_EQ(r.bins[1], BytesBin("l", ParticleType::kList, "\x91\x01"));
  EXPECT_EQ(p.entities[1].sindex.context, "kwOBpGFiYw==");
  EXPECT_EQ(p.entities[1].sindex.expression, "ZXhwcg==");
  EXPECT_EQ(p.entities[2].sindex.context, "");
  EXPECT_EQ(p.entities[2].sindex.expression, "ZXhwcg==");
  EXPECT_EQ(p.entities[3].sindex.context, "kwOBpGFiYw==");
  EXPECT_EQ(p.entities[3].sindex.expression, "");
  EXPECT_EQ(p.entities[4].line, 14u);
  EXPECT_TRUE(p.entities[4].record.bins.empty());
}

TEST(Reader, ExpressionIndexRoundTrips) {
  SecondaryIndex s;
  s.ns = "test";
  s.name = "e";
  s.paths = {SindexPath{"b", SindexDataType::kNumeric}};
  s.context = "kwOBpGFiYw==";
  s.expression = "ZXhwcg==";
  std::string text = kHead;
  ASSERT_TRUE(EncodeSecondaryIndex(s, &text).ok());
  Parsed p = ParseAll(text);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.entities.size(), 1u);
  EXPECT_EQ(p.entities[0].sindex, s);
}

TEST(Reader, Version30KeepsBackslashesAndRejectsGlobals) {
  std::string f = "Version 3.0\n# namespace test\n" + kRec + "+ b 1\n- I a\\b 1\n";
  Parsed p = ParseAll(f);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.entities.at(0).record.bins.at(0).name, "a\\b");
  ExpectCorrupt(ParseAll("Version 3.0\n# namespace test\n* u L a.lua 0 \n", "one.asb"), "version 3.0");
}

TEST(Reader, HeaderErrors) {
  ExpectCorrupt(ParseAll("", "one.asb"), "empty file");
  ExpectCorrupt(ParseAll("Version 3.1", "one.asb"), "truncated");
  ExpectCorrupt(ParseAll("Version 4.0\n", "one.asb"), "unsupported .asb version 4.0");
  ExpectCorrupt(ParseAll("\x28\xb5\x2f\xfd garbage\n", "one.asb"), "wrong encryption key");
  ExpectCorrupt(ParseAll("Version 3.1\n# namespaces test\n", "one.asb"), "unknown meta line");
  ExpectCorrupt(ParseAll("Version 3.1\n# namespace test", "one.asb"), "truncated");
  ExpectCorrupt(ParseAll("Version 3.1\n# first-file x\n", "one.asb"), "expected end of line");
  ExpectCorrupt(ParseAll(kHead + "? what\n", "one.asb"), "expected a record ('+') or global ('*') line");
  // Meta lines are only valid directly after the header.
  ExpectCorrupt(ParseAll(kHead + kRec + "+ b 0\n# first-file\n", "one.asb"), "found '#'");
}

TEST(Reader, HeaderOnlyFileIsValidAndEmpty) {
  Parsed p = ParseAll(kHead + "# first-file\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_TRUE(p.header.first_file);
  EXPECT_TRUE(p.entities.empty());
}

TEST(Reader, RecordStructureErrors) {
  ExpectCorrupt(ParseAll(kHead + "+ d BwgJCgsMDQ4PEBESExQVFhcYGRo=\n", "one.asb"), "'+ n'");
  ExpectCorrupt(ParseAll(kHead + "+ n test\n+ g 1\n", "one.asb"), "'+ d'");
  ExpectCorrupt(ParseAll(kHead + "+ n test\n+ d BwgJCgsMDQ4PEBESExQVFhcYGRo=\n+ t 1\n", "one.asb"), "'+ g'");
  ExpectCorrupt(ParseAll(kHead + "+ n \n", "one.asb"), "empty namespace");
  ExpectCorrupt(ParseAll(kHead + "+ k Q 1\n", "one.asb"), "unknown key type 'Q'");
  ExpectCorrupt(ParseAll(kHead + "+ k S! 1 a\n", "one.asb"), "'!' is only valid on bytes keys");
  ExpectCorrupt(ParseAll(kHead + "+ n test\n+ d AQID\n", "one.asb"), "digest has 3 bytes");
  ExpectCorrupt(ParseAll(kHead + "+ n test\n+ d not*base64*at*all=\n", "one.asb"), "invalid base64 digest");
}

TEST(Reader, NumberLimits) {
  ExpectCorrupt(ParseAll(kHead + "+ n test\n+ d BwgJCgsMDQ4PEBESExQVFhcYGRo=\n+ g 65536\n", "one.asb"),
                "generation '65536' exceeds 65535");
  ExpectCorrupt(OneRecord("", 65536), "bin count '65536' exceeds 65535");
  ExpectCorrupt(ParseAll(kHead + "+ n test\n+ d BwgJCgsMDQ4PEBESExQVFhcYGRo=\n+ g 1\n+ t 4294967296\n", "one.asb"),
                "expiry '4294967296' exceeds 4294967295");
  ExpectCorrupt(ParseAll(kHead + "+ n test\n+ d BwgJCgsMDQ4PEBESExQVFhcYGRo=\n+ g -1\n", "one.asb"),
                "not a decimal number");
  ExpectCorrupt(OneRecord("- I x 9223372036854775808\n"), "does not fit in 64 bits");
  ExpectCorrupt(OneRecord("- I x -9223372036854775809\n"), "does not fit in 64 bits");
  ExpectCorrupt(OneRecord("- I x 12a\n"), "invalid integer value");
  ExpectCorrupt(OneRecord("- I x +5\n"), "invalid integer value");
  ExpectCorrupt(OneRecord("- I x \n"), "missing integer value");
  ExpectCorrupt(ParseAll(kHead + "+ k I 99999999999999999999\n", "one.asb"), "integer key");
}

TEST(Reader, BinErrors) {
  ExpectCorrupt(OneRecord("- Z b X\n"), "invalid boolean value 'X'");
  ExpectCorrupt(OneRecord("- U ldt 1 x\n"), "LDT");
  ExpectCorrupt(OneRecord("- S! s 1 x\n"), "'!' is only valid on bytes-typed bins");
  ExpectCorrupt(OneRecord("- I my bin 5\n"), "invalid integer value 'bin'");  // unescaped space
  ExpectCorrupt(OneRecord("- N gone x\n"), "expected end of line");
  ExpectCorrupt(OneRecord("- S s 3 abcd\n"), "expected end of line after the bin value");
  ExpectCorrupt(OneRecord("- S s 3abc\n"), "invalid length");
  ExpectCorrupt(OneRecord("- I x 1\n- I y 2\n", 1), "expected a record ('+') or global ('*') line, found '-'");
}

TEST(Reader, BadBase64) {
  ExpectCorrupt(OneRecord("- B b 4 AQI*\n"), "invalid base64 in bytes value");
  ExpectCorrupt(OneRecord("- B b 3 AQI\n"), "not a multiple of 4");
  ExpectCorrupt(OneRecord("- M b 4 A===\n"), "invalid base64");
  ExpectCorrupt(OneRecord("- X b 4 ====\n"), "invalid base64");
  ExpectCorrupt(ParseAll(kHead + "+ k B 4 AQ=D\n", "one.asb"), "invalid base64 in bytes key");
  ExpectCorrupt(OneRecord("- B b 8 AQ==BAU=\n"), "invalid base64");  // padding inside
  ExpectCorrupt(OneRecord("- B b 8 A=IDBAU=\n"), "invalid base64");
  // Each padding length decodes to the right size.
  for (auto [text, bytes] : {std::pair<std::string, std::string>{"AQIDBA==", "\x01\x02\x03\x04"},
                             {"AQIDBAU=", "\x01\x02\x03\x04\x05"},
                             {"AQIDBAUG", "\x01\x02\x03\x04\x05\x06"}}) {
    Parsed p = OneRecord("- B b 8 " + text + "\n");
    ASSERT_TRUE(p.status.ok()) << p.status.ToString();
    EXPECT_EQ(p.entities[0].record.bins[0].data, bytes);
  }
}

TEST(Reader, BadEscapes) {
  // A backslash at the very end of the file has nothing to escape.
  ExpectCorrupt(OneRecord("- I name\\"), "truncated");
  ExpectCorrupt(ParseAll("Version 3.1\n# namespace te\\", "one.asb"), "truncated");
  // An escaped LF inside a name is part of the name; the line count still advances past it.
  Parsed p = OneRecord("- I a\\\nb 1\n");
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  EXPECT_EQ(p.entities[0].record.bins[0].name, "a\nb");
  Parsed q = OneRecord("- I a\\\nb 1\n- I c x\n", 2);
  ExpectCorrupt(q, "line 10 ");
}

TEST(Reader, GlobalErrors) {
  ExpectCorrupt(ParseAll(kHead + "* x test\n", "one.asb"), "unknown global line type 'x'");
  ExpectCorrupt(ParseAll(kHead + "* i test demo i N 0\n", "one.asb"), "has 0 paths");
  ExpectCorrupt(ParseAll(kHead + "* i test demo i Q 1 b N\n", "one.asb"), "invalid index type 'Q'");
  ExpectCorrupt(ParseAll(kHead + "* i test demo i N 1 b I\n", "one.asb"), "invalid index data type 'I'");
  ExpectCorrupt(ParseAll(kHead + "* i test demo i N 2 b N\n", "one.asb"), "a space before the index bin");
  ExpectCorrupt(ParseAll(kHead + "* e test demo i N 1 b N\n", "one.asb"), "without an expression");
  ExpectCorrupt(ParseAll(kHead + "* u J a.js 0 \n", "one.asb"), "invalid UDF type 'J'");
  ExpectCorrupt(ParseAll(kHead + "* u L a.lua 10 short\n", "one.asb"), "truncated");
}

TEST(Reader, TruncationAtEveryByteIsAnErrorUnlessBetweenEntities) {
  for (const char* file : {"example.asb", "bins.asb", "compact.asb", "globals.asb", "keys.asb"}) {
    std::string data = ReadDataFile(file);
    Parsed full = ParseAll(data, file);
    ASSERT_TRUE(full.status.ok()) << full.status.ToString();
    // The header+meta end is a clean boundary too.
    size_t header_end = data.find("\n+ ");
    size_t g = data.find("\n* ");
    if (g != std::string::npos && g < header_end) header_end = g;
    for (size_t len = 0; len < data.size(); ++len) {
      Parsed p = ParseAll(std::string_view(data).substr(0, len), file);
      bool boundary = std::find(full.end_offsets.begin(), full.end_offsets.end(), len) != full.end_offsets.end() ||
                      (header_end != std::string::npos && len == header_end + 1);
      if (boundary) {
        EXPECT_TRUE(p.status.ok()) << file << " cut at " << len << ": " << p.status.ToString();
      } else if (p.status.ok()) {
        // A cut inside the meta section can end on a complete meta line; nothing else may pass.
        EXPECT_TRUE(p.entities.empty() && len <= header_end + 1 && data[len - 1] == '\n')
            << file << " cut at " << len << " parsed without error";
      } else {
        EXPECT_EQ(p.status.code(), ErrorCode::kCorrupt);
        EXPECT_NE(p.status.message().find(std::string(file) + ": line "), std::string::npos) << p.status.message();
      }
    }
  }
}

TEST(Reader, TruncatedRecordSaysSo) {
  std::string data = ReadDataFile("example.asb");
  // Cut right after the "+ b 10" line of the first record.
  size_t cut = data.find("+ b 10\n") + 7;
  Parsed p = ParseAll(std::string_view(data).substr(0, cut), "example.asb");
  ExpectCorrupt(p, "file ends inside a record (bin 1 of 10", "example.asb");
  EXPECT_EQ(p.entities.size(), 3u);  // the globals before it were delivered
}

TEST(Reader, MissingFinalNewline) {
  ExpectCorrupt(OneRecord("- I x 1"), "truncated");
  ExpectCorrupt(ParseAll(kHead + "* u L a.lua 1 x", "one.asb"), "truncated");
}

TEST(Reader, OversizedLengthsAreRejectedWithoutAllocating) {
  ExpectCorrupt(OneRecord("- S s 99999999999999 x\n"), "exceeds the limit");
  AsbReaderOptions small;
  small.max_value_bytes = 4;
  small.max_token_bytes = 8;
  Parsed p = ParseAll(kHead + kRec + "+ b 1\n- S s 5 abcde\n", "one.asb", SIZE_MAX, small);
  ExpectCorrupt(p, "string value length 5 exceeds the limit of 4 bytes");
  p = ParseAll(kHead + kRec + "+ b 1\n- I abcdefghij 1\n", "one.asb", SIZE_MAX, small);
  ExpectCorrupt(p, "bin name longer than 8 bytes");
  AsbReaderOptions entity;
  entity.max_entity_bytes = 50;
  p = ParseAll(kHead + kRec + "+ b 3\n- S a 20 aaaaaaaaaaaaaaaaaaaa\n- S b 20 bbbbbbbbbbbbbbbbbbbb\n- S c 20 cccccccccccccccccccc\n",
               "one.asb", SIZE_MAX, entity);
  ExpectCorrupt(p, "makes the entity larger than the limit of 50 bytes");
  // A declared length far beyond the data: truncation error, not a giant allocation.
  ExpectCorrupt(OneRecord("- S s 200000000 abc\n"), "truncated");
}

TEST(Reader, ErrorsAreSticky) {
  std::string data = kHead + "? bad\n" + kRec + "+ b 0\n";
  auto in = StringInputStream::View(data);
  AsbReader reader(&in, "sticky.asb");
  AsbEntity e;
  auto r1 = reader.Next(&e);
  ASSERT_FALSE(r1.ok());
  auto r2 = reader.Next(&e);
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r1.status().message(), r2.status().message());
}

// A stream that fails after some bytes: the error comes back with the file name, not as EOF.
class FailingStream : public InputStream {
 public:
  explicit FailingStream(std::string data) : data_(std::move(data)) {}
  Result<size_t> Read(char* buf, size_t n) override {
    if (pos_ >= data_.size()) return Status(ErrorCode::kIo, "disk on fire");
    size_t take = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, take);
    pos_ += take;
    return take;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

TEST(Reader, StreamErrorsAreNotEndOfFile) {
  for (std::string prefix : {std::string(), kHead, kHead + kRec + "+ b 0\n", kHead + kRec}) {
    FailingStream in(prefix);
    AsbReader reader(&in, "failing.asb");
    AsbEntity e;
    Status s;
    for (int i = 0; i < 5; ++i) {
      auto r = reader.Next(&e);
      if (!r.ok()) {
        s = r.status();
        break;
      }
      ASSERT_TRUE(*r) << "clean end reported on a failing stream";
    }
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), ErrorCode::kIo) << s.ToString();
    EXPECT_NE(s.message().find("failing.asb"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find("disk on fire"), std::string::npos) << s.message();
  }
}

TEST(Reader, LineNumbersCountPayloadNewlines) {
  // The UDF spans physical lines 3-6; the record after it starts on line 7.
  std::string f = kHead + "* u L a.lua 6 a\nb\nc\n\n" + kRec + "+ b 0\n";
  Parsed p = ParseAll(f);
  ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  ASSERT_EQ(p.entities.size(), 2u);
  EXPECT_EQ(p.entities[0].line, 3u);
  EXPECT_EQ(p.entities[1].line, 7u);
}

// ---- fast record path vs general parser ----

// Random bytes, biased to the characters the format treats specially.
std::string RandomBytes(std::mt19937_64& rng, size_t max_len) {
  static const char kSpecial[] = {' ', '\n', '\\', '+', '-', '=', '!', '\0', '\xff'};
  size_t n = rng() % (max_len + 1);
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (rng() % 4 == 0) s.push_back(kSpecial[rng() % sizeof kSpecial]);
    else s.push_back(static_cast<char>('a' + rng() % 26));
  }
  return s;
}

// A name: usually plain, sometimes with characters the writer escapes (space, LF, backslash).
std::string RandomName(std::mt19937_64& rng, bool allow_empty) {
  std::string s = RandomBytes(rng, 12);
  if (rng() % 3 != 0) {  // mostly ordinary names, the fast path's case
    for (char& c : s)
      if (c == ' ' || c == '\n' || c == '\\' || c == '\0' || c == '\xff') c = 'x';
  }
  if (s.empty() && !allow_empty) s = "n";
  return s;
}

double RandomDouble(std::mt19937_64& rng) {
  switch (rng() % 8) {
    case 0: return std::numeric_limits<double>::infinity();
    case 1: return -std::numeric_limits<double>::infinity();
    case 2: return 0.0;
    case 3: return std::numeric_limits<double>::denorm_min();
    case 4: return std::numeric_limits<double>::max();
    default: {
      uint64_t bits = rng();
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return std::isnan(d) ? 1.5 : d;  // NaN payloads are not kept by any text form
    }
  }
}

Bin RandomBin(std::mt19937_64& rng) {
  static const ParticleType kBytes[] = {ParticleType::kBlob,       ParticleType::kJavaBlob,  ParticleType::kCSharpBlob,
                                        ParticleType::kPythonBlob, ParticleType::kRubyBlob,  ParticleType::kPhpBlob,
                                        ParticleType::kErlangBlob, ParticleType::kHll,       ParticleType::kMap,
                                        ParticleType::kList};
  std::string name = RandomName(rng, true);
  switch (rng() % 8) {
    case 0: return NilBin(name);
    case 1: return BoolBin(name, rng() % 2);
    case 2: {
      int64_t v = static_cast<int64_t>(rng());
      if (rng() % 4 == 0) v = rng() % 2 ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
      return IntBin(name, v);
    }
    case 3: return DoubleBin(name, RandomDouble(rng));
    case 4: return StrBin(name, RandomBytes(rng, 60));
    case 5: return GeoBin(name, "{\"type\":\"Point\",\"coordinates\":[" + std::to_string(rng() % 90) + ",1]}");
    default: return BytesBin(name, kBytes[rng() % 10], RandomBytes(rng, 60));
  }
}

Record RandomRecord(std::mt19937_64& rng) {
  Record r;
  r.ns = rng() % 10 == 0 ? RandomName(rng, false) : "test";
  if (rng() % 4 != 0) r.set = RandomName(rng, true);
  for (auto& b : r.digest) b = static_cast<uint8_t>(rng());
  r.generation = static_cast<uint32_t>(rng() % 65536);
  r.void_time = rng() % 3 == 0 ? 0 : static_cast<uint32_t>(rng());
  switch (rng() % 5) {
    case 0: break;
    case 1: r.key = IntUserKey(static_cast<int64_t>(rng())); break;
    case 2: r.key = DoubleUserKey(RandomDouble(rng)); break;
    case 3: r.key = UserKey{ParticleType::kString, RandomBytes(rng, 30)}; break;
    default: r.key = UserKey{ParticleType::kBlob, RandomBytes(rng, 30)}; break;
  }
  size_t bins = rng() % 12;
  for (size_t i = 0; i < bins; ++i) r.bins.push_back(RandomBin(rng));
  return r;
}

// Hand-written record forms the writer does not produce: `X` strings and keys, Go-spelled doubles,
// raw `!` keys, long numbers.
const char* const kOddRecords[] = {
    "+ k X 8 YWJjZA==\n+ n test\n+ d BwgJCgsMDQ4PEBESExQVFhcYGRo=\n+ g 1\n+ t 0\n+ b 2\n- X s 4 eHl6\n- D d +Inf\n",
    "+ k D NaN\n+ n test\n+ d BwgJCgsMDQ4PEBESExQVFhcYGRo=\n+ s s\n+ g 2\n+ t 5\n+ b 2\n- D a 1E5\n- D b -nan\n",
    "+ k B! 3 a\nb\n+ n test\n+ d BwgJCgsMDQ4PEBESExQVFhcYGRo=\n+ g 0\n+ t 0\n+ b 1\n- B! b 2 \n\n\n",
    "+ n test\n+ d BwgJCgsMDQ4PEBESExQVFhcYGRo=\n+ g 65535\n+ t 4294967295\n+ b 1\n- I i -0000000000000000000001\n",
    "+ n test\n+ d BwgJCgsMDQ4PEBESExQVFhcYGRo=\n+ g 7\n+ t 0\n+ b 0\n",
};

// A file of random records, with indexes, UDFs and hand-written records between them.
std::string RandomFile(std::mt19937_64& rng, size_t entities, bool compact) {
  std::string f = "Version 3.2\n# namespace test\n# first-file\n";
  AsbWriterOptions wo;
  wo.compact = compact;
  for (size_t i = 0; i < entities; ++i) {
    switch (rng() % 20) {
      case 0: {
        SecondaryIndex x;
        x.ns = "test";
        x.set = RandomName(rng, true);
        x.name = RandomName(rng, false);
        x.paths = {SindexPath{RandomName(rng, false), SindexDataType::kNumeric}};
        EXPECT_TRUE(EncodeSecondaryIndex(x, &f).ok());
        break;
      }
      case 1: {
        UdfModule u;
        u.name = RandomName(rng, false) + ".lua";
        u.content = RandomBytes(rng, 80);
        EXPECT_TRUE(EncodeUdf(u, &f).ok());
        break;
      }
      case 2:
        f += kOddRecords[rng() % (sizeof kOddRecords / sizeof kOddRecords[0])];
        break;
      default: {
        Status s = EncodeRecord(RandomRecord(rng), wo, &f);
        EXPECT_TRUE(s.ok()) << s.ToString();
      }
    }
  }
  return f;
}

// Both parsers' complete outcome must be identical: entities, their lines, offsets and the error.
void ExpectSameParse(std::string_view data, size_t chunk, const std::string& what) {
  AsbReaderOptions fast, general;
  general.fast_path = false;
  Parsed a = ParseAll(data, "f.asb", chunk, fast);
  Parsed b = ParseAll(data, "f.asb", chunk, general);
  ASSERT_EQ(a.status.ToString(), b.status.ToString()) << what;
  ASSERT_EQ(a.entities.size(), b.entities.size()) << what;
  ASSERT_EQ(a.end_offsets, b.end_offsets) << what;
  for (size_t i = 0; i < a.entities.size(); ++i) {
    const AsbEntity& x = a.entities[i];
    const AsbEntity& y = b.entities[i];
    ASSERT_EQ(x.kind, y.kind) << what << " entity " << i;
    ASSERT_EQ(x.line, y.line) << what << " entity " << i;
    switch (x.kind) {
      case AsbEntityKind::kRecord: ASSERT_EQ(x.record, y.record) << what << " entity " << i; break;
      case AsbEntityKind::kSecondaryIndex: ASSERT_EQ(x.sindex, y.sindex) << what << " entity " << i; break;
      case AsbEntityKind::kUdf: ASSERT_EQ(x.udf, y.udf) << what << " entity " << i; break;
    }
  }
}

TEST(ReaderFastPath, SameEntitiesAsTheGeneralParserOnRandomFiles) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    std::mt19937_64 rng(seed);
    std::string f = RandomFile(rng, 400, seed % 2 == 0);
    // Whole, odd chunks (records straddle reads), and one byte per read.
    for (size_t chunk : {SIZE_MAX, size_t{4093}, size_t{97}, size_t{1}}) {
      ExpectSameParse(f, chunk, "seed " + std::to_string(seed) + " chunk " + std::to_string(chunk));
      if (HasFatalFailure()) return;
    }
    // The records really are the ones written (not just equal between the two parsers).
    Parsed p = ParseAll(f);
    ASSERT_TRUE(p.status.ok()) << p.status.ToString();
  }
}

TEST(ReaderFastPath, LargeFileAcrossManyBufferRefills) {
  // More than the reader's buffer several times over, so top-ups and moves of the unread tail happen.
  std::mt19937_64 rng(99);
  std::string f = RandomFile(rng, 6000, false);
  ASSERT_GT(f.size(), 1u << 20);
  ExpectSameParse(f, SIZE_MAX, "large");
  ExpectSameParse(f, 65521, "large, 65521-byte reads");
}

TEST(ReaderFastPath, SameErrorAsTheGeneralParserOnDamagedFiles) {
  static const char kReplacements[] = {' ', '\n', '\\', '+', '-', '=', '!', 'x', '9', '0', 'A', '\0', 'N', 'U', '*'};
  std::mt19937_64 rng(7);
  int errors = 0;
  for (int round = 0; round < 1500; ++round) {
    if (round % 100 == 0) rng.seed(static_cast<uint64_t>(round));
    std::string f = RandomFile(rng, 12, round % 3 == 0);
    size_t header = f.find("# first-file\n") + 13;
    size_t at = header + rng() % (f.size() - header);
    switch (rng() % 3) {
      case 0: f[at] = kReplacements[rng() % sizeof kReplacements]; break;
      case 1: f.erase(at, 1 + rng() % 3); break;
      default: f.insert(at, 1, kReplacements[rng() % sizeof kReplacements]); break;
    }
    if (rng() % 5 == 0) f.resize(at);  // and sometimes truncated there
    size_t chunk = rng() % 2 ? SIZE_MAX : 1 + rng() % 50;
    ExpectSameParse(f, chunk, "round " + std::to_string(round) + " at byte " + std::to_string(at));
    if (HasFatalFailure()) return;
    if (!ParseAll(f).status.ok()) ++errors;
  }
  EXPECT_GT(errors, 500);  // the damage mostly produced errors, so their positions were compared
}

TEST(ReaderFastPath, IntegersAgreeWithFromChars) {
  // The reader's one-pass integer parser against std::from_chars on boundary and random digit strings.
  std::vector<std::string> texts = {"0", "-0", "9223372036854775807", "-9223372036854775808", "9223372036854775808",
                                    "-9223372036854775809", "18446744073709551616", "0000000000000000000000000000042",
                                    "-00000000000000000000009223372036854775808", "99999999999999999999999"};
  std::mt19937_64 rng(5);
  for (int i = 0; i < 3000; ++i) {
    std::string t = rng() % 2 ? "-" : "";
    size_t n = 1 + rng() % 22;
    for (size_t k = 0; k < n; ++k) t.push_back(static_cast<char>('0' + (k == 0 && n > 1 ? 1 + rng() % 9 : rng() % 10)));
    texts.push_back(t);
  }
  for (const auto& t : texts) {
    int64_t want = 0;
    auto r = std::from_chars(t.data(), t.data() + t.size(), want);
    for (bool fast : {true, false}) {
      AsbReaderOptions o;
      o.fast_path = fast;
      Parsed p = ParseAll(kHead + kRec + "+ b 1\n- I a " + t + "\n", "one.asb", SIZE_MAX, o);
      if (r.ec == std::errc::result_out_of_range) {
        ExpectCorrupt(p, "integer value '" + t.substr(0, 40));
        EXPECT_NE(p.status.message().find("does not fit in 64 bits"), std::string::npos) << t;
      } else {
        ASSERT_TRUE(r.ec == std::errc() && r.ptr == t.data() + t.size()) << t;
        ASSERT_TRUE(p.status.ok()) << t << ": " << p.status.ToString();
        ASSERT_EQ(p.entities.size(), 1u);
        EXPECT_EQ(p.entities[0].record.bins[0], IntBin("a", want)) << t;
      }
    }
  }
}

TEST(ReaderFastPath, ErrorPositionsOfBadRecordLines) {
  // Records the fast path declines (bad letters, numbers, base64) get the general parser's error,
  // with the line and byte of the damage, after the good records before them. The damaged bin line
  // is line 14 and starts at byte 29 (header) + 68 (first record) + 60 (second record's lines) = 157;
  // the byte is where the parser stands when it sees the problem.
  const std::string good = kRec + "+ b 1\n- I a 1\n";
  struct Case {
    std::string bad;
    std::string needle;
  } cases[] = {
      {"- I a 1x\n", "line 14 (byte 165): invalid integer value '1x'"},          // after the token
      {"- Q a 1\n", "line 14 (byte 163): unknown bin type 'Q'"},                 // after the name
      {"- S a 5 abc\n", "truncated: file ends inside a record (bin 1 of 1"},     // length past the end
      {"- X a 3 abc\n", "line 14 (byte 165): base64 base64 string value length 3 is not a multiple of 4"},
      {"- B a 4 ab$=\n", "line 14 (byte 169): invalid base64 in bytes value"},   // after the payload
      {"- Z a Y\n", "line 14 (byte 164): invalid boolean value 'Y'"},
      {"- D a 1..5\n", "line 14 (byte 167): invalid double value '1..5'"},
  };
  for (const auto& c : cases) {
    std::string f = kHead + good + kRec + "+ b 1\n" + c.bad;
    for (size_t chunk : {SIZE_MAX, size_t{3}}) {
      ExpectSameParse(f, chunk, c.bad);
      Parsed p = ParseAll(f, "one.asb", chunk);
      EXPECT_EQ(p.entities.size(), 1u) << c.bad;
      ExpectCorrupt(p, c.needle);
    }
  }
}

}  // namespace
}  // namespace aero
