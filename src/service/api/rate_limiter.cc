// Token-bucket rate limiting per client (rate_limiter.h).
#include "service/api/rate_limiter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace aero::service::api {

Result<IpAddress> ParseIp(const std::string& text) {
  IpAddress ip;
  in_addr a4{};
  in6_addr a6{};
  if (inet_pton(AF_INET, text.c_str(), &a4) == 1) {
    ip.v4 = true;
    ip.bytes[10] = 0xff;
    ip.bytes[11] = 0xff;
    std::memcpy(ip.bytes.data() + 12, &a4, 4);
    return ip;
  }
  if (inet_pton(AF_INET6, text.c_str(), &a6) == 1) {
    std::memcpy(ip.bytes.data(), &a6, 16);
    // IPv4-mapped (::ffff:a.b.c.d) behaves as the IPv4 address.
    static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    ip.v4 = std::memcmp(ip.bytes.data(), kMapped, 12) == 0;
    return ip;
  }
  return Status(ErrorCode::kInvalidArgument, "not an IP address: \"" + text + "\"");
}

bool IpNetwork::Contains(const IpAddress& ip) const {
  int bits = prefix_bits;
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((ip.bytes[i] & mask) != (base.bytes[i] & mask)) return false;
  }
  return true;
}

Result<IpNetwork> ParseNetwork(const std::string& text) {
  std::string addr = text;
  int prefix = -1;
  if (auto slash = text.find('/'); slash != std::string::npos) {
    addr = text.substr(0, slash);
    const std::string p = text.substr(slash + 1);
    if (p.empty() || p.size() > 3 || p.find_first_not_of("0123456789") != std::string::npos) {
      return Status(ErrorCode::kInvalidArgument, "invalid CIDR prefix in \"" + text + "\"");
    }
    prefix = std::stoi(p);
  }
  auto ip = ParseIp(addr);
  if (!ip.ok()) return Status(ErrorCode::kInvalidArgument, "invalid white-list entry \"" + text + "\"");
  IpNetwork net;
  net.base = *ip;
  const int max = ip->v4 ? 32 : 128;
  if (prefix > max) return Status(ErrorCode::kInvalidArgument, "CIDR prefix too long in \"" + text + "\"");
  if (prefix < 0) prefix = max;
  net.prefix_bits = ip->v4 ? 96 + prefix : prefix;
  return net;
}

Result<std::unique_ptr<RateLimiter>> RateLimiter::Create(int64_t tps, int64_t size,
                                                         const std::vector<std::string>& white_list) {
  std::vector<IpNetwork> nets;
  bool everyone = tps <= 0 || size <= 0;
  for (const auto& entry : white_list) {
    auto net = ParseNetwork(entry);
    if (!net.ok()) return net.status();
    if (entry.rfind("0.0.0.0", 0) == 0) everyone = true;  // ABS: "0.0.0.0..." disables limiting
    if (net->prefix_bits == 0) everyone = true;           // ::/0
    nets.push_back(*net);
  }
  return std::unique_ptr<RateLimiter>(
      new RateLimiter(static_cast<double>(tps), static_cast<double>(size), std::move(nets), everyone));
}

std::string RateLimiter::KeyFor(const std::string& remote_addr) {
  auto ip = ParseIp(remote_addr);
  if (!ip.ok()) return remote_addr;
  if (ip->v4) {
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, ip->bytes.data() + 12, buf, sizeof buf);
    return buf;
  }
  in6_addr a6{};
  std::memcpy(&a6, ip->bytes.data(), 8);  // keep the /64 prefix, zero the interface id
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &a6, buf, sizeof buf);
  return std::string(buf) + "/64";
}

void RateLimiter::SweepLocked(Clock::time_point now) {
  // A bucket that would be full again carries no state worth keeping.
  if (now - last_sweep_ < std::chrono::seconds(10)) return;
  last_sweep_ = now;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    double elapsed = std::chrono::duration<double>(now - it->second.last).count();
    if (it->second.tokens + elapsed * tps_ >= size_) it = buckets_.erase(it);
    else ++it;
  }
}

bool RateLimiter::AllowAt(const std::string& remote_addr, Clock::time_point now) {
  if (everyone_exempt_) return true;
  if (!white_.empty()) {
    auto ip = ParseIp(remote_addr);
    if (ip.ok()) {
      for (const auto& n : white_) {
        if (n.Contains(*ip)) return true;
      }
    }
  }
  const std::string key = KeyFor(remote_addr);
  std::lock_guard<std::mutex> lock(mu_);
  SweepLocked(now);
  auto [it, inserted] = buckets_.try_emplace(key, Bucket{size_, now});
  Bucket& b = it->second;
  if (!inserted) {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    if (elapsed > 0) b.tokens = std::min(size_, b.tokens + elapsed * tps_);
    b.last = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

}  // namespace aero::service::api
