// .asb decoder: a buffered byte source with line tracking, and a recursive-descent parser over it.
// Parsing is byte-oriented (payloads are binary); every read checks the end of input and limits.
#include "format/asb_reader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <limits>

#include "common/base64.h"
#include "common/bytes.h"

namespace aero {
namespace {

constexpr size_t kBufferSize = 256 << 10;
// The fast record path wants at least this much of the file in the buffer (records larger than that
// take the general path); the buffer is topped up when less is left.
constexpr size_t kFastWindow = 32 << 10;

bool IsBytesLetter(char c) {
  switch (c) {
    case 'B': case 'J': case 'C': case 'P': case 'R': case 'H': case 'E': case 'Y': case 'M': case 'L':
      return true;
    default:
      return false;
  }
}

ParticleType BytesParticle(char c) {
  switch (c) {
    case 'J': return ParticleType::kJavaBlob;
    case 'C': return ParticleType::kCSharpBlob;
    case 'P': return ParticleType::kPythonBlob;
    case 'R': return ParticleType::kRubyBlob;
    case 'H': return ParticleType::kPhpBlob;
    case 'E': return ParticleType::kErlangBlob;
    case 'Y': return ParticleType::kHll;
    case 'M': return ParticleType::kMap;
    case 'L': return ParticleType::kList;
    default: return ParticleType::kBlob;
  }
}

std::string Printable(char c) {
  unsigned char u = static_cast<unsigned char>(c);
  if (u >= 0x21 && u < 0x7f) return std::string("'") + c + "'";
  static const char* kHex = "0123456789abcdef";
  return std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
}

std::string Shown(const std::string& s) {
  constexpr size_t kMax = 40;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char u = static_cast<unsigned char>(s[i]);
    out.push_back(u >= 0x20 && u < 0x7f ? s[i] : '?');
  }
  if (s.size() > kMax) out += "...";
  return "'" + out + "'";
}

// Strict RFC 4648 base64 (as common/base64.h) decoded into *out, reusing its capacity.
bool DecodeBase64Into(std::string_view in, std::string* out) {
  static const auto kTable = [] {
    std::array<int8_t, 256> t{};
    t.fill(-1);
    const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(a[i])] = static_cast<int8_t>(i);
    return t;
  }();
  out->clear();
  if (in.size() % 4 != 0) return false;
  if (in.empty()) return true;
  size_t pad = in[in.size() - 1] == '=' ? (in[in.size() - 2] == '=' ? 2 : 1) : 0;
  out->resize(in.size() / 4 * 3 - pad);
  char* o = out->data();
  auto v = [&](size_t i) { return kTable[static_cast<unsigned char>(in[i])]; };
  size_t full = in.size() - (pad ? 4 : 0);
  for (size_t i = 0; i < full; i += 4) {
    int a = v(i), b = v(i + 1), c = v(i + 2), d = v(i + 3);
    if ((a | b | c | d) < 0) return false;
    uint32_t x = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
    *o++ = static_cast<char>(x >> 16);
    *o++ = static_cast<char>(x >> 8);
    *o++ = static_cast<char>(x);
  }
  if (pad) {
    size_t i = full;
    int a = v(i), b = v(i + 1);
    if ((a | b) < 0) return false;
    *o++ = static_cast<char>((a << 2) | (b >> 4));
    if (pad == 1) {
      int c = v(i + 2);
      if (c < 0) return false;
      *o++ = static_cast<char>(((b & 15) << 4) | (c >> 2));
    }
  }
  return true;
}

// *out = the 8 big-endian bytes of v (one resize instead of eight appends).
void SetU64BE(std::string* out, uint64_t v) {
  out->resize(8);
  char* p = out->data();
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
}

// Number parsing shared by the general parser (which turns a failure into a message) and the fast
// record path (which hands any failure to the general parser): one accept decision for both.
enum class NumberParse { kOk, kMissing, kInvalid, kRange };

// Decimal digits only, value <= max.
NumberParse ParseUnsignedText(const char* b, const char* e, uint64_t max, uint64_t* v) {
  if (b == e) return NumberParse::kMissing;
  uint64_t x = 0;
  for (const char* p = b; p < e; ++p) {
    if (*p < '0' || *p > '9') return NumberParse::kInvalid;
    uint64_t d = static_cast<uint64_t>(*p - '0');
    if (x > (max - d) / 10) return NumberParse::kRange;  // reported before any later non-digit
    x = x * 10 + d;
  }
  *v = x;
  return NumberParse::kOk;
}

// Optional '-', decimal digits (leading zeros allowed), fits in int64; what std::from_chars accepts
// for such text, in one pass.
NumberParse ParseInt64Text(const char* b, const char* e, int64_t* v) {
  bool neg = b < e && *b == '-';
  const char* digits = neg ? b + 1 : b;
  if (digits == e) return NumberParse::kMissing;
  constexpr uint64_t kMagnitudeMax = uint64_t{1} << 63;  // |INT64_MIN|
  uint64_t x = 0;
  bool range = false;
  for (const char* p = digits; p < e; ++p) {
    if (*p < '0' || *p > '9') return NumberParse::kInvalid;  // a non-digit anywhere wins over overflow
    uint64_t d = static_cast<uint64_t>(*p - '0');
    if (!range && x > (kMagnitudeMax - d) / 10) range = true;
    if (!range) x = x * 10 + d;
  }
  if (range || (!neg && x == kMagnitudeMax)) return NumberParse::kRange;
  *v = neg ? static_cast<int64_t>(uint64_t{0} - x) : static_cast<int64_t>(x);
  return NumberParse::kOk;
}

