// Filter expression compile/evaluate for the test server; see expr.h.
#include "testserver/expr.h"

#include "protocol/msgpack.h"

namespace aero::testserver {
namespace {

enum class VType { kInt, kStr, kBool };

Status Bad(const std::string& what) { return Status(ErrorCode::kInvalidArgument, "filter expression: " + what); }

Status CompileNode(const msgpack::Value& v, ExprNode& out, VType& type, int depth) {
  using K = msgpack::Value::Kind;
  if (depth > 32) return Bad("nested too deeply");
  switch (v.kind) {
    case K::kInt:
      out.kind = ExprNode::Kind::kIntLit;
      out.i = v.i;
      type = VType::kInt;
      return Status::Ok();
    case K::kUInt:
      if (v.u > static_cast<uint64_t>(INT64_MAX)) return Bad("integer literal out of range");
      out.kind = ExprNode::Kind::kIntLit;
      out.i = static_cast<int64_t>(v.u);
      type = VType::kInt;
      return Status::Ok();
    case K::kBool:
      out.kind = ExprNode::Kind::kBoolLit;
      out.b = v.b;
      type = VType::kBool;
      return Status::Ok();
    case K::kString:
      // Aerospike msgpack strings carry a particle-type prefix byte (§6.4); only strings (3) here.
      if (v.s.empty() || v.s[0] != 3) return Bad("string literal without the 0x03 prefix byte");
      out.kind = ExprNode::Kind::kStrLit;
      out.s = v.s.substr(1);
      type = VType::kStr;
      return Status::Ok();
    case K::kArray:
      break;
    default:
      return Bad("unsupported literal kind");
  }
  if (v.items.empty()) return Bad("empty operation array");
  const auto& head = v.items[0];
  int64_t code = 0;
  if (head.kind == K::kInt) code = head.i;
  else if (head.kind == K::kUInt && head.u < 1000) code = static_cast<int64_t>(head.u);
  else return Bad("operation code is not an integer");
  size_t nargs = v.items.size() - 1;
  switch (code) {
    case 1: case 2: case 3: case 4: case 5: case 6: {
      if (nargs != 2) return Bad("comparison " + std::to_string(code) + " needs 2 arguments");
      out.kind = ExprNode::Kind::kCmp;
      out.op = static_cast<int>(code);
      out.children.resize(2);
      VType a, b;
      ABS_RETURN_IF_ERROR(CompileNode(v.items[1], out.children[0], a, depth + 1));
      ABS_RETURN_IF_ERROR(CompileNode(v.items[2], out.children[1], b, depth + 1));
      if (a != b) return Bad("comparison of values of different types");
      if (a == VType::kBool && code > 2) return Bad("ordering comparison of booleans");
      type = VType::kBool;
      return Status::Ok();
    }
    case 16: case 17: {
      if (nargs < 1) return Bad("and/or without arguments");
      out.kind = code == 16 ? ExprNode::Kind::kAnd : ExprNode::Kind::kOr;
      out.children.resize(nargs);
      for (size_t i = 0; i < nargs; ++i) {
        VType t;
        ABS_RETURN_IF_ERROR(CompileNode(v.items[i + 1], out.children[i], t, depth + 1));
        if (t != VType::kBool) return Bad("and/or argument is not boolean");
      }
      type = VType::kBool;
      return Status::Ok();
    }
    case 18: {
      if (nargs != 1) return Bad("not needs 1 argument");
      out.kind = ExprNode::Kind::kNot;
      out.children.resize(1);
      VType t;
      ABS_RETURN_IF_ERROR(CompileNode(v.items[1], out.children[0], t, depth + 1));
      if (t != VType::kBool) return Bad("not of a non-boolean");
      type = VType::kBool;
      return Status::Ok();
    }
    case 66: case 67: case 68: case 69: case 70: case 71:
      if (nargs != 0) return Bad("metadata accessor with arguments");
      out.kind = ExprNode::Kind::kMeta;
      out.op = static_cast<int>(code);
      type = code == 70 ? VType::kStr : code == 71 ? VType::kBool : VType::kInt;
      return Status::Ok();
    default:
      return Bad("unsupported operation code " + std::to_string(code));
  }
}

struct Val {
  int64_t i = 0;
  bool b = false;
  std::string_view s;
};

Val Eval(const ExprNode& n, const StoredRecord& r, int64_t now_ms) {
  Val out;
  switch (n.kind) {
    case ExprNode::Kind::kBoolLit: out.b = n.b; break;
    case ExprNode::Kind::kIntLit: out.i = n.i; break;
    case ExprNode::Kind::kStrLit: out.s = n.s; break;
    case ExprNode::Kind::kMeta:
      switch (n.op) {
        case 66: out.i = static_cast<int64_t>(r.lut_ms) * 1000000; break;  // ns, ms granularity
        case 67: out.i = now_ms - static_cast<int64_t>(r.lut_ms); break;
        case 68:
          out.i = r.void_time == 0 ? -1 : (int64_t{r.void_time} + kCitrusleafEpoch) * 1000000000;
          break;
        case 69:
          if (r.void_time == 0) {
            out.i = -1;
          } else {
            int64_t left = int64_t{r.void_time} + kCitrusleafEpoch - now_ms / 1000;
            out.i = left < 0 ? 0 : left;
          }
          break;
        case 70: out.s = r.set; break;
        case 71: out.b = !r.key.empty(); break;
      }
      break;
    case ExprNode::Kind::kCmp: {
      Val a = Eval(n.children[0], r, now_ms);
      Val b = Eval(n.children[1], r, now_ms);
      int c;
      const ExprNode& lhs = n.children[0];
      bool is_str = lhs.kind == ExprNode::Kind::kStrLit || (lhs.kind == ExprNode::Kind::kMeta && lhs.op == 70);
      bool is_bool = lhs.kind == ExprNode::Kind::kBoolLit || lhs.kind == ExprNode::Kind::kCmp ||
                     lhs.kind == ExprNode::Kind::kAnd || lhs.kind == ExprNode::Kind::kOr ||
                     lhs.kind == ExprNode::Kind::kNot || (lhs.kind == ExprNode::Kind::kMeta && lhs.op == 71);
      if (is_str) c = a.s < b.s ? -1 : a.s > b.s ? 1 : 0;
      else if (is_bool) c = a.b == b.b ? 0 : 1;
      else c = a.i < b.i ? -1 : a.i > b.i ? 1 : 0;
      switch (n.op) {
        case 1: out.b = c == 0; break;
        case 2: out.b = c != 0; break;
        case 3: out.b = c > 0; break;
        case 4: out.b = c >= 0; break;
        case 5: out.b = c < 0; break;
        case 6: out.b = c <= 0; break;
      }
      break;
    }
    case ExprNode::Kind::kAnd:
      out.b = true;
      for (const auto& c : n.children)
        if (!Eval(c, r, now_ms).b) { out.b = false; break; }
      break;
    case ExprNode::Kind::kOr:
      out.b = false;
      for (const auto& c : n.children)
        if (Eval(c, r, now_ms).b) { out.b = true; break; }
      break;
    case ExprNode::Kind::kNot: out.b = !Eval(n.children[0], r, now_ms).b; break;
  }
  return out;
}

}  // namespace

Result<Expression> Expression::Compile(std::string_view data) {
  auto v = msgpack::DecodeAll(data);
  if (!v.ok()) return Bad("undecodable msgpack: " + v.status().message());
  Expression e;
  VType t;
  ABS_RETURN_IF_ERROR(CompileNode(*v, e.root_, t, 0));
  if (t != VType::kBool) return Bad("expression is not boolean");
  return e;
}

bool Expression::Matches(const StoredRecord& r, int64_t now_unix_ms) const { return Eval(root_, r, now_unix_ms).b; }

}  // namespace aero::testserver
