// Converting a YAML document (yaml-cpp) to JSON: used to serve the embedded OpenAPI document as JSON
// and to read the YAML storage descriptor of `--remote` with the JSON entity parsers.
// Plain scalars are typed the YAML 1.2 core way (null, true/false, integers, floats, else string);
// quoted scalars stay strings.
#pragma once

#include <nlohmann/json.hpp>

#include <string_view>

#include "common/status.h"

namespace aero::service::api {

// kInvalidArgument with the parser's message (line/column) when the text is not YAML.
Result<nlohmann::ordered_json> YamlToJson(std::string_view yaml_text);

}  // namespace aero::service::api
