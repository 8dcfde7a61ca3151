// abs-restore's command line -> RestoreToolConfig (see restore_args.h): asrestore's options, its
// rules for combining them, and input paths/URIs as keys under one storage root.
#include "tools/restore/restore_args.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <filesystem>
#include <optional>

#include "storage/factory.h"
#include "tools/common/codec_options.h"
#include "tools/common/connection_options.h"
#include "tools/common/exit_codes.h"
#include "tools/common/progress.h"
#include "tools/common/secret_options.h"
#include "tools/common/storage_options.h"
#include "tools/common/values.h"

namespace aero::tools {
namespace {

using restore::RestoreOptions;

// The options that are not stored straight into RestoreOptions / RestoreToolConfig.
struct RestoreFlags {
  std::string directory, directory_list, parent, input_file;
  std::string ns, sets, bins;
  int parallel = 20;
  std::string nice;
  int64_t timeout_ms = 0, retry_scale_us = 150000;
  bool disable_batch = false;
  bool progress = false, no_progress = false;
};

// asrestore's own options (after the shared connection, storage and codec groups).
void AddRestoreOptions(CLI::App& app, RestoreFlags& f, RestoreToolConfig& c) {
  RestoreOptions& r = c.restore;
  app.add_option("-d,--directory", f.directory, "Restore every .asb file of this directory (path or URI)");
  app.add_option("--directory-list", f.directory_list, "Comma separated directories, restored in this order");
  app.add_option("--parent-directory", f.parent, "Common parent of --directory-list entries");
  app.add_option("-i,--input-file", f.input_file, "Restore one backup file (path or URI)");

  app.add_option("-n,--namespace", f.ns, "NS or SOURCE,DESTINATION");
  app.add_option("-s,--set-list", f.sets, "Only these sets (comma separated)");
  app.add_option("-B,--bin-list", f.bins, "Only these bins (comma separated)");
  app.add_flag("-u,--unique", r.unique, "Only create records; leave existing ones alone");
  app.add_flag("-r,--replace", r.replace, "Replace whole records instead of merging bins");
  app.add_flag("-g,--no-generation", r.no_generation, "Overwrite whatever the server's generation");
  app.add_flag("--ignore-record-error", r.ignore_record_error, "Count bad records and record errors, go on");
  app.add_option("-l,--extra-ttl", r.extra_ttl, "Seconds added to expirable records' TTL");
  app.add_option("-t,--parallel,--threads", f.parallel, "Writer threads (default 20)")->check(CLI::Range(1, 4096));
  app.add_option("-N,--nice", f.nice, "Throttle: MiB/s,records-per-second");
  app.add_option("--records-per-second", r.records_per_second, "Throttle records written per second");
  app.add_flag("--validate", r.validate_only, "Only read and check the backup; no cluster connection");
  app.add_flag("-R,--no-records", r.no_records, "Do not restore records");
  app.add_flag("-I,--no-indexes", r.no_indexes, "Do not restore secondary indexes");
  app.add_flag("-F,--no-udfs", r.no_udfs, "Do not restore UDF modules");
  app.add_flag("-L,--indexes-last", r.indexes_last, "Create secondary indexes after the records");
  app.add_flag("-w,--wait", r.wait_indexes, "Wait for secondary index builds");
  app.add_option("-T,--timeout", f.timeout_ms, "Info/UDF/sindex timeout in ms, also the write total timeout when "
                                               "--total-timeout is 0 (default: --info-timeout)");
  app.add_option("--retry-scale-factor", f.retry_scale_us,
                 "First retry delay in microseconds, doubled per retry (when --sleep-between-retries is 0)");
  app.add_flag("--disable-batch-writes", f.disable_batch, "Single-record writes instead of batch writes");
  app.add_option("--batch-size", r.batch_size, "Records per write request")->check(CLI::Range(1, 5000));

  app.add_flag("--json", c.json, "Print the summary as JSON on stdout");
  app.add_flag("--progress", f.progress, "Show a progress bar on stderr");
  app.add_flag("--no-progress", f.no_progress, "Never show a progress bar");
  app.add_flag("-v,--verbose", c.verbose, "Verbose output");
  app.add_option("-m,--machine", c.machine_path, "Append machine-readable progress lines to this file (or FIFO)");
}

// "prefix/" + name unless name is a URI or an absolute path.
std::string UnderParent(const std::string& parent, const std::string& name) {
  if (parent.empty() || name.find("://") != std::string::npos || (!name.empty() && name[0] == '/')) return name;
  return parent.back() == '/' ? parent + name : parent + "/" + name;
}

// Splits every input into one storage root and keys under it; all inputs must share the backend
// (and bucket), as one restore job reads from one storage.
Status ResolveLocations(const std::vector<std::string>& locations, RestoreToolConfig& c) {
  std::optional<StorageUri> first;
  for (const auto& loc : locations) {
    ABS_ASSIGN_OR_RETURN(StorageUri uri, ParseStorageUri(loc));
    std::string key;
    if (uri.kind == StorageUri::Kind::kLocal) {
      std::error_code ec;
      auto abs = std::filesystem::absolute(uri.path, ec).lexically_normal().string();
      if (ec) return Status(ErrorCode::kInvalidArgument, "bad path '" + loc + "': " + ec.message());
      while (abs.size() > 1 && abs.back() == '/') abs.pop_back();
      key = abs.substr(1);  // relative to "/"
    } else {
      key = uri.path;
    }
    if (!first) {
      first = uri;
      switch (uri.kind) {
        case StorageUri::Kind::kLocal: c.storage_root = "/"; break;
        case StorageUri::Kind::kS3: c.storage_root = "s3://" + uri.bucket; break;
        case StorageUri::Kind::kAzure: c.storage_root = "azure://" + uri.bucket; break;
        case StorageUri::Kind::kGcs: c.storage_root = "gs://" + uri.bucket; break;
      }
    } else if (first->kind != uri.kind || first->bucket != uri.bucket) {
      return Status(ErrorCode::kInvalidArgument,
                    "all inputs must be in the same storage (bucket/container or local disk): '" + loc + "'");
    }
    c.inputs.push_back(key);
  }
  return Status::Ok();
}

// Inputs: exactly one of -d / -i / --directory-list.
Status ResolveInputs(const RestoreFlags& f, RestoreToolConfig& c) {
  int modes = !f.directory.empty() + !f.input_file.empty() + !f.directory_list.empty();
  if (modes != 1)
    return Status(ErrorCode::kInvalidArgument, "give exactly one of --directory, --input-file, --directory-list");
  if (!f.parent.empty() && f.directory_list.empty())
    return Status(ErrorCode::kInvalidArgument, "--parent-directory needs --directory-list");
  if (f.input_file == "-")
    return Status(ErrorCode::kUnsupported, "reading a backup from stdin (-i -) is not supported; give a file");
  std::vector<std::string> locations;
  if (!f.directory.empty()) locations.push_back(f.directory);
  if (!f.input_file.empty()) locations.push_back(f.input_file);
  for (const auto& d : SplitList(f.directory_list)) locations.push_back(UnderParent(f.parent, d));
  if (locations.empty()) return Status(ErrorCode::kInvalidArgument, "--directory-list is empty");
  return ResolveLocations(locations, c);
}

// Namespace mapping, filters, parallelism and the -N throttle.
Status ApplyWhatAndHowFast(const RestoreFlags& f, RestoreOptions& r) {
  auto ns_parts = SplitList(f.ns);
  if (ns_parts.size() > 2 || (!f.ns.empty() && ns_parts.empty()))
    return Status(ErrorCode::kInvalidArgument, "--namespace takes NS or SOURCE,DESTINATION, got '" + f.ns + "'");
  if (!ns_parts.empty()) r.source_namespace = ns_parts[0];
  if (ns_parts.size() == 2) r.dest_namespace = ns_parts[1];
  r.set_list = SplitList(f.sets);
  r.bin_list = SplitList(f.bins);

  r.parallel = f.parallel;
  if (!f.nice.empty()) {
    auto parts = SplitList(f.nice);
    char* end = nullptr;
    if (parts.size() != 2) return Status(ErrorCode::kInvalidArgument, "--nice takes MiB/s,records-per-second");
    uint64_t mib = std::strtoull(parts[0].c_str(), &end, 10);
    if (*end) return Status(ErrorCode::kInvalidArgument, "--nice: bad MiB/s '" + parts[0] + "'");
    uint64_t tps = std::strtoull(parts[1].c_str(), &end, 10);
    if (*end) return Status(ErrorCode::kInvalidArgument, "--nice: bad records per second '" + parts[1] + "'");
    r.bytes_per_second = mib << 20;
    if (tps) r.records_per_second = tps;
  }
  return Status::Ok();
}

// Batch mode, timeouts and retries (asrestore's -T and --retry-scale-factor on top of the shared
// connection options).
Status ApplyWritePolicy(const RestoreFlags& f, const ConnectionFlags& conn, bool batch_size_given, RestoreOptions& r) {
  r.batch_mode = f.disable_batch ? RestoreOptions::BatchMode::kOff : RestoreOptions::BatchMode::kAuto;
  if (f.disable_batch && !batch_size_given) r.batch_size = 16;
  if (f.timeout_ms < 0 || conn.socket_timeout_ms < 0 || conn.total_timeout_ms < 0 || conn.max_retries < 0 ||
      conn.sleep_between_retries_ms < 0 || f.retry_scale_us < 0)
    return Status(ErrorCode::kInvalidArgument, "timeouts, retries and retry delays must not be negative");
  int64_t info_ms = f.timeout_ms > 0 ? f.timeout_ms : conn.info_timeout_ms;
  r.info_timeout = client::Millis(info_ms);
  r.socket_timeout = client::Millis(conn.socket_timeout_ms ? conn.socket_timeout_ms : info_ms);
  r.total_timeout = client::Millis(conn.total_timeout_ms ? conn.total_timeout_ms : info_ms);
  r.max_retries = conn.max_retries;
  r.retry_delay = conn.sleep_between_retries_ms > 0 ? client::Millis(conn.sleep_between_retries_ms)
                                                    : client::Millis(f.retry_scale_us / 1000);
  return Status::Ok();
}

}  // namespace

Result<RestoreToolConfig> ParseRestoreArgs(int argc, const char* const* argv) {
  RestoreToolConfig c;
  CLI::App app{"abs-restore: restore Aerospike .asb backups (asrestore-compatible options)", "abs-restore"};
  app.set_help_flag("--help", "Print this help and exit");
  app.set_version_flag("--version", "abs-restore 0.1.0");
  // Shared with abs-backup (src/tools/common): connection/TLS/timeouts, storage backends, codec.
  ConnectionFlags conn;
  AddConnectionOptions(app, conn);
  StorageFlags storage_flags;
  AddStorageOptions(app, storage_flags, /*uploads=*/false);
  CodecFlags codec_flags;
  AddCodecOptions(app, codec_flags);
  RestoreFlags f;
  AddRestoreOptions(app, f, c);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return Status(ErrorCode::kNotFound, app.help());
  } catch (const CLI::CallForVersion&) {
    return Status(ErrorCode::kNotFound, app.version() + "\n");  // printed like --help
  } catch (const CLI::ParseError& e) {
    // kExitFailed (as abs-backup): the Secret Agent failed (unreachable, silent, unknown key).
    return Status(ExitCodeOf(e) == kExitFailed ? ErrorCode::kNetwork : ErrorCode::kInvalidArgument, e.what());
  }
  DetachFromParser(conn);
  ABS_RETURN_IF_ERROR(ResolveInputs(f, c));

  // Cluster (not contacted, and no password prompt, in validate mode).
  RestoreOptions& r = c.restore;
  ABS_ASSIGN_OR_RETURN(c.hosts, SeedHosts(conn));
  if (!r.validate_only) {
    ABS_ASSIGN_OR_RETURN(c.client, ClientPolicyOf(conn));
  }
  ABS_ASSIGN_OR_RETURN(c.storage, StorageOptionsOf(storage_flags));
  ABS_ASSIGN_OR_RETURN(r.codec, CodecOptionsOf(codec_flags));
  ABS_RETURN_IF_ERROR(ApplyWhatAndHowFast(f, r));
  ABS_RETURN_IF_ERROR(ApplyWritePolicy(f, conn, app.count("--batch-size") > 0, r));

  c.progress = !f.no_progress && (f.progress || StderrIsTerminal());
  ABS_RETURN_IF_ERROR(restore::ValidateOptions(r));
  return c;
}

}  // namespace aero::tools