// Doubles as asbackup (%.17g, nan, -nan, inf) and backup-go (NaN, +Inf, -Inf, 'E') write them.
// Underflow/overflow take strtod's value (denormal/zero or +-inf) rather than failing.
NumberParse ParseDoubleText(const char* b, const char* e, double* v) {
  if (b < e && *b == '+') ++b;  // from_chars takes no leading '+'
  const char* body = (b < e && *b == '-') ? b + 1 : b;
  if (body == e) return NumberParse::kMissing;
  // ASCII lower case by OR 0x20: only used to compare with letters, digits and '.', which it keeps apart.
  auto lc = [](char c) { return static_cast<char>(c | 0x20); };
  auto is_word = [&](std::string_view w) {
    if (static_cast<size_t>(e - body) != w.size()) return false;
    for (size_t i = 0; i < w.size(); ++i)
      if (lc(body[i]) != w[i]) return false;
    return true;
  };
  bool special = is_word("nan") || is_word("inf") || is_word("infinity");
  if (!special) {
    // digits, at most one '.', at most one exponent with optional sign and at least one digit.
    bool dot = false, exp = false, mant_digit = false, exp_digit = false;
    for (const char* p = body; p < e; ++p) {
      char c = *p;
      if (c >= '0' && c <= '9') {
        (exp ? exp_digit : mant_digit) = true;
      } else if (c == '.' && !dot && !exp) {
        dot = true;
      } else if ((c == 'e' || c == 'E') && !exp && mant_digit) {
        exp = true;
        if (p + 1 < e && (p[1] == '+' || p[1] == '-')) ++p;
      } else {
        return NumberParse::kInvalid;
      }
    }
    if (!mant_digit || (exp && !exp_digit)) return NumberParse::kInvalid;
  }
  auto r = std::from_chars(b, e, *v);
  if (r.ec == std::errc::result_out_of_range) {
    *v = std::strtod(std::string(b, e).c_str(), nullptr);
    return NumberParse::kOk;
  }
  if (r.ec != std::errc() || r.ptr != e) return NumberParse::kInvalid;
  return NumberParse::kOk;
}

}  // namespace

class AsbReader::Impl {
 public:
  Impl(InputStream* in, const std::string& file_name, AsbReaderOptions options)
      : in_(in), file_name_(file_name), options_(options), buf_(kBufferSize) {}

  uint64_t line() const { return line_; }
  uint64_t consumed() const { return base_offset_ + pos_; }

  Result<AsbHeader> ReadHeader() {
    if (!sticky_.ok()) return sticky_;
    if (header_done_) return header_;
    Status s = ParseHeader();
    if (!s.ok()) return Fail(s);
    header_done_ = true;
    return header_;
  }

  Result<bool> Next(AsbEntity* e) {
    if (!sticky_.ok()) return sticky_;
    if (!header_done_) {
      auto h = ReadHeader();
      if (!h.ok()) return h.status();
    }
    int c = Peek();
    if (c < 0) {
      if (!io_error_.ok()) return Fail(io_error_);
      return false;  // clean end between entities
    }
    e->line = line_;
    entity_budget_ = options_.max_entity_bytes;
    Status s;
    if (c == '+') {
      e->kind = AsbEntityKind::kRecord;
      if (options_.fast_path) {
        if (end_ - pos_ < kFastWindow) TopUp();
        if (FastRecord(&e->record)) return true;
      }
      s = ParseRecord(&e->record);
    } else if (c == '*') {
      if (legacy_) {
        s = Corrupt("global ('*') line in a version 3.0 file");
      } else {
        s = ParseGlobal(e);
      }
    } else {
      s = Corrupt("expected a record ('+') or global ('*') line, found " + Printable(static_cast<char>(c)));
    }
    if (!s.ok()) return Fail(s);
    return true;
  }

 private:
  // ---- error helpers ----
  Status Fail(Status s) {
    sticky_ = s;
    return s;
  }
  Status Corrupt(const std::string& what) const {
    return Status(ErrorCode::kCorrupt, file_name_ + ": line " + std::to_string(line_) + " (byte " +
                                           std::to_string(consumed()) + "): " + what);
  }
  // End of input (or a stream error) while `what` was expected.
  Status AtEnd(const std::string& what) const {
    if (!io_error_.ok()) return io_error_;
    return Corrupt("truncated: unexpected end of file while reading " + what);
  }

