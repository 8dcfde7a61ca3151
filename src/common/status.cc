// Names for error codes and the printable form of a Status.
#include "common/status.h"

namespace aero {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "ok";
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kNetwork: return "network error";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kProtocol: return "protocol error";
    case ErrorCode::kServer: return "server error";
    case ErrorCode::kAuth: return "authentication error";
    case ErrorCode::kCorrupt: return "corrupt data";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s = ErrorCodeName(code_);
  if (server_code_ >= 0) s += " (result code " + std::to_string(server_code_) + ")";
  s += ": ";
  s += message_;
  return s;
}

}  // namespace aero
