// Local-disk backend: temp file + fsync + rename, CRC-32C in an extended attribute (files written by
// earlier versions carry an MD5 there, still verified), pread-based reader.
#include "storage/local/local_storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/base64.h"
#include "storage/crc32c.h"
#include "storage/object_io.h"

namespace aero {
namespace {

// CRC-32C rather than MD5: it catches the same disk and copy corruption, and MD5 cost half of a
// backup's client CPU (bench/RESULTS.md). Files of earlier versions have only the MD5 attribute.
constexpr const char* kCrc32cXattr = "user.abs.crc32c";  // 4 bytes, big-endian
constexpr const char* kMd5Xattr = "user.abs.md5";      // 16 raw bytes (read only)

Status ErrnoStatus(int err, const std::string& what) {
  std::string msg = what + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) msg += " (disk full)";
  if (err == ENOENT) return Status(ErrorCode::kNotFound, msg);
  if (err == EACCES || err == EPERM) return Status(ErrorCode::kAuth, msg + " (permission denied)");
  return Status(ErrorCode::kIo, msg);
}

std::string ParentOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
}

// mkdir -p with mode 0700 for the directories it creates.
Status MakeDirs(const std::string& dir) {
  if (dir.empty()) return Status::Ok();
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return Status(ErrorCode::kIo, dir + ": exists and is not a directory");
  }
  if (dir != "/" && dir != ".") ABS_RETURN_IF_ERROR(MakeDirs(ParentOf(dir)));
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return ErrnoStatus(errno, "cannot create directory " + dir);
  return Status::Ok();
}

Status FsyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open directory " + dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus(err, "fsync of directory " + dir);
  return Status::Ok();
}

class LocalWriter : public OutputStream {
 public:
  LocalWriter(int fd, std::string temp_path, std::string final_path)
      : fd_(fd), temp_(std::move(temp_path)), final_(std::move(final_path)) {}
  ~LocalWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!published_) ::unlink(temp_.c_str());  // abandoned: leave nothing behind
  }

  Status Write(std::string_view bytes) override {
    if (fd_ < 0) return Status(ErrorCode::kInternal, final_ + ": write after close or failure");
    crc_.Update(bytes);
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        Status s = ErrnoStatus(errno, "write to " + temp_ + " (for " + final_ + ")");
        Fail();
        return s;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
      written_ += static_cast<uint64_t>(n);
    }
    // Start writing back what is written so far, without waiting: the fsync in Close() then has
    // little left to do, instead of flushing the whole file while the backup waits.
    if (written_ - writeback_from_ >= kWritebackChunk) {
      (void)::sync_file_range(fd_, static_cast<off_t>(writeback_from_), static_cast<off_t>(written_ - writeback_from_),
                              SYNC_FILE_RANGE_WRITE);
      writeback_from_ = written_;
    }
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return Status(ErrorCode::kInternal, final_ + ": closed twice or after a failed write");
    if (::fsync(fd_) != 0) {
      Status s = ErrnoStatus(errno, "fsync of " + temp_ + " (for " + final_ + ")");
      Fail();
      return s;
    }
    const uint32_t crc = crc_.value();
    const unsigned char be[4] = {static_cast<unsigned char>(crc >> 24), static_cast<unsigned char>(crc >> 16),
                                 static_cast<unsigned char>(crc >> 8), static_cast<unsigned char>(crc)};
    // Best effort: file systems without user xattrs simply store no checksum.
    (void)::fsetxattr(fd_, kCrc32cXattr, be, sizeof be, 0);
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return ErrnoStatus(errno, "close of " + temp_ + " (for " + final_ + ")");
    if (::rename(temp_.c_str(), final_.c_str()) != 0) return ErrnoStatus(errno, "rename " + temp_ + " -> " + final_);
    published_ = true;
    return FsyncDir(ParentOf(final_));
  }

  uint64_t BytesWritten() const override { return written_; }

 private:
  void Fail() {
    ::close(fd_);
    fd_ = -1;
  }

  int fd_;
  std::string temp_;
  std::string final_;
  static constexpr uint64_t kWritebackChunk = 8ull << 20;
  storage::Crc32c crc_;
  uint64_t written_ = 0;
  uint64_t writeback_from_ = 0;  // start of the bytes not yet handed to writeback
  bool published_ = false;
};