  // ---- buffered source ----
  bool Fill() {
    if (pos_ < end_) return true;
    if (eof_ || !io_error_.ok()) return false;
    base_offset_ += end_;
    pos_ = end_ = 0;
    auto r = in_->Read(buf_.data(), buf_.size());
    if (!r.ok()) {
      // Wrappers (zstd, AES) already name the file; add the name only when it is missing.
      io_error_ = r.status().message().find(file_name_) == std::string::npos
                      ? r.status().WithContext(file_name_ + ": reading at decoded byte " + std::to_string(consumed()))
                      : r.status();
      return false;
    }
    if (*r == 0) {
      eof_ = true;
      return false;
    }
    end_ = *r;
    return true;
  }
  // Moves the unread bytes to the front of the buffer and reads until at least kFastWindow bytes are
  // buffered, or the end of the stream. A stream error is kept in io_error_ and reported, as from
  // Fill(), when the parser reaches the end of the bytes read before it.
  void TopUp() {
    if (eof_ || !io_error_.ok()) return;
    if (pos_ > 0) {
      std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
      base_offset_ += pos_;
      end_ -= pos_;
      pos_ = 0;
    }
    while (end_ - pos_ < kFastWindow && end_ < buf_.size()) {
      auto r = in_->Read(buf_.data() + end_, buf_.size() - end_);
      if (!r.ok()) {
        uint64_t at = base_offset_ + end_;
        io_error_ = r.status().message().find(file_name_) == std::string::npos
                        ? r.status().WithContext(file_name_ + ": reading at decoded byte " + std::to_string(at))
                        : r.status();
        return;
      }
      if (*r == 0) {
        eof_ = true;
        return;
      }
      end_ += *r;
    }
  }

  int Peek() {
    if (pos_ == end_ && !Fill()) return -1;
    return static_cast<unsigned char>(buf_[pos_]);
  }
  void Advance() {
    if (buf_[pos_] == '\n') ++line_;
    ++pos_;
  }
  Status Expect(char want, const char* what) {
    int c = Peek();
    if (c < 0) return AtEnd(what);
    if (c != static_cast<unsigned char>(want))
      return Corrupt(std::string("expected ") + what + ", found " + Printable(static_cast<char>(c)));
    Advance();
    return Status::Ok();
  }
  Status ExpectLF(const char* after) {
    int c = Peek();
    if (c < 0) return AtEnd(std::string("the end of line after ") + after);
    if (c != '\n')
      return Corrupt(std::string("expected end of line after ") + after + ", found " + Printable(static_cast<char>(c)));
    Advance();
    return Status::Ok();
  }
  Status ReadByte(char* out, const char* what) {
    int c = Peek();
    if (c < 0) return AtEnd(what);
    *out = static_cast<char>(c);
    Advance();
    return Status::Ok();
  }

  // A token ends at an unescaped ' ' or '\n' (not consumed). In 3.1+ a backslash makes the next
  // byte literal; in 3.0 backslashes are kept as they are.
  Status ReadToken(std::string* out, const char* what) {
    out->clear();
    for (;;) {
      if (pos_ == end_ && !Fill()) return AtEnd(what);
      // Fast path: copy a run of ordinary bytes from the buffer.
      size_t i = pos_;
      while (i < end_) {
        char c = buf_[i];
        if (c == ' ' || c == '\n' || (c == '\\' && !legacy_)) break;
        ++i;
      }
      out->append(buf_.data() + pos_, i - pos_);
      pos_ = i;
      if (out->size() > options_.max_token_bytes)
        return Corrupt(std::string(what) + " longer than " + std::to_string(options_.max_token_bytes) + " bytes");
      if (pos_ == end_) continue;
      char c = buf_[pos_];
      if (c == ' ' || c == '\n') return Charge(out->size(), what);
      // Backslash escape.
      ++pos_;
      int n = Peek();
      if (n < 0) return AtEnd(std::string("the byte after a backslash in ") + what);
      out->push_back(static_cast<char>(n));
      Advance();
    }
  }

  // Counts n bytes against the current entity's size limit.
  Status Charge(uint64_t n, const char* what) {
    if (n > entity_budget_)
      return Corrupt(std::string(what) + " makes the entity larger than the limit of " +
                     std::to_string(options_.max_entity_bytes) + " bytes");
    entity_budget_ -= n;
    return Status::Ok();
  }

  // A plain (unescaped) token up to ' ' or '\n', for numbers and letters; at most 400 bytes.
  Status ReadPlain(std::string* out, const char* what) {
    out->clear();
    for (;;) {
      if (pos_ == end_ && !Fill()) return AtEnd(what);
      size_t i = pos_;
      while (i < end_ && buf_[i] != ' ' && buf_[i] != '\n') ++i;
      out->append(buf_.data() + pos_, i - pos_);  // no LF in the run: the line count is unchanged
      pos_ = i;
      if (out->size() > 400) return Corrupt(std::string(what) + " is too long");
      if (pos_ < end_) return Status::Ok();
    }
  }

  Status ReadUnsigned(uint64_t max, uint64_t* v, const char* what) {
    ABS_RETURN_IF_ERROR(ReadPlain(&scratch_, what));
    switch (ParseUnsignedText(scratch_.data(), scratch_.data() + scratch_.size(), max, v)) {
      case NumberParse::kOk: return Status::Ok();
      case NumberParse::kMissing: return Corrupt(std::string("missing ") + what);
      case NumberParse::kInvalid:
        return Corrupt(std::string("invalid ") + what + " " + Shown(scratch_) + ": not a decimal number");
      case NumberParse::kRange: break;
    }
    return Corrupt(std::string(what) + " " + Shown(scratch_) + " exceeds " + std::to_string(max));
  }

  Status ReadInt64(int64_t* v, const char* what) {
    ABS_RETURN_IF_ERROR(ReadPlain(&scratch_, what));
    switch (ParseInt64Text(scratch_.data(), scratch_.data() + scratch_.size(), v)) {
      case NumberParse::kOk: return Status::Ok();
      case NumberParse::kMissing: return Corrupt(std::string("missing ") + what);
      case NumberParse::kInvalid: break;
      case NumberParse::kRange: return Corrupt(std::string(what) + " " + Shown(scratch_) + " does not fit in 64 bits");
    }
    return Corrupt(std::string("invalid ") + what + " " + Shown(scratch_));
  }

