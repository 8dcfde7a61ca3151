// Loopback ports for tests: a port nobody listens on (so parallel test suites on one machine never
// share a fixed port) and whether a port accepts connections yet.
#pragma once

namespace aero::testing {

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released). Throws
// std::runtime_error when no socket can be bound.
int FreeLoopbackPort();

// True when a TCP connect to 127.0.0.1:port succeeds now.
bool PortAccepts(int port);

}  // namespace aero::testing
