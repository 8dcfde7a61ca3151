// Restore throughput benchmark: restores N records (default 1,000,000) from .asb files with the
// restore engine and compares records/s with our raw client bulk put (BatchPut of the same records,
// same threads, same batch size, same write policy) in the same run, against the in-process test
// server (or a real server with --host). Prints both rates, their ratio (target >= 90 %) and peak RSS.
//
//   restore_bench [--records N] [--files F] [--parallel P] [--batch B] [--delay-ms D] [--readers R] [--host h:port]
//
// --delay-ms D makes the in-process server answer every request D ms late (its fault injection),
// emulating a server across a network: then both sides wait on round trips instead of competing with
// the server for the same CPU cores, which is what a deployment looks like.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
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

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "restore_bench: %s: %s\n", what.c_str(), s.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t records = 1000000;
  int files = 8, parallel = 8;
  size_t batch = 128;
  std::string host;
  int delay_ms = 0, readers = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--records") records = std::atoll(argv[i + 1]);
    else if (a == "--files") files = std::atoi(argv[i + 1]);
    else if (a == "--parallel") parallel = std::atoi(argv[i + 1]);
    else if (a == "--batch") batch = static_cast<size_t>(std::atoi(argv[i + 1]));
    else if (a == "--host") host = argv[i + 1];
    else if (a == "--delay-ms") delay_ms = std::atoi(argv[i + 1]);
    else if (a == "--readers") readers = std::atoi(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  if (records <= 0 || files <= 0 || parallel <= 0 || batch == 0) {
    std::fprintf(stderr, "restore_bench: --records, --files, --parallel and --batch must be positive\n");
    return 2;
  }

  std::unique_ptr<testserver::TestCluster> server;
  if (host.empty()) {
    testserver::TestClusterOptions so;
    so.nodes = 1;
    auto s = testserver::TestCluster::Start(so);
    if (!s.ok()) return Fail("start test server", s.status());
    server = std::move(*s);
    host = server->SeedHost();
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
  auto storage = OpenStorage(dir.path(), StorageOptions{});
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
    return client::Truncate(**cluster, "test", set);
  };

  // The raw baseline: the same records built in memory up front, sent with BatchPut by `parallel`
  // threads in batches of `batch`, with the restore's default write policy.
  std::vector<std::vector<Record>> batches;
  for (int64_t k = 0; k < records; k += static_cast<int64_t>(batch)) {
    std::vector<Record> b;
    for (int64_t j = k; j < std::min<int64_t>(records, k + static_cast<int64_t>(batch)); ++j) b.push_back(BenchRecord(set, j));
    batches.push_back(std::move(b));
  }
  auto raw_put = [&](double* secs, double* cpu) -> Status {
    client::WritePolicy wp;
    wp.generation = client::GenerationPolicy::kGreater;
    std::atomic<size_t> next{0};
    std::atomic<uint64_t> errors{0};
    auto start = std::chrono::steady_clock::now();
    double cpu0 = CpuSeconds();
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
    if (errors.load()) return Status(ErrorCode::kServer, std::to_string(errors.load()) + " raw put errors");
    return Status::Ok();
  };
  // Warm-up (untimed): the server's store grows to full size once, so neither timed phase pays for
  // the first fill (page faults, allocator growth).
  {
    double ws = 0, wc = 0;
    Status w = truncate();
    if (w.ok()) w = raw_put(&ws, &wc);
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
  auto start = std::chrono::steady_clock::now();
  double cpu0 = CpuSeconds();
  auto sum = job.Run();
  double restore_cpu = CpuSeconds() - cpu0;
  double restore_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long restore_peak = PeakRssKiB();
  if (!sum.status.ok()) return Fail("restore", sum.status);
  if (sum.stats.records_inserted != static_cast<uint64_t>(records)) {
    std::fprintf(stderr, "restore_bench: inserted %llu of %lld records\n",
                 static_cast<unsigned long long>(sum.stats.records_inserted), static_cast<long long>(records));
    return 1;
  }

  // 2. Raw client bulk put of the same records.
  t = truncate();
  if (!t.ok()) return Fail("truncate", t);
  double raw_s = 0, raw_cpu = 0;
  t = raw_put(&raw_s, &raw_cpu);
  if (!t.ok()) return Fail("raw put", t);

  double restore_rate = records / restore_s, raw_rate = records / raw_s;
  std::printf("records            %lld in %d files (%.1f MiB of .asb), parallel %d, batch %zu, reply delay %d ms, server %s\n",
              static_cast<long long>(records), files, file_bytes / 1048576.0, parallel, batch, delay_ms,
              server ? "in-process test server" : host.c_str());
  std::printf("restore engine     %.2f s  %10.0f rec/s  %.1f MiB/s  cpu %.2f s\n", restore_s, restore_rate,
              file_bytes / 1048576.0 / restore_s, restore_cpu);
 std::printf("parse only         %.2f s  %10.0f rec/s  %.1f MiB/s\n", parse_s, records / parse_s,
              file_bytes / 1048576.0 / parse_s);
  std::printf("raw bulk put       %.2f s  %10.0f rec/s  cpu %.2f s (%s)\n", raw_s, raw_rate, raw_cpu,
              server ? "client and in-process server" : "client only");
  std::printf("cpu: restore - parse = %.2f s vs raw put %.2f s (%u cores online)\n", restore_cpu - parse_cpu, raw_cpu,
              std::thread::hardware_concurrency());
  std::printf("ratio              %.1f %% (target >= 90 %%)\n", 100.0 * restore_rate / raw_rate);
  std::printf("peak RSS (restore) %.1f MiB, %.1f MiB above the RSS before the restore (%.1f MiB: in-memory raw\n"
              "                   batches%s)\n",
              restore_peak / 1024.0, (restore_peak - rss_before) / 1024.0, rss_before / 1024.0,
              server ? ", the in-process server's store" : "");
  (*cluster)->Close();
  return 0;
}