  Status ReadDouble(double* v, const char* what) {
    ABS_RETURN_IF_ERROR(ReadPlain(&scratch_, what));
    switch (ParseDoubleText(scratch_.data(), scratch_.data() + scratch_.size(), v)) {
      case NumberParse::kOk: return Status::Ok();
      case NumberParse::kMissing: return Corrupt(std::string("missing ") + what);
      default: break;
    }
    return Corrupt(std::string("invalid ") + what + " " + Shown(scratch_));
  }

  // Copies exactly n raw bytes (may contain LF or any byte).
  Status ReadRaw(uint64_t n, std::string* out, const char* what) {
    out->clear();
    ABS_RETURN_IF_ERROR(Charge(n, what));
    out->reserve(static_cast<size_t>(std::min<uint64_t>(n, 1 << 20)));
    uint64_t left = n;
    while (left > 0) {
      if (pos_ == end_ && !Fill())
        return AtEnd(std::string(what) + " (" + std::to_string(n - left) + " of " + std::to_string(n) + " bytes present)");
      size_t take = static_cast<size_t>(std::min<uint64_t>(left, end_ - pos_));
      const char* p = buf_.data() + pos_;
      line_ += static_cast<uint64_t>(std::count(p, p + take, '\n'));
      out->append(p, take);
      pos_ += take;
      left -= take;
    }
    return Status::Ok();
  }

  // "<len> <payload>" (the caller reads the final LF). raw: payload as is; else base64 whose length
  // is the encoded length.
  Status ReadSized(bool raw, std::string* out, const char* what) {
    uint64_t len = 0;
    ABS_RETURN_IF_ERROR(ReadUnsigned(std::numeric_limits<uint64_t>::max() / 2, &len, "length"));
    if (len > options_.max_value_bytes)
      return Corrupt(std::string(what) + " length " + std::to_string(len) + " exceeds the limit of " +
                     std::to_string(options_.max_value_bytes) + " bytes");
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after the length"));
    if (raw) return ReadRaw(len, out, what);
    if (len % 4 != 0)
      return Corrupt(std::string("base64 ") + what + " length " + std::to_string(len) + " is not a multiple of 4");
    ABS_RETURN_IF_ERROR(ReadRaw(len, &b64_, what));
    if (!DecodeBase64Into(b64_, out)) return Corrupt(std::string("invalid base64 in ") + what);
    return Status::Ok();
  }


