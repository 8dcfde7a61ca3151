// The monitoring files in deploy/ against the real service. The Grafana dashboard is an importable
// JSON model whose queries parse as PromQL (promtool) and read only metrics the service exports; the
// alert rules read only exported metrics too. What is exported is read from GET /metrics of the
// service binary after backups and a restore against abs-test-server processes, so renaming a metric
// in src/service fails here. The metrics this service adds for the alerts are checked for meaning.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "e2e_util.h"
#include "promql_names.h"

namespace aero::deploytest {
namespace {

using e2e::Api;
using e2e::FreeLoopbackPort;
using e2e::RunCommand;
using e2e::ServiceProcess;
using e2e::TempDir;
using e2e::TestServerOptions;
using e2e::TestServerProcess;
using e2e::WaitUntil;
using nlohmann::json;
using namespace std::chrono_literals;

const std::string kDashboard = std::string(ABS_DEPLOY_DIR) + "/grafana/aerospike-backup-service.json";
const std::string kAlerts = std::string(ABS_DEPLOY_DIR) + "/prometheus/alerts.yml";

// Metrics that deploy/ refers to before the service exports them (issue 11, verification). Once the
// service exports one, the test fails until it is removed from here, so the list cannot go stale.
const std::set<std::string> kNotYetExported = {
    "aerospike_backup_service_verify_events_total",
    "aerospike_backup_service_last_verified_timestamp",
};

json LoadDashboard() {
  json d = json::parse(e2e::ReadFile(kDashboard), nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(d.is_object()) << kDashboard << " is not a JSON object";
  return d;
}

// Every panel, rows' nested panels included.
void ForEachPanel(const json& panels, const std::function<void(const json&)>& fn) {
  if (!panels.is_array()) return;
  for (const auto& p : panels) {
    fn(p);
    if (p.contains("panels")) ForEachPanel(p["panels"], fn);
  }
}

// The PromQL of a Grafana variable query `label_values(<selector>, <label>)`: the selector.
std::string VariableSelector(const std::string& query) {
  std::smatch m;
  if (!std::regex_match(query, m, std::regex(R"(\s*label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*)"))) return "";
  return m[1];
}

// Every PromQL expression of the dashboard (panel targets and variable queries), by where it is.
std::map<std::string, std::string> DashboardExpressions(const json& d) {
  std::map<std::string, std::string> out;
  ForEachPanel(d.value("panels", json::array()), [&](const json& p) {
    for (const auto& t : p.value("targets", json::array())) {
      out["panel \"" + p.value("title", "") + "\" " + t.value("refId", "")] = t.value("expr", "");
    }
  });
  for (const auto& v : d["templating"].value("list", json::array())) {
    if (v.value("type", "") != "query") continue;
    std::string q = v["query"].is_object() ? v["query"].value("query", "") : v.value("query", "");
    std::string sel = VariableSelector(q);
    EXPECT_FALSE(sel.empty()) << "variable " << v.value("name", "") << ": not label_values(selector, label): " << q;
    out["variable " + v.value("name", "")] = sel;
  }
  return out;
}

std::map<std::string, std::string> AlertExpressions() {
  std::map<std::string, std::string> out;
  YAML::Node doc = YAML::LoadFile(kAlerts);
  for (const auto& g : doc["groups"]) {
    for (const auto& r : g["rules"]) {
      out["rule " + (r["alert"] ? r["alert"].as<std::string>() : r["record"].as<std::string>())] =
          r["expr"].as<std::string>();
    }
  }
  return out;
}

// Grafana's variables replaced by values Prometheus accepts, for promtool.
std::string WithVariablesReplaced(std::string e) {
  for (const auto& [var, value] :
       std::vector<std::pair<std::string, std::string>>{{"$__rate_interval", "5m"}, {"$__range", "1d"}, {"$__interval", "1m"}}) {
    for (size_t p; (p = e.find(var)) != std::string::npos;) e.replace(p, var.size(), value);
  }
  return std::regex_replace(e, std::regex(R"(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)"), ".*");
}

bool HavePromtool() {
  auto r = RunCommand({"promtool", "--version"});
  return r.ok() && r->exit_code == 0;
}

TEST(PromqlNames, FindsMetricNamesOnly) {
  EXPECT_EQ(PromqlMetricNames(R"(sum by (routine, type) (increase(a_total{routine=~"$routine",x="{y}"}[$__rate_interval])))"),
            (std::set<std::string>{"a_total"}));
  EXPECT_EQ(PromqlMetricNames("time() - b_ts > ignoring (type) (2 * c_seconds{type=\"full\"} > 3600 or d offset 1h)"),
            (std::set<std::string>{"b_ts", "c_seconds", "d"}));
  EXPECT_EQ(PromqlMetricNames("histogram_quantile(0.99, sum(rate(h_bucket[5m])) by (le)) and on(instance) group_left() e"),
            (std::set<std::string>{"h_bucket", "e"}));
  EXPECT_EQ(PromqlMetricNames("x_total unless x_total offset 1h or vector(0) > bool 1.5e3 @ 1609746000"),
            (std::set<std::string>{"x_total"}));
  EXPECT_EQ(PromqlMetricNames("max_over_time(g[1h:5m]) / ${var} + count(f)"), (std::set<std::string>{"g", "f"}));
  EXPECT_TRUE(PromqlMetricNames("time()").empty());
}

TEST(PromqlNames, ExposedSampleNames) {
  EXPECT_EQ(ExposedSampleNames("# HELP a_total A.\n# TYPE a_total counter\na_total{x=\"1 2\"} 3\nb 1\n"
                               "h_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n"),
            (std::set<std::string>{"a_total", "b", "h_bucket", "h_sum", "h_count"}));
}

// What an import (Dashboards > Import) and file provisioning need: a data source variable that every
// query uses, the routine variable, unique panel ids, panels inside the 24-column grid.
TEST(GrafanaDashboard, IsAnImportableModel) {
  json d = LoadDashboard();
  ASSERT_TRUE(d.is_object());
  EXPECT_EQ(d.value("uid", ""), "aerospike-backup-service");
  std::map<std::string, json> vars;
  for (const auto& v : d["templating"]["list"]) vars[v.value("name", "")] = v;
  ASSERT_TRUE(vars.count("DS_PROMETHEUS"));
  EXPECT_EQ(vars["DS_PROMETHEUS"]["type"], "datasource");
  EXPECT_EQ(vars["DS_PROMETHEUS"]["query"], "prometheus");
  ASSERT_TRUE(vars.count("routine"));
  EXPECT_EQ(vars["routine"]["type"], "query");
  EXPECT_TRUE(vars["routine"].value("multi", false));
  std::set<int> ids;
  int queries = 0, routine_filtered = 0;
  ForEachPanel(d["panels"], [&](const json& p) {
    const std::string title = p.value("title", "");
    EXPECT_TRUE(ids.insert(p.value("id", -1)).second) << "duplicate panel id in " << title;
    const auto& g = p["gridPos"];
    EXPECT_GE(g.value("x", -1), 0) << title;
    EXPECT_LE(g.value("x", 0) + g.value("w", 99), 24) << title;
    EXPECT_GT(g.value("h", 0), 0) << title;
    if (p.value("type", "") == "row") return;
    EXPECT_FALSE(p.value("description", "").empty()) << title;
    EXPECT_EQ(p["datasource"].value("uid", ""), "${DS_PROMETHEUS}") << title;
    ASSERT_TRUE(p["targets"].is_array() && !p["targets"].empty()) << title;
    for (const auto& t : p["targets"]) {
      EXPECT_EQ(t["datasource"].value("uid", ""), "${DS_PROMETHEUS}") << title;
      EXPECT_FALSE(t.value("expr", "").empty()) << title;
      ++queries;
      if (t.value("expr", "").find("routine=~\"$routine\"") != std::string::npos) ++routine_filtered;
    }
  });
  EXPECT_GE(queries, 20);
  EXPECT_GE(routine_filtered, 10);  // the per-routine panels follow the routine variable
}

// Each dashboard query, with Grafana's variables filled in, goes through promtool's PromQL parser.
TEST(GrafanaDashboard, QueriesParseAsPromql) {
  ASSERT_TRUE(HavePromtool()) << "promtool not found: install Debian's prometheus package (scripts/setup.sh)";
  json d = LoadDashboard();
  ASSERT_TRUE(d.is_object());
  TempDir dir;
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  int n = 0;
  for (const auto& [where, expr] : DashboardExpressions(d)) {
    rules += "      # " + where + "\n      - record: dashboard_query_" + std::to_string(n++) +
             "\n        expr: " + json(WithVariablesReplaced(expr)).dump() + "\n";
  }
  const std::string file = dir.path() + "/dashboard_rules.yml";
  e2e::WriteFile(file, rules);
  auto check = RunCommand({"promtool", "check", "rules", file});
  ASSERT_TRUE(check.ok()) << check.status().ToString();
  EXPECT_EQ(check->exit_code, 0) << check->all() << "\n" << rules;
  EXPECT_GE(n, 20);
}

// The service binary with two routines, a restore target, and every metric name deploy/ uses.
class MonitoringAgainstService : public ::testing::Test {
 protected:
  void SetUp() override {
    Status st = src_.Start(dir_.File("src.log"), TestServerOptions(200));
    ASSERT_TRUE(st.ok()) << st.ToString();
    st = dst_.Start(dir_.File("dst.log"));
    ASSERT_TRUE(st.ok()) << st.ToString();
    port_ = FreeLoopbackPort();
    api_ = Api(port_);
    std::string y = "service:\n  http:\n    address: 127.0.0.1\n    port: " + std::to_string(port_) +
                    "\n  logger:\n    level: INFO\n";
    y += "aerospike-clusters:\n";
    for (const auto& [name, ts] : {std::pair<std::string, TestServerProcess*>{"src", &src_}, {"dst", &dst_}}) {
      y += "  " + name + ":\n    seed-nodes:\n      - host-name: 127.0.0.1\n        port: " + std::to_string(ts->port) + "\n";
    }
    y += "storage:\n  local:\n    local-storage:\n      path: " + dir_.path() + "/storage\n";
    y += "backup-policies:\n  p:\n    parallel: 2\n";
    y += "backup-routines:\n";
    // Fulls at midnight / noon UTC: the start-up catch-up takes the first one of each routine.
    for (const auto& [name, cron] : {std::pair<std::string, std::string>{"daily", "0 0 0 * * *"}, {"noon", "0 0 12 * * *"}}) {
      y += "  " + name + ":\n    source-cluster: src\n    storage: local\n    backup-policy: p\n    interval-cron: \"" +
           cron + "\"\n    incr-interval-cron: \"0 0 * * * *\"\n    namespaces: [\"test\"]\n";
    }
    const std::string config = dir_.path() + "/config.yml";
    e2e::WriteFile(config, y);
    st = svc_.StartOnPort({"-c", config}, port_, {dir_.File("service.log")});
    ASSERT_TRUE(st.ok()) << "service did not start: " << st.ToString();
  }
  void TearDown() override {
    if (svc_.running()) {
      EXPECT_EQ(svc_.Signal(SIGTERM, 15s), 0) << svc_.output();
    }
  }

  std::string Scrape() {
    auto r = api_.Get("/metrics");
    EXPECT_EQ(r.status, 200) << r.error;
    return r.body;
  }
  // The value of the sample `name{labels}` exactly as exposed (labels in the service's order), or NaN.
  static double Sample(const std::string& text, const std::string& series) {
    size_t p = text.find("\n" + series + " ");
    if (p == std::string::npos) return std::nan("");
    return std::stod(text.substr(p + series.size() + 2));
  }
  json Get(const std::string& path) {
    auto r = api_.Get(path);
    EXPECT_EQ(r.status, 200) << path << ": " << r.body << r.error;
    return json::parse(r.body, nullptr, false);
  }

  TempDir dir_;
  TestServerProcess src_, dst_;
  ServiceProcess svc_;
  int port_ = 0;
  Api api_{0};
};

TEST_F(MonitoringAgainstService, EveryMetricTheDashboardAndAlertsUseIsExported) {
  const std::string kP = "aerospike_backup_service_";
  // The catch-up fulls of both routines finish; then a restore of one of them.
  ASSERT_TRUE(WaitUntil(
      [&] {
        std::string m = Scrape();
        return Sample(m, kP + "runs_total") >= 2 &&
               Sample(m, kP + "backup_in_progress{routine=\"daily\",type=\"full\"}") == 0 &&
               Sample(m, kP + "backup_in_progress{routine=\"noon\",type=\"full\"}") == 0;
      },
      30s))
      << svc_.output();
  json fulls = Get("/v1/backups/full/daily");
  ASSERT_TRUE(fulls.is_array() && !fulls.empty()) << fulls.dump();
  auto r = api_.Post("/v1/restore/full", json{{"destination-name", "dst"}, {"source-name", "local"},
                                              {"backup-data-path", fulls[0]["key"]}, {"policy", json::object()}}
                                             .dump());
  ASSERT_EQ(r.status, 202) << r.body;
  json st;
  ASSERT_TRUE(WaitUntil(
      [&] {
        st = Get("/v1/restore/status/" + r.body);
        return st.is_object() && st.value("status", "") != "running";
      },
      30s));
  ASSERT_EQ(st["status"], "success") << st.dump();
  ASSERT_TRUE(WaitUntil([&] { return Sample(Scrape(), kP + "restore_in_progress") == 0; }, 10s));

  const std::string metrics = Scrape();
  const std::set<std::string> exposed = ExposedSampleNames(metrics);
  std::map<std::string, std::string> exprs = AlertExpressions();
  json d = LoadDashboard();
  ASSERT_TRUE(d.is_object());
  for (const auto& [where, e] : DashboardExpressions(d)) exprs[where] = e;
  ASSERT_GE(exprs.size(), 25u);
  std::set<std::string> used;
  for (const auto& [where, e] : exprs) {
    std::set<std::string> names = PromqlMetricNames(e);
    EXPECT_FALSE(names.empty()) << where << " reads no metric: " << e;
    for (const auto& n : names) {
      used.insert(n);
      if (!exposed.count(n) && !kNotYetExported.count(n)) {
        ADD_FAILURE() << where << " uses " << n << ", which the service does not export:\n" << e;
      }
    }
  }
  for (const auto& n : kNotYetExported) {
    EXPECT_FALSE(exposed.count(n)) << n << " is exported now: remove it from kNotYetExported";
    EXPECT_TRUE(used.count(n)) << n << " is in kNotYetExported but deploy/ does not use it";
  }
  // The dashboard covers the service's metric families (deprecated ABS 2.0 names aside).
  for (const char* family : {"backup_events_total", "backup_duration_seconds_sum", "last_successful_backup_timestamp",
                             "backup_progress_pct", "backup_in_progress", "restore_in_progress",
                             "restore_events_total", "backup_records_total", "backup_bytes_total",
                             "restore_records_total", "http_requests_total", "http_request_duration_seconds_bucket",
                             "full_backup_due_timestamp", "backup_start_timestamp", "last_backup_duration_seconds"}) {
    EXPECT_TRUE(used.count(kP + family)) << "deploy/ does not use " << kP << family;
  }

  // Outcome series exist at 0 before their first event, so that increase() sees that event.
  EXPECT_EQ(Sample(metrics, kP + "backup_events_total{routine=\"noon\",type=\"incremental\",outcome=\"failure\"}"), 0)
      << metrics;
  EXPECT_EQ(Sample(metrics, kP + "backup_events_total{routine=\"daily\",type=\"full\",outcome=\"skip\"}"), 0);
  EXPECT_EQ(Sample(metrics, kP + "restore_events_total{outcome=\"canceled\"}"), 0);
  EXPECT_EQ(Sample(metrics, kP + "restore_events_total{outcome=\"success\"}"), 1);

  // full_backup_due_timestamp: the first scheduled full (midnight UTC) after the last successful one.
  const double last = Sample(metrics, kP + "last_successful_backup_timestamp{routine=\"daily\",type=\"full\"}");
  ASSERT_FALSE(std::isnan(last)) << metrics;
  const int64_t next_midnight = (static_cast<int64_t>(last) / 86400 + 1) * 86400;
  EXPECT_EQ(Sample(metrics, kP + "full_backup_due_timestamp{routine=\"daily\"}"), next_midnight) << metrics;
  const int64_t next_noon = ((static_cast<int64_t>(Sample(metrics, kP + "last_successful_backup_timestamp{routine=\"noon\",type=\"full\"}")) -
                              43200) / 86400 + 1) * 86400 + 43200;
  EXPECT_EQ(Sample(metrics, kP + "full_backup_due_timestamp{routine=\"noon\"}"), next_noon) << metrics;
  // backup_start_timestamp is the start of that backup (the same run timestamp, with milliseconds).
  EXPECT_EQ(std::floor(Sample(metrics, kP + "backup_start_timestamp{routine=\"daily\",type=\"full\"}")), last);
  const double duration = Sample(metrics, kP + "last_backup_duration_seconds{routine=\"daily\",type=\"full\"}");
  EXPECT_GT(duration, 0);
  EXPECT_LT(duration, 30);

  // A routine that is no longer scheduled stops exporting its due time (so its alert resolves), and
  // exports it again when enabled.
  ASSERT_EQ(api_.Put("/v1/config/routines/noon/disable", "").status, 204);
  std::string after = Scrape();
  EXPECT_TRUE(std::isnan(Sample(after, kP + "full_backup_due_timestamp{routine=\"noon\"}"))) << after;
  EXPECT_EQ(Sample(after, kP + "full_backup_due_timestamp{routine=\"daily\"}"), next_midnight);
  ASSERT_EQ(api_.Put("/v1/config/routines/noon/enable", "").status, 204);
  EXPECT_EQ(Sample(Scrape(), kP + "full_backup_due_timestamp{routine=\"noon\"}"), next_noon);
}

}  // namespace
}  // namespace aero::deploytest
