// Backup throughput benchmark (issue 4 §6): for each record count (default 100,000 and 1,000,000),
// seeds a test server, then in the same run measures
//   1. our raw client scan of the set (records delivered to a no-op sink, all partitions, same
//      parallelism as the backup), and
//   2. the backup engine writing the same set to local .asb files,
// and prints records/s, MB/s, CPU seconds and the peak RSS each step added (VmHWM reset through
// /proc/self/clear_refs before the step, baseline VmRSS subtracted: an in-process server's own
// store is not counted). Target: backup >= 90 % of the raw scan's records/s; RSS flat in N.
//
// Server modes:
//   (default)          the test server runs inside this process (it competes for the same cores);
//   --server-bin PATH  a separate abs-test-server process per record count, seeded by itself
//                      (--sample-records: set "sample", 100-byte payload), optionally pinned with
//                      --server-cpus (and this process with --bench-cpus), so the comparison is
//                      "does the backup keep up with the scan the server can deliver"; the
//                      server's CPU seconds per step are read from /proc/<pid>/stat;
//   --host h:port      a real server with an existing set (--set).
//
//   backup_bench [--records 100000,1000000] [--parallel P] [--payload B] [--dir D] [--zstd] [--queue-chunks Q]
//                [--repeat R] [--steps scan|backup|both] [--server-bin PATH [--server-cpus 1] [--bench-cpus 0]] [--host h:port --set S]
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup.h"
#include "client/cluster.h"
#include "client/metadata.h"
#include "client/scan.h"
#include "storage/factory.h"
#include "testserver/test_cluster.h"

using namespace aero;

namespace {

long StatusKiB(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  size_t n = std::strlen(field);
  while (std::getline(f, line))
    if (line.compare(0, n, field) == 0) return std::atol(line.c_str() + n);
  return -1;
}
// Resets VmHWM to the current RSS (Linux >= 4.0); returns false where that is not allowed.
bool ResetPeakRss() {
  std::ofstream f("/proc/self/clear_refs");
  if (!f) return false;
  f << "5";
  return static_cast<bool>(f);
}
double CpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Step {
  uint64_t records = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  double cpu = 0;          // this process (with an in-process server: client + server)
  double server_cpu = -1;  // a separate server process; -1 = not measured
  long rss_added_kib = 0;
  std::string loadavg;     // at the end of the step
};

void Print(const char* op, uint64_t n, const Step& s) {
  double per_m = s.records ? s.cpu * 1e6 / static_cast<double>(s.records) : 0;
  std::printf("op=%s n=%llu records=%llu bytes=%llu seconds=%.3f rec_per_s=%.0f mb_per_s=%.1f cpu_seconds=%.2f "
              "cpu_s_per_m=%.2f",
              op, static_cast<unsigned long long>(n), static_cast<unsigned long long>(s.records),
              static_cast<unsigned long long>(s.bytes), s.seconds, s.records / s.seconds, s.bytes / s.seconds / 1e6,
              s.cpu, per_m);
  if (s.server_cpu >= 0)
    std::printf(" server_cpu_seconds=%.2f server_cpu_s_per_m=%.2f", s.server_cpu,
                s.records ? s.server_cpu * 1e6 / static_cast<double>(s.records) : 0);
  std::printf(" peak_rss_added_kib=%ld loadavg=%s\n", s.rss_added_kib, s.loadavg.c_str());
  std::fflush(stdout);
}

std::string LoadAvg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + "/" + b + "/" + c;
}

// `server_cpu` reads a separate server's CPU seconds (nullptr: none).
template <typename F>
Step Measure(F&& body, const std::function<double()>& server_cpu = nullptr) {
  ResetPeakRss();
  long base = StatusKiB("VmRSS:");
  double cpu0 = CpuSeconds();
  double scpu0 = server_cpu ? server_cpu() : 0;
  auto t0 = std::chrono::steady_clock::now();
  Step s = body();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.cpu = CpuSeconds() - cpu0;
  if (server_cpu) s.server_cpu = server_cpu() - scpu0;
  s.rss_added_kib = StatusKiB("VmHWM:") - base;
  s.loadavg = LoadAvg();
  return s;
}

// "0,1" -> CPU set; an empty list leaves the affinity alone.
Result<cpu_set_t> ParseCpus(const std::string& list) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (size_t p = 0; p < list.size();) {
    size_t c = list.find(',', p);
    std::string item = list.substr(p, c == std::string::npos ? std::string::npos : c - p);
    char* end = nullptr;
    long cpu = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || cpu < 0 || cpu >= CPU_SETSIZE)
      return Status(ErrorCode::kInvalidArgument, "bad CPU number '" + item + "' in '" + list + "'");
    CPU_SET(static_cast<int>(cpu), &set);
    p = c == std::string::npos ? list.size() : c + 1;
  }
  return set;
}

