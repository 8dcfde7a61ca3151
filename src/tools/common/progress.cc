// The progress reporter thread and progress formatting (see progress.h).
#include "tools/common/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

namespace aero::tools {

ProgressReporter::ProgressReporter(std::function<std::string()> line, ProgressStyle style,
                                   std::chrono::milliseconds interval, std::ostream* out)
    : line_(std::move(line)), style_(style), interval_(interval), out_(out) {
  thread_ = std::thread([this] { Loop(); });
}

ProgressReporter::~ProgressReporter() { Stop(); }

void ProgressReporter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Draw(line_(), /*final=*/true);
}

void ProgressReporter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, interval_, [&] { return stop_; })) {
    lock.unlock();
    Draw(line_(), /*final=*/false);
    lock.lock();
  }
}

void ProgressReporter::Draw(const std::string& line, bool final) {
  if (!out_) return;
  switch (style_) {
    case ProgressStyle::kLines: *out_ << line << "\n"; break;
    case ProgressStyle::kTerminal: *out_ << "\r" << line << "\x1b[K" << (final ? "\n" : ""); break;
    case ProgressStyle::kPadded: *out_ << "\r" << line << "   " << (final ? "\n" : ""); break;
  }
  out_->flush();
}

bool StderrIsTerminal() { return ::isatty(STDERR_FILENO) != 0; }

std::string FormatDuration(double seconds) {
  if (seconds < 0) return "?";
  long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm%02lds", s / 3600, s / 60 % 60, s % 60);
  else if (s >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", s / 60, s % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", s);
  return buf;
}

std::string FormatBytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string ProgressBar(double percent, int width) {
  if (percent < 0) return "[" + std::string(static_cast<size_t>(width / 2), ' ') + "?" +
                          std::string(static_cast<size_t>(width - width / 2 - 1), ' ') + "]";
  percent = std::min(100.0, percent);
  int fill = static_cast<int>(percent / 100.0 * width);
  char pct[16];
  std::snprintf(pct, sizeof pct, " %5.1f%%", percent);
  return "[" + std::string(static_cast<size_t>(fill), '#') + std::string(static_cast<size_t>(width - fill), '.') + "]" + pct;
}

}  // namespace aero::tools
