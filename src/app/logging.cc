// spdlog set-up with ABS's PLAIN and JSON line formats (logging.h).
#include "app/logging.h"

#include <spdlog/sinks/rotating_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <ctime>

namespace aero::app {

namespace {

std::string Timestamp(spdlog::log_clock::time_point t) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

const char* LevelName(spdlog::level::level_enum l) {
  switch (l) {
    case spdlog::level::trace: return "TRACE";
    case spdlog::level::debug: return "DEBUG";
    case spdlog::level::info: return "INFO";
    case spdlog::level::warn: return "WARN";
    case spdlog::level::err: return "ERROR";
    case spdlog::level::critical: return "ERROR";
    default: return "INFO";
  }
}

// JSON string escaping (also used for PLAIN's quoted msg, which follows Go's %q closely enough).
std::string Escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

class LineFormatter : public spdlog::formatter {
 public:
  explicit LineFormatter(bool json) : json_(json) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string_view text(msg.payload.data(), msg.payload.size());
    std::string line;
    if (json_) {
      line = "{\"time\":\"" + Timestamp(msg.time) + "\",\"level\":\"" + LevelName(msg.level) + "\",\"msg\":\"" +
             Escape(text) + "\"}\n";
    } else {
      line = "time=" + Timestamp(msg.time) + " level=" + LevelName(msg.level) + " msg=\"" + Escape(text) + "\"\n";
    }
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<LineFormatter>(json_); }

 private:
  bool json_;
};

}  // namespace

Status SetUpLogging(const service::LoggerConfig& config) {
  std::string level = config.EffectiveLevel();
  std::transform(level.begin(), level.end(), level.begin(), ::toupper);
  spdlog::level::level_enum lvl;
  if (level == "TRACE") lvl = spdlog::level::trace;
  else if (level == "DEBUG") lvl = spdlog::level::debug;
  else if (level == "INFO") lvl = spdlog::level::info;
  else if (level == "WARN" || level == "WARNING") lvl = spdlog::level::warn;
  else if (level == "ERROR") lvl = spdlog::level::err;
  else return Status(ErrorCode::kInvalidArgument, "service.logger.level: unknown level \"" + level + "\"");

  std::string format = config.EffectiveFormat();
  std::transform(format.begin(), format.end(), format.begin(), ::toupper);
  if (format != "PLAIN" && format != "JSON") {
    return Status(ErrorCode::kInvalidArgument, "service.logger.format: must be PLAIN or JSON, got \"" + format + "\"");
  }

  std::vector<spdlog::sink_ptr> sinks;
  if (config.EffectiveStdoutWriter()) sinks.push_back(std::make_shared<spdlog::sinks::stdout_sink_mt>());
  if (config.file_writer) {
    const auto& f = *config.file_writer;
    // maxbackups 0 = keep all; spdlog needs a bound, so "all" is a large count.
    size_t files = f.max_backups.value_or(0) > 0 ? static_cast<size_t>(*f.max_backups) : 10000;
    try {
      sinks.push_back(std::make_shared<spdlog::sinks::rotating_file_sink_mt>(
          f.filename, static_cast<size_t>(f.EffectiveMaxSizeMb()) * 1024 * 1024, files));
    } catch (const spdlog::spdlog_ex& e) {
      return Status(ErrorCode::kIo, "service.logger.file-writer: cannot open " + f.filename + ": " + e.what());
    }
  }
  auto logger = std::make_shared<spdlog::logger>("abs", sinks.begin(), sinks.end());
  logger->set_formatter(std::make_unique<LineFormatter>(format == "JSON"));
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::trace);  // a service log is read live; flush every line
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

}  // namespace aero::app