// A separate abs-test-server process, seeded with N sample records by itself; stopped (SIGTERM,
// then reaped) when destroyed.
class ServerProcess {
 public:
  static Result<std::unique_ptr<ServerProcess>> Start(const std::string& bin, uint64_t records,
                                                      const std::string& cpus) {
    std::optional<cpu_set_t> affinity;
    if (!cpus.empty()) {
      auto set = ParseCpus(cpus);
      if (!set.ok()) return set.status();
      affinity = *set;
    }
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return Status(ErrorCode::kInternal, "pipe: " + std::string(std::strerror(errno)));
    std::string n = std::to_string(records);
    pid_t pid = ::fork();
    if (pid < 0) return Status(ErrorCode::kInternal, "fork: " + std::string(std::strerror(errno)));
    if (pid == 0) {
      ::dup2(out[1], 1);
      if (affinity) ::sched_setaffinity(0, sizeof(*affinity), &*affinity);
      std::vector<const char*> argv{bin.c_str(), "--nodes", "1", "--namespaces", "test"};
      if (records > 0) {
        argv.push_back("--sample-records");
        argv.push_back(n.c_str());
      }
      argv.push_back(nullptr);
      ::execv(bin.c_str(), const_cast<char* const*>(argv.data()));
      std::fprintf(stderr, "backup_bench: exec %s: %s\n", bin.c_str(), std::strerror(errno));
      ::_exit(127);
    }
    ::close(out[1]);
    std::unique_ptr<ServerProcess> sp(new ServerProcess(pid, out[0]));
    // The server prints "seed host:port" once it listens and has seeded; seeding 1M takes seconds.
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    for (;;) {
      size_t nl = text.find("seed ");
      if (nl != std::string::npos && text.find('\n', nl) != std::string::npos) {
        sp->host_ = text.substr(nl + 5, text.find('\n', nl) - nl - 5);
        return sp;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Status(ErrorCode::kTimeout, bin + " did not print its seed address within 5 minutes");
      pollfd pfd{out[0], POLLIN, 0};
      int rc = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (rc < 0 && errno == EINTR) continue;
      if (rc < 0) return Status(ErrorCode::kInternal, "poll: " + std::string(std::strerror(errno)));
      if (rc == 0) continue;
      char buf[512];
      ssize_t got = ::read(out[0], buf, sizeof buf);
      if (got <= 0) return Status(ErrorCode::kInternal, bin + " exited before printing its seed address");
      text.append(buf, static_cast<size_t>(got));
    }
  }
  ~ServerProcess() {
    ::kill(pid_, SIGTERM);
    int st = 0;
    ::waitpid(pid_, &st, 0);
    ::close(fd_);
  }
  const std::string& host() const { return host_; }
  pid_t pid() const { return pid_; }
  // utime + stime of the server process so far.
  double CpuSeconds() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/stat");
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    size_t close = all.rfind(')');
    if (close == std::string::npos) return -1;
    std::vector<std::string> fields;
    size_t p = close + 2;
    while (p < all.size()) {
      size_t sp = all.find(' ', p);
      fields.push_back(all.substr(p, sp == std::string::npos ? std::string::npos : sp - p));
      if (sp == std::string::npos) break;
      p = sp + 1;
    }
    // After "pid (comm)": field 3 is state, so utime (14) and stime (15) are at indexes 11 and 12.
    if (fields.size() < 13) return -1;
    return (std::atof(fields[11].c_str()) + std::atof(fields[12].c_str())) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }

