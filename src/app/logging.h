// Process logging for the service (abs-config.md §3.3, service.logger): spdlog with ABS's two line
// formats — PLAIN `time=2024-10-30T07:50:59.773Z level=INFO msg="..."` and JSON (one object per line) —
// to stdout and/or a size-rotated file, at the configured level.
//
// The file writer rotates as ABS's (lumberjack) does: when a write would take the file past maxsize
// MB, the file is renamed to `<name>-<UTC 2006-01-02T15-04-05.000><.ext>` and a new one is started;
// then, on a worker thread, rotated files beyond the newest `maxbackups` are deleted, those whose
// name timestamp is older than `maxage` days are deleted, and with `compress` the rest are gzipped
// (`.gz`, original removed). The same clean-up runs once when the file is opened.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/status.h"
#include "service/config/config.h"

namespace aero::app {

// Installs the default spdlog logger. kInvalidArgument for an unknown level/format, kIo when the log
// file cannot be opened.
Status SetUpLogging(const service::LoggerConfig& config);

struct RotationOptions {
  std::string filename;
  int64_t max_size_bytes = 100LL << 20;  // rotate before a write would pass this (<= 0: never)
  int64_t max_age_days = 0;              // 0 = keep regardless of age
  int64_t max_backups = 0;               // 0 = keep all
  bool compress = false;
  // Names rotated files and is the reference for max_age_days (tests pass a fixed clock).
  std::function<std::chrono::system_clock::time_point()> now = [] { return std::chrono::system_clock::now(); };
};

// An append-only log file with lumberjack rotation. Thread-safe. Clean-up errors (a rotated file
// that cannot be deleted or compressed) do not stop logging: they are written to stderr and kept
// for LastMillError().
class RotatingLogFile {
 public:
  // Opens (appending to) or creates `options.filename` (mode 0600) and runs the clean-up once.
  static Result<std::unique_ptr<RotatingLogFile>> Open(RotationOptions options);
  ~RotatingLogFile();  // finishes a pending clean-up, joins the worker, closes the file
  RotatingLogFile(const RotatingLogFile&) = delete;
  RotatingLogFile& operator=(const RotatingLogFile&) = delete;

  // Appends `data`, rotating first when it would not fit. A single write larger than max size goes
  // into a fresh file of its own (nothing is dropped).
  Status Write(std::string_view data);
  // Blocks until no clean-up is pending or running (tests; shutdown).
  void WaitForMill();
  std::string LastMillError() const;
  // The name a rotation at `t` gives the file: /dir/abs.log → /dir/abs-2024-10-30T07-50-59.773.log.
  static std::string BackupName(const std::string& filename, std::chrono::system_clock::time_point t);

 private:
  explicit RotatingLogFile(RotationOptions options);
  Status OpenFile();
  Status RotateLocked();
  void RequestMill();
  void MillLoop();
  void MillOnce();

  RotationOptions options_;
  std::mutex write_mu_;  // the file descriptor and size
  int fd_ = -1;
  int64_t size_ = 0;

  mutable std::mutex mill_mu_;
  std::condition_variable mill_cv_;
  bool mill_pending_ = false;
  bool mill_running_ = false;
  bool stop_ = false;
  std::string last_mill_error_;
  std::thread mill_thread_;
};

}  // namespace aero::app
