// Metrics registry and Prometheus text exposition (metrics.h).
#include "service/metrics/metrics.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace aero::service::metrics {

namespace {
const char* TypeName(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    default: return "histogram";
  }
}

std::string EscapeHelp(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// {a="x",b="y"} with an optional extra label (histogram "le"); "" when there are no labels.
std::string LabelSet(const std::vector<std::string>& names, const std::vector<std::string>& values,
                     const char* extra_name = nullptr, const std::string& extra_value = {}) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + EscapeLabelValue(i < values.size() ? values[i] : std::string()) + "\"";
  }
  if (extra_name) {
    out += out.empty() ? "{" : ",";
    out += std::string(extra_name) + "=\"" + EscapeLabelValue(extra_value) + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}
}  // namespace

std::string EscapeLabelValue(const std::string& v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  // The shortest form that reads back as the same double (as Go's client prints: le="0.005", not
  // "0.0050000000000000001"), so bucket labels match the ones users write and other exporters use.
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// ---- Series ----
void Series::Inc(double v) {
  if (!(v >= 0)) return;
  std::lock_guard<std::mutex> lock(family_->mu_);
  removed_ = false;
  value_ += v;
}
void Series::Set(double v) {
  std::lock_guard<std::mutex> lock(family_->mu_);
  removed_ = false;
  value_ = v;
}
void Series::Dec(double v) {
  std::lock_guard<std::mutex> lock(family_->mu_);
  removed_ = false;
  value_ -= v;
}
void Series::Observe(double v) {
  std::lock_guard<std::mutex> lock(family_->mu_);
  removed_ = false;
  const auto& b = family_->buckets_;
  size_t i = std::lower_bound(b.begin(), b.end(), v) - b.begin();  // first bound >= v
  if (i < bucket_counts_.size()) ++bucket_counts_[i];
  ++count_;
  sum_ += v;
}
double Series::Value() const {
  std::lock_guard<std::mutex> lock(family_->mu_);
  return value_;
}
uint64_t Series::Count() const {
  std::lock_guard<std::mutex> lock(family_->mu_);
  return count_;
}
double Series::Sum() const {
  std::lock_guard<std::mutex> lock(family_->mu_);
  return sum_;
}

// ---- Family ----
Family::Family(std::string name, std::string help, MetricType type, std::vector<std::string> label_names,
               std::vector<double> buckets)
    : name_(std::move(name)), help_(std::move(help)), type_(type), label_names_(std::move(label_names)),
      buckets_(std::move(buckets)) {
  std::sort(buckets_.begin(), buckets_.end());
  buckets_.erase(std::unique(buckets_.begin(), buckets_.end()), buckets_.end());
  if (!buckets_.empty() && std::isinf(buckets_.back())) buckets_.pop_back();  // +Inf is implicit
}

Series& Family::WithLabels(const std::vector<std::string>& values) {
  std::vector<std::string> key = values;
  key.resize(label_names_.size());
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = series_[key];
  if (!slot) slot.reset(new Series(this, buckets_.size()));
  return *slot;
}

void Family::Remove(const std::vector<std::string>& values) {
  std::vector<std::string> key = values;
  key.resize(label_names_.size());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = series_.find(key);
  if (it != series_.end()) it->second->removed_ = true;
}

void Family::Render(std::string* out) const {
  std::lock_guard<std::mutex> lock(mu_);
  *out += "# HELP " + name_ + " " + EscapeHelp(help_) + "\n";
  *out += "# TYPE " + name_ + " " + TypeName(type_) + "\n";
  for (const auto& [values, s] : series_) {
    if (s->removed_) continue;
    if (type_ != MetricType::kHistogram) {
      *out += name_ + LabelSet(label_names_, values) + " " + FormatValue(s->value_) + "\n";
      continue;
    }
    uint64_t cumulative = 0;
    for (size_t i = 0; i < buckets_.size(); ++i) {
      cumulative += s->bucket_counts_[i];
      *out += name_ + "_bucket" + LabelSet(label_names_, values, "le", FormatValue(buckets_[i])) + " " +
              std::to_string(cumulative) + "\n";
    }
    *out += name_ + "_bucket" + LabelSet(label_names_, values, "le", "+Inf") + " " + std::to_string(s->count_) + "\n";
    *out += name_ + "_sum" + LabelSet(label_names_, values) + " " + FormatValue(s->sum_) + "\n";
    *out += name_ + "_count" + LabelSet(label_names_, values) + " " + std::to_string(s->count_) + "\n";
  }
}

// ---- Registry ----
Family& Registry::Add(std::unique_ptr<Family> family) {
  std::lock_guard<std::mutex> lock(mu_);
  families_.push_back(std::move(family));
  return *families_.back();
}
Family& Registry::AddCounter(const std::string& name, const std::string& help, std::vector<std::string> labels) {
  return Add(std::make_unique<Family>(name, help, MetricType::kCounter, std::move(labels)));
}
Family& Registry::AddGauge(const std::string& name, const std::string& help, std::vector<std::string> labels) {
  return Add(std::make_unique<Family>(name, help, MetricType::kGauge, std::move(labels)));
}
Family& Registry::AddHistogram(const std::string& name, const std::string& help, std::vector<std::string> labels,
                               std::vector<double> buckets) {
  return Add(std::make_unique<Family>(name, help, MetricType::kHistogram, std::move(labels), std::move(buckets)));
}
std::string Registry::Exposition() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& f : families_) f->Render(&out);
  return out;
}

