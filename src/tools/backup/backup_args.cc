// abs-backup's command line -> BackupToolConfig (see backup_args.h): the options under asbackup's
// names, asbackup's rules for combining them, and the BackupRequest they describe.
#include "tools/backup/backup_args.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <sstream>

#include "backup/partition_filter.h"
#include "common/base64.h"
#include "common/clock.h"
#include "tools/common/codec_options.h"
#include "tools/common/secret_options.h"
#include "tools/common/values.h"

namespace aero::tools {
namespace {

// The options of the "Backup" group, as given.
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
};

// The group's options in the order of asbackup's help; -v joins it after the output options.
void AddBackupOptions(CLI::App& app, BackupFlags& f) {
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
}

Status Invalid(const std::string& message) { return Status(ErrorCode::kInvalidArgument, message); }

// asbackup's rules for combining the options, checked before any value is converted.
Status CheckCombinations(const BackupFlags& f) {
  int outputs = !f.directory.empty() + !f.output_file.empty() + f.estimate;
  if (outputs != 1) return Invalid("give exactly one of --directory, --output-file, --estimate");
  if (f.ns.empty()) return Invalid("--namespace is required");
  if (f.estimate && (f.no_records || f.parallel != 1 || !f.continue_state.empty() || f.remove_artifacts))
    return Invalid("--estimate cannot be combined with --no-records, --parallel, --continue or --remove-artifacts");
  if (!f.partition_list.empty() && !f.after_digest.empty()) return Invalid("--partition-list excludes --after-digest");
  if (!f.node_list.empty() && (!f.partition_list.empty() || !f.after_digest.empty()))
    return Invalid("--node-list excludes --partition-list and --after-digest");
  if (!f.continue_state.empty() && f.remove_files) return Invalid("--continue excludes --remove-files");
  if (f.parallel < 1 || f.parallel > 100) return Invalid("--parallel must be 1..100");
  if (!f.filter_exp.empty() && (!f.modified_after.empty() || !f.modified_before.empty() || f.no_ttl_only))
    return Invalid("--filter-exp excludes --modified-after, --modified-before and --no-ttl-only");
  return Status::Ok();
}

// The state file argument (-c / --state-file-dst) names an object in the backup directory.
std::string StateKeyFromPath(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The plain settings: copied or split, nothing that can be wrong.
backup::BackupRequest PlainRequestOf(const BackupFlags& f, const ConnectionFlags& conn) {
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
  req.node_list = SplitList(f.node_list);
  req.no_ttl_only = f.no_ttl_only;
  return req;
}

// The request the options describe; errors name the option (in the order asbackup checks them).
Result<backup::BackupRequest> RequestOf(const BackupFlags& f, const ConnectionFlags& conn, const CodecFlags& codec) {
  backup::BackupRequest req = PlainRequestOf(f, conn);
  int64_t now_ms = SystemClock::Instance().NowUnixMillis();
  if (!f.modified_after.empty()) {
    auto t = ParseLocalTime(f.modified_after, now_ms);
    if (!t.ok()) return Invalid("--modified-after: " + t.status().message());
    req.modified_after_unix_ms = *t;
  }
  if (!f.modified_before.empty()) {
    auto t = ParseLocalTime(f.modified_before, now_ms);
    if (!t.ok()) return Invalid("--modified-before: " + t.status().message());
    req.modified_before_unix_ms = *t;
  }
  if (!f.partition_list.empty()) {
    auto p = backup::ParsePartitionList(f.partition_list);
    if (!p.ok()) return Invalid("--partition-list: " + p.status().message());
    req.partitions = *p;
  }
  if (!f.after_digest.empty()) {
    auto p = backup::AfterDigestFilters(f.after_digest);
    if (!p.ok()) return Invalid("--after-digest: " + p.status().message());
    req.partitions = *p;
  }
  if (!f.filter_exp.empty()) {
    auto e = Base64Decode(f.filter_exp);
    if (!e) return Invalid("--filter-exp is not base64");
    req.filter_exp = *e;
  }
  ABS_ASSIGN_OR_RETURN(req.codec, CodecOptionsOf(codec));
  if (!f.state_file_dst.empty()) req.state_key = StateKeyFromPath(f.state_file_dst);
  if (!f.continue_state.empty()) {
    req.resume = true;
    req.state_key = StateKeyFromPath(f.continue_state);
  }
  ABS_RETURN_IF_ERROR(backup::ValidateRequest(req));
  return req;
}

// Where the backup goes: standard output, a directory or one file (not opened yet).
Status ResolveTarget(const BackupFlags& f, const OutputFlags& out, BackupToolConfig& c) {
  if (f.output_file == "-") {
    if (out.json) return Invalid("--json prints to standard output: not with --output-file -");
    if (c.request.resume || f.remove_artifacts || !f.state_file_dst.empty())
      return Invalid("--output-file - cannot be resumed (no state file) or removed");
    c.target = BackupToolConfig::Target::kStdout;
    c.request.output_file = "stdout.asb";
    c.request.write_metadata = false;
    c.request.keep_state_on_failure = false;
    return Status::Ok();
  }
  if (f.estimate) {
    c.target = BackupToolConfig::Target::kEstimate;
    return Status::Ok();
  }
  auto where = f.directory.empty() ? FileLocation(f.output_file) : DirectoryLocation(f.directory);
  ABS_ASSIGN_OR_RETURN(StorageLocation loc, std::move(where));
  c.target = BackupToolConfig::Target::kStorage;
  c.storage_root = loc.root;
  c.request.output_file = loc.key;
  return Status::Ok();
}

}  // namespace

BackupArgs ParseBackupArgs(int argc, const char* const* argv) {
  CLI::App app{"abs-backup: back up an Aerospike namespace into .asb files (asbackup-compatible options)"};
  app.set_help_flag("--help", "Print this help");
  app.set_version_flag("--version", "abs-backup 0.1.0");
  BackupToolConfig c;
  CodecFlags codec_flags;
  BackupFlags f;
  AddConnectionOptions(app, c.connection);
  AddStorageOptions(app, c.storage, true);
  AddCodecOptions(app, codec_flags);
  AddBackupOptions(app, f);
  AddOutputOptions(app, c.output);
  app.add_flag("-v,--verbose", c.verbose, "More output")->group("Backup");
  BackupArgs args;
  try {
    app.parse(argc, argv);
  } catch (const SecretOptionError& e) {
    // The message names option, agent, resource and key (never a secret).
    args.exit_code = ExitCodeOf(e);
    args.secret_error = e.what();
    return args;
  } catch (const CLI::ParseError& e) {
    // CLI11's own text: the help (exit 0) or the parser's message; every parse error is a usage error.
    std::ostringstream out, err;
    app.exit(e, out, err);
    args.exit_code = ExitCodeOf(e);
    args.cli11_out = out.str();
    args.cli11_err = err.str();
    return args;
  }
  DetachFromParser(c.connection);
  args.json = c.output.json;
  args.exit_code = kExitBadOptions;
  args.error = CheckCombinations(f);
  // A "secrets:" value without --sa-address is a bad option, found before anything is opened.
  if (args.error.ok()) args.error = RejectUnresolvedSecrets(c.connection);
  if (!args.error.ok()) return args;
  auto req = RequestOf(f, c.connection, codec_flags);
  if (!req.ok()) {
    args.error = req.status();
    return args;
  }
  c.request = std::move(*req);
  c.remove_artifacts = f.remove_artifacts;
  c.estimate_samples = f.estimate_samples;
  args.error = ResolveTarget(f, c.output, c);
  if (!args.error.ok()) return args;
  args.exit_code = kExitOk;
  args.config = std::move(c);
  return args;
}

}  // namespace aero::tools
