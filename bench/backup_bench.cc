// Backup throughput benchmark (issue 4 §6): for each record count (default 100,000 and 1,000,000),
// seeds the in-process test server (or uses a real server with --host and an existing set), then in
// the same run measures
//   1. our raw client scan of the set (records delivered to a no-op sink, all partitions, same
//      parallelism as the backup), and
//   2. the backup engine writing the same set to local .asb files,
// and prints records/s, MB/s and the peak RSS each step added (VmHWM reset through
// /proc/self/clear_refs before the step, baseline VmRSS subtracted: the in-process server's own
// store is not counted). Target: backup >= 90 % of the raw scan's records/s; RSS flat in N.
//
//   backup_bench [--records 100000,1000000] [--parallel P] [--payload B] [--dir D] [--zstd] [--queue-chunks Q]
//                [--host h:port --set S]
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
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
  double cpu = 0;
  long rss_added_kib = 0;
};

void Print(const char* op, uint64_t n, const Step& s) {
  std::printf("op=%s n=%llu records=%llu bytes=%llu seconds=%.3f rec_per_s=%.0f mb_per_s=%.1f cpu_seconds=%.2f "
              "peak_rss_added_kib=%ld\n",
              op, static_cast<unsigned long long>(n), static_cast<unsigned long long>(s.records),
              static_cast<unsigned long long>(s.bytes), s.seconds, s.records / s.seconds, s.bytes / s.seconds / 1e6,
              s.cpu, s.rss_added_kib);
  std::fflush(stdout);
}

template <typename F>
Step Measure(F&& body) {
  ResetPeakRss();
  long base = StatusKiB("VmRSS:");
  double cpu0 = CpuSeconds();
  auto t0 = std::chrono::steady_clock::now();
  Step s = body();
  s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  s.cpu = CpuSeconds() - cpu0;
  s.rss_added_kib = StatusKiB("VmHWM:") - base;
  return s;
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
    } else if (a == "--zstd") {
      zstd = true;
    } else {
      std::fprintf(stderr, "usage: backup_bench [--records N[,N...]] [--parallel P] [--payload B] [--dir D] [--zstd] "
                           "[--host h:port --set S]\n");
      return 2;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<testserver::TestCluster> server;
  if (host.empty()) {
    testserver::TestClusterOptions o;
    o.nodes = 1;
    auto s = testserver::TestCluster::Start(o);
    if (!s.ok()) return Die(s.status());
    server = std::move(*s);
    host = server->SeedHost();
  } else if (counts.size() != 1) {
    counts = {0};  // a real server: back up the existing set once
  }
  auto seeds = client::ParseHosts(host);
  if (!seeds.ok()) return Die(seeds.status());
  client::ClientPolicy cp;
  auto cluster = client::Cluster::Connect(*seeds, cp);
  if (!cluster.ok()) return Die(cluster.status());
  std::printf("# backup_bench host=%s parallel=%d payload=%zu zstd=%d cores=%u\n", host.c_str(), parallel, payload,
              zstd, std::thread::hardware_concurrency());

  for (uint64_t n : counts) {
    if (server) {
      server->Clear();
      auto t0 = std::chrono::steady_clock::now();
      Status s = testserver::SeedSampleRecords(*server, "test", set, n, payload);
      if (!s.ok()) return Die(s);
      std::printf("# seeded %llu records in %.1f s\n", static_cast<unsigned long long>(n),
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    // 1. Raw scan: the same partition slices the backup uses, each a Scan into a counting sink.
    Step scan = Measure([&] {
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
    });
    Print("raw_scan", n, scan);

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
    Step bk = Measure([&] {
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
    });
    std::filesystem::remove_all(out);
    if (!berr.ok()) return Die(berr);
    Print("backup", n, bk);
    double ratio = (bk.records / bk.seconds) / (scan.records / scan.seconds);
    std::printf("summary n=%llu backup_vs_raw_scan=%.2f files=%llu text_mb=%.1f stored_mb=%.1f %s\n",
                static_cast<unsigned long long>(n), ratio, static_cast<unsigned long long>(sum.files),
                sum.text_bytes / 1e6, sum.bytes / 1e6, ratio >= 0.9 ? "(target >= 0.90 met)" : "(below 0.90 target)");
    std::fflush(stdout);
  }
  (*cluster)->Close();
  return 0;
}