// ---- AbsMetrics ----
namespace {
constexpr const char* kP = "aerospike_backup_service_";
std::string N(const char* suffix) { return std::string(kP) + suffix; }
}  // namespace

AbsMetrics::AbsMetrics(Registry& r)
    : runs_total(r.AddCounter(N("runs_total"), "Successful full backup runs (deprecated).")),
      incremental_runs_total(r.AddCounter(N("incremental_runs_total"), "Incremental backup runs (deprecated).")),
      skip_total(r.AddCounter(N("skip_total"), "Skipped full backups (deprecated).")),
      incremental_skip_total(r.AddCounter(N("incremental_skip_total"), "Skipped incremental backups (deprecated).")),
      failure_total(r.AddCounter(N("failure_total"), "Failed full backups (deprecated).")),
      incremental_failure_total(
          r.AddCounter(N("incremental_failure_total"), "Failed incremental backups (deprecated).")),
      duration_millis(r.AddGauge(N("duration_millis"), "Duration of the last full backup in ms (deprecated).")),
      incremental_duration_millis(r.AddGauge(N("incremental_duration_millis"),
                                             "Duration of the last incremental backup in ms (deprecated).")),
      backup_events_total(r.AddCounter(N("backup_events_total"),
                                       "Backup outcomes (success, failure, canceled, retry, skip).",
                                       {"routine", "type", "outcome"})),
      backup_duration_seconds(r.AddHistogram(N("backup_duration_seconds"), "Duration of finished backups.",
                                             {"routine", "type"},
                                             {1, 5, 15, 30, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400})),
      last_successful_backup_timestamp(r.AddGauge(N("last_successful_backup_timestamp"),
                                                  "Unix time in seconds of the last successful backup.",
                                                  {"routine", "type"})),
      backup_progress_pct(
          r.AddGauge(N("backup_progress_pct"), "Progress of running backups in percent.", {"routine", "type"})),
      backup_in_progress(r.AddGauge(N("backup_in_progress"), "Running backups.", {"routine", "type"})),
      restore_in_progress(r.AddGauge(N("restore_in_progress"), "Running restore jobs.")),
      restore_events_total(
          r.AddCounter(N("restore_events_total"), "Finished restores (success, failure, canceled).", {"outcome"})),
      http_requests_total(r.AddCounter(N("http_requests_total"), "HTTP requests answered, by route and status code.",
                                       {"method", "route", "code"})),
      http_request_duration_seconds(r.AddHistogram(N("http_request_duration_seconds"),
                                                   "Time to answer HTTP requests.", {"method", "route"},
                                                   {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5})),
      http_rate_limited_total(r.AddCounter(N("http_rate_limited_total"), "HTTP requests refused with 429.")),
      process_start_time_seconds(
          r.AddGauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.")),
      full_backup_due_timestamp(r.AddGauge(
          N("full_backup_due_timestamp"),
          "Unix time in seconds of the first scheduled full backup after the routine's last successful one "
          "(after start-up when it has none): in the past while that backup runs or after it failed.",
          {"routine"})),
      backup_start_timestamp(r.AddGauge(N("backup_start_timestamp"),
                                        "Unix time in seconds at which the routine's latest backup started.",
                                        {"routine", "type"})),
      last_backup_duration_seconds(r.AddGauge(N("last_backup_duration_seconds"),
                                              "Duration of the routine's last successful backup.",
                                              {"routine", "type"})) {
  // Unlabelled families show a 0 sample from the start, as Prometheus client libraries do.
  for (Family* f : {&runs_total, &incremental_runs_total, &skip_total, &incremental_skip_total, &failure_total,
                    &incremental_failure_total, &duration_millis, &incremental_duration_millis, &restore_in_progress,
                    &http_rate_limited_total}) {
    f->Get();
  }
  for (const char* outcome : {"success", "failure", "canceled"}) restore_events_total.WithLabels({outcome});
  process_start_time_seconds.Get().Set(
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count());
}

}  // namespace aero::service::metrics
