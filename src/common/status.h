// Errors as values: the Status / Result<T> types every layer returns at its boundaries.
// A Status carries a code a caller can classify and a message a person can act on.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace aero {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,   // caller passed something malformed (bad option, bad config value)
  kNotFound,          // named thing does not exist
  kAlreadyExists,     // named thing exists already
  kIo,                // local I/O failure (disk full, permission, short read)
  kNetwork,           // connection refused/reset, DNS failure
  kTimeout,           // an operation ran past its deadline
  kProtocol,          // peer sent something that violates the protocol (bad frame, truncated reply)
  kServer,            // server answered with a result code (see Status::server_code)
  kAuth,              // authentication / authorization failure
  kCorrupt,           // stored data is damaged (bad backup line, checksum mismatch, wrong key)
  kCancelled,         // the job was cancelled
  kUnsupported,       // feature not available
  kInternal,          // a bug: an invariant did not hold
};

const char* ErrorCodeName(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message, int server_code = -1)
      : code_(code), message_(std::move(message)), server_code_(server_code) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Aerospike result code when code() == kServer, else -1.
  int server_code() const { return server_code_; }
  // "timeout: scan of node BB9...: no reply within 30000 ms"
  std::string ToString() const;

  // Adds context in front of the message, keeping code and server code.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_, server_code_);
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  int server_code_ = -1;
};

// Result<T>: either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok() && "Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace aero

// Propagate a non-OK Status from an expression returning Status.
#define ABS_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::aero::Status abs_status__ = (expr);   \
    if (!abs_status__.ok()) return abs_status__; \
  } while (0)

#define ABS_CONCAT_INNER(a, b) a##b
#define ABS_CONCAT(a, b) ABS_CONCAT_INNER(a, b)
// ABS_ASSIGN_OR_RETURN(auto x, SomethingReturningResult());
#define ABS_ASSIGN_OR_RETURN(lhs, expr)                      \
  auto ABS_CONCAT(abs_result__, __LINE__) = (expr);          \
  if (!ABS_CONCAT(abs_result__, __LINE__).ok())              \
    return ABS_CONCAT(abs_result__, __LINE__).status();      \
  lhs = std::move(ABS_CONCAT(abs_result__, __LINE__)).value()
