// YAML → JSON conversion (yaml_json.h).
#include "service/api/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <regex>

namespace aero::service::api {

namespace {
using ojson = nlohmann::ordered_json;

ojson Scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted: always a string
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex kInt("[-+]?[0-9]+");
  static const std::regex kFloat("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  if (std::regex_match(s, kInt) && s.size() < 19) return std::stoll(s);
  if (std::regex_match(s, kFloat)) return std::strtod(s.c_str(), nullptr);
  return s;
}

ojson Convert(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: return Scalar(n);
    case YAML::NodeType::Sequence: {
      ojson a = ojson::array();
      for (const auto& e : n) a.push_back(Convert(e));
      return a;
    }
    case YAML::NodeType::Map: {
      ojson o = ojson::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = Convert(kv.second);
      return o;
    }
    default: return nullptr;
  }
}
}  // namespace

Result<nlohmann::ordered_json> YamlToJson(std::string_view yaml_text) {
  try {
    return Convert(YAML::Load(std::string(yaml_text)));
  } catch (const YAML::Exception& e) {
    return Status(ErrorCode::kInvalidArgument, std::string("invalid YAML: ") + e.what());
  }
}

}  // namespace aero::service::api
