// abs-backup: asbackup's command line on top of the backup engine (backup-tools.md §1). Parses the
// options, maps them onto a BackupRequest, runs it with a progress bar (terminal) or periodic lines,
// SIGINT/SIGTERM cancel (leaving a resume state), and prints asbackup's summary or a JSON summary.
#include "tools/backup_tool.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "backup/backup.h"
#include "backup/backup_metadata.h"
#include "common/base64.h"
#include "format/naming.h"
#include "tools/common/codec_options.h"
#include "tools/common/connection_options.h"
#include "tools/common/machine_lines.h"
#include "tools/common/output_options.h"
#include "tools/common/progress.h"
#include "tools/common/secret_options.h"
#include "tools/common/signals.h"
#include "tools/common/storage_options.h"
#include "tools/common/values.h"

namespace aero::tools {
namespace {

struct BackupFlags {
  std::string ns, sets, bins, directory, output_file, prefix;
  uint64_t file_limit_mib = 250;
  bool remove_files = false, remove_artifacts = false;
  std::string continue_state, state_file_dst;
  bool no_bins = false, no_records = false, no_indexes = false, no_udfs = false, compact = false;
  bool no_ttl_only = false;
  int parallel = 1;
  int parallel_write = 0;
  std::string partition_list, after_digest, node_list, filter_exp, modified_after, modified_before;
  uint32_t records_per_second = 0;
  uint64_t nice_mib = 0;
  uint64_t max_records = 0;
  bool estimate = false;
  uint64_t estimate_samples = 10000;
  OutputFlags out;
  bool verbose = false;
};

// `-o -`: the backup goes to standard output (for pipes, as asbackup does). A Storage with one
// object, the stream; nothing else is stored (no metadata, no resume state), and a failure
// cannot be taken back: the exit status says whether the output is complete.
class StdoutStorage : public Storage {
 public:
  std::string Describe() const override { return "<stdout>"; }
  Result<std::unique_ptr<OutputStream>> NewWriter(std::string_view key, const WriteOptions&) override {
    if (used_) return Status(ErrorCode::kInvalidArgument, "standard output can take only one backup file");
    used_ = true;
    return std::unique_ptr<OutputStream>(new Out());
  }
  Result<std::unique_ptr<InputStream>> NewReader(std::string_view key, ByteRange) override {
    return Status(ErrorCode::kNotFound, "standard output cannot be read");
  }
  Result<std::vector<ObjectInfo>> List(std::string_view, ListMode) override { return std::vector<ObjectInfo>{}; }
  Result<ObjectInfo> Stat(std::string_view key) override {
    return Status(ErrorCode::kNotFound, std::string(key) + " is not stored (standard output)");
  }
  Status Delete(std::string_view) override { return Status::Ok(); }

