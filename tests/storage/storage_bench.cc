// Storage throughput benchmark: upload and download MB/s through the S3 backend to s3rver and the Azure
// backend to azurite, against the curl command-line tool moving the same bytes to the same peers in the
// same run (curl: one PUT of the whole file and one GET; ours: multipart/blocks in parallel, ranged GETs).
//
// Usage: storage_bench [MiB=128] [part/chunk MiB=16] [parallel uploads=4]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "storage/factory.h"
#include "tests/storage/backends.h"
#include "tests/support/peers.h"
#include "tests/support/process.h"

using namespace aero;
using namespace aero::testing;
using Clock = std::chrono::steady_clock;

namespace {

double MBps(size_t bytes, Clock::duration d) {
  return static_cast<double>(bytes) / 1e6 / std::chrono::duration<double>(d).count();
}

Result<double> Upload(Storage& st, const std::string& key, const std::string& data) {
  auto t0 = Clock::now();
  ABS_ASSIGN_OR_RETURN(auto w, st.NewWriter(key));
  for (size_t i = 0; i < data.size(); i += 1 << 20) ABS_RETURN_IF_ERROR(w->Write(std::string_view(data).substr(i, 1 << 20)));
  ABS_RETURN_IF_ERROR(w->Close());
  return MBps(data.size(), Clock::now() - t0);
}

Result<double> Download(Storage& st, const std::string& key, const std::string& data) {
  auto t0 = Clock::now();
  ABS_ASSIGN_OR_RETURN(auto r, st.NewReader(key));
  std::string buf(1 << 20, '\0');
  size_t total = 0;
  for (;;) {
    ABS_ASSIGN_OR_RETURN(size_t n, r->Read(buf.data(), buf.size()));
    if (n == 0) break;
    total += n;
  }
  if (total != data.size()) return Status(ErrorCode::kCorrupt, "downloaded " + std::to_string(total) + " bytes");
  return MBps(total, Clock::now() - t0);
}

Result<double> Curl(std::vector<std::string> args, size_t bytes) {
  args.insert(args.begin(), {"curl", "-sS", "--fail", "-o", "/dev/null", "-H", "Expect:"});
  auto t0 = Clock::now();
  ABS_ASSIGN_OR_RETURN(CommandResult r, RunCommand(args));
  if (r.exit_code != 0) return Status(ErrorCode::kIo, "curl exited " + std::to_string(r.exit_code) + ": " + r.err);
  return MBps(bytes, Clock::now() - t0);
}

void Row(const char* peer, const char* who, const Result<double>& up, const Result<double>& down) {
  auto fmt = [](const Result<double>& r) {
    if (r.ok()) return std::to_string(static_cast<int>(*r));
    return r.status().code() == ErrorCode::kUnsupported ? std::string("-") : r.status().ToString();
  };
  std::printf("%-8s %-22s %12s %12s\n", peer, who, fmt(up).c_str(), fmt(down).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = argc > 1 ? std::stoul(argv[1]) : 128;
  std::string data(mib << 20, '\0');
  std::mt19937_64 rng(42);
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&data[i], &v, 8);
  }
  TempDir tmp;
  std::string file = tmp.path() + "/payload.bin";
  std::ofstream(file, std::ios::binary).write(data.data(), static_cast<std::streamsize>(data.size()));

  StorageOptions o;
  uint64_t part = (argc > 2 ? std::stoul(argv[2]) : 16) << 20;
  int parallel = argc > 3 ? std::stoi(argv[3]) : 4;
  o.s3.min_part_size = part;
  o.s3.upload_parallelism = parallel;
  o.azure.block_size = part;
  o.azure.upload_parallelism = parallel;
  o.read_chunk_size = part;
  std::printf("payload %zu MiB, parts/blocks/read chunks of %llu MiB, %d uploads in flight; MB/s (10^6 B/s)\n", mib,
              static_cast<unsigned long long>(part >> 20), parallel);
  std::printf("%-8s %-22s %12s %12s\n", "peer", "client", "upload", "download");

  {
    S3rverPeer s3;
    Status s = s3.Start();
    if (!s.ok()) return std::fprintf(stderr, "s3rver: %s\n", s.ToString().c_str()), 1;
    StorageOptions so = o;
    so.s3.region = "us-east-1";
    so.s3.access_key_id = so.s3.secret_access_key = "S3RVER";
    so.s3.endpoint_override = s3.endpoint();
    auto st = OpenStorage("s3://" + s3.bucket + "/bench", so);
    if (!st.ok()) return std::fprintf(stderr, "%s\n", st.status().ToString().c_str()), 1;
    auto up = Upload(**st, "ours.bin", data);
    auto down = Download(**st, "ours.bin", data);
    Row("s3rver", "abs_storage (S3)", up, down);
    so.verify_checksums = false;
    auto nv = OpenStorage("s3://" + s3.bucket + "/bench", so);
    Row("s3rver", "  same, no MD5 verify", Status(ErrorCode::kUnsupported, "-"), Download(**nv, "ours.bin", data));
    std::vector<std::string> sig = {"--aws-sigv4", "aws:amz:us-east-1:s3", "-u", "S3RVER:S3RVER", "-H",
                                    "x-amz-content-sha256: UNSIGNED-PAYLOAD"};
    std::string url = s3.endpoint() + "/" + s3.bucket + "/bench/curl.bin";
    auto args_up = sig;
    args_up.insert(args_up.end(), {"-T", file, url});
    auto cup = Curl(args_up, data.size());
    auto args_down = sig;
    args_down.push_back(url);
    auto cdown = Curl(args_down, data.size());
    Row("s3rver", "curl (one PUT / GET)", cup, cdown);
  }
  {
    AzuritePeer az;
    Status s = az.Start();
    if (!s.ok()) return std::fprintf(stderr, "azurite: %s\n", s.ToString().c_str()), 1;
    StorageOptions ao = o;
    ao.azure.account_name = AzuritePeer::kAccount;
    ao.azure.account_key = AzuritePeer::kKey;
    ao.azure.endpoint = az.endpoint();
    auto st = OpenStorage("azure://" + az.container + "/bench", ao);
    if (!st.ok()) return std::fprintf(stderr, "%s\n", st.status().ToString().c_str()), 1;
    auto up = Upload(**st, "ours.bin", data);
    auto down = Download(**st, "ours.bin", data);
    Row("azurite", "abs_storage (Azure)", up, down);
    ao.verify_checksums = false;
    auto nv = OpenStorage("azure://" + az.container + "/bench", ao);
    Row("azurite", "  same, no MD5 verify", Status(ErrorCode::kUnsupported, "-"), Download(**nv, "ours.bin", data));
    std::string url = az.endpoint() + "/" + az.container + "/bench/curl.bin?" + az.AccountSas();
    auto cup = Curl({"-H", "x-ms-blob-type: BlockBlob", "-T", file, url}, data.size());
    auto cdown = Curl({url}, data.size());
    Row("azurite", "curl (one PUT / GET)", cup, cdown);
  }
  return 0;
}
