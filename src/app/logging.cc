// spdlog set-up with ABS's PLAIN and JSON line formats, and the lumberjack-style rotating log file
// (logging.h).
#include "app/logging.h"

#include <fcntl.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <vector>

namespace aero::app {

namespace {

// UTC with milliseconds: 2006-01-02T15<sep>04<sep>05.000<suffix>.
std::string UtcMillis(std::chrono::system_clock::time_point t, char sep, const char* suffix) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d%c%02d%c%02d.%03d%s", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, sep, tm.tm_min, sep, tm.tm_sec, static_cast<int>(ms % 1000), suffix);
  return buf;
}

// Log line time: RFC 3339 with milliseconds.
std::string Timestamp(spdlog::log_clock::time_point t) { return UtcMillis(t, ':', "Z"); }

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

// spdlog sink over RotatingLogFile; a failed write surfaces through spdlog's error handler (stderr).
class FileSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit FileSink(std::unique_ptr<RotatingLogFile> file) : file_(std::move(file)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    Status st = file_->Write(std::string_view(buf.data(), buf.size()));
    if (!st.ok()) throw spdlog::spdlog_ex(st.message());
  }
  void flush_() override {}  // every Write is a write(2): nothing is buffered here

 private:
  std::unique_ptr<RotatingLogFile> file_;
};

std::string Errno(const std::string& what, const std::string& path) {
  return what + " " + path + ": " + std::strerror(errno);
}

// Splits /dir/abs.log into /dir/, "abs" and ".log" (Go's filepath.Ext: from the last dot of the name).
struct NameParts {
  std::string dir, stem, ext;
};
NameParts SplitName(const std::string& filename) {
  NameParts p;
  size_t slash = filename.rfind('/');
  p.dir = slash == std::string::npos ? std::string() : filename.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? filename : filename.substr(slash + 1);
  size_t dot = base.rfind('.');
  p.stem = dot == std::string::npos ? base : base.substr(0, dot);
  p.ext = dot == std::string::npos ? std::string() : base.substr(dot);
  return p;
}

// The time in a rotated file's name ("<stem>-<2006-01-02T15-04-05.000><ext>[.gz]"), if it is one.
std::optional<std::chrono::system_clock::time_point> BackupTime(const std::string& name, const NameParts& parts,
                                                                bool* compressed) {
  const std::string prefix = parts.stem + "-";
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  std::string rest = name.substr(prefix.size());
  *compressed = false;
  auto strip = [&rest](const std::string& suffix) {
    if (rest.size() < suffix.size() || rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) != 0) {
      return false;
    }
    rest.resize(rest.size() - suffix.size());
    return true;
  };
  if (strip(parts.ext + ".gz")) *compressed = true;
  else if (!strip(parts.ext)) return std::nullopt;
  int y, mo, d, h, mi, sec, ms;
  char tail;
  if (rest.size() != 23 ||
      std::sscanf(rest.c_str(), "%4d-%2d-%2dT%2d-%2d-%2d.%3d%c", &y, &mo, &d, &h, &mi, &sec, &ms, &tail) != 7) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
}

// gzip `src` to `dst` (same mode), then removes `src`. A partial `dst` is removed on failure.
Status GzipFile(const std::string& src, const std::string& dst) {
  int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status(ErrorCode::kIo, Errno("cannot open", src));
  struct stat st {};
  fstat(in, &st);
  gzFile out = gzopen(dst.c_str(), "wb");
  if (!out) {
    ::close(in);
    return Status(ErrorCode::kIo, "cannot create " + dst);
  }
  std::vector<char> buf(1 << 16);
  Status result = Status::Ok();
  while (true) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = Status(ErrorCode::kIo, Errno("cannot read", src));
      break;
    }
    if (n == 0) break;
    if (gzwrite(out, buf.data(), static_cast<unsigned>(n)) != n) {
      result = Status(ErrorCode::kIo, "cannot write " + dst);
      break;
    }
  }
  ::close(in);
  if (gzclose(out) != Z_OK && result.ok()) result = Status(ErrorCode::kIo, "cannot finish " + dst);
  if (!result.ok()) {
    ::unlink(dst.c_str());
    return result;
  }
  ::chmod(dst.c_str(), st.st_mode & 07777);
  if (::unlink(src.c_str()) != 0) return Status(ErrorCode::kIo, Errno("compressed, but cannot remove", src));
  return Status::Ok();
}