  // ---- fast record path ----
  // Parses one record straight from the buffered bytes when all of it is there and it is ordinary:
  // no backslash escapes, no limit reached, nothing malformed, no LDT bins. Anything else returns
  // false with nothing consumed, and the general parser (ParseRecord) reads the same bytes, so its
  // results and error messages are the only ones. Accept decisions are the general parser's: the
  // same number helpers, base64 decoder and limits.
  bool FastRecord(Record* r) {
    const char* p = buf_.data() + pos_;
    const char* const end = buf_.data() + end_;
    const bool legacy = legacy_;
    const size_t max_token = options_.max_token_bytes;
    uint64_t lines = 0, charged = 0;

    // "+ <letter> "
    auto line_start = [&](char letter) {
      if (end - p < 4 || p[0] != '+' || p[1] != ' ' || p[2] != letter || p[3] != ' ') return false;
      p += 4;
      return true;
    };
    auto lit = [&](char c) {
      if (p == end || *p != c) return false;
      ++p;
      return true;
    };
    auto lf = [&] {
      if (p == end || *p != '\n') return false;
      ++p;
      ++lines;
      return true;
    };
    // Escaped token without escapes: up to ' ' or '\n' (not consumed).
    auto token = [&](std::string* out) {
      const char* q = p;
      while (q < end && *q != ' ' && *q != '\n') {
        if (*q == '\\' && !legacy) return false;
        ++q;
      }
      size_t n = static_cast<size_t>(q - p);
      if (q == end || n > max_token) return false;
      out->assign(p, n);
      charged += n;
      p = q;
      return true;
    };
    // Plain token (numbers) up to ' ' or '\n', at most 400 bytes as ReadPlain.
    auto plain = [&](const char** b, const char** e) {
      const char* q = p;
      while (q < end && *q != ' ' && *q != '\n') ++q;
      if (q == end || q - p > 400) return false;
      *b = p;
      *e = q;
      p = q;
      return true;
    };
    auto unsigned_num = [&](uint64_t max, uint64_t* v) {
      const char *b, *e;
      return plain(&b, &e) && ParseUnsignedText(b, e, max, v) == NumberParse::kOk;
    };
    // "<len> <payload>": raw, or base64 of `len` encoded bytes.
    auto sized = [&](bool raw, std::string* out) {
      uint64_t len;
      if (!unsigned_num(std::numeric_limits<uint64_t>::max() / 2, &len) || len > options_.max_value_bytes ||
          !lit(' ') || static_cast<uint64_t>(end - p) < len)
        return false;
      std::string_view v(p, static_cast<size_t>(len));
      if (raw) {
        out->assign(v);
        // memchr skips LF-free stretches many bytes at a time (payloads rarely hold LFs).
        const char* q = v.data();
        const char* const qe = q + v.size();
        while (q < qe && (q = static_cast<const char*>(std::memchr(q, '\n', static_cast<size_t>(qe - q))))) {
          ++lines;
          ++q;
        }
      } else if (len % 4 != 0 || !DecodeBase64Into(v, out)) {
        return false;
      }
      charged += len;
      p += len;
      return true;
    };
    // The value kinds keys and bins share: I, D, S/X. 1 = decoded, 0 = malformed, -1 = another kind.
    auto scalar = [&](char t, ParticleType* type, std::string* data) -> int {
      const char *b, *e;
      switch (t) {
        case 'I': {
          int64_t iv;
          if (!plain(&b, &e) || ParseInt64Text(b, e, &iv) != NumberParse::kOk) return 0;
          *type = ParticleType::kInteger;
          SetU64BE(data, static_cast<uint64_t>(iv));
          return 1;
        }
        case 'D': {
          double d;
          if (!plain(&b, &e) || ParseDoubleText(b, e, &d) != NumberParse::kOk) return 0;
          uint64_t bits;
          std::memcpy(&bits, &d, sizeof bits);
          *type = ParticleType::kFloat;
          SetU64BE(data, bits);
          return 1;
        }
        case 'S':
        case 'X':
          *type = ParticleType::kString;
          return sized(t == 'S', data) ? 1 : 0;
        default:
          return -1;
      }
    };

    r->key.reset();
    r->set.clear();
    if (line_start('k')) {
      if (end - p < 2) return false;
      char t = p[0];
      bool bang = p[1] == '!';
      if (bang) {
        if (t != 'B' || end - p < 3 || p[2] != ' ') return false;
        p += 3;
      } else {
        if (p[1] != ' ') return false;
        p += 2;
      }
      UserKey& key = r->key.emplace();
      if (int got = scalar(t, &key.type, &key.data); got == 0) {
        return false;
      } else if (got < 0) {
        if (t != 'B') return false;
        key.type = ParticleType::kBlob;
        if (!sized(bang, &key.data)) return false;
      }
      if (!lf()) return false;
    }
    if (!line_start('n') || !token(&r->ns) || r->ns.empty() || !lf()) return false;
    {
      const char *b, *e;
      if (!line_start('d') || !plain(&b, &e) || !DecodeBase64Into(std::string_view(b, e - b), &scratch_) ||
          scratch_.size() != r->digest.size() || !lf())
        return false;
      std::memcpy(r->digest.data(), scratch_.data(), r->digest.size());
    }
    if (line_start('s') && (!token(&r->set) || !lf())) return false;
    uint64_t v;
    if (!line_start('g') || !unsigned_num(65535, &v) || !lf()) return false;
    r->generation = static_cast<uint32_t>(v);
    if (!line_start('t') || !unsigned_num(0xFFFFFFFFull, &v) || !lf()) return false;
    r->void_time = static_cast<uint32_t>(v);
    if (!line_start('b') || !unsigned_num(65535, &v) || !lf()) return false;
    r->bins.resize(static_cast<size_t>(v));
    for (Bin& bin : r->bins) {
      if (end - p < 4 || p[0] != '-' || p[1] != ' ') return false;
      char t = p[2];
      bool bang = p[3] == '!';
      if (bang) {
        if (!IsBytesLetter(t) || end - p < 5 || p[4] != ' ') return false;
        p += 5;
      } else {
        if (p[3] != ' ') return false;
        p += 4;
      }
      if (!token(&bin.name)) return false;
      bin.data.clear();
      if (t == 'N') {
        bin.type = ParticleType::kNull;
        if (!lf()) return false;
        continue;
      }
      if (!lit(' ')) return false;
      if (int got = scalar(t, &bin.type, &bin.data); got >= 0) {
        if (got == 0 || !lf()) return false;
        continue;
      }
      switch (t) {
        case 'Z':
          if (p == end || (*p != 'T' && *p != 'F')) return false;
          bin.type = ParticleType::kBool;
          bin.data.assign(1, *p == 'T' ? '\1' : '\0');
          ++p;
          break;
        case 'G':
          bin.type = ParticleType::kGeoJson;
          if (!sized(true, &b64_)) return false;
          bin.data.assign(3, '\0');  // flags 0, no cell ids: the server recomputes them
          bin.data.append(b64_);
          break;
        default:
          if (!IsBytesLetter(t)) return false;  // 'U' (LDT) and unknown letters: the general parser reports them
          bin.type = BytesParticle(t);
          if (!sized(bang, &bin.data)) return false;
          break;
      }
      if (!lf()) return false;
    }
    if (charged > options_.max_entity_bytes) return false;
    pos_ = static_cast<size_t>(p - buf_.data());
    line_ += lines;
    return true;
  }

