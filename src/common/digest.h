// RIPEMD-160 record digests: digest = RIPEMD160(set || key type byte || key bytes).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/record.h"

namespace aero {

Digest ComputeDigest(std::string_view set, const UserKey& key);
Digest ComputeDigest(std::string_view set, int64_t integer_key);
Digest ComputeDigest(std::string_view set, std::string_view string_key);

// Key helpers building the wire form of a user key.
UserKey IntegerKey(int64_t v);
UserKey StringKey(std::string_view s);
UserKey BlobKey(std::string_view bytes, ParticleType type = ParticleType::kBlob);

}  // namespace aero
