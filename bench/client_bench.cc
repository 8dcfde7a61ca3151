// Client throughput benchmark (issue 3 §5), our side: bulk put and full partition scan with OUR
// client against a running server (abs-test-server or a real one). bench/client_bench.sh runs it
// next to bench/node_scan.js (the official Node.js client doing the same) and prints the comparison.
//
//   client_bench put  --host H:P --set S --records N [--batch 5000] [--threads 2]
//   client_bench scan --host H:P --set S [--expect N]
//
// Each run prints one line of key=value figures: op, records, bytes (sum of bin name + value bytes,
// the same measure the script uses for the Node.js client), seconds, rec_per_s, mb_per_s,
// cpu_seconds and vmhwm_kib (peak RSS of this process).
//
// Record shape (~200 bytes; node_scan.js builds the identical records): integer user key i (sent),
// bins id (int i), name (str "user-%08d"), score (double i*0.5+0.25), active (bool i%2), payload
// (120 bytes, byte j = (i+j) mod 251), tags (list ["t1", i%100, "x"]).
#include <CLI/CLI.hpp>
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client/cluster.h"
#include "client/scan.h"
#include "client/write.h"
#include "common/bytes.h"
#include "common/digest.h"
#include "protocol/msgpack.h"

using namespace aero;

namespace {

long PeakRssKiB() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}
double CpuSeconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

Bin IntBin(const char* name, int64_t v) {
  std::string d;
  PutU64BE(d, static_cast<uint64_t>(v));
  return Bin{name, ParticleType::kInteger, std::move(d)};
}

Record BenchRecord(const std::string& ns, const std::string& set, int64_t i) {
  Record r;
  r.ns = ns;
  r.set = set;
  r.key = IntegerKey(i);
  r.digest = ComputeDigest(set, *r.key);
  r.bins.reserve(6);
  r.bins.push_back(IntBin("id", i));
  char name[32];
  std::snprintf(name, sizeof name, "user-%08lld", static_cast<long long>(i));
  r.bins.push_back(Bin{"name", ParticleType::kString, name});
  double score = static_cast<double>(i) * 0.5 + 0.25;
  uint64_t bits;
  std::memcpy(&bits, &score, 8);
  std::string sd;
  PutU64BE(sd, bits);
  r.bins.push_back(Bin{"score", ParticleType::kFloat, std::move(sd)});
  r.bins.push_back(Bin{"active", ParticleType::kBool, std::string(1, static_cast<char>(i % 2))});
  std::string payload(120, '\0');
  for (size_t j = 0; j < payload.size(); ++j) payload[j] = static_cast<char>((i + static_cast<int64_t>(j)) % 251);
  r.bins.push_back(Bin{"payload", ParticleType::kBlob, std::move(payload)});
  std::string tags;
  msgpack::PutArrayHeader(tags, 3);
  msgpack::PutString(tags, "t1");
  msgpack::PutInt(tags, i % 100);
  msgpack::PutString(tags, "x");
  r.bins.push_back(Bin{"tags", ParticleType::kList, std::move(tags)});
  return r;
}

uint64_t RecordBytes(const Record& r) {
  uint64_t n = 0;
  for (const auto& b : r.bins) n += b.name.size() + b.data.size();
  return n;
}

void Report(const char* op, uint64_t records, uint64_t bytes, double seconds, double cpu) {
  std::printf("op=%s records=%llu bytes=%llu seconds=%.3f rec_per_s=%.0f mb_per_s=%.2f cpu_seconds=%.2f vmhwm_kib=%ld\n",
              op, static_cast<unsigned long long>(records), static_cast<unsigned long long>(bytes), seconds,
              records / seconds, bytes / seconds / 1e6, cpu, PeakRssKiB());
}

