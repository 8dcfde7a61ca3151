// Progress while a tool runs: a reporter thread that asks for a line every interval and draws it
// (redrawn in place on a terminal, one line per report otherwise), and the formatting pieces both
// tools' lines are made of (bar, duration, bytes).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>

namespace aero::tools {

// How a ProgressReporter draws each line on its stream.
enum class ProgressStyle {
  kLines,     // "<line>\n": stderr is a file or a pipe
  kTerminal,  // "\r<line>\x1b[K", redrawn in place; the final report ends the line
  kPadded,    // "\r<line>   ", abs-restore's bar (also when forced onto a non-terminal with
              // --progress); the final report ends the line
};

// Calls `line()` every `interval` from its own thread and writes the result to `out` in `style`;
// out = nullptr only calls `line` (for its side effects, e.g. machine-readable lines). Stop() (or
// the destructor) wakes the thread, joins it, then asks for and draws the final line.
class ProgressReporter {
 public:
  ProgressReporter(std::function<std::string()> line, ProgressStyle style, std::chrono::milliseconds interval,
                   std::ostream* out);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;
  void Stop();

 private:
  void Loop();
  void Draw(const std::string& line, bool final);
  std::function<std::string()> line_;
  ProgressStyle style_;
  std::chrono::milliseconds interval_;
  std::ostream* out_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// Whether stderr is a terminal (progress bars are drawn there by default).
bool StderrIsTerminal();

// "[#####.....]  45.0%" for a percent in [0,100], "[ ? ]" for unknown (< 0).
std::string ProgressBar(double percent, int width = 30);
// "1h02m03s", "4m05s", "12s"; "?" for < 0.
std::string FormatDuration(double seconds);
// "1.5 MiB" style.
std::string FormatBytes(double bytes);

}  // namespace aero::tools