 private:
  class Out : public OutputStream {
   public:
    Status Write(std::string_view bytes) override {
      while (!bytes.empty()) {
        ssize_t n = ::write(STDOUT_FILENO, bytes.data(), bytes.size());
        if (n < 0) {
          if (errno == EINTR) continue;
          return Status(ErrorCode::kIo, std::string("write to standard output: ") + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<size_t>(n));
        written_ += static_cast<uint64_t>(n);
      }
      return Status::Ok();
    }
    Status Close() override { return Status::Ok(); }
    uint64_t BytesWritten() const override { return written_; }

   private:
    uint64_t written_ = 0;
  };
  bool used_ = false;
};

// The state file argument (-c / --state-file-dst) names an object in the backup directory.
std::string StateKeyFromPath(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int Fail(bool json, const Status& s, int code = 1) {
  if (json) {
    nlohmann::json j{{"status", "error"}, {"error", s.ToString()}};
    std::printf("%s\n", j.dump().c_str());
  }
  std::fprintf(stderr, "abs-backup: %s\n", s.ToString().c_str());
  return code;
}

}  // namespace

int BackupToolMain(int argc, char** argv) {
  CLI::App app{"abs-backup: back up an Aerospike namespace into .asb files (asbackup-compatible options)"};
  app.set_help_flag("--help", "Print this help");
  app.set_version_flag("--version", "abs-backup 0.1.0");
  ConnectionFlags conn;
  StorageFlags storage_flags;
  CodecFlags codec_flags;
  BackupFlags f;
  AddConnectionOptions(app, conn);
  AddStorageOptions(app, storage_flags, true);
  AddCodecOptions(app, codec_flags);
  const char* g = "Backup";
  app.add_option("-n,--namespace", f.ns, "Namespace to back up")->group(g);
  app.add_option("-s,--set", f.sets, "Sets to back up (comma separated)")->group(g);
  app.add_option("-B,--bin-list", f.bins, "Bins to back up (comma separated)")->group(g);
  app.add_option("-d,--directory", f.directory, "Directory or s3://, azure://, gs:// URI for the backup files")->group(g);
  app.add_option("-o,--output-file", f.output_file, "Back up into one file")->group(g);
  app.add_option("-q,--output-file-prefix", f.prefix, "File names <prefix>_NNNNN.asb")->group(g);
  app.add_option("-F,--file-limit", f.file_limit_mib, "Start a new file at this size (MiB, 0 = never)")
      ->group(g)
      ->capture_default_str();
  app.add_flag("-r,--remove-files", f.remove_files, "Remove existing backup files first")->group(g);
  app.add_flag("--remove-artifacts", f.remove_artifacts, "Only remove existing backup files, then exit")->group(g);
  app.add_option("-c,--continue", f.continue_state, "Resume an interrupted backup from its state file")->group(g);
  app.add_option("--state-file-dst", f.state_file_dst, "Name of the state file written if interrupted")->group(g);
  app.add_flag("-x,--no-bins", f.no_bins, "Back up metadata and keys only")->group(g);
  app.add_flag("-R,--no-records", f.no_records, "Do not back up records")->group(g);
  app.add_flag("-I,--no-indexes", f.no_indexes, "Do not back up secondary indexes")->group(g);
  app.add_flag("-u,--no-udfs", f.no_udfs, "Do not back up UDF modules")->group(g);
  app.add_flag("-C,--compact", f.compact, "Raw bytes instead of base64 for blobs")->group(g);
  app.add_option("-w,--parallel", f.parallel, "Concurrent partition scans (1..100)")->group(g)->capture_default_str();
  app.add_option("--parallel-write", f.parallel_write, "File writers (0 = same as --parallel)")->group(g);
  app.add_option("-X,--partition-list", f.partition_list, "Partition filters begin[-count] or base64 digests")->group(g);
  app.add_option("-D,--after-digest", f.after_digest, "Back up the records after this digest")->group(g);
  app.add_option("-l,--node-list", f.node_list, "Only partitions mastered by these nodes (ip:port,...)")->group(g);
  app.add_option("-f,--filter-exp", f.filter_exp, "Base64 filter expression")->group(g);
  app.add_option("-a,--modified-after", f.modified_after, "Records modified at/after (YYYY-MM-DD_HH:MM:SS, local)")->group(g);
  app.add_option("-b,--modified-before", f.modified_before, "Records modified before (YYYY-MM-DD_HH:MM:SS, local)")->group(g);
  app.add_flag("--no-ttl-only", f.no_ttl_only, "Only records that never expire (no TTL)")->group(g);
  app.add_option("-L,--records-per-second", f.records_per_second, "Scan throttle (records/s, 0 = off)")->group(g);
  app.add_option("-N,--nice,--bandwidth", f.nice_mib, "Bandwidth cap (MiB/s, 0 = off)")->group(g);
  app.add_option("-M,--max-records", f.max_records, "Approximate maximum records")->group(g);
  app.add_flag("-e,--estimate", f.estimate, "Estimate the backup size, write nothing")->group(g);
  app.add_option("--estimate-samples", f.estimate_samples, "Records sampled by --estimate")->group(g)->capture_default_str();
  AddOutputOptions(app, f.out);
  app.add_flag("-v,--verbose", f.verbose, "More output")->group(g);
  try {
    app.parse(argc, argv);
  } catch (const SecretOptionError& e) {
    // A --sa-* problem or a secret the agent could not give: the message names option, agent,
    // resource and key (never a secret).
    std::fprintf(stderr, "abs-backup: %s\n", e.what());
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    // app.exit prints the help (exit 0) or the parser's message; every parse error is a usage error,
    // exit 2 as documented (CLI11's own codes, e.g. 109 for an unknown option, are not).
    return app.exit(e) == 0 ? 0 : 2;
  }

  auto invalid = [&](const std::string& m) { return Fail(f.out.json, Status(ErrorCode::kInvalidArgument, m), 2); };
  // asbackup's validation rules.
  int outputs = !f.directory.empty() + !f.output_file.empty() + f.estimate;
  if (outputs != 1) return invalid("give exactly one of --directory, --output-file, --estimate");
  if (f.ns.empty()) return invalid("--namespace is required");
  if (f.estimate && (f.no_records || f.parallel != 1 || !f.continue_state.empty() || f.remove_artifacts))
    return invalid("--estimate cannot be combined with --no-records, --parallel, --continue or --remove-artifacts");
  if (!f.partition_list.empty() && !f.after_digest.empty()) return invalid("--partition-list excludes --after-digest");
  if (!f.node_list.empty() && (!f.partition_list.empty() || !f.after_digest.empty()))
    return invalid("--node-list excludes --partition-list and --after-digest");
  if (!f.continue_state.empty() && f.remove_files) return invalid("--continue excludes --remove-files");
  if (f.parallel < 1 || f.parallel > 100) return invalid("--parallel must be 1..100");
  if (!f.filter_exp.empty() && (!f.modified_after.empty() || !f.modified_before.empty() || f.no_ttl_only))
    return invalid("--filter-exp excludes --modified-after, --modified-before and --no-ttl-only");
  // A "secrets:" value without --sa-address is a bad option, found before anything is opened.
  if (Status s = RejectUnresolvedSecrets(conn); !s.ok()) return Fail(f.out.json, s, 2);

  backup::BackupRequest req;
  req.ns = f.ns;
  req.sets = SplitList(f.sets);
  req.bins = SplitList(f.bins);
  req.file_prefix = f.prefix;
  req.file_limit_bytes = f.file_limit_mib << 20;
  req.remove_existing = f.remove_files;
  req.no_bins = f.no_bins;
  req.no_records = f.no_records;
  req.no_indexes = f.no_indexes;
  req.no_udfs = f.no_udfs;
  req.compact = f.compact;
  req.parallel = f.parallel;
  req.parallel_write = f.parallel_write;
  req.records_per_second = f.records_per_second;
  req.bandwidth_bytes_per_second = f.nice_mib << 20;
  req.max_records = f.max_records;
  req.socket_timeout = client::Millis(conn.socket_timeout_ms);
  req.total_timeout = client::Millis(conn.total_timeout_ms);
  req.max_retries = std::max(1, conn.max_retries);
  if (conn.sleep_between_retries_ms > 0) req.retry_delay = client::Millis(conn.sleep_between_retries_ms);
  int64_t now_ms = SystemClock::Instance().NowUnixMillis();
  if (!f.modified_after.empty()) {
    auto t = ParseLocalTime(f.modified_after, now_ms);
    if (!t.ok()) return invalid("--modified-after: " + t.status().message());
    req.modified_after_unix_ms = *t;
  }
  if (!f.modified_before.empty()) {
    auto t = ParseLocalTime(f.modified_before, now_ms);
    if (!t.ok()) return invalid("--modified-before: " + t.status().message());
    req.modified_before_unix_ms = *t;
  }
  if (!f.partition_list.empty()) {
    auto p = backup::ParsePartitionList(f.partition_list);
    if (!p.ok()) return invalid("--partition-list: " + p.status().message());
    req.partitions = *p;
  }
  if (!f.after_digest.empty()) {
    auto p = backup::AfterDigestFilters(f.after_digest);
    if (!p.ok()) return invalid("--after-digest: " + p.status().message());
    req.partitions = *p;
  }
  req.node_list = SplitList(f.node_list);
  req.no_ttl_only = f.no_ttl_only;
  if (!f.filter_exp.empty()) {
    auto e = Base64Decode(f.filter_exp);
    if (!e) return invalid("--filter-exp is not base64");
    req.filter_exp = *e;
  }
  auto codec = CodecOptionsOf(codec_flags);
  if (!codec.ok()) return Fail(f.out.json, codec.status(), 2);
  req.codec = *codec;
  if (!f.state_file_dst.empty()) req.state_key = StateKeyFromPath(f.state_file_dst);
  if (!f.continue_state.empty()) {
    req.resume = true;
    req.state_key = StateKeyFromPath(f.continue_state);
  }
  if (Status v = backup::ValidateRequest(req); !v.ok()) return Fail(f.out.json, v, 2);

  // Storage root and keys.
  std::unique_ptr<Storage> storage;
  if (f.output_file == "-") {
    if (f.out.json) return invalid("--json prints to standard output: not with --output-file -");
    if (req.resume || f.remove_artifacts || !f.state_file_dst.empty())
      return invalid("--output-file - cannot be resumed (no state file) or removed");
    storage = std::make_unique<StdoutStorage>();
    req.output_file = "stdout.asb";
    req.write_metadata = false;
    req.keep_state_on_failure = false;
  } else if (!f.estimate) {
    auto loc = f.directory.empty() ? FileLocation(f.output_file) : DirectoryLocation(f.directory);
    if (!loc.ok()) return Fail(f.out.json, loc.status(), 2);
    auto st = OpenStorageAt(loc->root, storage_flags);
    if (!st.ok()) return Fail(f.out.json, st.status(), 2);
    storage = std::move(*st);
    req.output_file = loc->key;
  }
  if (f.remove_artifacts) {
    std::string prefix = f.prefix.empty() ? f.ns : f.prefix;
    auto list = storage->List("", ListMode::kChildren);
    if (!list.ok() && list.status().code() != ErrorCode::kNotFound) return Fail(f.out.json, list.status());
    uint64_t removed = 0;
    if (list.ok()) {
      for (const auto& o : *list) {
        if (o.is_directory) continue;
        bool ours = req.output_file.empty() ? (IsAsbFileName(o.key) || o.key == backup::MetadataKeyOf(req) ||
                                               o.key == backup::StateKeyOf(req))
                                            : o.key == req.output_file;
        if (!ours) continue;
        if (Status s = storage->Delete(o.key); !s.ok()) return Fail(f.out.json, s);
        ++removed;
      }
    }
    std::fprintf(stderr, "Removed %llu file(s) from %s\n", static_cast<unsigned long long>(removed),
                 storage->Describe().c_str());
    if (f.out.json) std::printf("%s\n", nlohmann::json{{"status", "ok"}, {"removed-files", removed}}.dump().c_str());
    return 0;
  }

  CancelToken cancel;
  SignalCanceller signals(cancel);  // before any other thread starts
  auto cluster = ConnectCluster(conn);
  if (!cluster.ok()) return Fail(f.out.json, cluster.status().WithContext("connecting to the cluster"));
  struct CloseOnExit {
    std::shared_ptr<client::Cluster> c;
    ~CloseOnExit() { c->Close(); }
  } close_on_exit{*cluster};

  if (f.estimate) {
    auto e = backup::EstimateBackup(**cluster, req, f.estimate_samples, cancel);
    if (!e.ok()) return Fail(f.out.json, e.status());
    std::fprintf(stderr, "Sampled %llu record(s): ~%.1f B/record, compression ratio %.2f\n",
                 static_cast<unsigned long long>(e->sampled_records), e->mean_record_bytes, e->compression_ratio);
    std::fprintf(stderr, "Estimated %llu record(s), %s in total\n",
                 static_cast<unsigned long long>(e->estimated_records),
                 FormatBytes(static_cast<double>(e->estimated_bytes)).c_str());
    (void)AppendMachineLine(f.out.machine, "ESTIMATE:" + std::to_string(e->estimated_records) + ":" +
                                     std::to_string(static_cast<uint64_t>(e->mean_record_bytes)));
    if (f.out.json) {
      nlohmann::json j{{"status", "ok"},
                       {"sampled-records", e->sampled_records},
                       {"mean-record-bytes", e->mean_record_bytes},
                       {"compression-ratio", e->compression_ratio},
                       {"estimated-records", e->estimated_records},
                       {"estimated-bytes", e->estimated_bytes}};
      std::printf("%s\n", j.dump().c_str());
    }
    return 0;
  }

  backup::BackupProgress progress;
  std::string machine = f.out.machine;
  auto reporter = StartProgress(f.out, [&progress, machine](bool terminal) {
    auto v = progress.Take(SystemClock::Instance().NowUnixMillis());
    if (!machine.empty()) {
      // Best effort while running: a failing machine file must not stop the backup.
      if (v.percent >= 0) (void)AppendMachineLine(machine, "PROGRESS:" + std::to_string(static_cast<int>(v.percent)));
      if (v.eta_seconds >= 0) (void)AppendMachineLine(machine, "REMAINING:" + FormatDuration(v.eta_seconds));
    }
    std::string head = terminal ? ProgressBar(v.percent, 24)
                                : (v.percent >= 0 ? std::to_string(static_cast<int>(v.percent)) + "% complete" : "progress");
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s %llu/%s rec, %s, %.0f rec/s, %s/s, ETA %s", head.c_str(),
                  static_cast<unsigned long long>(v.records),
                  v.estimated_records ? std::to_string(v.estimated_records).c_str() : "?",
                  FormatBytes(static_cast<double>(v.bytes)).c_str(), v.records_per_second,
                  FormatBytes(v.bytes_per_second).c_str(), FormatDuration(v.eta_seconds).c_str());
    return std::string(buf);
  }, std::cerr);
  auto sum = backup::RunBackup(**cluster, *storage, req, cancel, &progress);
  if (reporter) reporter->Stop();
  if (!sum.ok()) return Fail(f.out.json, sum.status());

