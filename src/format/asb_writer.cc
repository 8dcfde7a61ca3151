// .asb encoder: the exact byte layout asbackup 4.5.8 produces (enc_text.c semantics, asb-format.md).
#include "format/asb_writer.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "common/base64.h"
#include "common/bytes.h"

namespace aero {
namespace {

void AppendU64(uint64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// "<len> <payload>\n" with the payload raw.
void AppendRaw(std::string_view payload, std::string* out) {
  AppendU64(payload.size(), out);
  out->push_back(' ');
  out->append(payload);
  out->push_back('\n');
}

// ---- Single-pass record encoder -----------------------------------------------------------------
// A record line set is written through a raw pointer into room reserved once per record (an upper
// bound computed from the sizes), instead of one capacity-checked std::string append per token,
// and base64 is written in place (no temporary string per bytes value). This is the backup's hot
// path: ~300 bytes of text per record at a million records per second.

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// Two base64 letters for each 12-bit value, as they lie in memory (first letter in the low byte on
// little-endian machines): 3 input bytes become two table loads.
struct B64Pairs {
  uint16_t v[4096];
  constexpr B64Pairs() : v() {
    for (int i = 0; i < 4096; ++i) {
      auto first = static_cast<uint16_t>(static_cast<unsigned char>(kB64[i >> 6]));
      auto second = static_cast<uint16_t>(static_cast<unsigned char>(kB64[i & 63]));
      v[i] = std::endian::native == std::endian::little ? static_cast<uint16_t>(first | (second << 8))
                                                        : static_cast<uint16_t>((first << 8) | second);
    }
  }
};
constexpr B64Pairs kB64Pairs;

constexpr size_t Base64Len(size_t n) { return (n + 2) / 3 * 4; }

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ABS_BASE64_SSSE3 1
// 12 input bytes -> 16 letters per step with SSSE3 byte shuffles (the published "SIMD base64"
// technique: spread the 3-byte groups over 32-bit lanes, cut out the four 6-bit indexes with two
// multiplies, map indexes to letters with one 16-entry offset lookup). Needs 16 readable bytes per
// step; returns how many input bytes it consumed (a multiple of 12).
__attribute__((target("ssse3"))) size_t PutBase64Ssse3(char* p, const unsigned char* b, size_t n) {
  size_t i = 0;
  const __m128i spread = _mm_set_epi8(10, 11, 9, 10, 7, 8, 6, 7, 4, 5, 3, 4, 1, 2, 0, 1);
  const __m128i offsets = _mm_setr_epi8('a' - 26, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52, '0' - 52,
                                        '0' - 52, '0' - 52, '0' - 52, '0' - 52, '+' - 62, '/' - 63, 'A', 0, 0);
  for (; i + 16 <= n; i += 12) {
    __m128i in = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)), spread);
    // Each 32-bit lane holds bytes [b1 b0 b2 b1]: pull out a = b0>>2, b, c, d = b2&63 as bytes.
    __m128i ac = _mm_mulhi_epu16(_mm_and_si128(in, _mm_set1_epi32(0x0fc0fc00)), _mm_set1_epi32(0x04000040));
    __m128i bd = _mm_mullo_epi16(_mm_and_si128(in, _mm_set1_epi32(0x003f03f0)), _mm_set1_epi32(0x01000010));
    __m128i idx = _mm_or_si128(ac, bd);
    // Letter = index + offset of its range: 0..25 'A', 26..51 'a', 52..61 '0', 62 '+', 63 '/'.
    __m128i range = _mm_subs_epu8(idx, _mm_set1_epi8(51));  // 0 for 0..51, 1..12 for 52..63
    __m128i upper = _mm_cmpgt_epi8(_mm_set1_epi8(26), idx);  // 0..25
    range = _mm_or_si128(range, _mm_and_si128(upper, _mm_set1_epi8(13)));
    __m128i letters = _mm_add_epi8(idx, _mm_shuffle_epi8(offsets, range));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p + i / 3 * 4), letters);
  }
  return i;
}
const bool kHaveSsse3 = __builtin_cpu_supports("ssse3");
#endif

