// Server result codes as typed errors: every non-zero result becomes a Status with
// code() == kServer and server_code() set, and ClassifyResult sorts codes into the classes a
// restore acts on (wire-protocol.md §10.5).
#pragma once

#include <string>

#include "common/status.h"

namespace aero::client {

// Status for a server result code: "KEY_EXISTS (5): <context>". code 0 gives OK.
Status ServerError(int result_code, const std::string& context);

enum class ResultClass {
  kOk,           // 0
  kExists,       // 5 KEY_EXISTS with create-only: the record was already there (counted, not an error)
  kGeneration,   // 3 GENERATION: the server's record is fresher (counted, not an error)
  kNotFound,     // 2 KEY_NOT_FOUND (update-only / replace-only on a missing record)
  kRecordError,  // the record cannot be written (too big, key mismatch, bad bin name, forbidden, ...)
  kPermanent,    // the whole job cannot succeed (bad parameter, namespace, out of space, security, ...)
  kTransient,    // retry later (timeouts, busy, unavailable, connection errors, ...)
};

const char* ResultClassName(ResultClass c);

// Classification of a server result code.
ResultClass ClassifyResultCode(int result_code);
// Classification of any Status: server errors by code; network/timeout errors are transient;
// cancellation and everything else permanent.
ResultClass ClassifyStatus(const Status& s);

}  // namespace aero::client