  double per_rec = sum->records ? static_cast<double>(sum->bytes) / static_cast<double>(sum->records) : 0;
  std::fprintf(stderr, "Backed up %llu record(s), %llu secondary index(es), %llu UDF file(s), %llu byte(s) in total (~%.0f B/rec)\n",
               static_cast<unsigned long long>(sum->records), static_cast<unsigned long long>(sum->sindexes),
               static_cast<unsigned long long>(sum->udfs), static_cast<unsigned long long>(sum->bytes), per_rec);
  Status ms = AppendMachineLine(f.out.machine, "SUMMARY:" + std::to_string(sum->records) + ":" + std::to_string(sum->sindexes) + ":" +
                                   std::to_string(sum->udfs) + ":" + std::to_string(sum->bytes) + ":" +
                                   std::to_string(static_cast<uint64_t>(per_rec)));
  if (!ms.ok()) std::fprintf(stderr, "abs-backup: warning: %s (the backup itself succeeded)\n", ms.ToString().c_str());
  if (f.out.json) {
    nlohmann::json j{{"status", "ok"},
                     {"namespace", sum->ns},
                     {"incremental", sum->incremental},
                     {"resumed", sum->resumed},
                     {"records", sum->records},
                     {"bytes", sum->bytes},
                     {"text-bytes", sum->text_bytes},
                     {"files", sum->files},
                     {"secondary-indexes", sum->sindexes},
                     {"udfs", sum->udfs},
                     {"start", backup::FormatRfc3339Ms(sum->start_unix_ms)},
                     {"end", backup::FormatRfc3339Ms(sum->end_unix_ms)},
                     {"duration-seconds", sum->duration_seconds()},
                     {"storage", storage->Describe()},
                     {"metadata", sum->metadata_key},
                     {"file-keys", sum->file_keys}};
    if (sum->from_unix_ms) j["from"] = backup::FormatRfc3339Ms(sum->from_unix_ms);
    if (sum->to_unix_ms) j["to"] = backup::FormatRfc3339Ms(sum->to_unix_ms);
    std::printf("%s\n", j.dump().c_str());
  }
  return 0;
}

}  // namespace aero::tools