char* PutBase64(char* p, std::string_view in) {
  auto b = reinterpret_cast<const unsigned char*>(in.data());
  size_t n = in.size(), i = 0;
#ifdef ABS_BASE64_SSSE3
  if (kHaveSsse3 && n >= 16) {
    i = PutBase64Ssse3(p, b, n);
    p += i / 3 * 4;
  }
#endif
  if constexpr (std::endian::native == std::endian::little) {
    // 6 input bytes per step from one 8-byte load (the 2 extra bytes are read, not used), 8 letters
    // out with one store.
    for (; i + 8 <= n; i += 6) {
      uint64_t w;
      std::memcpy(&w, b + i, 8);
      w = __builtin_bswap64(w);
      uint64_t o = uint64_t{kB64Pairs.v[(w >> 52) & 4095]} | (uint64_t{kB64Pairs.v[(w >> 40) & 4095]} << 16) |
                   (uint64_t{kB64Pairs.v[(w >> 28) & 4095]} << 32) | (uint64_t{kB64Pairs.v[(w >> 16) & 4095]} << 48);
      std::memcpy(p, &o, 8);
      p += 8;
    }
  }
  for (; i + 3 <= n; i += 3) {
    uint32_t v = (uint32_t{b[i]} << 16) | (uint32_t{b[i + 1]} << 8) | b[i + 2];
    std::memcpy(p, &kB64Pairs.v[v >> 12], 2);
    std::memcpy(p + 2, &kB64Pairs.v[v & 4095], 2);
    p += 4;
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{b[i]} << 16;
    *p++ = kB64[v >> 18];
    *p++ = kB64[(v >> 12) & 63];
    *p++ = '=';
    *p++ = '=';
  } else if (n - i == 2) {
    uint32_t v = (uint32_t{b[i]} << 16) | (uint32_t{b[i + 1]} << 8);
    *p++ = kB64[v >> 18];
    *p++ = kB64[(v >> 12) & 63];
    *p++ = kB64[(v >> 6) & 63];
    *p++ = '=';
  }
  return p;
}