std::string BackupStamp(std::chrono::system_clock::time_point t) { return UtcMillis(t, '-', ""); }

}  // namespace

// ---- RotatingLogFile ----
std::string RotatingLogFile::BackupName(const std::string& filename, std::chrono::system_clock::time_point t) {
  NameParts p = SplitName(filename);
  return p.dir + p.stem + "-" + BackupStamp(t) + p.ext;
}

RotatingLogFile::RotatingLogFile(RotationOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<RotatingLogFile>> RotatingLogFile::Open(RotationOptions options) {
  if (options.filename.empty()) return Status(ErrorCode::kInvalidArgument, "filename is empty");
  std::unique_ptr<RotatingLogFile> f(new RotatingLogFile(std::move(options)));
  ABS_RETURN_IF_ERROR(f->OpenFile());
  f->mill_thread_ = std::thread([p = f.get()] { p->MillLoop(); });
  f->RequestMill();  // lumberjack cleans up old files when it opens the log too
  return f;
}

RotatingLogFile::~RotatingLogFile() {
  {
    std::lock_guard<std::mutex> lock(mill_mu_);
    stop_ = true;
  }
  mill_cv_.notify_all();
  if (mill_thread_.joinable()) mill_thread_.join();
  if (fd_ >= 0) ::close(fd_);
}

Status RotatingLogFile::OpenFile() {
  const std::string& name = options_.filename;
  std::error_code ec;
  NameParts parts = SplitName(name);
  if (!parts.dir.empty()) std::filesystem::create_directories(parts.dir, ec);  // lumberjack: MkdirAll 0755
  int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Status(ErrorCode::kIo, Errno("cannot open log file", name));
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    ::close(fd);
    return Status(ErrorCode::kIo, Errno("cannot stat log file", name));
  }
  fd_ = fd;
  size_ = st.st_size;
  return Status::Ok();
}

Status RotatingLogFile::RotateLocked() {
  const std::string& name = options_.filename;
  struct stat st {};
  bool have_mode = fstat(fd_, &st) == 0;
  // A rotation in the same millisecond as the previous one must not overwrite it.
  auto t = options_.now();
  std::string backup = BackupName(name, t);
  for (int i = 0; i < 1000 && ::access(backup.c_str(), F_OK) == 0; ++i) {
    t += std::chrono::milliseconds(1);
    backup = BackupName(name, t);
  }
  if (::rename(name.c_str(), backup.c_str()) != 0) {
    return Status(ErrorCode::kIo, Errno("cannot rotate log file " + name + " to", backup));
  }
  ::close(fd_);
  fd_ = -1;
  ABS_RETURN_IF_ERROR(OpenFile());
  if (have_mode) ::fchmod(fd_, st.st_mode & 07777);  // the new file keeps the old one's mode
  RequestMill();
  return Status::Ok();
}

Status RotatingLogFile::Write(std::string_view data) {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (fd_ < 0) return Status(ErrorCode::kIo, "log file " + options_.filename + " is not open");
  const int64_t len = static_cast<int64_t>(data.size());
  if (options_.max_size_bytes > 0 && size_ > 0 && size_ + len > options_.max_size_bytes) {
    if (Status st = RotateLocked(); !st.ok()) {
      // Keep logging into the current file rather than losing lines; say so once per failure.
      std::fprintf(stderr, "aerospike-backup-service: log rotation failed: %s\n", st.message().c_str());
      if (fd_ < 0) return st;
    }
  }
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd_, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status(ErrorCode::kIo, Errno("cannot write log file", options_.filename));
    off += static_cast<size_t>(n);
    size_ += n;
  }
  return Status::Ok();
}

void RotatingLogFile::RequestMill() {
  {
    std::lock_guard<std::mutex> lock(mill_mu_);
    mill_pending_ = true;
  }
  mill_cv_.notify_all();
}

void RotatingLogFile::WaitForMill() {
  std::unique_lock<std::mutex> lock(mill_mu_);
  mill_cv_.wait(lock, [this] { return !mill_pending_ && !mill_running_; });
}

