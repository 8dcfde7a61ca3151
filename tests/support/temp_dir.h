// Temporary folders and whole-file reads and writes for tests: one TempDir (a fresh folder under
// $TMPDIR or /tmp, removed with its contents by the destructor) and the small file helpers tests
// use to set up inputs and read outputs.
#pragma once

#include <string>
#include <vector>

namespace aero::testing {

class TempDir {
 public:
  // `$TMPDIR/<prefix>-XXXXXX`. Throws std::runtime_error when the folder cannot be made (GoogleTest
  // then fails the test that owns it, naming the reason).
  explicit TempDir(const std::string& prefix = "abs-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;  // a copy would remove the folder twice
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // `path()/name`.
  std::string File(const std::string& name) const { return path_ + "/" + name; }
  // Writes / reads `path()/name` whole (binary); a write failure throws std::runtime_error.
  void Write(const std::string& name, const std::string& content) const;
  std::string Read(const std::string& name) const;

 private:
  std::string path_;
};

// The whole file (binary), or "" when it cannot be read.
std::string ReadFile(const std::string& path);
// Replaces the file's content (binary); false when it cannot be written.
bool WriteFile(const std::string& path, const std::string& content);
// Files under `dir` (recursively) whose file name is `name`; none when `dir` does not exist.
std::vector<std::string> FindFiles(const std::string& dir, const std::string& name);

}  // namespace aero::testing