char* Put(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

char* PutU64(char* p, uint64_t v) { return std::to_chars(p, p + 20, v).ptr; }
char* PutI64(char* p, int64_t v) { return std::to_chars(p, p + 20, v).ptr; }

// Up to 2x the token: a backslash before every '\\', ' ' and '\n'.
struct EscapeTable {
  bool v[256];
  constexpr EscapeTable() : v() { v['\\'] = v[' '] = v['\n'] = true; }
};
constexpr EscapeTable kEscape;

char* PutEscaped(char* p, std::string_view token) {
  for (char c : token) {
    *p = '\\';
    p += kEscape.v[static_cast<unsigned char>(c)];  // the backslash stays only where needed
    *p++ = c;
  }
  return p;
}

// %.17g as glibc prints it (see AppendDouble); at most 24 characters.
char* PutDouble(char* p, double v) { return std::to_chars(p, p + 32, v, std::chars_format::general, 17).ptr; }

double DoubleFromBE(std::string_view data) {
  uint64_t bits = GetU64BE(data.data());
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// "<len> <payload>\n" with the payload raw.
char* PutRaw(char* p, std::string_view payload) {
  p = PutU64(p, payload.size());
  *p++ = ' ';
  p = Put(p, payload);
  *p++ = '\n';
  return p;
}

// Bytes value: base64 with its encoded length, or raw in compact mode (the `!` is in the prefix).
char* PutBytesValue(char* p, std::string_view payload, bool compact) {
  if (compact) return PutRaw(p, payload);
  p = PutU64(p, Base64Len(payload.size()));
  *p++ = ' ';
  p = PutBase64(p, payload);
  *p++ = '\n';
  return p;
}

// Room a bytes/string value can take: the larger of raw and base64, plus its length and separators.
constexpr size_t ValueBound(size_t n) { return (n > Base64Len(n) ? n : Base64Len(n)) + 24; }

// Letter for bytes-typed particles, 0 if the particle is not bytes-typed.
char BytesLetter(ParticleType t) {
  switch (t) {
    case ParticleType::kBlob: return 'B';
    case ParticleType::kJavaBlob: return 'J';
    case ParticleType::kCSharpBlob: return 'C';
    case ParticleType::kPythonBlob: return 'P';
    case ParticleType::kRubyBlob: return 'R';
    case ParticleType::kPhpBlob: return 'H';
    case ParticleType::kErlangBlob: return 'E';
    case ParticleType::kHll: return 'Y';
    case ParticleType::kMap: return 'M';
    case ParticleType::kList: return 'L';
    default: return 0;
  }
}

std::string DigestText(const Digest& d) {
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string RecordName(const RecordView& r) { return "record " + DigestText(*r.digest); }

Status BadBin(const RecordView& r, const BinView& b, const std::string& what) {
  return Status(ErrorCode::kInvalidArgument, RecordName(r) + ": bin '" + std::string(b.name) + "': " + what);
}

// Checks a record before anything is written, in the order the errors are reported.
Status CheckRecord(const RecordView& r) {
  if (r.generation > 65535)
    return Status(ErrorCode::kInvalidArgument,
                  RecordName(r) + ": generation " + std::to_string(r.generation) + " exceeds 65535");
  if (r.n_bins > 65535)
    return Status(ErrorCode::kInvalidArgument,
                  RecordName(r) + ": " + std::to_string(r.n_bins) + " bins exceed the limit of 65535");
  if (r.ns.empty()) return Status(ErrorCode::kInvalidArgument, RecordName(r) + ": empty namespace");
  if (r.has_key) {
    switch (r.key_type) {
      case ParticleType::kInteger:
        if (r.key_data.size() != 8)
          return Status(ErrorCode::kInvalidArgument, RecordName(r) + ": integer key has " +
                                                         std::to_string(r.key_data.size()) + " bytes, expected 8");
        break;
      case ParticleType::kFloat:
        if (r.key_data.size() != 8)
          return Status(ErrorCode::kInvalidArgument, RecordName(r) + ": double key has " +
                                                         std::to_string(r.key_data.size()) + " bytes, expected 8");
        break;
      case ParticleType::kString:
      case ParticleType::kBlob: break;
      default:
        return Status(ErrorCode::kUnsupported, RecordName(r) + ": user key of particle type " +
                                                   std::to_string(static_cast<int>(r.key_type)) +
                                                   " cannot be stored in an .asb file");
    }
  }
  for (size_t i = 0; i < r.n_bins; ++i) {
    const BinView& bin = r.bins[i];
    switch (bin.type) {
      case ParticleType::kNull:
      case ParticleType::kString: break;
      case ParticleType::kBool:
        if (bin.data.size() != 1) return BadBin(r, bin, "bool value must be 1 byte");
        break;
      case ParticleType::kInteger:
        if (bin.data.size() != 8) return BadBin(r, bin, "integer value must be 8 bytes");
        break;
      case ParticleType::kFloat:
        if (bin.data.size() != 8) return BadBin(r, bin, "double value must be 8 bytes");
        break;
      case ParticleType::kGeoJson:
        if (bin.data.size() < 3) return BadBin(r, bin, "geojson value shorter than its 3-byte header");
        if (bin.data.size() < 3 + size_t{GetU16BE(bin.data.data() + 1)} * 8)
          return BadBin(r, bin, "geojson value shorter than its cell list");
        break;
      case ParticleType::kVector:
        return Status(ErrorCode::kUnsupported, RecordName(r) + ": bin '" + std::string(bin.name) +
                                                   "' is a VECTOR (particle 16), which .asb cannot store");
      default:
        if (BytesLetter(bin.type) == 0)
          return Status(ErrorCode::kUnsupported, RecordName(r) + ": bin '" + std::string(bin.name) +
                                                     "' has particle type " +
                                                     std::to_string(static_cast<int>(bin.type)) +
                                                     ", which .asb cannot store");
    }
  }
  return Status::Ok();
}

// Upper bound of the text of a checked record.
size_t RecordBound(const RecordView& r) {
  // Fixed lines ("+ n ", "+ d " + 28, "+ s ", "+ g ", "+ t ", "+ b " with numbers) and the key line.
  size_t n = 128 + 2 * r.ns.size() + 2 * r.set.size();
  if (r.has_key) n += 16 + ValueBound(r.key_data.size());
  for (size_t i = 0; i < r.n_bins; ++i) n += 16 + 2 * r.bins[i].name.size() + ValueBound(r.bins[i].data.size());
  return n;
}

char* PutKey(char* p, const RecordView& r, bool compact) {
  switch (r.key_type) {
    case ParticleType::kInteger:
      p = Put(p, "+ k I ");
      p = PutI64(p, static_cast<int64_t>(GetU64BE(r.key_data.data())));
      *p++ = '\n';
      return p;
    case ParticleType::kFloat:
      p = Put(p, "+ k D ");
      p = PutDouble(p, DoubleFromBE(r.key_data));
      *p++ = '\n';
      return p;
    case ParticleType::kString:
      p = Put(p, "+ k S ");
      return PutRaw(p, r.key_data);
    default:  // kBlob (CheckRecord let nothing else through)
      p = Put(p, compact ? std::string_view("+ k B! ") : std::string_view("+ k B "));
      return PutBytesValue(p, r.key_data, compact);
  }
}

char* PutBin(char* p, const BinView& bin, bool compact) {
  auto head = [&](char letter, bool bang) {
    *p++ = '-';
    *p++ = ' ';
    *p++ = letter;
    if (bang) *p++ = '!';
    *p++ = ' ';
    p = PutEscaped(p, bin.name);
  };
  switch (bin.type) {
    case ParticleType::kNull:
      head('N', false);
      *p++ = '\n';
      return p;
    case ParticleType::kBool:
      head('Z', false);
      return Put(p, bin.data[0] != 0 ? std::string_view(" T\n") : std::string_view(" F\n"));
    case ParticleType::kInteger:
      head('I', false);
      *p++ = ' ';
      p = PutI64(p, static_cast<int64_t>(GetU64BE(bin.data.data())));
      *p++ = '\n';
      return p;
    case ParticleType::kFloat:
      head('D', false);
      *p++ = ' ';
      p = PutDouble(p, DoubleFromBE(bin.data));
      *p++ = '\n';
      return p;
    case ParticleType::kString:
      head('S', false);
      *p++ = ' ';
      return PutRaw(p, bin.data);
    case ParticleType::kGeoJson: {
      // Wire form: [flags u8][ncells u16 BE][ncells x u64 cell ids][JSON]; the file keeps the JSON.
      size_t json_at = 3 + size_t{GetU16BE(bin.data.data() + 1)} * 8;
      head('G', false);
      *p++ = ' ';
      return PutRaw(p, bin.data.substr(json_at));
    }
    default:  // bytes-typed (CheckRecord let nothing else through)
      head(BytesLetter(bin.type), compact);
      *p++ = ' ';
      return PutBytesValue(p, bin.data, compact);
  }
}

}  // namespace

void AppendEscaped(std::string_view token, std::string* out) {
  for (char c : token) {
    if (c == '\\' || c == ' ' || c == '\n') out->push_back('\\');
    out->push_back(c);
  }
}

void AppendDouble(double v, std::string* out) {
  // std::to_chars with an explicit precision is specified as printf("%.*g") in the C locale,
  // which is what asbackup writes (glibc), including "nan"/"-nan"/"inf"/"-inf".
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 17);
  out->append(buf, r.ptr);
}

void EncodeHeader(std::string_view ns, bool first_file, std::string* out) {
  out->append("Version 3.1\n# namespace ");
  AppendEscaped(ns, out);
  out->push_back('\n');
  if (first_file) out->append("# first-file\n");
}

Status EncodeRecordView(const RecordView& r, const AsbWriterOptions& options, std::string* out) {
  if (r.digest == nullptr) return Status(ErrorCode::kInvalidArgument, "record view without a digest");
  // All checks first, so that nothing is written for a record that cannot be encoded.
  ABS_RETURN_IF_ERROR(CheckRecord(r));
  const size_t before = out->size();
  out->resize(before + RecordBound(r));
  char* const begin = out->data() + before;
  char* p = begin;
  if (r.has_key) p = PutKey(p, r, options.compact);
  p = Put(p, "+ n ");
  p = PutEscaped(p, r.ns);
  p = Put(p, "\n+ d ");
  p = PutBase64(p, std::string_view(reinterpret_cast<const char*>(r.digest->data()), r.digest->size()));
  *p++ = '\n';
  if (!r.set.empty()) {
    p = Put(p, "+ s ");
    p = PutEscaped(p, r.set);
    *p++ = '\n';
  }
  p = Put(p, "+ g ");
  p = PutU64(p, r.generation);
  p = Put(p, "\n+ t ");
  p = PutU64(p, r.void_time);
  p = Put(p, "\n+ b ");
  p = PutU64(p, r.n_bins);
  *p++ = '\n';
  for (size_t i = 0; i < r.n_bins; ++i) p = PutBin(p, r.bins[i], options.compact);
  out->resize(before + static_cast<size_t>(p - begin));
  return Status::Ok();
}

Status EncodeRecord(const Record& rec, const AsbWriterOptions& options, std::string* out) {
  // Views of the bins; a small record needs no allocation.
  constexpr size_t kInline = 16;
  BinView inline_bins[kInline];
  std::vector<BinView> heap_bins;
  BinView* bins = inline_bins;
  if (rec.bins.size() > kInline) {
    heap_bins.resize(rec.bins.size());
    bins = heap_bins.data();
  }
  for (size_t i = 0; i < rec.bins.size(); ++i) bins[i] = BinView{rec.bins[i].name, rec.bins[i].type, rec.bins[i].data};
  RecordView v;
  v.ns = rec.ns;
  v.set = rec.set;
  v.digest = &rec.digest;
  if (rec.key) {
    v.has_key = true;
    v.key_type = rec.key->type;
    v.key_data = rec.key->data;
  }
  v.generation = rec.generation;
  v.void_time = rec.void_time;
  v.bins = bins;
  v.n_bins = rec.bins.size();
  return EncodeRecordView(v, options, out);
}

Status EncodeSecondaryIndex(const SecondaryIndex& index, std::string* out) {
  if (index.paths.empty())
    return Status(ErrorCode::kInvalidArgument, "secondary index '" + index.name + "' has no bin path");
  out->append(index.expression.empty() ? "* i " : "* e ");
  AppendEscaped(index.ns, out);
  out->push_back(' ');
  AppendEscaped(index.set, out);
  out->push_back(' ');
  AppendEscaped(index.name, out);
  out->push_back(' ');
  out->push_back(static_cast<char>(index.collection));
  out->push_back(' ');
  AppendU64(index.paths.size(), out);
  for (const SindexPath& p : index.paths) {
    out->push_back(' ');
    AppendEscaped(p.bin, out);
    out->push_back(' ');
    out->push_back(static_cast<char>(p.type));
  }
  if (!index.context.empty()) {
    out->push_back(' ');
    AppendEscaped(index.context, out);
  }
  if (!index.expression.empty()) {
    out->push_back(' ');
    AppendEscaped(index.expression, out);
  }
  out->push_back('\n');
  return Status::Ok();
}

Status EncodeUdf(const UdfModule& udf, std::string* out) {
  if (udf.name.empty()) return Status(ErrorCode::kInvalidArgument, "UDF module with an empty name");
  out->append("* u ");
  out->push_back(static_cast<char>(udf.type));
  out->push_back(' ');
  AppendEscaped(udf.name, out);
  out->push_back(' ');
  AppendRaw(udf.content, out);
  return Status::Ok();
}

AsbWriter::AsbWriter(OutputStream* out, AsbWriterOptions options) : out_(out), options_(options) {}

Status AsbWriter::Flush() {
  Status s = out_->Write(buf_);
  if (s.ok()) bytes_written_ += buf_.size();
  buf_.clear();
  return s;
}

Status AsbWriter::WriteHeader(std::string_view ns, bool first_file) {
  buf_.clear();
  EncodeHeader(ns, first_file, &buf_);
  return Flush();
}

Status AsbWriter::WriteSecondaryIndex(const SecondaryIndex& index) {
  buf_.clear();
  Status s = EncodeSecondaryIndex(index, &buf_);
  if (!s.ok()) {
    buf_.clear();
    return s;
  }
  return Flush();
}

Status AsbWriter::WriteUdf(const UdfModule& udf) {
  buf_.clear();
  Status s = EncodeUdf(udf, &buf_);
  if (!s.ok()) {
    buf_.clear();
    return s;
  }
  return Flush();
}

Status AsbWriter::WriteRecord(const Record& record) {
  buf_.clear();
  Status s = EncodeRecord(record, options_, &buf_);
  if (!s.ok()) {
    buf_.clear();
    return s;
  }
  ABS_RETURN_IF_ERROR(Flush());
  ++records_written_;
  return Status::Ok();
}

}  // namespace aero
