// Printable names of server result codes.
#include <string>

#include "protocol/constants.h"

namespace aero::proto {

const char* ResultCodeName(int code) {
  switch (code) {
    case 0: return "OK";
    case 1: return "SERVER_ERROR";
    case 2: return "KEY_NOT_FOUND";
    case 3: return "GENERATION";
    case 4: return "PARAMETER";
    case 5: return "KEY_EXISTS";
    case 6: return "BIN_EXISTS";
    case 7: return "CLUSTER_KEY_MISMATCH";
    case 8: return "OUT_OF_SPACE";
    case 9: return "TIMEOUT";
    case 10: return "ALWAYS_FORBIDDEN";
    case 11: return "PARTITION_UNAVAILABLE";
    case 12: return "BIN_TYPE_ERROR";
    case 13: return "RECORD_TOO_BIG";
    case 14: return "KEY_BUSY";
    case 15: return "SCAN_ABORT";
    case 16: return "UNSUPPORTED_FEATURE";
    case 17: return "BIN_NOT_FOUND";
    case 18: return "DEVICE_OVERLOAD";
    case 19: return "KEY_MISMATCH";
    case 20: return "NAMESPACE_NOT_FOUND";
    case 21: return "BIN_NAME";
    case 22: return "FORBIDDEN";
    case 23: return "ELEMENT_NOT_FOUND";
    case 24: return "ELEMENT_EXISTS";
    case 25: return "ENTERPRISE_ONLY";
    case 26: return "OP_NOT_APPLICABLE";
    case 27: return "FILTERED_OUT";
    case 28: return "LOST_CONFLICT";
    case 32: return "XDR_KEY_BUSY";
    case 51: return "SECURITY_NOT_SUPPORTED";
    case 52: return "SECURITY_NOT_ENABLED";
    case 60: return "INVALID_USER";
    case 62: return "INVALID_PASSWORD";
    case 63: return "EXPIRED_PASSWORD";
    case 65: return "INVALID_CREDENTIAL";
    case 66: return "EXPIRED_SESSION";
    case 80: return "NOT_AUTHENTICATED";
    case 81: return "ROLE_VIOLATION";
    case 83: return "QUOTA_EXCEEDED";
    case 150: return "BATCH_DISABLED";
    case 151: return "BATCH_MAX_REQUESTS";
    case 152: return "BATCH_QUEUES_FULL";
    case 200: return "INDEX_FOUND";
    case 201: return "INDEX_NOT_FOUND";
    default: return "RESULT_UNKNOWN";
  }
}

}  // namespace aero::proto
