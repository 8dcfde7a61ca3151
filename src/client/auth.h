// Internal-user authentication (wire-protocol.md §11): bcrypt credential, LOGIN for a session
// token, AUTHENTICATE on each new socket.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "client/connection.h"
#include "common/status.h"

namespace aero::client {

// bcrypt(password, "$2a$10$7EqJtq98hPqEX7fNZaFWoO") via libcrypt: the 60-character credential.
Result<std::string> HashPassword(const std::string& password);

struct Session {
  bool security_enabled = true;  // false: server answered 51/52 (no security): nothing to send
  std::string token;
  uint32_t ttl_seconds = 0;  // 0 = no expiry announced
};

// LOGIN on an open connection. 51/52 → Session{security_enabled=false}. Bad user/password → kAuth
// with the server code.
Result<Session> Login(Connection& conn, const std::string& user, const std::string& credential, Deadline deadline);

// AUTHENTICATE a socket with a session token. Returns the server result code (0, 52 and 51 mean
// "authenticated / nothing needed") or a transport error.
Result<int> Authenticate(Connection& conn, const std::string& user, const std::string& token, Deadline deadline);

}  // namespace aero::client