  // ---- header ----
  Status ParseHeader() {
    entity_budget_ = options_.max_entity_bytes;
    if (Peek() < 0) {
      if (!io_error_.ok()) return io_error_;
      return Corrupt("empty file: no 'Version 3.x' header");
    }
    std::string first;
    while (first.size() < 16) {
      int c = Peek();
      if (c < 0 || c == '\n') break;
      first.push_back(static_cast<char>(c));
      Advance();
    }
    auto bad = [&] {
      return Corrupt("not an .asb file: expected header 'Version 3.x', found " + Shown(first) +
                     " (wrong encryption key, or compression/encryption setting not matching the file?)");
    };
    if (first.size() != 11 || first.compare(0, 8, "Version ") != 0) return bad();
    std::string v = first.substr(8);
    if (v != "3.0" && v != "3.1" && v != "3.2") {
      if (v.size() == 3 && v[0] >= '0' && v[0] <= '9' && v[1] == '.' && v[2] >= '0' && v[2] <= '9')
        return Corrupt("unsupported .asb version " + v + " (this reader handles 3.0 to 3.2)");
      return bad();
    }
    if (Peek() < 0) return AtEnd("the header line");
    Advance();  // LF
    header_.version = v;
    legacy_ = v == "3.0";
    // Meta lines directly after the header.
    std::string word;
    while (Peek() == '#') {
      Advance();
      ABS_RETURN_IF_ERROR(Expect(' ', "a space after '#'"));
      ABS_RETURN_IF_ERROR(ReadPlain(&word, "meta keyword"));
      if (word == "namespace") {
        ABS_RETURN_IF_ERROR(Expect(' ', "a space after '# namespace'"));
        std::string ns;
        ABS_RETURN_IF_ERROR(ReadToken(&ns, "namespace"));
        ABS_RETURN_IF_ERROR(ExpectLF("the namespace meta line"));
        header_.ns = std::move(ns);
      } else if (word == "first-file") {
        ABS_RETURN_IF_ERROR(ExpectLF("'# first-file'"));
        header_.first_file = true;
      } else {
        return Corrupt("unknown meta line '# " + Shown(word).substr(1));
      }
    }
    if (!io_error_.ok()) return io_error_;
    return Status::Ok();
  }

  // ---- records ----
  // "+ <letter> " ; returns the letter.
  Status RecordLine(char* letter, const char* expecting) {
    int c = Peek();
    if (c < 0) return AtEnd(expecting);
    if (c != '+') return Corrupt(std::string("expected ") + expecting + ", found " + Printable(static_cast<char>(c)));
    Advance();
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after '+'"));
    ABS_RETURN_IF_ERROR(ReadByte(letter, expecting));
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after the record line letter"));
    return Status::Ok();
  }
  Status WrongLine(char got, const char* want) {
    return Corrupt(std::string("expected ") + want + ", found record line '+ " + got + "'");
  }

  Status ParseKey(Record* r) {
    char t;
    ABS_RETURN_IF_ERROR(ReadByte(&t, "the key type"));
    char sep;
    ABS_RETURN_IF_ERROR(ReadByte(&sep, "the key type"));
    bool bang = false;
    if (sep == '!') {
      if (t != 'B') return Corrupt(std::string("'!' is only valid on bytes keys, not on key type ") + Printable(t));
      bang = true;
      ABS_RETURN_IF_ERROR(Expect(' ', "a space after the key type"));
    } else if (sep != ' ') {
      return Corrupt("expected a space after the key type, found " + Printable(sep));
    }
    UserKey& key = r->key.emplace();
    switch (t) {
      case 'I': {
        int64_t v;
        ABS_RETURN_IF_ERROR(ReadInt64(&v, "integer key"));
        key.type = ParticleType::kInteger;
        PutU64BE(key.data, static_cast<uint64_t>(v));
        break;
      }
      case 'D': {
        double d;
        ABS_RETURN_IF_ERROR(ReadDouble(&d, "double key"));
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        key.type = ParticleType::kFloat;
        PutU64BE(key.data, bits);
        break;
      }
      case 'S':
        key.type = ParticleType::kString;
        ABS_RETURN_IF_ERROR(ReadSized(true, &key.data, "string key"));
        break;
      case 'X':
        key.type = ParticleType::kString;
        ABS_RETURN_IF_ERROR(ReadSized(false, &key.data, "base64 string key"));
        break;
      case 'B':
        key.type = ParticleType::kBlob;
        ABS_RETURN_IF_ERROR(ReadSized(bang, &key.data, "bytes key"));
        break;
      default:
        return Corrupt("unknown key type " + Printable(t));
    }
    return ExpectLF("the key");
  }