class LocalReader : public InputStream {
 public:
  LocalReader(int fd, uint64_t offset, uint64_t end, std::unique_ptr<storage::ContentVerifier> verifier,
              std::string path)
      : fd_(fd), pos_(offset), end_(end), verifier_(std::move(verifier)), path_(std::move(path)) {}
  ~LocalReader() override { ::close(fd_); }

  Result<size_t> Read(char* buf, size_t n) override {
    if (!error_.ok()) return error_;
    size_t want = static_cast<size_t>(std::min<uint64_t>(n, end_ - pos_));
    if (want == 0) {
      if (verifier_) {
        error_ = verifier_->Finish();
        verifier_.reset();
        if (!error_.ok()) return error_;
      }
      return size_t{0};
    }
    for (;;) {
      ssize_t got = ::pread(fd_, buf, want, static_cast<off_t>(pos_));
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) {
        error_ = ErrnoStatus(errno, "read of " + path_);
        return error_;
      }
      if (got == 0) {
        error_ = Status(ErrorCode::kCorrupt, path_ + ": file shrank while reading (ended at " + std::to_string(pos_) +
                                                 ", expected " + std::to_string(end_) + ")");
        return error_;
      }
      pos_ += static_cast<uint64_t>(got);
      if (verifier_) verifier_->Update(std::string_view(buf, static_cast<size_t>(got)));
      return static_cast<size_t>(got);
    }
  }

 private:
  int fd_;
  uint64_t pos_;
  uint64_t end_;
  std::unique_ptr<storage::ContentVerifier> verifier_;
  std::string path_;
  Status error_;
};

}  // namespace

LocalStorage::LocalStorage(std::string root, StorageOptions options) : root_(std::move(root)), options_(std::move(options)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string LocalStorage::PathOf(std::string_view key) const {
  if (key.empty()) return root_;
  return root_.back() == '/' ? root_ + std::string(key) : root_ + "/" + std::string(key);  // root "/": no "//"
}

Result<std::unique_ptr<OutputStream>> LocalStorage::NewWriter(std::string_view key, const WriteOptions&) {
  ABS_RETURN_IF_ERROR(ValidateKey(key));
  std::string final_path = PathOf(key);
  std::string dir = ParentOf(final_path);
  ABS_RETURN_IF_ERROR(MakeDirs(dir));
  std::string base = final_path.substr(dir.size() + 1);
  std::string temp = dir + "/" + std::string(kLocalTempPrefix) + base + ".XXXXXX";
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);  // created 0600
  if (fd < 0) return ErrnoStatus(errno, "cannot create temporary file in " + dir);
  return std::unique_ptr<OutputStream>(new LocalWriter(fd, temp, final_path));
}

Result<std::unique_ptr<InputStream>> LocalStorage::NewReader(std::string_view key, ByteRange range) {
  ABS_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = PathOf(key);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, "cannot open " + path);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus(err, "cannot stat " + path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status(ErrorCode::kNotFound, path + " is not a regular file");
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);
  if (range.offset > size) {
    ::close(fd);
    return Status(ErrorCode::kInvalidArgument, path + ": range starts at " + std::to_string(range.offset) +
                                                   ", past the end (" + std::to_string(size) + " bytes)");
  }
  uint64_t end = range.length ? std::min(size, range.offset + *range.length) : size;
  std::unique_ptr<storage::ContentVerifier> verifier;
  if (range.whole() && options_.verify_checksums) {
    unsigned char crc[4];
    char md5[16];
    if (::fgetxattr(fd, kCrc32cXattr, crc, sizeof crc) == 4) {
      verifier = storage::NewCrc32cVerifier(static_cast<uint32_t>(crc[0]) << 24 | static_cast<uint32_t>(crc[1]) << 16 |
                                               static_cast<uint32_t>(crc[2]) << 8 | crc[3],
                                           path);
    } else if (::fgetxattr(fd, kMd5Xattr, md5, sizeof md5) == 16) {
      verifier = storage::NewMd5Verifier(std::string(md5, 16), path);
    }
  }
  return std::unique_ptr<InputStream>(new LocalReader(fd, range.offset, end, std::move(verifier), path));
}

