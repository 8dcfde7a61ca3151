// Child processes and RunCommand (process.h).
#include "tests/support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <sstream>

#include "tests/support/ports.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

extern char** environ;

namespace aero::testing {

namespace {

std::string NameOf(const std::string& entry) { return entry.substr(0, entry.find('=')); }

// The inherited environment with `changes` applied (see ProcessOptions::env).
std::vector<std::string> Environment(const std::vector<std::string>& changes) {
  std::set<std::string> changed;
  for (const auto& c : changes) changed.insert(NameOf(c));
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    if (!changed.count(NameOf(*e))) out.push_back(*e);
  }
  for (const auto& c : changes) {
    if (c.find('=') != std::string::npos) out.push_back(c);
  }
  return out;
}

std::string Tail(const std::string& text, size_t max = 4000) {
  return text.size() <= max ? text : "..." + text.substr(text.size() - max);
}

// Whether a complete line of `text` satisfies `match`; the first such line.
bool FindLine(const std::string& text, const std::function<bool(const std::string&)>& match, std::string* line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) {
    if (in.eof()) break;  // the last line is not complete yet
    if (match(l)) {
      *line = l;
      return true;
    }
  }
  return false;
}

}  // namespace

ChildProcess::ChildProcess() = default;

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int st = 0;
    ::waitpid(pid_, &st, 0);
  }
}

Status ChildProcess::Start(const std::vector<std::string>& argv, const ProcessOptions& options) {
  if (!Exited()) return Status(ErrorCode::kInternal, "ChildProcess::Start: " + program_ + " is still running");
  if (argv.empty()) return Status(ErrorCode::kInvalidArgument, "ChildProcess::Start: no program");
  program_ = argv[0];
  exit_status_ = -1;
  log_path_ = options.log_path;
  if (log_path_.empty()) {
    if (!own_dir_) own_dir_ = std::make_unique<TempDir>("abs-child");
    log_path_ = own_dir_->File("output.log");
  }
  stdout_path_ = options.stdout_path;
  const int flags = O_WRONLY | O_CREAT | (options.truncate ? O_TRUNC : O_APPEND);

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (stdout_path_.empty()) {
    posix_spawn_file_actions_addopen(&fa, 1, log_path_.c_str(), flags, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, stdout_path_.c_str(), flags, 0644);
    posix_spawn_file_actions_addopen(&fa, 2, log_path_.c_str(), flags, 0644);
  }
  // The test's own sockets (in-process peers, listeners) must not stay open in the child.
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The test runner may block signals; the child must get SIGTERM and SIGINT normally.
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_text = Environment(options.env);
  std::vector<char*> env;
  for (auto& e : env_text) env.push_back(e.data());
  env.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, args[0], &fa, &attr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    return Status(ErrorCode::kNotFound, "cannot start " + program_ + ": " + std::strerror(rc));
  }
  pid_ = pid;
  return Status::Ok();
}

void ChildProcess::Reaped(int wait_status) {
  pid_ = -1;
  if (WIFEXITED(wait_status)) {
    exit_status_ = WEXITSTATUS(wait_status);
  } else if (WIFSIGNALED(wait_status)) {
    exit_status_ = 128 + WTERMSIG(wait_status);
  } else {
    exit_status_ = -1;
  }
}

bool ChildProcess::Exited() {
  if (pid_ <= 0) return true;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
  Reaped(st);
  return true;
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_status_;
  // Woken by the exit itself through a pidfd; polling waitpid where pidfds are not available.
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{pidfd, POLLIN, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
      if (r >= 0 || errno != EINTR) break;
    }
    ::close(pidfd);
  } else {
    WaitUntil([this] { return Exited(); }, timeout);
  }
  if (Exited()) return exit_status_;
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  Reaped(st);
  exit_status_ = -1;
  return -1;
}

int ChildProcess::Signal(int sig, std::chrono::milliseconds timeout) {
  if (pid_ > 0) ::kill(pid_, sig);
  return Wait(timeout);
}

int ChildProcess::Stop(std::chrono::milliseconds timeout) { return Signal(SIGTERM, timeout); }

Status ChildProcess::WaitError(const std::string& what, std::chrono::milliseconds timeout) {
  std::string head = program_.empty() ? std::string("the child process (never started)") : program_;
  if (Exited()) {
    head += " exited (status " + std::to_string(exit_status_) + ") before " + what;
  } else {
    head += " did not " + what + " within " + std::to_string(timeout.count()) + " ms";
  }
  return Status(Exited() ? ErrorCode::kIo : ErrorCode::kTimeout, head + "; log " + log_path_ + ":\n" + Tail(Log()));
}

Status ChildProcess::WaitForPort(int port, std::chrono::milliseconds timeout) {
  bool listening = false;
  WaitUntil([&] { return (listening = PortAccepts(port)) || Exited(); }, timeout);
  if (listening) return Status::Ok();
  return WaitError("listening on 127.0.0.1:" + std::to_string(port), timeout);
}

Result<std::string> ChildProcess::WaitForMatch(const std::function<bool(const std::string&)>& match,
                                               std::chrono::milliseconds timeout) {
  std::string line;
  auto found = [&] { return FindLine(Log(), match, &line); };
  WaitUntil([&] { return found() || Exited(); }, timeout);
  if (found()) return line;  // looked at once more: the last lines may have come with the exit
  return WaitError("printing the awaited line", timeout);
}

Status ChildProcess::WaitForOutput(const std::string& needle, std::chrono::milliseconds timeout) {
  auto line = WaitForMatch([&](const std::string& l) { return l.find(needle) != std::string::npos; }, timeout);
  return line.ok() ? Status::Ok() : line.status().WithContext("waiting for \"" + needle + "\"");
}

Result<std::string> ChildProcess::WaitForLine(const std::regex& re, std::chrono::milliseconds timeout) {
  return WaitForMatch([&](const std::string& l) { return std::regex_search(l, re); }, timeout);
}

std::string ChildProcess::Log() const { return log_path_.empty() ? std::string() : ReadFile(log_path_); }

std::string ChildProcess::Stdout() const { return stdout_path_.empty() ? Log() : ReadFile(stdout_path_); }

Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const CommandOptions& options) {
  TempDir dir("abs-command");
  ProcessOptions po;
  po.log_path = dir.File("stderr");
  po.stdout_path = dir.File("stdout");
  po.env = options.env;
  ChildProcess child;
  ABS_RETURN_IF_ERROR(child.Start(argv, po));
  CommandResult r;
  r.exit_code = child.Wait(options.timeout);
  r.out = child.Stdout();
  r.err = child.Log();
  if (r.exit_code == -1) {
    r.err += "\n[" + argv[0] + " did not exit within " + std::to_string(options.timeout.count()) + " ms: killed]";
  }
  return r;
}

}  // namespace aero::testing
