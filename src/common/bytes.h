// Byte-order helpers and a bounds-checked reader for parsing untrusted buffers.
// Network (big-endian) order is the default on the Aerospike wire; a few fields are little-endian.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace aero {

inline void PutU16BE(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}
inline void PutU32BE(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
}
inline void PutU64BE(std::string& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
}
inline void PutU16LE(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v));
  out.push_back(static_cast<char>(v >> 8));
}
inline void PutU64LE(std::string& out, uint64_t v) {
  for (int s = 0; s <= 56; s += 8) out.push_back(static_cast<char>(v >> s));
}

inline uint16_t GetU16BE(const void* p) {
  auto b = static_cast<const uint8_t*>(p);
  return static_cast<uint16_t>((b[0] << 8) | b[1]);
}
inline uint32_t GetU32BE(const void* p) {
  auto b = static_cast<const uint8_t*>(p);
  return (uint32_t(b[0]) << 24) | (uint32_t(b[1]) << 16) | (uint32_t(b[2]) << 8) | b[3];
}
inline uint64_t GetU64BE(const void* p) {
  auto b = static_cast<const uint8_t*>(p);
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}
inline uint16_t GetU16LE(const void* p) {
  auto b = static_cast<const uint8_t*>(p);
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}
inline uint64_t GetU64LE(const void* p) {
  auto b = static_cast<const uint8_t*>(p);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[i];
  return v;
}

// Reads from a buffer without ever going past its end; each getter returns false on underrun.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  size_t remaining() const { return data_.size() - pos_; }
  size_t position() const { return pos_; }
  bool u8(uint8_t& v) {
    if (remaining() < 1) return false;
    v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool u16be(uint16_t& v) { return fixed(2, [&](const char* p) { v = GetU16BE(p); }); }
  bool u32be(uint32_t& v) { return fixed(4, [&](const char* p) { v = GetU32BE(p); }); }
  bool u64be(uint64_t& v) { return fixed(8, [&](const char* p) { v = GetU64BE(p); }); }
  bool bytes(size_t n, std::string_view& v) {
    if (remaining() < n) return false;
    v = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(size_t n) {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
  }

 private:
  template <typename F>
  bool fixed(size_t n, F f) {
    if (remaining() < n) return false;
    f(data_.data() + pos_);
    pos_ += n;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

std::string ToHex(std::string_view bytes, bool upper = false);
// Returns false if the text is not an even-length hex string.
bool FromHex(std::string_view hex, std::string& out);

}  // namespace aero
