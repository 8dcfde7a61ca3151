// Filter expressions (wire-protocol.md §9) for the test server: compiles the msgpack of a FILTER_EXP
// field into a tree once per request and evaluates it against record metadata. Supported: EQ NE GT
// GE LT LE AND OR NOT over LAST_UPDATE, SINCE_UPDATE, VOID_TIME, TTL, SET_NAME, KEY_EXISTS and
// integer/string/bool literals. Anything else, or a non-boolean root, fails to compile (result 4).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "testserver/store.h"

namespace aero::testserver {

struct ExprNode {
  enum class Kind { kBoolLit, kIntLit, kStrLit, kCmp, kAnd, kOr, kNot, kMeta };
  Kind kind = Kind::kIntLit;
  int op = 0;  // comparison op (1..6) or metadata accessor code (66..71)
  int64_t i = 0;
  bool b = false;
  std::string s;
  std::vector<ExprNode> children;
};

class Expression {
 public:
  // Compiles raw msgpack; errors name what is unsupported or malformed.
  static Result<Expression> Compile(std::string_view msgpack);
  // Evaluates against one record; now_unix_ms is the current time.
  bool Matches(const StoredRecord& r, int64_t now_unix_ms) const;

 private:
  ExprNode root_;
};

}  // namespace aero::testserver
