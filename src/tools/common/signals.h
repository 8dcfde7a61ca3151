// SIGINT / SIGTERM -> CancelToken for both tools: an interrupted backup leaves its resume state, an
// interrupted restore reports what it wrote, both exit 1.
#pragma once

#include <thread>

#include "common/cancel.h"

namespace aero::tools {

// While alive, SIGINT and SIGTERM cancel `token` (handled on a dedicated thread with sigwait, not in
// a signal handler). Construct it before starting other threads so they inherit the blocked mask.
class SignalCanceller {
 public:
  explicit SignalCanceller(CancelToken& token);
  ~SignalCanceller();
  SignalCanceller(const SignalCanceller&) = delete;
  SignalCanceller& operator=(const SignalCanceller&) = delete;

 private:
  CancelToken& token_;
  std::thread thread_;
};

}  // namespace aero::tools
