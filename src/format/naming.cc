// File naming helpers (asbackup directory mode).
#include "format/naming.h"

#include <charconv>
#include <cstdio>

namespace aero {

std::string AsbFileName(std::string_view prefix, uint64_t number) {
  char num[32];
  std::snprintf(num, sizeof num, "%05llu", static_cast<unsigned long long>(number));
  std::string out(prefix);
  out += '_';
  out += num;
  out += ".asb";
  return out;
}

std::optional<uint64_t> ParseAsbFileNumber(std::string_view name, std::string_view prefix) {
  if (name.size() < prefix.size() + 1 + 5 + 4) return std::nullopt;
  if (name.substr(0, prefix.size()) != prefix || name[prefix.size()] != '_') return std::nullopt;
  if (name.substr(name.size() - 4) != ".asb") return std::nullopt;
  std::string_view digits = name.substr(prefix.size() + 1, name.size() - prefix.size() - 1 - 4);
  if (digits.size() < 5) return std::nullopt;
  for (char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  // Only the canonical form: zero padding to 5 digits, no extra leading zeros beyond that.
  if (digits.size() > 5 && digits[0] == '0') return std::nullopt;
  uint64_t v = 0;
  auto r = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (r.ec != std::errc() || r.ptr != digits.data() + digits.size()) return std::nullopt;
  return v;
}

bool IsAsbFileName(std::string_view name) {
  return name.size() > 4 && name.substr(name.size() - 4) == ".asb";
}

std::string AsbStateFileName(std::string_view prefix) { return std::string(prefix) + ".asb.state"; }

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty()) return std::string(name);
  std::string out(dir);
  if (out.back() != '/') out += '/';
  out += name;
  return out;
}

}  // namespace aero
