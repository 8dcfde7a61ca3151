// A small thread-safe metrics registry (counters, gauges, histograms with labels) that renders the
// Prometheus text exposition format (version 0.0.4), plus AbsMetrics: the metric families ABS exposes
// at GET /metrics (abs-behaviour.md §11) and the HTTP request metrics of this service.
//
// Families are created once at start-up; series (one per label-value tuple) are created on first use
// and live as long as the registry, so the handles returned by WithLabels() stay valid.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace aero::service::metrics {

enum class MetricType { kCounter, kGauge, kHistogram };

class Family;

// One time series. All operations lock the owning family's mutex (cheap; metrics are not hot here).
class Series {
 public:
  // Counter: adds `v` (must be >= 0; negative increments are ignored, counters never go down).
  void Inc(double v = 1);
  // Gauge only.
  void Set(double v);
  void Dec(double v = 1);
  // Histogram only: records one observation.
  void Observe(double v);
  double Value() const;       // counter / gauge value
  uint64_t Count() const;     // histogram observation count
  double Sum() const;         // histogram sum

 private:
  friend class Family;
  explicit Series(Family* family, size_t buckets) : family_(family), bucket_counts_(buckets, 0) {}
  Family* family_;
  bool removed_ = false;  // Family::Remove(): not rendered until the next write
  double value_ = 0;
  std::vector<uint64_t> bucket_counts_;  // non-cumulative, one per upper bound
  uint64_t count_ = 0;
  double sum_ = 0;
};

class Family {
 public:
  Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
         std::vector<double> buckets = {});
  const std::string& name() const { return name_; }
  MetricType type() const { return type_; }
  // The series for these label values (same count and order as label_names). A wrong number of
  // values is a programming error; it is answered with a series whose missing labels are "".
  Series& WithLabels(const std::vector<std::string>& values);
  // Series without labels (for unlabelled families).
  Series& Get() { return WithLabels({}); }
  // Stops exporting the series of these label values (a routine that is no longer scheduled), so
  // that an alert on it resolves. The series object stays, so handles remain valid; writing to it
  // exports it again.
  void Remove(const std::vector<std::string>& values);
  // Appends the HELP/TYPE lines and every series to `out`.
  void Render(std::string* out) const;

 private:
  friend class Series;
  std::string name_;
  std::string help_;
  MetricType type_;
  std::vector<std::string> label_names_;
  std::vector<double> buckets_;  // histogram upper bounds, ascending (+Inf implicit)
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series_;
};

class Registry {
 public:
  Family& AddCounter(const std::string& name, const std::string& help, std::vector<std::string> labels = {});
  Family& AddGauge(const std::string& name, const std::string& help, std::vector<std::string> labels = {});
  Family& AddHistogram(const std::string& name, const std::string& help, std::vector<std::string> labels,
                       std::vector<double> buckets);
  // Prometheus text format, families in registration order.
  std::string Exposition() const;

 private:
  Family& Add(std::unique_ptr<Family> family);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Family>> families_;
};

// Escapes a label value for the exposition format (backslash, double quote, newline).
std::string EscapeLabelValue(const std::string& v);
// Formats a sample value the way Prometheus clients do: integers without a fraction, +Inf/-Inf/NaN.
std::string FormatValue(double v);

// The metric set of ABS 3.7 (deprecated v2.0 names included, as ABS still exports them) and the
// HTTP metrics of this service. The scheduler/jobs code feeds the backup/restore families.
struct AbsMetrics {
  explicit AbsMetrics(Registry& r);

  // v2.0 names, unlabelled (kept by 3.x, deprecated).
  Family& runs_total;
  Family& incremental_runs_total;
  Family& skip_total;
  Family& incremental_skip_total;
  Family& failure_total;
  Family& incremental_failure_total;
  Family& duration_millis;
  Family& incremental_duration_millis;
  // 3.x labelled set.
  Family& backup_events_total;               // routine, type, outcome
  Family& backup_duration_seconds;           // routine, type (histogram)
  Family& last_successful_backup_timestamp;  // routine, type
  Family& backup_progress_pct;               // routine, type
  Family& backup_in_progress;                // routine, type
  Family& restore_in_progress;               // -
  Family& restore_events_total;              // outcome
  // This service's HTTP layer.
  Family& http_requests_total;               // method, route, code
  Family& http_request_duration_seconds;     // method, route (histogram)
  Family& http_rate_limited_total;           // -
  Family& process_start_time_seconds;        // -
  // This service's additions for alerting (deploy/prometheus/alerts.yml): when a routine's next full
  // backup is due, and when the running backup started and how long the last one took.
  Family& full_backup_due_timestamp;         // routine
  Family& backup_start_timestamp;            // routine, type
  Family& last_backup_duration_seconds;      // routine, type
};

}  // namespace aero::service::metrics
