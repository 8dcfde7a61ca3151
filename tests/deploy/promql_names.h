// Test helper: which metric names a PromQL expression reads, and which sample names a Prometheus
// text exposition holds, so the dashboard and the alert rules in deploy/ can be checked against what
// the service really exports (a renamed metric fails the test instead of an empty panel in production).
#pragma once

#include <set>
#include <string>
#include <string_view>

namespace aero::deploytest {

// Metric names selected by `expr`: identifiers that are not functions, aggregations, keywords,
// label names (in `{...}`, `by (...)`, `on (...)`...), durations, numbers, strings or Grafana
// variables ($name, ${name}, [[name]]).
std::set<std::string> PromqlMetricNames(std::string_view expr);

// Sample names in a text exposition (`name{labels} value` lines; histograms give name_bucket,
// name_sum and name_count), comments left out.
std::set<std::string> ExposedSampleNames(std::string_view exposition);

}  // namespace aero::deploytest
