// Reference .asb record encoder for the encoder-equality tests: the straightforward std::string
// appending encoder the format layer used before the single-pass encoder (asb_writer.cc), kept
// unchanged so that random records can be checked byte for byte (and error for error) against it.
#pragma once

#include <charconv>
#include <cstring>
#include <string>
#include <string_view>

#include "common/base64.h"
#include "common/bytes.h"
#include "common/record.h"
#include "common/status.h"
#include "format/asb_writer.h"

namespace aero::testing::reference {

// Declared first so that the helpers below call these copies, not the production ones.
inline void AppendEscaped(std::string_view token, std::string* out);
inline void AppendDouble(double v, std::string* out);
namespace detail {

inline void AppendU64(uint64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

inline void AppendI64(int64_t v, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

inline double DoubleFromBE(std::string_view data) {
  uint64_t bits = GetU64BE(data.data());
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

inline std::string DigestText(const Digest& d) {
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

// "<len> <payload>\n" with the payload raw.
inline void AppendRaw(std::string_view payload, std::string* out) {
  AppendU64(payload.size(), out);
  out->push_back(' ');
  out->append(payload);
  out->push_back('\n');
}

// Bytes value: base64 with its encoded length, or raw in compact mode (the `!` is in the prefix).
inline void AppendBytesValue(std::string_view payload, bool compact, std::string* out) {
  if (compact) {
    AppendRaw(payload, out);
    return;
  }
  AppendRaw(Base64Encode(payload), out);
}

// Letter for bytes-typed particles, 0 if the particle is not bytes-typed.
inline char BytesLetter(ParticleType t) {
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

inline std::string RecordName(const Record& r) { return "record " + DigestText(r.digest); }

inline Status BadBin(const Record& r, const Bin& b, const std::string& what) {
  return Status(ErrorCode::kInvalidArgument, RecordName(r) + ": bin '" + b.name + "': " + what);
}

inline Status EncodeKey(const Record& r, const UserKey& key, bool compact, std::string* out) {
  switch (key.type) {
    case ParticleType::kInteger:
      if (key.data.size() != 8)
        return Status(ErrorCode::kInvalidArgument, RecordName(r) + ": integer key has " +
                                                       std::to_string(key.data.size()) + " bytes, expected 8");
      out->append("+ k I ");
      AppendI64(static_cast<int64_t>(GetU64BE(key.data.data())), out);
      out->push_back('\n');
      return Status::Ok();
    case ParticleType::kFloat:
      if (key.data.size() != 8)
        return Status(ErrorCode::kInvalidArgument, RecordName(r) + ": double key has " +
                                                       std::to_string(key.data.size()) + " bytes, expected 8");
      out->append("+ k D ");
      AppendDouble(DoubleFromBE(key.data), out);
      out->push_back('\n');
      return Status::Ok();
    case ParticleType::kString:
      out->append("+ k S ");
      AppendRaw(key.data, out);
      return Status::Ok();
    case ParticleType::kBlob:
      out->append(compact ? "+ k B! " : "+ k B ");
      AppendBytesValue(key.data, compact, out);
      return Status::Ok();
    default:
      return Status(ErrorCode::kUnsupported, RecordName(r) + ": user key of particle type " +
                                                 std::to_string(static_cast<int>(key.type)) +
                                                 " cannot be stored in an .asb file");
  }
}

inline Status EncodeBin(const Record& r, const Bin& bin, bool compact, std::string* out) {
  auto head = [&](char letter, bool bang) {
    out->push_back('-');
    out->push_back(' ');
    out->push_back(letter);
    if (bang) out->push_back('!');
    out->push_back(' ');
    AppendEscaped(bin.name, out);
  };
  switch (bin.type) {
    case ParticleType::kNull:
      head('N', false);
      out->push_back('\n');
      return Status::Ok();
    case ParticleType::kBool:
      if (bin.data.size() != 1) return BadBin(r, bin, "bool value must be 1 byte");
      head('Z', false);
      out->append(bin.data[0] != 0 ? " T\n" : " F\n");
      return Status::Ok();
    case ParticleType::kInteger:
      if (bin.data.size() != 8) return BadBin(r, bin, "integer value must be 8 bytes");
      head('I', false);
      out->push_back(' ');
      AppendI64(static_cast<int64_t>(GetU64BE(bin.data.data())), out);
      out->push_back('\n');
      return Status::Ok();
    case ParticleType::kFloat:
      if (bin.data.size() != 8) return BadBin(r, bin, "double value must be 8 bytes");
      head('D', false);
      out->push_back(' ');
      AppendDouble(DoubleFromBE(bin.data), out);
      out->push_back('\n');
      return Status::Ok();
    case ParticleType::kString:
      head('S', false);
      out->push_back(' ');
      AppendRaw(bin.data, out);
      return Status::Ok();
    case ParticleType::kGeoJson: {
      // Wire form: [flags u8][ncells u16 BE][ncells x u64 cell ids][JSON]; the file keeps the JSON.
      if (bin.data.size() < 3) return BadBin(r, bin, "geojson value shorter than its 3-byte header");
      size_t ncells = GetU16BE(bin.data.data() + 1);
      size_t json_at = 3 + ncells * 8;
      if (bin.data.size() < json_at) return BadBin(r, bin, "geojson value shorter than its cell list");
      head('G', false);
      out->push_back(' ');
      AppendRaw(std::string_view(bin.data).substr(json_at), out);
      return Status::Ok();
    }
    case ParticleType::kVector:
      return Status(ErrorCode::kUnsupported,
                    RecordName(r) + ": bin '" + bin.name + "' is a VECTOR (particle 16), which .asb cannot store");
    default: {
      char letter = BytesLetter(bin.type);
      if (letter == 0)
        return Status(ErrorCode::kUnsupported, RecordName(r) + ": bin '" + bin.name + "' has particle type " +
                                                   std::to_string(static_cast<int>(bin.type)) +
                                                   ", which .asb cannot store");
      head(letter, compact);
      out->push_back(' ');
      AppendBytesValue(bin.data, compact, out);
      return Status::Ok();
    }
  }
}

}  // namespace detail
using namespace detail;

inline void AppendEscaped(std::string_view token, std::string* out) {
  for (char c : token) {
    if (c == '\\' || c == ' ' || c == '\n') out->push_back('\\');
    out->push_back(c);
  }
}

inline void AppendDouble(double v, std::string* out) {
  // std::to_chars with an explicit precision is specified as printf("%.*g") in the C locale,
  // which is what asbackup writes (glibc), including "nan"/"-nan"/"inf"/"-inf".
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 17);
  out->append(buf, r.ptr);
}

inline void EncodeHeader(std::string_view ns, bool first_file, std::string* out) {
  out->append("Version 3.1\n# namespace ");
  AppendEscaped(ns, out);
  out->push_back('\n');
  if (first_file) out->append("# first-file\n");
}

inline Status EncodeRecord(const Record& r, const AsbWriterOptions& options, std::string* out) {
  if (r.generation > 65535)
    return Status(ErrorCode::kInvalidArgument,
                  RecordName(r) + ": generation " + std::to_string(r.generation) + " exceeds 65535");
  if (r.bins.size() > 65535)
    return Status(ErrorCode::kInvalidArgument,
                  RecordName(r) + ": " + std::to_string(r.bins.size()) + " bins exceed the limit of 65535");
  if (r.ns.empty()) return Status(ErrorCode::kInvalidArgument, RecordName(r) + ": empty namespace");
  if (r.key) ABS_RETURN_IF_ERROR(EncodeKey(r, *r.key, options.compact, out));
  out->append("+ n ");
  AppendEscaped(r.ns, out);
  out->append("\n+ d ");
  out->append(DigestText(r.digest));
  out->push_back('\n');
  if (!r.set.empty()) {
    out->append("+ s ");
    AppendEscaped(r.set, out);
    out->push_back('\n');
  }
  out->append("+ g ");
  AppendU64(r.generation, out);
  out->append("\n+ t ");
  AppendU64(r.void_time, out);
  out->append("\n+ b ");
  AppendU64(r.bins.size(), out);
  out->push_back('\n');
  for (const Bin& b : r.bins) ABS_RETURN_IF_ERROR(EncodeBin(r, b, options.compact, out));
  return Status::Ok();
}


}  // namespace aero::testing::reference
