// Machine-readable lines (see machine_lines.h).
#include "tools/common/machine_lines.h"

#include <cstdio>

#include "tools/common/progress.h"

namespace aero::tools {

std::string MachineLine(std::string_view tag, std::initializer_list<uint64_t> fields) {
  std::string line(tag);
  for (uint64_t f : fields) line += ":" + std::to_string(f);
  return line;
}

std::vector<std::string> MachineProgressLines(double percent, double eta_seconds) {
  std::vector<std::string> lines;
  if (percent >= 0) lines.push_back("PROGRESS:" + std::to_string(static_cast<int>(percent)));
  if (eta_seconds >= 0) lines.push_back("REMAINING:" + FormatDuration(eta_seconds));
  return lines;
}

Status AppendMachineLine(const std::string& path, const std::string& line) {
  if (path.empty()) return Status::Ok();
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return Status(ErrorCode::kIo, "cannot open the machine-readable output " + path);
  bool written = std::fputs((line + "\n").c_str(), f) >= 0;
  bool closed = std::fclose(f) == 0;
  if (!written || !closed) return Status(ErrorCode::kIo, "cannot write the machine-readable output " + path);
  return Status::Ok();
}

}  // namespace aero::tools
