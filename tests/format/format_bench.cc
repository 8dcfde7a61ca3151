// Micro benchmark of the .asb layer on one core: encoder and decoder throughput (MB/s of .asb text)
// plain, with zstd, with AES-128, and with zstd + AES-256. Run: build/tests/format/format_bench
#include <benchmark/benchmark.h>

#include <random>

#include "common/bytes.h"
#include "common/digest.h"
#include "format/asb_reader.h"
#include "format/asb_writer.h"
#include "format/codec.h"
#include "format/string_stream.h"

namespace aero {
namespace {

// Discards what it is given, counting bytes (storage stand-in that costs nothing).
class NullOutputStream : public OutputStream {
 public:
  Status Write(std::string_view b) override {
    n_ += b.size();
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  uint64_t BytesWritten() const override { return n_; }

 private:
  uint64_t n_ = 0;
};

// Records shaped like a typical user table: a string key, a set, ten bins of mixed types.
const std::vector<Record>& Records() {
  static const std::vector<Record> records = [] {
    std::mt19937_64 rng(42);
    std::vector<Record> v;
    for (int i = 0; i < 20000; ++i) {
      Record r;
      r.ns = "test";
      r.set = "users";
      r.key = StringKey("user:" + std::to_string(i));
      r.digest = ComputeDigest(r.set, *r.key);
      r.generation = 1 + i % 10;
      r.void_time = i % 2 ? 0 : 500000000;
      std::string be;
      PutU64BE(be, rng() % 100000);
      std::string text(20 + rng() % 100, 'a');
      for (auto& c : text) c = static_cast<char>('a' + rng() % 26);
      std::string blob(16 + rng() % 64, '\0');
      for (auto& c : blob) c = static_cast<char>(rng());
      r.bins = {Bin{"age", ParticleType::kInteger, be},        Bin{"score", ParticleType::kFloat, be},
                Bin{"name", ParticleType::kString, text},      Bin{"email", ParticleType::kString, text + "@x.com"},
                Bin{"avatar", ParticleType::kBlob, blob},      Bin{"active", ParticleType::kBool, "\x01"},
                Bin{"tags", ParticleType::kList, "\x92\xa2\x03\x61\xa2\x03\x62"},
                Bin{"attrs", ParticleType::kMap, "\x81\xa2\x03\x61\x01"},
                Bin{"visits", ParticleType::kInteger, be},     Bin{"note", ParticleType::kString, text}};
      v.push_back(std::move(r));
    }
    return v;
  }();
  return records;
}

CodecOptions Mode(int64_t m) {
  CodecOptions o;
  o.key_material = "benchmark key material";
  if (m == 1 || m == 3) o.compression = CompressionMode::kZstd;
  if (m == 2) o.encryption = EncryptionMode::kAes128;
  if (m == 3) o.encryption = EncryptionMode::kAes256;
  return o;
}
const char* ModeName(int64_t m) {
  static const char* names[] = {"plain", "zstd", "aes128", "zstd+aes256"};
  return names[m];
}

void BM_Encode(benchmark::State& state) {
  const auto& records = Records();
  uint64_t text_bytes = 0;
  for (auto _ : state) {
    auto out = WrapOutput(std::make_unique<NullOutputStream>(), Mode(state.range(0)));
    AsbWriter w(out->get());
    (void)w.WriteHeader("test", true);
    for (const auto& r : records) {
      Status s = w.WriteRecord(r);
      if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    }
    (void)(*out)->Close();
    text_bytes += w.bytes_written();
  }
  state.SetBytesProcessed(static_cast<int64_t>(text_bytes));
  state.SetLabel(ModeName(state.range(0)));
}

void BM_Decode(benchmark::State& state) {
  const auto& records = Records();
  CodecOptions opt = Mode(state.range(0));
  std::string stored;
  uint64_t text_size = 0;
  {
    auto out = WrapOutput(std::make_unique<StringOutputStream>(&stored), opt);
    AsbWriter w(out->get());
    (void)w.WriteHeader("test", true);
    for (const auto& r : records) (void)w.WriteRecord(r);
    (void)(*out)->Close();
    text_size = w.bytes_written();
  }
  uint64_t text_bytes = 0;
  for (auto _ : state) {
    auto in = WrapInput(std::make_unique<StringInputStream>(StringInputStream::View(stored)), opt, "bench.asb");
    AsbReader reader(in->get(), "bench.asb");
    AsbEntity e;
    size_t n = 0;
    for (;;) {
      auto r = reader.Next(&e);
      if (!r.ok()) {
        state.SkipWithError(r.status().ToString().c_str());
        break;
      }
      if (!*r) break;
      ++n;
    }
    if (n != records.size()) state.SkipWithError("record count mismatch");
    text_bytes += text_size;
  }
  state.SetBytesProcessed(static_cast<int64_t>(text_bytes));
  state.SetLabel(ModeName(state.range(0)));
}

BENCHMARK(BM_Encode)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Decode)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace aero

BENCHMARK_MAIN();
