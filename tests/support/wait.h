// Waiting for a condition with a deadline, for tests that observe another thread or process (a
// service's API, a child's log, a counter): polls with a short back-off instead of fixed sleeps.
#pragma once

#include <chrono>
#include <functional>

namespace aero::testing {

// Calls `pred` until it returns true (then true) or `timeout` has passed (then false, after one last
// call at the deadline). The pause between calls starts at 1 ms and doubles up to 50 ms, so a
// condition that is already true or soon true costs almost nothing and a slow one is not polled hard.
bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

}  // namespace aero::testing
