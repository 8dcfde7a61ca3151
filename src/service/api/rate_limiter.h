// Per-client token-bucket rate limiting of the REST API (ABS `service.http.rate`: tps, size, white-list).
//
// Budget key: the IPv4 address, or the /64 prefix of an IPv6 address (clients of one IPv6 network share
// a budget, as ABS 3.7 does; IPv4-mapped IPv6 addresses count as IPv4). White-list entries are IPs or
// CIDRs; a matching client is never limited. ABS quirk kept: an entry starting with "0.0.0.0" exempts
// everybody; an empty list limits everybody.
// Buckets of idle clients are dropped once full again, so the table stays bounded by active clients.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace aero::service::api {

// A parsed IP address (IPv4 stored as IPv4-mapped IPv6) and a CIDR network.
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  bool v4 = false;
};
Result<IpAddress> ParseIp(const std::string& text);

struct IpNetwork {
  IpAddress base;
  int prefix_bits = 128;  // in IPv6 terms (IPv4 /24 is stored as 96 + 24)
  bool Contains(const IpAddress& ip) const;
};
// "10.0.0.0/8", "10.1.2.3", "fd00::/8", "::1". kInvalidArgument naming the entry otherwise.
Result<IpNetwork> ParseNetwork(const std::string& text);

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Validates the white-list; tps <= 0 or size <= 0 disables limiting.
  static Result<std::unique_ptr<RateLimiter>> Create(int64_t tps, int64_t size,
                                                     const std::vector<std::string>& white_list);

  // True if a request from `remote_addr` may proceed now (consumes one token).
  bool Allow(const std::string& remote_addr) { return AllowAt(remote_addr, Clock::now()); }
  bool AllowAt(const std::string& remote_addr, Clock::time_point now);

  // The budget key for an address ("10.0.0.1", "2001:db8:1:2::/64"); the address itself if unparsable.
  static std::string KeyFor(const std::string& remote_addr);

 private:
  RateLimiter(double tps, double size, std::vector<IpNetwork> white, bool everyone_exempt)
      : tps_(tps), size_(size), white_(std::move(white)), everyone_exempt_(everyone_exempt) {}
  struct Bucket {
    double tokens;
    Clock::time_point last;
  };
  void SweepLocked(Clock::time_point now);

  double tps_;
  double size_;
  std::vector<IpNetwork> white_;
  bool everyone_exempt_;
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::time_point last_sweep_{};
};

}  // namespace aero::service::api