  Status ParseBin(Bin* bin) {
    ABS_RETURN_IF_ERROR(Expect('-', "a bin line ('-')"));
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after '-'"));
    char t;
    ABS_RETURN_IF_ERROR(ReadByte(&t, "the bin type"));
    char sep;
    ABS_RETURN_IF_ERROR(ReadByte(&sep, "the bin type"));
    bool bang = false;
    if (sep == '!') {
      if (!IsBytesLetter(t)) return Corrupt("'!' is only valid on bytes-typed bins, not on bin type " + Printable(t));
      bang = true;
      ABS_RETURN_IF_ERROR(Expect(' ', "a space after the bin type"));
    } else if (sep != ' ') {
      return Corrupt("expected a space after the bin type, found " + Printable(sep));
    }
    ABS_RETURN_IF_ERROR(ReadToken(&bin->name, "bin name"));
    bin->data.clear();
    if (t == 'N') {
      bin->type = ParticleType::kNull;
      return ExpectLF("the bin name of a nil bin");
    }
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after the bin name"));
    switch (t) {
      case 'Z': {
        char v;
        ABS_RETURN_IF_ERROR(ReadByte(&v, "boolean value"));
        if (v != 'T' && v != 'F') return Corrupt("invalid boolean value " + Printable(v) + " (expected T or F)");
        bin->type = ParticleType::kBool;
        bin->data.assign(1, v == 'T' ? '\1' : '\0');
        break;
      }
      case 'I': {
        int64_t v;
        ABS_RETURN_IF_ERROR(ReadInt64(&v, "integer value"));
        bin->type = ParticleType::kInteger;
        PutU64BE(bin->data, static_cast<uint64_t>(v));
        break;
      }
      case 'D': {
        double d;
        ABS_RETURN_IF_ERROR(ReadDouble(&d, "double value"));
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        bin->type = ParticleType::kFloat;
        PutU64BE(bin->data, bits);
        break;
      }
      case 'S':
        bin->type = ParticleType::kString;
        ABS_RETURN_IF_ERROR(ReadSized(true, &bin->data, "string value"));
        break;
      case 'X':
        bin->type = ParticleType::kString;
        ABS_RETURN_IF_ERROR(ReadSized(false, &bin->data, "base64 string value"));
        break;
      case 'G': {
        bin->type = ParticleType::kGeoJson;
        ABS_RETURN_IF_ERROR(ReadSized(true, &b64_, "geojson value"));
        bin->data.assign(3, '\0');  // flags 0, no cell ids: the server recomputes them
        bin->data.append(b64_);
        break;
      }
      case 'U':
        return Corrupt("bin '" + bin->name + "' is an LDT ('U'), which is no longer supported; restore it with an older tool");
      default:
        if (!IsBytesLetter(t)) return Corrupt("unknown bin type " + Printable(t));
        bin->type = BytesParticle(t);
        ABS_RETURN_IF_ERROR(ReadSized(bang, &bin->data, "bytes value"));
        break;
    }
    return ExpectLF("the bin value");
  }

  Status ParseRecord(Record* r) {
    r->key.reset();
    r->set.clear();
    char l;
    ABS_RETURN_IF_ERROR(RecordLine(&l, "a record line"));
    if (l == 'k') {
      ABS_RETURN_IF_ERROR(ParseKey(r));
      ABS_RETURN_IF_ERROR(RecordLine(&l, "the '+ n' line"));
    }
    if (l != 'n') return WrongLine(l, "'+ n' (namespace) as the first record line after an optional key");
    ABS_RETURN_IF_ERROR(ReadToken(&r->ns, "namespace"));
    if (r->ns.empty()) return Corrupt("empty namespace in '+ n' line");
    ABS_RETURN_IF_ERROR(ExpectLF("the namespace"));

    ABS_RETURN_IF_ERROR(RecordLine(&l, "the '+ d' line"));
    if (l != 'd') return WrongLine(l, "'+ d' (digest)");
    ABS_RETURN_IF_ERROR(ReadPlain(&scratch_, "digest"));
    auto dig = Base64Decode(scratch_);
    if (!dig) return Corrupt("invalid base64 digest " + Shown(scratch_));
    if (dig->size() != r->digest.size())
      return Corrupt("digest has " + std::to_string(dig->size()) + " bytes, expected 20");
    std::memcpy(r->digest.data(), dig->data(), r->digest.size());
    ABS_RETURN_IF_ERROR(ExpectLF("the digest"));

    ABS_RETURN_IF_ERROR(RecordLine(&l, "the '+ s' or '+ g' line"));
    if (l == 's') {
      ABS_RETURN_IF_ERROR(ReadToken(&r->set, "set name"));
      ABS_RETURN_IF_ERROR(ExpectLF("the set name"));
      ABS_RETURN_IF_ERROR(RecordLine(&l, "the '+ g' line"));
    }
    if (l != 'g') return WrongLine(l, "'+ g' (generation)");
    uint64_t v;
    ABS_RETURN_IF_ERROR(ReadUnsigned(65535, &v, "generation"));
    r->generation = static_cast<uint32_t>(v);
    ABS_RETURN_IF_ERROR(ExpectLF("the generation"));

    ABS_RETURN_IF_ERROR(RecordLine(&l, "the '+ t' line"));
    if (l != 't') return WrongLine(l, "'+ t' (expiry)");
    ABS_RETURN_IF_ERROR(ReadUnsigned(0xFFFFFFFFull, &v, "expiry"));
    r->void_time = static_cast<uint32_t>(v);
    ABS_RETURN_IF_ERROR(ExpectLF("the expiry"));

    ABS_RETURN_IF_ERROR(RecordLine(&l, "the '+ b' line"));
    if (l != 'b') return WrongLine(l, "'+ b' (bin count)");
    ABS_RETURN_IF_ERROR(ReadUnsigned(65535, &v, "bin count"));
    ABS_RETURN_IF_ERROR(ExpectLF("the bin count"));
    r->bins.resize(static_cast<size_t>(v));
    for (size_t i = 0; i < r->bins.size(); ++i) {
      Status s = ParseBin(&r->bins[i]);
      if (!s.ok()) {
        if (Peek() < 0 && io_error_.ok() && s.code() == ErrorCode::kCorrupt && s.message().find("truncated") != std::string::npos)
          return Corrupt("truncated: file ends inside a record (bin " + std::to_string(i + 1) + " of " +
                         std::to_string(r->bins.size()) + " incomplete or missing)");
        return s;
      }
    }
    return Status::Ok();
  }

