// abs-backup's output options and the reporter they start (see output_options.h).
#include "tools/common/output_options.h"

#include <chrono>

namespace aero::tools {

void AddOutputOptions(CLI::App& app, OutputFlags& f) {
  const char* g = "Output";
  app.add_flag("--json", f.json, "Print a JSON summary on stdout")->group(g);
  app.add_flag("--no-progress", f.no_progress, "No progress output")->group(g);
  app.add_option("-m,--machine", f.machine, "Append machine-readable progress lines to this file")->group(g);
  app.add_option("--progress-interval", f.progress_interval_ms, "Progress interval (ms)")->group(g);
}

std::unique_ptr<ProgressReporter> StartProgress(const OutputFlags& f, std::function<std::string(bool terminal)> line,
                                                std::ostream& err) {
  if (f.no_progress && f.machine.empty()) return nullptr;
  bool terminal = !f.no_progress && StderrIsTerminal();
  auto interval = std::chrono::milliseconds(f.progress_interval_ms > 0 ? f.progress_interval_ms : (terminal ? 1000 : 10000));
  return std::make_unique<ProgressReporter>([line, terminal] { return line(terminal); },
                                            terminal ? ProgressStyle::kTerminal : ProgressStyle::kLines, interval,
                                            f.no_progress ? nullptr : &err);
}

}  // namespace aero::tools
