// Restore throughput benchmark: restores N records (default 1,000,000) from .asb files with the
// restore engine and compares records/s with our raw client bulk put (BatchPut of the same records,
// same threads, same batch size, same write policy) in the same run, against the in-process test
// server, the abs-test-server binary as a separate process, or a real server (--host). Prints both
// rates, their ratio (target >= 90 %), CPU seconds per million records and peak RSS.
//
//   restore_bench [--records N] [--files F] [--parallel P] [--batch B] [--delay-ms D] [--readers R]
//                 [--host h:port | --server external [--server-bin PATH] [--server-cpus LIST]]
//                 [--bench-cpus LIST] [--verify-checksums 0|1] [--raw-first 0|1]
//
// --delay-ms D makes the in-process server answer every request D ms late (its fault injection),
// emulating a server across a network: then both sides wait on round trips instead of competing with
// the server for the same CPU cores, which is what a deployment looks like.
// --server external starts abs-test-server (default: the one built next to this binary) as a child
// process, under `taskset -c LIST` with --server-cpus; --bench-cpus pins this process (e.g. server on
// core 1, bench on core 0), so the question becomes "does the restore keep up with the puts the
// server can absorb", and the CPU figures are the client's alone (the server's are printed apart).
// --verify-checksums 0 turns off the local storage's MD5 check of each file (on by default, as in a
// deployment), to show what it costs.
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/cluster.h"
#include "client/metadata.h"
#include "client/write.h"
#include "restore/restore.h"
#include "storage/factory.h"
#include "testserver/test_cluster.h"
#include "tests/restore/restore_test_util.h"

using namespace aero;

extern char** environ;

namespace {

// Peak resident set size of this process in KiB (VmHWM), resettable through clear_refs.
long PeakRssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}
long RssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}
// CPU seconds (user + system) used by this process so far, all threads.
double CpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

void ResetPeakRss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}

Record BenchRecord(const std::string& set, int64_t k) {
  return testing::MakeRecord("test", set, IntegerKey(k), testing::MixedBins(k, 60), 1, 0);
}

std::string LoadAvg() {
  std::ifstream f("/proc/loadavg");
  std::string a, b, c;
  f >> a >> b >> c;
  return a + " " + b + " " + c;
}

// CPU seconds (user + system) used so far by another process, from /proc/<pid>/stat.
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(f, line);
  size_t close = line.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {  // fields 14 and 15: utime, stime (clock ticks)
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Pins this process to a CPU list such as "0" or "0,2-3".
Status PinSelf(const std::string& list) {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::stringstream ss(list);
  std::string part;
  while (std::getline(ss, part, ',')) {
    int lo = 0, hi = 0;
    if (std::sscanf(part.c_str(), "%d-%d", &lo, &hi) == 2) {
    } else if (std::sscanf(part.c_str(), "%d", &lo) == 1) {
      hi = lo;
    } else {
      return Status(ErrorCode::kInvalidArgument, "bad CPU list '" + list + "'");
    }
    if (lo < 0 || hi < lo || hi >= CPU_SETSIZE) return Status(ErrorCode::kInvalidArgument, "bad CPU list '" + list + "'");
    for (int c = lo; c <= hi; ++c) CPU_SET(c, &set);
  }
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    return Status(ErrorCode::kInvalidArgument, "sched_setaffinity(" + list + "): " + std::strerror(errno));
  return Status::Ok();
}

// abs-test-server as a child process (optionally under taskset). Start() returns its seed address
// from the "seed host:port" line it prints; the destructor stops it with SIGTERM and reaps it.
class ServerProcess {
 public:
  ~ServerProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int st;
      ::waitpid(pid_, &st, 0);
    }
    if (out_fd_ >= 0) ::close(out_fd_);
  }
  Result<std::string> Start(const std::string& bin, const std::string& cpus) {
    std::vector<std::string> args;
    if (!cpus.empty()) args = {"/usr/bin/taskset", "-c", cpus};
    args.insert(args.end(), {bin, "--port", "0", "--namespaces", "test"});
    int out[2];
    if (::pipe(out) != 0) return Status(ErrorCode::kIo, std::string("pipe: ") + std::strerror(errno));
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    out_fd_ = out[0];
    if (rc != 0) {
      pid_ = -1;
      return Status(ErrorCode::kIo, "cannot start " + args[0] + ": " + std::strerror(rc));
    }
    // Read its stdout until the seed line (10 s at most).
    std::string text;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      size_t at = text.find("seed ");
      if (at != std::string::npos) {
        size_t eol = text.find('\n', at);
        if (eol != std::string::npos) return text.substr(at + 5, eol - at - 5);
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Status(ErrorCode::kTimeout, bin + " printed no seed line within 10 s");
      pollfd p{out_fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[512];
      ssize_t n = ::read(out_fd_, buf, sizeof buf);
      if (n <= 0) return Status(ErrorCode::kIo, bin + " exited before printing its seed line (output: " + text + ")");
      text.append(buf, static_cast<size_t>(n));
    }
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
};

std::string ServerCpuNote(double secs_per_million) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "  server cpu %.2f s/M", secs_per_million);
  return buf;
}