 private:
  ServerProcess(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  pid_t pid_;
  int fd_;
  std::string host_;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int Die(const Status& s) {
  std::fprintf(stderr, "backup_bench: %s\n", s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<uint64_t> counts{100000, 1000000};
  int parallel = 4;
  size_t payload = 100;
  std::string dir = std::filesystem::temp_directory_path().string();
  std::string host, set = "bench";
  bool zstd = false;
  size_t queue_chunks = 0;  // 0 = the engine's default
  std::string server_bin, server_cpus, bench_cpus;
  int repeat = 1;
  std::string steps = "both";  // scan | backup | both (one step alone: e.g. for callgrind)
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--records") {
      counts.clear();
      std::string v = next();
      for (size_t p = 0; p < v.size();) {
        size_t c = v.find(',', p);
        counts.push_back(std::strtoull(v.substr(p, c - p).c_str(), nullptr, 10));
        p = c == std::string::npos ? v.size() : c + 1;
      }
    } else if (a == "--parallel") {
      parallel = std::atoi(next().c_str());
    } else if (a == "--payload") {
      payload = std::strtoull(next().c_str(), nullptr, 10);
    } else if (a == "--dir") {
      dir = next();
    } else if (a == "--host") {
      host = next();
    } else if (a == "--set") {
      set = next();
    } else if (a == "--queue-chunks") {
      queue_chunks = std::strtoull(next().c_str(), nullptr, 10);
    } else if (a == "--steps") {
      steps = next();
      if (steps != "scan" && steps != "backup" && steps != "both") {
        std::fprintf(stderr, "--steps is scan, backup or both\n");
        return 2;
      }
    } else if (a == "--repeat") {
      repeat = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--server-bin") {
      server_bin = next();
    } else if (a == "--server-cpus") {
      server_cpus = next();
    } else if (a == "--bench-cpus") {
      bench_cpus = next();
    } else if (a == "--zstd") {
      zstd = true;
    } else {
      std::fprintf(stderr, "usage: backup_bench [--records N[,N...]] [--parallel P] [--payload B] [--dir D] [--zstd] "
                           "[--queue-chunks Q] [--repeat R] [--steps scan|backup|both] [--server-bin PATH [--server-cpus L] [--bench-cpus L]] [--host h:port --set S]\n");
      return 2;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  if (!bench_cpus.empty()) {
    auto set = ParseCpus(bench_cpus);
    if (!set.ok()) return Die(set.status());
    if (::sched_setaffinity(0, sizeof(*set), &*set) != 0)
      return Die(Status(ErrorCode::kInternal, "sched_setaffinity: " + std::string(std::strerror(errno))));
  }
  if (!server_bin.empty()) {
    if (!host.empty()) return Die(Status(ErrorCode::kInvalidArgument, "--server-bin and --host exclude each other"));
    if (payload != 100)
      return Die(Status(ErrorCode::kInvalidArgument, "--server-bin seeds abs-test-server's sample records (100-byte payload)"));
    set = "sample";
  }
  std::unique_ptr<testserver::TestCluster> server;
  if (host.empty() && server_bin.empty()) {
    testserver::TestClusterOptions o;
    o.nodes = 1;
    auto s = testserver::TestCluster::Start(o);
    if (!s.ok()) return Die(s.status());
    server = std::move(*s);
    host = server->SeedHost();
  } else if (server_bin.empty() && counts.size() != 1) {
    counts = {0};  // a real server: back up the existing set once
  }
  std::shared_ptr<client::Cluster> conn;
  auto connect = [&]() -> Status {
    ABS_ASSIGN_OR_RETURN(auto seeds, client::ParseHosts(host));
    client::ClientPolicy cp;
    ABS_ASSIGN_OR_RETURN(conn, client::Cluster::Connect(seeds, cp));
    return Status::Ok();
  };
  if (server_bin.empty()) {
    Status cs = connect();
    if (!cs.ok()) return Die(cs);
  }
  std::printf("# backup_bench mode=%s parallel=%d payload=%zu zstd=%d cores=%u server_cpus=%s bench_cpus=%s\n",
              server ? "in-process" : !server_bin.empty() ? "separate-process" : "remote", parallel, payload, zstd,
              std::thread::hardware_concurrency(), server_cpus.empty() ? "any" : server_cpus.c_str(),
              bench_cpus.empty() ? "any" : bench_cpus.c_str());

  for (uint64_t n : counts) {
    std::unique_ptr<ServerProcess> proc;
    std::function<double()> server_cpu;
    if (!server_bin.empty()) {
      auto t0 = std::chrono::steady_clock::now();
      auto sp = ServerProcess::Start(server_bin, n, server_cpus);
      if (!sp.ok()) return Die(sp.status());
      proc = std::move(*sp);
      host = proc->host();
      std::printf("# started %s (pid %d) at %s with %llu records in %.1f s\n", server_bin.c_str(),
                  static_cast<int>(proc->pid()), host.c_str(), static_cast<unsigned long long>(n),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      Status cs = connect();
      if (!cs.ok()) return Die(cs);
      server_cpu = [p = proc.get()] { return p->CpuSeconds(); };
    }
    auto cluster = &conn;
    if (server) {
      server->Clear();
      auto t0 = std::chrono::steady_clock::now();
      Status s = testserver::SeedSampleRecords(*server, "test", set, n, payload);
      if (!s.ok()) return Die(s);
      std::printf("# seeded %llu records in %.1f s\n", static_cast<unsigned long long>(n),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    std::vector<double> ratios, scan_rates, backup_rates, scan_cpu, backup_cpu;
    for (int rep = 0; rep < repeat; ++rep) {
      // 1. Raw scan: the same partition slices the backup uses, each a Scan into a counting sink.
      Step scan, bk;
      if (steps != "backup") {
        scan = Measure([&] {
          Step st;
          std::atomic<uint64_t> recs{0}, bytes{0};
          auto all = backup::SelectPartitions({});
          auto slices = backup::SplitSlices(*all, parallel);
          std::vector<std::thread> threads;
          std::atomic<bool> failed{false};
          for (auto& slice : slices) {
            threads.emplace_back([&, slice] {
              auto state = client::ScanState::FromSnapshot(slice);
              client::ScanPolicy sp;
              sp.ns = "test";
              sp.sets = {set};
              auto r = client::Scan(**cluster, sp, *state, [&](Record& rec) {
                recs.fetch_add(1, std::memory_order_relaxed);
                uint64_t b = 0;
                for (const auto& bin : rec.bins) b += bin.name.size() + bin.data.size();
                bytes.fetch_add(b, std::memory_order_relaxed);
                return Status::Ok();
              });
              if (!r.ok()) {
                std::fprintf(stderr, "scan: %s\n", r.status().ToString().c_str());
                failed = true;
              }
            });
          }
          for (auto& t : threads) t.join();
          st.records = recs;
          st.bytes = bytes;
          if (failed) st.records = 0;
          return st;
        }, server_cpu);
        Print("raw_scan", n, scan);
        scan_rates.push_back(scan.records / scan.seconds);
        scan_cpu.push_back(scan.cpu * 1e6 / static_cast<double>(std::max<uint64_t>(1, scan.records)));
      }
      if (steps == "scan") continue;

      // The backup asks the server for set object counts (progress estimate); on the in-process
      // server that walks the whole store, so its cost is shown separately.
      {
        auto t0 = std::chrono::steady_clock::now();
        auto est = client::EstimateRecords(**cluster, "test", {set});
        std::printf("# object-count info (%s) took %.3f s\n", est.ok() ? std::to_string(*est).c_str() : "failed",
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      // 2. Backup of the same set to local files.
      std::string out = dir + "/abs_backup_bench_" + std::to_string(::getpid()) + "_" + std::to_string(n);
      std::filesystem::remove_all(out);
      auto storage = OpenStorage(out, StorageOptions{});
      if (!storage.ok()) return Die(storage.status());
      backup::BackupRequest req;
      req.ns = "test";
      req.sets = {set};
      req.parallel = parallel;
      req.no_indexes = true;
      req.no_udfs = true;
      req.estimate_total = false;  // measured separately above
      if (queue_chunks) req.queue_chunks = queue_chunks;
      if (zstd) req.codec.compression = CompressionMode::kZstd;
      Status berr;
      backup::BackupSummary sum;
      bk = Measure([&] {
        Step st;
        CancelToken cancel;
        auto r = backup::RunBackup(**cluster, **storage, req, cancel);
        if (!r.ok()) {
          berr = r.status();
          return st;
        }
        sum = *r;
        st.records = r->records;
        st.bytes = r->bytes;
        return st;
      }, server_cpu);
      std::filesystem::remove_all(out);
      if (!berr.ok()) return Die(berr);
      Print("backup", n, bk);
      backup_rates.push_back(bk.records / bk.seconds);
      backup_cpu.push_back(bk.cpu * 1e6 / static_cast<double>(std::max<uint64_t>(1, bk.records)));
      if (steps != "both") continue;
      double ratio = (bk.records / bk.seconds) / (scan.records / scan.seconds);
      std::printf("summary n=%llu backup_vs_raw_scan=%.2f files=%llu text_mb=%.1f stored_mb=%.1f %s\n",
                  static_cast<unsigned long long>(n), ratio, static_cast<unsigned long long>(sum.files),
                  sum.text_bytes / 1e6, sum.bytes / 1e6, ratio >= 0.9 ? "(target >= 0.90 met)" : "(below 0.90 target)");
      std::fflush(stdout);
      ratios.push_back(ratio);
    }
    if (repeat > 1)
      std::printf("median n=%llu runs=%d raw_scan_rec_per_s=%.0f backup_rec_per_s=%.0f backup_vs_raw_scan=%.2f "
                  "raw_scan_cpu_s_per_m=%.2f backup_cpu_s_per_m=%.2f loadavg=%s\n",
                  static_cast<unsigned long long>(n), repeat, Median(scan_rates), Median(backup_rates), Median(ratios),
                  Median(scan_cpu), Median(backup_cpu), LoadAvg().c_str());
    if (proc) {
      conn->Close();
      conn.reset();
    }
  }
  if (conn) conn->Close();
  return 0;
}
