// Result code mapping and classification; see errors.h.
#include "client/errors.h"

#include "protocol/constants.h"

namespace aero::client {

Status ServerError(int code, const std::string& context) {
  if (code == 0) return Status::Ok();
  ErrorCode ec = ErrorCode::kServer;
  std::string msg = std::string(proto::ResultCodeName(code)) + " (" + std::to_string(code) + ")";
  if (!context.empty()) msg = context + ": " + msg;
  return Status(ec, msg, code);
}

const char* ResultClassName(ResultClass c) {
  switch (c) {
    case ResultClass::kOk: return "ok";
    case ResultClass::kExists: return "exists";
    case ResultClass::kGeneration: return "generation";
    case ResultClass::kNotFound: return "not-found";
    case ResultClass::kRecordError: return "record-error";
    case ResultClass::kPermanent: return "permanent";
    case ResultClass::kTransient: return "transient";
  }
  return "?";
}

ResultClass ClassifyResultCode(int code) {
  switch (code) {
    case 0: return ResultClass::kOk;
    case 5: return ResultClass::kExists;
    case 3: return ResultClass::kGeneration;
    case 2: return ResultClass::kNotFound;
    case 13: case 19: case 21: case 10: case 22: case 12: case 17:
      return ResultClass::kRecordError;
    case 4: case 8: case 16: case 20: case 25: case 26: case 27:
    case 51: case 52: case 53: case 54: case 55: case 56:
    case 60: case 62: case 63: case 65: case 66: case 70: case 80: case 81: case 82:
    case 150: case 160: case 202: case 203:
      return ResultClass::kPermanent;
    default:
      return ResultClass::kTransient;
  }
}

ResultClass ClassifyStatus(const Status& s) {
  if (s.ok()) return ResultClass::kOk;
  switch (s.code()) {
    case ErrorCode::kServer: return ClassifyResultCode(s.server_code());
    case ErrorCode::kNetwork:
    case ErrorCode::kTimeout: return ResultClass::kTransient;
    default: return ResultClass::kPermanent;
  }
}

}  // namespace aero::client