std::string DefaultServerBin() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "abs-test-server";
  std::string self(buf, static_cast<size_t>(n));
  std::string dir = self.substr(0, self.rfind('/'));
  return dir + "/../src/testserver/abs-test-server";
}

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "restore_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t records = 1000000;
  int files = 8, parallel = 8;
  size_t batch = 128;
  std::string host, server_mode = "inprocess", server_bin, server_cpus, bench_cpus;
  int delay_ms = 0, readers = 0;
  bool raw_first = false;
  bool verify_checksums = true;  // the storage default: MD5 of every whole file read, as a deployment reads
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--records") records = std::atoll(argv[i + 1]);
    else if (a == "--files") files = std::atoi(argv[i + 1]);
    else if (a == "--parallel") parallel = std::atoi(argv[i + 1]);
    else if (a == "--batch") batch = static_cast<size_t>(std::atoi(argv[i + 1]));
    else if (a == "--host") host = argv[i + 1];
    else if (a == "--delay-ms") delay_ms = std::atoi(argv[i + 1]);
    else if (a == "--readers") readers = std::atoi(argv[i + 1]);
    else if (a == "--server") server_mode = argv[i + 1];
    else if (a == "--server-bin") server_bin = argv[i + 1];
    else if (a == "--server-cpus") server_cpus = argv[i + 1];
    else if (a == "--bench-cpus") bench_cpus = argv[i + 1];
    else if (a == "--verify-checksums") verify_checksums = std::string(argv[i + 1]) != "0";
    else if (a == "--raw-first") raw_first = std::string(argv[i + 1]) != "0";
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (records <= 0 || files <= 0 || parallel <= 0 || batch == 0) {
    std::fprintf(stderr, "restore_bench: --records, --files, --parallel and --batch must be positive\n");
    return 2;
  }

  if (server_mode != "inprocess" && server_mode != "external") {
    std::fprintf(stderr, "restore_bench: --server is 'inprocess' or 'external'\n");
    return 2;
  }
  bool external = server_mode == "external";
  if (external && !host.empty()) {
    std::fprintf(stderr, "restore_bench: --server external and --host exclude each other\n");
    return 2;
  }
  if (!external && !server_cpus.empty()) {
    std::fprintf(stderr, "restore_bench: --server-cpus needs --server external\n");
    return 2;
  }
  std::unique_ptr<testserver::TestCluster> server;
  ServerProcess server_process;
  if (external) {
    // Started before this process is pinned: the child gets its own CPU list from taskset.
    auto seed = server_process.Start(server_bin.empty() ? DefaultServerBin() : server_bin, server_cpus);
    if (!seed.ok()) return Fail("start abs-test-server", seed.status());
    host = *seed;
  } else if (host.empty()) {
    testserver::TestClusterOptions so;
    so.nodes = 1;
    auto s = testserver::TestCluster::Start(so);
    if (!s.ok()) return Fail("start test server", s.status());
    server = std::move(*s);
    host = server->SeedHost();
  }
  if (!bench_cpus.empty()) {
    Status p = PinSelf(bench_cpus);
    if (!p.ok()) return Fail("pin", p);
  }
  if (delay_ms > 0 && !server) {
    std::fprintf(stderr, "restore_bench: --delay-ms needs the in-process server\n");
    return 2;
  }
  auto seeds = client::ParseHosts(host);
  if (!seeds.ok()) return Fail("hosts", seeds.status());
  auto cluster = client::Cluster::Connect(*seeds, client::ClientPolicy{});
  if (!cluster.ok()) return Fail("connect", cluster.status());
  const std::string set = "restore_bench";

  // Backup files, written through the format writer.
  testing::TempDir dir;
  StorageOptions storage_options;
  storage_options.verify_checksums = verify_checksums;
  auto storage = OpenStorage(dir.path(), storage_options);
  if (!storage.ok()) return Fail("storage", storage.status());
  uint64_t file_bytes = 0;
  for (int f = 0; f < files; ++f) {
    testing::AsbContent c;
    for (int64_t k = f; k < records; k += files) c.records.push_back(BenchRecord(set, k));
    std::string text = testing::EncodeAsb(c);
    file_bytes += text.size();
    char name[64];
    std::snprintf(name, sizeof name, "b/test_%05d.asb", f);
    Status s = testing::WriteFile(**storage, name, text);
    if (!s.ok()) return Fail("write backup file", s);
  }

  auto truncate = [&]() -> Status {
    if (server) {
      server->Clear();
      return Status::Ok();
    }
    // A record written in the same millisecond as a truncate survives it (as on a real server):
    // truncate again until the set is empty.
    for (int attempt = 0; attempt < 100; ++attempt) {
      ABS_RETURN_IF_ERROR(client::Truncate(**cluster, "test", set));
      ABS_ASSIGN_OR_RETURN(uint64_t left, client::EstimateRecords(**cluster, "test", {set}));
      if (left == 0) return Status::Ok();
    }
    return Status(ErrorCode::kInternal, "set " + set + " still holds records after 100 truncates");
  };
  // CPU of the server process (external mode) so far; 0 otherwise.
  auto server_cpu = [&]() { return external ? ProcessCpuSeconds(server_process.pid()) : 0.0; };

  // The raw baseline: the same records built in memory up front, sent with BatchPut by `parallel`
  // threads in batches of `batch`, with the restore's default write policy.
  std::vector<std::vector<Record>> batches;
  for (int64_t k = 0; k < records; k += static_cast<int64_t>(batch)) {
    std::vector<Record> b;
    for (int64_t j = k; j < std::min<int64_t>(records, k + static_cast<int64_t>(batch)); ++j) b.push_back(BenchRecord(set, j));
    batches.push_back(std::move(b));
  }
  auto raw_put = [&](double* secs, double* cpu, double* srv_cpu) -> Status {
    client::WritePolicy wp;
    wp.generation = client::GenerationPolicy::kGreater;
    std::atomic<size_t> next{0};
    std::atomic<uint64_t> errors{0};
    auto start = std::chrono::steady_clock::now();
    double cpu0 = CpuSeconds(), srv0 = server_cpu();
    std::vector<std::thread> threads;
    for (int w = 0; w < parallel; ++w)
      threads.emplace_back([&] {
        for (size_t i = next.fetch_add(1); i < batches.size(); i = next.fetch_add(1)) {
          auto r = client::BatchPut(**cluster, batches[i], wp);
          if (!r.ok()) {
            errors += batches[i].size();
            continue;
          }
          for (const auto& row : *r)
            if (!row.status.ok()) errors++;
        }
      });
    for (auto& th : threads) th.join();
    *secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    *cpu = CpuSeconds() - cpu0;
    *srv_cpu = server_cpu() - srv0;
    if (errors.load()) return Status(ErrorCode::kServer, std::to_string(errors.load()) + " raw put errors");
    return Status::Ok();
  };
  // Warm-up (untimed): the server's store grows to full size once, so neither timed phase pays for
  // the first fill (page faults, allocator growth).
  {
    double ws = 0, wc = 0, wsc = 0;
    Status w = truncate();
    if (w.ok()) w = raw_put(&ws, &wc, &wsc);
    if (!w.ok()) return Fail("warm-up", w);
  }

  if (delay_ms > 0) {
    testserver::NodeFaults f;
    f.delay_ms = delay_ms;
    server->SetFaults(0, f);
  }

  // 0. Parse only (validate mode): the reading side's ceiling.
  double parse_s = 0, parse_cpu = 0;
  {
    restore::RestoreOptions v;
    v.validate_only = true;
    v.parallel = parallel;
    restore::RestoreJob job(v, nullptr, storage->get(), {"b"});
    auto start = std::chrono::steady_clock::now();
    double cpu0 = CpuSeconds();
    auto sum = job.Run();
    parse_cpu = CpuSeconds() - cpu0;
    parse_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!sum.status.ok()) return Fail("validate", sum.status);
  }

  // Raw client bulk put of the same records; before the restore with --raw-first 1 (to see whether
  // the order of the phases moves the figures).
  double raw_s = 0, raw_cpu = 0, raw_srv_cpu = 0;
  auto timed_raw = [&]() -> Status {
    ABS_RETURN_IF_ERROR(truncate());
    return raw_put(&raw_s, &raw_cpu, &raw_srv_cpu);
  };
  if (raw_first) {
    Status r = timed_raw();
    if (!r.ok()) return Fail("raw put", r);
  }

  // 1. Restore engine.
  Status t = truncate();
  if (!t.ok()) return Fail("truncate", t);
  long rss_before = RssKiB();
  ResetPeakRss();
  restore::RestoreOptions o;
  o.parallel = parallel;
  o.readers = readers;
  o.batch_size = batch;
  restore::RestoreJob job(o, *cluster, storage->get(), {"b"});
  std::string load_before = LoadAvg();
  auto start = std::chrono::steady_clock::now();
  double cpu0 = CpuSeconds(), srv0 = server_cpu();
  auto sum = job.Run();
  double restore_cpu = CpuSeconds() - cpu0;
  double restore_srv_cpu = server_cpu() - srv0;
  double restore_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long restore_peak = PeakRssKiB();
  if (!sum.status.ok()) return Fail("restore", sum.status);
  if (sum.stats.records_inserted != static_cast<uint64_t>(records)) {
    std::fprintf(stderr, "restore_bench: inserted %llu of %lld records\n",
                 static_cast<unsigned long long>(sum.stats.records_inserted), static_cast<long long>(records));
    return 1;
  }

  // 2. Raw client bulk put of the same records (unless it ran first).
  if (!raw_first) {
    t = timed_raw();
    if (!t.ok()) return Fail("raw put", t);
  }

  double restore_rate = records / restore_s, raw_rate = records / raw_s;
  double per_m = 1e6 / static_cast<double>(records);
  std::string where = server ? "in-process test server"
                      : external ? "abs-test-server process" + (server_cpus.empty() ? std::string() : " on CPUs " + server_cpus)
                                 : host;
  std::printf("records            %lld in %d files (%.1f MiB of .asb), parallel %d, batch %zu, reply delay %d ms, server %s%s%s%s\n",
              static_cast<long long>(records), files, file_bytes / 1048576.0, parallel, batch, delay_ms, where.c_str(),
              bench_cpus.empty() ? "" : (", bench on CPUs " + bench_cpus).c_str(),
              verify_checksums ? "" : ", checksums not verified", raw_first ? ", raw put first" : "");
  std::printf("restore engine     %.2f s  %10.0f rec/s  %.1f MiB/s  cpu %.2f s (%.2f s/M)%s\n", restore_s, restore_rate,
              file_bytes / 1048576.0 / restore_s, restore_cpu, restore_cpu * per_m,
              external ? ServerCpuNote(restore_srv_cpu * per_m).c_str() : "");
  std::printf("parse only         %.2f s  %10.0f rec/s  %.1f MiB/s  cpu %.2f s (%.2f s/M)\n", parse_s, records / parse_s,
              file_bytes / 1048576.0 / parse_s, parse_cpu, parse_cpu * per_m);
  std::printf("raw bulk put       %.2f s  %10.0f rec/s  cpu %.2f s (%.2f s/M)%s (%s)\n", raw_s, raw_rate, raw_cpu,
              raw_cpu * per_m,
              external ? ServerCpuNote(raw_srv_cpu * per_m).c_str() : "",
              server ? "client and in-process server" : "client only");
  std::printf("cpu: restore - parse = %.2f s vs raw put %.2f s (%u cores online)\n", restore_cpu - parse_cpu, raw_cpu,
              std::thread::hardware_concurrency());
  std::printf("ratio              %.1f %% (target >= 90 %%)\n", 100.0 * restore_rate / raw_rate);
  std::printf("peak RSS (restore) %.1f MiB, %.1f MiB above the RSS before the restore (%.1f MiB: in-memory raw\n"
              "                   batches%s)\n",
              restore_peak / 1024.0, (restore_peak - rss_before) / 1024.0, rss_before / 1024.0,
              server ? ", the in-process server's store" : "");
  std::printf("loadavg            %s before the restore, %s at the end\n", load_before.c_str(), LoadAvg().c_str());
  (*cluster)->Close();
  return 0;
}
