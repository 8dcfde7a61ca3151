// Child-process helper for the service integration tests (service_process.h).
#include "service_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace aero::apptest {

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot bind a loopback socket");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TempDir::TempDir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "abs-app-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}
TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}
void TempDir::Write(const std::string& name, const std::string& content) const {
  std::ofstream out(File(name), std::ios::binary | std::ios::trunc);
  out << content;
}
std::string TempDir::Read(const std::string& name) const {
  std::ifstream in(File(name), std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0) Stop();
  JoinReader();
}

bool ServiceProcess::Spawn(const std::vector<std::string>& args) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  std::vector<char*> argv;
  std::string bin = ABS_SERVICE_BINARY;
  argv.push_back(bin.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    output_ = "posix_spawn failed";
    return false;
  }
  pid_ = pid;
  out_fd_ = fds[0];
  {
    std::lock_guard<std::mutex> lock(mu_);
    output_.clear();
    eof_ = false;
  }
  reader_ = std::thread([this] {
    char buf[4096];
    for (;;) {
      ssize_t n = read(out_fd_, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard<std::mutex> lock(mu_);
      if (n <= 0) {
        eof_ = true;
        cv_.notify_all();
        return;
      }
      output_.append(buf, static_cast<size_t>(n));
      cv_.notify_all();
    }
  });
  return true;
}

bool ServiceProcess::Start(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  if (!Spawn(args)) return false;
  std::unique_lock<std::mutex> lock(mu_);
  bool ready = cv_.wait_for(lock, timeout, [&] {
    return eof_ || output_.find("REST API listening on") != std::string::npos;
  });
  if (ready && !eof_) return true;
  lock.unlock();
  Stop(std::chrono::seconds(2));
  return false;
}

int ServiceProcess::RunToExit(const std::vector<std::string>& args, std::chrono::milliseconds timeout) {
  if (!Spawn(args)) return -1;
  int rc = WaitExit(timeout);
  if (rc == -2) {
    kill(pid_, SIGKILL);
    WaitExit(std::chrono::seconds(5));
    rc = -1;
  }
  pid_ = -1;
  JoinReader();
  return rc;
}

// Exit code, -1 when killed by a signal, -2 on timeout. pidfd + poll: woken by the exit itself.
int ServiceProcess::WaitExit(std::chrono::milliseconds timeout) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid_, 0));
  if (pidfd >= 0) {
    pollfd p{pidfd, POLLIN, 0};
    int r = poll(&p, 1, static_cast<int>(timeout.count()));
    close(pidfd);
    if (r == 0) return -2;
  }
  int status = 0;
  if (waitpid(pid_, &status, 0) != pid_) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int ServiceProcess::Stop(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int rc = WaitExit(timeout);
  if (rc == -2) {
    kill(pid_, SIGKILL);
    WaitExit(std::chrono::seconds(5));
    rc = -1;
  }
  pid_ = -1;
  JoinReader();
  return rc;
}

void ServiceProcess::JoinReader() {
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) {
    close(out_fd_);
    out_fd_ = -1;
  }
}

std::string ServiceProcess::output() const {
  std::lock_guard<std::mutex> lock(mu_);
  return output_;
}

}  // namespace aero::apptest
