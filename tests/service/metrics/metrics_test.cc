// Unit tests of the metrics registry: Prometheus exposition text (labels escaped, histograms),
// values in their shortest form, removed series.
#include <gtest/gtest.h>

#include <string>

#include "service/metrics/metrics.h"

namespace aero::service {
namespace {

TEST(Metrics, ExpositionText) {
  metrics::Registry reg;
  auto& c = reg.AddCounter("t_events_total", "Events.", {"routine", "outcome"});
  c.WithLabels({"daily", "success"}).Inc();
  c.WithLabels({"daily", "success"}).Inc(2);
  c.WithLabels({"we\"ird\\", "fail\nure"}).Inc();
  c.WithLabels({"daily", "success"}).Inc(-5);  // ignored: counters only go up
  auto& g = reg.AddGauge("t_gauge", "A gauge.");
  g.Get().Set(2.5);
  auto& h = reg.AddHistogram("t_seconds", "Durations.", {"type"}, {1, 10});
  h.WithLabels({"full"}).Observe(0.5);
  h.WithLabels({"full"}).Observe(5);
  h.WithLabels({"full"}).Observe(50);
  const std::string text = reg.Exposition();
  EXPECT_NE(text.find("# TYPE t_events_total counter\n"), std::string::npos);
  EXPECT_NE(text.find("t_events_total{routine=\"daily\",outcome=\"success\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_events_total{routine=\"we\\\"ird\\\\\",outcome=\"fail\\nure\"} 1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("t_gauge 2.5\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_bucket{type=\"full\",le=\"1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("t_seconds_bucket{type=\"full\",le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_bucket{type=\"full\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_sum{type=\"full\"} 55.5\n"), std::string::npos);
  EXPECT_NE(text.find("t_seconds_count{type=\"full\"} 3\n"), std::string::npos);
}

TEST(Metrics, ValuesInShortestForm) {
  EXPECT_EQ(metrics::FormatValue(0.005), "0.005");  // was 0.0050000000000000001 (%.17g)
  EXPECT_EQ(metrics::FormatValue(0.1), "0.1");
  EXPECT_EQ(metrics::FormatValue(67.869035), "67.869035");
  EXPECT_EQ(metrics::FormatValue(1.0 / 3), "0.3333333333333333");
  EXPECT_EQ(metrics::FormatValue(1796693824.2879539), "1796693824.2879539");
  EXPECT_EQ(metrics::FormatValue(3), "3");
  metrics::Registry reg;
  reg.AddHistogram("t_seconds", "Durations.", {}, {0.005, 0.05}).Get().Observe(0.01);
  EXPECT_NE(reg.Exposition().find("t_seconds_bucket{le=\"0.005\"} 0\nt_seconds_bucket{le=\"0.05\"} 1\n"),
            std::string::npos)
      << reg.Exposition();
}

// A removed series is not exported (an alert on it resolves) until it is written again; its handle
// stays valid meanwhile.
TEST(Metrics, RemovedSeriesComesBackWhenWritten) {
  metrics::Registry reg;
  auto& g = reg.AddGauge("t_due", "Due.", {"routine"});
  g.WithLabels({"a"}).Set(5);
  metrics::Series& b = g.WithLabels({"b"});
  b.Set(7);
  g.Remove({"b"});
  g.Remove({"never-written"});  // no such series: nothing happens
  std::string text = reg.Exposition();
  EXPECT_NE(text.find("t_due{routine=\"a\"} 5\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("routine=\"b\""), std::string::npos) << text;
  EXPECT_EQ(text.find("never-written"), std::string::npos) << text;
  b.Set(8);
  EXPECT_NE(reg.Exposition().find("t_due{routine=\"b\"} 8\n"), std::string::npos);
  auto& c = reg.AddCounter("t_total", "Events.", {"routine"});
  c.WithLabels({"x"}).Inc();
  c.Remove({"x"});
  c.WithLabels({"x"}).Inc();  // a counter keeps its value across a removal
  EXPECT_NE(reg.Exposition().find("t_total{routine=\"x\"} 2\n"), std::string::npos);
}

}  // namespace
}  // namespace aero::service