Result<std::vector<ObjectInfo>> LocalStorage::List(std::string_view dir, ListMode mode) {
  ABS_RETURN_IF_ERROR(ValidateKey(dir, true));
  std::vector<ObjectInfo> out;
  // Iterative walk: (absolute path, key prefix).
  std::vector<std::pair<std::string, std::string>> pending{{PathOf(dir), dir.empty() ? "" : std::string(dir) + "/"}};
  while (!pending.empty()) {
    auto [path, prefix] = pending.back();
    pending.pop_back();
    DIR* d = ::opendir(path.c_str());
    if (!d) {
      if (errno == ENOENT || errno == ENOTDIR) continue;  // an absent directory lists as empty
      return ErrnoStatus(errno, "cannot list " + path);
    }
    errno = 0;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == ".." || name.starts_with(kLocalTempPrefix)) continue;
      std::string child = path + "/" + name;
      struct stat st;
      if (::lstat(child.c_str(), &st) != 0) continue;  // removed meanwhile
      if (S_ISDIR(st.st_mode)) {
        if (mode == ListMode::kRecursive) {
          pending.emplace_back(child, prefix + name + "/");
        } else {
          out.push_back(ObjectInfo{prefix + name, 0, true, 0});
        }
      } else if (S_ISREG(st.st_mode)) {
        out.push_back(ObjectInfo{prefix + name, static_cast<uint64_t>(st.st_size), false,
                                 static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000});
      }
    }
    ::closedir(d);
  }
  std::sort(out.begin(), out.end(), [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

Result<ObjectInfo> LocalStorage::Stat(std::string_view key) {
  ABS_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = PathOf(key);
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus(errno, "cannot stat " + path);
  if (!S_ISREG(st.st_mode)) return Status(ErrorCode::kNotFound, path + " is not a regular file");
  return ObjectInfo{std::string(key), static_cast<uint64_t>(st.st_size), false,
                    static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000};
}

void LocalStorage::PruneEmptyParents(std::string dir) const {
  while (dir.size() > root_.size() && dir.starts_with(root_ + "/")) {
    if (::rmdir(dir.c_str()) != 0) return;  // not empty (or gone): stop
    dir = ParentOf(dir);
  }
}

Status LocalStorage::Delete(std::string_view key) {
  ABS_RETURN_IF_ERROR(ValidateKey(key));
  std::string path = PathOf(key);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return Status::Ok();
    if (errno == EISDIR) return Status(ErrorCode::kInvalidArgument, path + " is a directory; use DeleteDirectory");
    return ErrnoStatus(errno, "cannot delete " + path);
  }
  PruneEmptyParents(ParentOf(path));
  return Status::Ok();
}

Status LocalStorage::DeleteDirectory(std::string_view dir) {
  ABS_RETURN_IF_ERROR(ValidateKey(dir, true));
  // Depth-first removal of files (temporary ones too) and directories.
  std::string top = PathOf(dir);
  std::vector<std::pair<std::string, bool>> stack{{top, false}};
  while (!stack.empty()) {
    auto [path, visited] = stack.back();
    stack.pop_back();
    if (visited) {
      if (path != root_ && ::rmdir(path.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "cannot remove " + path);
      continue;
    }
    DIR* d = ::opendir(path.c_str());
    if (!d) {
      if (errno == ENOENT) continue;
      return ErrnoStatus(errno, "cannot list " + path);
    }
    stack.emplace_back(path, true);
    std::vector<std::string> files;
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      std::string child = path + "/" + name;
      struct stat st;
      if (::lstat(child.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        stack.emplace_back(child, false);
      } else {
        files.push_back(child);
      }
    }
    ::closedir(d);
    for (const auto& f : files) {
      if (::unlink(f.c_str()) != 0 && errno != ENOENT) return ErrnoStatus(errno, "cannot delete " + f);
    }
  }
  if (!dir.empty()) PruneEmptyParents(ParentOf(top));
  return Status::Ok();
}

}  // namespace aero
