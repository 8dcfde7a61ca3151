// End-to-end test helpers (see e2e_util.h).
#include "e2e_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "client/scan.h"
#include "common/bytes.h"

namespace aero::e2e {

namespace fs = std::filesystem;

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/abs_e2e_XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) std::abort();
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

Process::~Process() {
  if (pid_ > 0) Signal(SIGKILL, std::chrono::seconds(5));
}

bool Process::Start(const std::vector<std::string>& argv, const std::string& log_path, std::string* error,
                    const std::vector<std::string>& env) {
  log_path_ = log_path;
  int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    *error = "cannot open " + log_path;
    return false;
  }
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    *error = "fork failed";
    return false;
  }
  if (pid == 0) {
    ::dup2(log, 1);
    ::dup2(log, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    ::dup2(devnull, 0);
    // The test runner may block signals; the child must get SIGTERM normally.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(log);
  pid_ = pid;
  return true;
}

bool Process::WaitForPort(int port, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (pid_ <= 0 || ::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling an external process
  }
  return false;
}

int Process::Signal(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, sig);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling an external process
  }
  pid_ = -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string Process::Log() const { return ReadFile(log_path_); }

bool TestServer::Start(const std::string& dir, const std::string& name, int sample_records, std::string* error) {
  port = FreePort();
  log = dir + "/" + name + ".log";
  std::vector<std::string> argv = {ABS_TEST_SERVER_BIN, "--port", std::to_string(port), "--namespaces", "test,bar"};
  if (sample_records > 0) {
    argv.push_back("--sample-records");
    argv.push_back(std::to_string(sample_records));
  }
  if (!process.Start(argv, log, error)) return false;
  if (!process.WaitForPort(port, std::chrono::seconds(20))) {
    *error = "abs-test-server did not start: " + ReadFile(log);
    return false;
  }
  return true;
}

namespace {
HttpResult ToResult(const httplib::Result& r) {
  HttpResult out;
  if (!r) {
    out.error = httplib::to_string(r.error());
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  return out;
}
std::unique_ptr<httplib::Client> Client(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_connection_timeout(5);
  c->set_read_timeout(30);
  c->set_write_timeout(10);
  return c;
}
}  // namespace

HttpResult Api::Get(const std::string& path) const { return ToResult(Client(port_)->Get(path)); }
HttpResult Api::Post(const std::string& path, const std::string& body) const {
  return ToResult(Client(port_)->Post(path, body, "application/json"));
}
HttpResult Api::Put(const std::string& path, const std::string& body) const {
  return ToResult(Client(port_)->Put(path, body, "application/json"));
}

bool WaitUntil(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling the service's API
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> FindFiles(const std::string& dir, const std::string& name) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file() && it->path().filename() == name) out.push_back(it->path().string());
  }
  return out;
}

std::map<int64_t, std::pair<int64_t, std::string>> ScanRecords(client::Cluster& c, const std::string& ns,
                                                              const std::string& set) {
  std::map<int64_t, std::pair<int64_t, std::string>> out;
  std::mutex mu;
  client::ScanPolicy p;
  p.ns = ns;
  p.sets = {set};
  auto state = client::ScanState::AllPartitions();
  auto st = client::Scan(c, p, state, [&](Record& r) -> Status {
    if (!r.key || r.key->data.size() != 8) return Status(ErrorCode::kCorrupt, "record without an integer key");
    int64_t k = static_cast<int64_t>(GetU64BE(reinterpret_cast<const uint8_t*>(r.key->data.data())));
    int64_t v = -1;
    std::string s;
    for (const auto& b : r.bins) {
      if (b.name == "v") v = static_cast<int64_t>(GetU64BE(reinterpret_cast<const uint8_t*>(b.data.data())));
      if (b.name == "s") s = b.data;
    }
    std::lock_guard<std::mutex> l(mu);
    out[k] = {v, s};
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  return out;
}

}  // namespace aero::e2e
