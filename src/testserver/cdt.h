// A small subset of CDT (list/map) modify operations for the test server, enough for what the
// official clients' put/get of ordered and unordered maps and ordered lists send (capture 02):
// list SET_TYPE (0), APPEND (1), APPEND_ITEMS (2); map SET_TYPE (64), PUT (67), PUT_ITEMS (68).
// Values stay in Aerospike msgpack; ordered containers carry the `c7 00 01` ext header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace aero::testserver {

struct CdtOutcome {
  int result_code = 0;            // 0, or 4 (bad arguments), 12 (bin of another type), 16 (unsupported op)
  bool has_value = false;          // the op returns a value (INTEGER size)
  int64_t value = 0;
  uint8_t particle = 0;            // the bin after the op (19 MAP / 20 LIST)
  std::string bin;                 // msgpack of the bin after the op
};

// Applies a CDT_MODIFY op (its msgpack argument list) to a bin; `current` is the bin's particle
// type and value if the bin exists.
CdtOutcome ApplyCdtModify(std::string_view op_msgpack,
                          const std::optional<std::pair<uint8_t, std::string>>& current);

}  // namespace aero::testserver
