// Restore throughput benchmark: restores N records (default 1,000,000) from .asb files with the
// restore engine and compares records/s with our raw client bulk put (BatchPut of the same records,
// same threads, same batch size, same write policy) in the same run, against the in-process test
// server (or a real server with --host). Prints both rates, their ratio (target >= 90 %) and peak RSS.
//
//   restore_bench [--records N] [--files F] [--parallel P] [--batch B] [--host h:port]
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
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--records") records = std::atoll(argv[i + 1]);
    else if (a == "--files") files = std::atoi(argv[i + 1]);
    else if (a == "--parallel") parallel = std::atoi(argv[i + 1]);
    else if (a == "--batch") batch = static_cast<size_t>(std::atoi(argv[i + 1]));
    else if (a == "--host") host = argv[i + 1];
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

  // 1. Restore engine.
  Status t = truncate();
  if (!t.ok()) return Fail("truncate", t);
  long rss_before = RssKiB();
  ResetPeakRss();
  restore::RestoreOptions o;
  o.parallel = parallel;
  o.batch_size = batch;
  restore::RestoreJob job(o, *cluster, storage->get(), {"b"});
  auto start = std::chrono::steady_clock::now();
  auto sum = job.Run();
  double restore_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  long restore_peak = PeakRssKiB();
  if (!sum.status.ok()) return Fail("restore", sum.status);
  if (sum.stats.records_inserted != static_cast<uint64_t>(records)) {
    std::fprintf(stderr, "restore_bench: inserted %llu of %lld records\n",
                 static_cast<unsigned long long>(sum.stats.records_inserted), static_cast<long long>(records));
    return 1;
  }

  // 2. Raw client bulk put of the same records (built in memory first, not timed).
  t = truncate();
  if (!t.ok()) return Fail("truncate", t);
  std::vector<std::vector<Record>> batches;
  for (int64_t k = 0; k < records; k += static_cast<int64_t>(batch)) {
    std::vector<Record> b;
    for (int64_t j = k; j < std::min<int64_t>(records, k + static_cast<int64_t>(batch)); ++j) b.push_back(BenchRecord(set, j));
    batches.push_back(std::move(b));
  }
  client::WritePolicy wp;
  wp.generation = client::GenerationPolicy::kGreater;
  std::atomic<size_t> next{0};
  std::atomic<uint64_t> written{0}, errors{0};
  start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < parallel; ++w)
    threads.emplace_back([&] {
      for (size_t i = next.fetch_add(1); i < batches.size(); i = next.fetch_add(1)) {
        auto r = client::BatchPut(**cluster, batches[i], wp);
        if (!r.ok()) {
          errors += batches[i].size();
          continue;
        }
        for (const auto& row : *r) (row.status.ok() ? written : errors)++;
      }
    });
  for (auto& th : threads) th.join();
  double raw_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (errors.load()) {
    std::fprintf(stderr, "restore_bench: raw put had %llu errors\n", static_cast<unsigned long long>(errors.load()));
    return 1;
  }

  double restore_rate = records / restore_s, raw_rate = records / raw_s;
  std::printf("records            %lld in %d files (%.1f MiB of .asb), parallel %d, batch %zu, server %s\n",
              static_cast<long long>(records), files, file_bytes / 1048576.0, parallel, batch,
              server ? "in-process test server" : host.c_str());
  std::printf("restore engine     %.2f s  %10.0f rec/s  %.1f MiB/s\n", restore_s, restore_rate,
              file_bytes / 1048576.0 / restore_s);
  std::printf("raw bulk put       %.2f s  %10.0f rec/s\n", raw_s, raw_rate);
  std::printf("ratio              %.1f %% (target >= 90 %%)\n", 100.0 * restore_rate / raw_rate);
  std::printf("peak RSS (restore) %.1f MiB (RSS before %.1f MiB; includes the in-process server's store)\n",
              restore_peak / 1024.0, rss_before / 1024.0);
  (*cluster)->Close();
  return 0;
}