int Put(client::Cluster& cluster, const std::string& ns, const std::string& set, uint64_t n, size_t batch,
        int threads) {
  client::WritePolicy wp;
  wp.send_key = true;
  std::atomic<uint64_t> next{0}, bytes{0}, failed{0};
  std::mutex err_mu;
  std::string first_error;
  auto start = std::chrono::steady_clock::now();
  double cpu0 = CpuSeconds();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      std::vector<Record> recs;
      for (;;) {
        uint64_t begin = next.fetch_add(batch);
        if (begin >= n) return;
        uint64_t end = std::min<uint64_t>(n, begin + batch);
        recs.clear();
        for (uint64_t i = begin; i < end; ++i) {
          recs.push_back(BenchRecord(ns, set, static_cast<int64_t>(i)));
          bytes += RecordBytes(recs.back());
        }
        auto res = client::BatchPut(cluster, recs, wp);
        std::string err;
        if (!res.ok()) {
          err = res.status().ToString();
          failed += recs.size();
        } else {
          for (const auto& row : *res)
            if (!row.status.ok()) {
              ++failed;
              if (err.empty()) err = row.status.ToString();
            }
        }
        if (!err.empty()) {
          std::lock_guard<std::mutex> lock(err_mu);
          if (first_error.empty()) first_error = err;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failed) {
    std::cerr << "client_bench: " << failed << " of " << n << " records not written; first error: " << first_error << "\n";
    return 1;
  }
  Report("put", n, bytes, secs, CpuSeconds() - cpu0);
  return 0;
}

int Scan(client::Cluster& cluster, const std::string& ns, const std::string& set, uint64_t expect) {
  client::ScanPolicy sp;
  sp.ns = ns;
  sp.sets = {set};
  auto state = client::ScanState::AllPartitions();
  std::atomic<uint64_t> records{0}, bytes{0};
  auto start = std::chrono::steady_clock::now();
  double cpu0 = CpuSeconds();
  auto stats = client::Scan(cluster, sp, state, [&](Record& r) {
    records.fetch_add(1, std::memory_order_relaxed);
    bytes.fetch_add(RecordBytes(r), std::memory_order_relaxed);
    return Status::Ok();
  });
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!stats.ok()) {
    std::cerr << "client_bench: scan failed: " << stats.status().ToString() << "\n";
    return 1;
  }
  if (expect && records != expect) {
    std::cerr << "client_bench: scan returned " << records << " records, expected " << expect << "\n";
    return 1;
  }
  Report("scan", records, bytes, secs, CpuSeconds() - cpu0);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Our client's bulk put / full scan throughput (issue 3 benchmark)"};
  std::string op, host, ns = "test", set;
  uint64_t records = 1000000, expect = 0;
  size_t batch = 5000;
  int threads = 2;
  app.add_option("op", op, "put | scan")->required()->check(CLI::IsMember({"put", "scan"}));
  app.add_option("--host", host, "seed host:port")->required();
  app.add_option("--ns", ns, "namespace");
  app.add_option("--set", set, "set")->required();
  app.add_option("--records", records, "records to put")->check(CLI::Range(uint64_t{1}, uint64_t{100000000}));
  app.add_option("--batch", batch, "rows per batch request")->check(CLI::Range(size_t{1}, size_t{100000}));
  app.add_option("--threads", threads, "batch requests in flight")->check(CLI::Range(1, 64));
  app.add_option("--expect", expect, "scan: fail unless exactly this many records come back");
  CLI11_PARSE(app, argc, argv);

  auto seeds = client::ParseHosts(host);
  if (!seeds.ok()) {
    std::cerr << "client_bench: " << seeds.status().ToString() << "\n";
    return 2;
  }
  client::ClientPolicy cp;
  cp.app_id = "client_bench";
  auto cluster = client::Cluster::Connect(*seeds, cp);
  if (!cluster.ok()) {
    std::cerr << "client_bench: cannot connect to " << host << ": " << cluster.status().ToString() << "\n";
    return 2;
  }
  int rc = op == "put" ? Put(**cluster, ns, set, records, batch, threads) : Scan(**cluster, ns, set, expect);
  (*cluster)->Close();
  return rc;
}