  // ---- global lines ----
  Status ParseGlobal(AsbEntity* e) {
    Advance();  // '*'
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after '*'"));
    char t;
    ABS_RETURN_IF_ERROR(ReadByte(&t, "the global line type"));
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after the global line type"));
    if (t == 'i' || t == 'e') {
      e->kind = AsbEntityKind::kSecondaryIndex;
      return ParseSindex(t == 'e', &e->sindex);
    }
    if (t == 'u') {
      e->kind = AsbEntityKind::kUdf;
      return ParseUdf(&e->udf);
    }
    return Corrupt("unknown global line type " + Printable(t) + " (expected i, e or u)");
  }

  Status ParseSindex(bool expression_line, SecondaryIndex* x) {
    x->context.clear();
    x->expression.clear();
    ABS_RETURN_IF_ERROR(ReadToken(&x->ns, "index namespace"));
    if (x->ns.empty()) return Corrupt("secondary index with an empty namespace");
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after the index namespace"));
    ABS_RETURN_IF_ERROR(ReadToken(&x->set, "index set"));
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after the index set"));
    ABS_RETURN_IF_ERROR(ReadToken(&x->name, "index name"));
    if (x->name.empty()) return Corrupt("secondary index with an empty name");
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after the index name"));
    char c;
    ABS_RETURN_IF_ERROR(ReadByte(&c, "the index type"));
    switch (c) {
      case 'N': x->collection = SindexCollection::kNone; break;
      case 'L': x->collection = SindexCollection::kList; break;
      case 'K': x->collection = SindexCollection::kMapKeys; break;
      case 'V': x->collection = SindexCollection::kMapValues; break;
      default: return Corrupt("invalid index type " + Printable(c) + " (expected N, L, K or V)");
    }
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after the index type"));
    uint64_t n;
    ABS_RETURN_IF_ERROR(ReadUnsigned(1000, &n, "index path count"));
    if (n == 0) return Corrupt("secondary index '" + x->name + "' has 0 paths");
    x->paths.resize(static_cast<size_t>(n));
    for (SindexPath& p : x->paths) {
      ABS_RETURN_IF_ERROR(Expect(' ', "a space before the index bin"));
      ABS_RETURN_IF_ERROR(ReadToken(&p.bin, "index bin"));
      ABS_RETURN_IF_ERROR(Expect(' ', "a space after the index bin"));
      ABS_RETURN_IF_ERROR(ReadByte(&c, "the index data type"));
      switch (c) {
        case 'N': p.type = SindexDataType::kNumeric; break;
        case 'S': p.type = SindexDataType::kString; break;
        case 'G': p.type = SindexDataType::kGeo; break;
        case 'B': p.type = SindexDataType::kBlob; break;
        default: return Corrupt("invalid index data type " + Printable(c) + " (expected N, S, G or B)");
      }
    }
    if (Peek() == ' ') {
      Advance();
      std::string first;
      ABS_RETURN_IF_ERROR(ReadToken(&first, "index context"));
      if (expression_line) {
        // `* e`: [ctx SP] expression; a single token is the expression.
        if (Peek() == ' ') {
          Advance();
          x->context = std::move(first);
          ABS_RETURN_IF_ERROR(ReadToken(&x->expression, "index expression"));
        } else {
          x->expression = std::move(first);
        }
      } else {
        x->context = std::move(first);
      }
    }
    if (expression_line && x->expression.empty()) return Corrupt("'* e' index line without an expression");
    return ExpectLF("the secondary index");
  }

  Status ParseUdf(UdfModule* u) {
    char t;
    ABS_RETURN_IF_ERROR(ReadByte(&t, "the UDF type"));
    if (t != 'L') return Corrupt("invalid UDF type " + Printable(t) + " (expected L)");
    u->type = UdfType::kLua;
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after the UDF type"));
    ABS_RETURN_IF_ERROR(ReadToken(&u->name, "UDF name"));
    if (u->name.empty()) return Corrupt("UDF module with an empty name");
    ABS_RETURN_IF_ERROR(Expect(' ', "a space after the UDF name"));
    ABS_RETURN_IF_ERROR(ReadSized(true, &u->content, "UDF content"));
    return ExpectLF("the UDF content");
  }

  InputStream* in_;
  const std::string& file_name_;
  AsbReaderOptions options_;
  std::vector<char> buf_;
  size_t pos_ = 0, end_ = 0;
  uint64_t base_offset_ = 0;
  uint64_t line_ = 1;
  bool eof_ = false;
  Status io_error_;
  Status sticky_;
  bool header_done_ = false;
  bool legacy_ = false;
  AsbHeader header_;
  std::string scratch_;
  std::string b64_;
  uint64_t entity_budget_ = 0;  // bytes the current entity may still take (tokens and values)
};

AsbReader::AsbReader(InputStream* in, std::string file_name, AsbReaderOptions options)
    : file_name_(std::move(file_name)) {
  impl_ = std::make_unique<Impl>(in, file_name_, options);
}
AsbReader::~AsbReader() = default;

Result<AsbHeader> AsbReader::ReadHeader() { return impl_->ReadHeader(); }
Result<bool> AsbReader::Next(AsbEntity* entity) { return impl_->Next(entity); }
uint64_t AsbReader::line() const { return impl_->line(); }
uint64_t AsbReader::bytes_consumed() const { return impl_->consumed(); }

}  // namespace aero