std::string RotatingLogFile::LastMillError() const {
  std::lock_guard<std::mutex> lock(mill_mu_);
  return last_mill_error_;
}

void RotatingLogFile::MillLoop() {
  std::unique_lock<std::mutex> lock(mill_mu_);
  while (true) {
    mill_cv_.wait(lock, [this] { return mill_pending_ || stop_; });
    if (mill_pending_) {  // pending work is done even when stopping
      mill_pending_ = false;
      mill_running_ = true;
      lock.unlock();
      MillOnce();
      lock.lock();
      mill_running_ = false;
      mill_cv_.notify_all();
      continue;
    }
    if (stop_) return;
  }
}

void RotatingLogFile::MillOnce() {
  if (options_.max_backups <= 0 && options_.max_age_days <= 0 && !options_.compress) return;
  const NameParts parts = SplitName(options_.filename);
  const std::string dir = parts.dir.empty() ? "." : parts.dir;
  struct Backup {
    std::string path;
    std::string base;  // the name without ".gz": a file and its compressed copy count once
    std::chrono::system_clock::time_point time;
    bool compressed;
  };
  std::vector<Backup> files;
  std::error_code ec;
  std::vector<std::string> errors;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec)) {
    std::error_code type_ec;
    if (!it->is_regular_file(type_ec)) continue;
    const std::string name = it->path().filename().string();
    bool compressed = false;
    auto t = BackupTime(name, parts, &compressed);
    if (!t) continue;
    std::string base = compressed ? name.substr(0, name.size() - 3) : name;
    files.push_back({it->path().string(), base, *t, compressed});
  }
  if (ec) errors.push_back("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end(), [](const Backup& a, const Backup& b) { return a.time > b.time; });

  auto remove = [&errors](const std::string& path) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) errors.push_back(Errno("cannot delete", path));
  };
  std::vector<Backup> kept;
  if (options_.max_backups > 0) {
    std::vector<std::string> seen;
    for (const auto& f : files) {
      if (std::find(seen.begin(), seen.end(), f.base) == seen.end()) seen.push_back(f.base);
      if (static_cast<int64_t>(seen.size()) > options_.max_backups) remove(f.path);
      else kept.push_back(f);
    }
  } else {
    kept = files;
  }
  if (options_.max_age_days > 0) {
    const auto cutoff = options_.now() - std::chrono::hours(24) * options_.max_age_days;
    std::vector<Backup> young;
    for (const auto& f : kept) {
      if (f.time < cutoff) remove(f.path);
      else young.push_back(f);
    }
    kept.swap(young);
  }
  if (options_.compress) {
    for (const auto& f : kept) {
      if (f.compressed) continue;
      if (Status st = GzipFile(f.path, f.path + ".gz"); !st.ok()) errors.push_back(st.message());
    }
  }
  if (!errors.empty()) {
    std::string all;
    for (const auto& e : errors) all += (all.empty() ? "" : "; ") + e;
    std::fprintf(stderr, "aerospike-backup-service: log file clean-up: %s\n", all.c_str());
    std::lock_guard<std::mutex> lock(mill_mu_);
    last_mill_error_ = all;
  }
}

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
    RotationOptions o;
    o.filename = f.filename;
    // lumberjack reads maxsize 0 as its 100 MB default, not as "never rotate".
    const int64_t mb = f.EffectiveMaxSizeMb() > 0 ? f.EffectiveMaxSizeMb() : service::kDefaultLogMaxSizeMb;
    o.max_size_bytes = mb * 1024 * 1024;
    o.max_age_days = f.max_age_days.value_or(0);
    o.max_backups = f.max_backups.value_or(0);
    o.compress = f.compress.value_or(false);
    auto file = RotatingLogFile::Open(std::move(o));
    if (!file.ok()) return file.status().WithContext("service.logger.file-writer");
    sinks.push_back(std::make_shared<FileSink>(std::move(file).value()));
  }
  auto logger = std::make_shared<spdlog::logger>("abs", sinks.begin(), sinks.end());
  logger->set_formatter(std::make_unique<LineFormatter>(format == "JSON"));
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::trace);  // a service log is read live; flush every line
  spdlog::set_default_logger(logger);
  return Status::Ok();
}

}  // namespace aero::app
