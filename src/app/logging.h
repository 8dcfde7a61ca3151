// Process logging for the service (abs-config.md §3.3, service.logger): spdlog with ABS's two line
// formats — PLAIN `time=2024-10-30T07:50:59.773Z level=INFO msg="..."` and JSON (one object per line) —
// to stdout and/or a size-rotated file, at the configured level.
#pragma once

#include "common/status.h"
#include "service/config/config.h"

namespace aero::app {

// Installs the default spdlog logger. kInvalidArgument for an unknown level/format, kIo when the log
// file cannot be opened.
Status SetUpLogging(const service::LoggerConfig& config);

}  // namespace aero::app
