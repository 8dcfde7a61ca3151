// Login and socket authentication; see auth.h.
#include "client/auth.h"

#include <crypt.h>

#include <memory>

#include "client/errors.h"
#include "common/bytes.h"
#include "protocol/constants.h"
#include "protocol/message.h"

namespace aero::client {

Result<std::string> HashPassword(const std::string& password) {
  // crypt_data is large (~32 KiB): keep it off the stack; crypt_r is thread-safe with its own buffer.
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_r(password.c_str(), "$2a$10$7EqJtq98hPqEX7fNZaFWoO", data.get());
  if (!out || out[0] == '*')
    return Status(ErrorCode::kInternal, "libcrypt has no bcrypt ($2a$) support");
  return std::string(out);
}

static Result<proto::AdminMessage> AdminRoundTrip(Connection& conn, const proto::AdminMessage& req, Deadline deadline) {
  std::string bytes = proto::BuildAdmin(req);
  proto::ProtoHeader h;
  std::string body;
  ABS_RETURN_IF_ERROR(conn.Exchange(bytes, h, body, deadline));
  if (h.type != proto::kAdmin) {
    conn.MarkBroken();
    return Status(ErrorCode::kProtocol, "admin reply from " + conn.peer() + " has proto type " + std::to_string(h.type));
  }
  proto::AdminMessage reply;
  Status s = proto::ParseAdminBody(body, reply);
  if (!s.ok()) return s.WithContext("admin reply from " + conn.peer());
  return reply;
}

Result<Session> Login(Connection& conn, const std::string& user, const std::string& credential, Deadline deadline) {
  proto::AdminMessage req;
  req.command = proto::kAdminLogin;
  req.fields = {{proto::kAdminUser, user}, {proto::kAdminCredential, credential}};
  ABS_ASSIGN_OR_RETURN(auto reply, AdminRoundTrip(conn, req, deadline));
  Session session;
  if (reply.result_code == proto::kSecurityNotSupported || reply.result_code == proto::kSecurityNotEnabled) {
    session.security_enabled = false;
    return session;
  }
  if (reply.result_code != 0) {
    Status s = ServerError(reply.result_code, "login of user '" + user + "' on " + conn.peer());
    return Status(ErrorCode::kAuth, s.message(), reply.result_code);
  }
  const std::string* token = reply.Find(proto::kAdminSessionToken);
  if (!token || token->empty())
    return Status(ErrorCode::kProtocol, "login reply from " + conn.peer() + " has no session token");
  session.token = *token;
  if (const std::string* ttl = reply.Find(proto::kAdminSessionTtl)) {
    if (ttl->size() != 4)
      return Status(ErrorCode::kProtocol, "login reply from " + conn.peer() + " has a session TTL of " +
                                              std::to_string(ttl->size()) + " bytes");
    session.ttl_seconds = GetU32BE(ttl->data());
  }
  return session;
}

Result<int> Authenticate(Connection& conn, const std::string& user, const std::string& token, Deadline deadline) {
  proto::AdminMessage req;
  req.command = proto::kAdminAuthenticate;
  req.fields = {{proto::kAdminUser, user}, {proto::kAdminSessionToken, token}};
  ABS_ASSIGN_OR_RETURN(auto reply, AdminRoundTrip(conn, req, deadline));
  return static_cast<int>(reply.result_code);
}

}  // namespace aero::client
