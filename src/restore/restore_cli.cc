// abs-restore command line (see restore_cli.h): option parsing with CLI11, input URIs -> one storage,
// the run with progress and summaries, signal handling.
#include "restore/restore_cli.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "client/cluster.h"
#include "format/codec.h"
#include "storage/factory.h"
#include "tools/common/codec_options.h"
#include "tools/common/connection_options.h"
#include "tools/common/progress.h"
#include "tools/common/secret_options.h"
#include "tools/common/signals.h"
#include "tools/common/storage_options.h"
#include "tools/common/values.h"

namespace aero::restore {
namespace {

using tools::SplitList;

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

void PrintProgress(const RestoreJob& job, std::chrono::steady_clock::time_point start, std::ostream& err) {
  RestoreStats s = job.Snapshot();
  double frac = s.bytes_total ? static_cast<double>(s.bytes_read) / static_cast<double>(s.bytes_total) : 0.0;
  frac = std::min(1.0, frac);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t rate = secs > 0 ? static_cast<uint64_t>(static_cast<double>(s.records_read) / secs) : 0;
  err << "\r" << tools::ProgressBar(frac * 100) << " " << s.records_read << " records (" << rate << " rec/s), "
      << tools::FormatBytes(static_cast<double>(s.bytes_read)) << " of "
      << tools::FormatBytes(static_cast<double>(s.bytes_total)) << ", files " << s.files_done << "/"
      << s.files_total << "   " << std::flush;
}

// Appends one line to the machine-readable output (opened per line: it may be a FIFO a reader
// reopens). Returns false when the file cannot be written.
bool AppendMachineLine(const std::string& path, const std::string& line) {
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) return false;
  bool ok = std::fputs((line + "\n").c_str(), f) >= 0;
  return std::fclose(f) == 0 && ok;
}

// asrestore's SUMMARY:<udfs>:<sindexes>:<records>:<expired>:<skipped>:<ignored>:<inserted>:<existed>:<fresher>.
std::string MachineSummary(const RestoreStats& s) {
  return "SUMMARY:" + std::to_string(s.udfs_restored) + ":" + std::to_string(s.sindexes_restored) + ":" +
         std::to_string(s.records_read) + ":" + std::to_string(s.records_expired) + ":" +
         std::to_string(s.records_skipped) + ":" + std::to_string(s.records_ignored) + ":" +
         std::to_string(s.records_inserted) + ":" + std::to_string(s.records_existed) + ":" +
         std::to_string(s.records_fresher);
}

void PrintText(const RestoreSummary& sum, bool validate, std::ostream& out) {
  const RestoreStats& s = sum.stats;
  out << "Read " << s.records_read << " record(s), " << s.sindexes_read << " secondary index(es), " << s.udfs_read
      << " UDF module(s) from " << s.files_done << "/" << s.files_total << " file(s), " << s.bytes_read
      << " byte(s)\n";
  if (!validate) {
    out << "Inserted " << s.records_inserted << ", existed " << s.records_existed << ", fresher "
        << s.records_fresher << ", expired " << s.records_expired << ", skipped " << s.records_skipped
        << ", failed " << s.records_failed << " (ignored " << s.records_ignored << "), not attempted "
        << s.records_abandoned << "\n";
    out << "Secondary indexes created " << s.sindexes_restored << " (skipped " << s.sindexes_skipped
        << "), UDF modules registered " << s.udfs_restored << " (skipped " << s.udfs_skipped << ")\n";
  }
  if (s.corrupt_entities) out << "Corrupt backup entities: " << s.corrupt_entities << "\n";
  for (const auto& [reason, n] : sum.failures) out << "Failed " << reason << ": " << n << "\n";
  for (const auto& n : sum.notes) out << "Note: " << n << "\n";
  for (const auto& e : sum.errors) out << "Error: " << e << "\n";
  if (sum.errors_dropped) out << "(" << sum.errors_dropped << " more error message(s) not shown)\n";
  out << std::fixed << std::setprecision(1) << (sum.status.ok() ? "Restore finished" : "Restore FAILED") << " in "
      << static_cast<double>(sum.duration.count()) / 1000.0 << " s";
  if (!sum.status.ok()) out << ": " << sum.status.ToString();
  out << "\n";
}

}  // namespace

std::string SummaryJson(const RestoreSummary& sum) {
  const RestoreStats& s = sum.stats;
  nlohmann::json j;
  j["status"] = sum.status.ok() ? "success" : (sum.cancelled ? "canceled" : "failure");
  if (!sum.status.ok()) j["error"] = sum.status.ToString();
  j["read-records"] = s.records_read;
  j["inserted-records"] = s.records_inserted;
  j["existed-records"] = s.records_existed;
  j["fresher-records"] = s.records_fresher;
  j["expired-records"] = s.records_expired;
  j["skipped-records"] = s.records_skipped;
  j["failed-records"] = s.records_failed;
  j["ignored-records"] = s.records_ignored;
  j["abandoned-records"] = s.records_abandoned;
  j["corrupt-entities"] = s.corrupt_entities;
  j["total-bytes"] = s.bytes_read;
  j["files"] = s.files_done;
  j["index-count"] = s.sindexes_restored;
  j["udf-count"] = s.udfs_restored;
  j["duration-ms"] = sum.duration.count();
  j["failures"] = nlohmann::json::object();
  for (const auto& [reason, n] : sum.failures) j["failures"][reason] = n;
  j["errors"] = sum.errors;
  j["notes"] = sum.notes;
  return j.dump(2);
}

Result<RestoreToolConfig> ParseRestoreArgs(int argc, const char* const* argv) {
  RestoreToolConfig c;
  RestoreOptions& r = c.restore;
  CLI::App app{"abs-restore: restore Aerospike .asb backups (asrestore-compatible options)", "abs-restore"};
  app.set_help_flag("--help", "Print this help and exit");
  app.set_version_flag("--version", "abs-restore 0.1.0");

  // Shared with abs-backup (src/tools/common): connection/TLS/timeouts, storage backends, codec.
  tools::ConnectionFlags conn;
  tools::AddConnectionOptions(app, conn);
  tools::StorageFlags storage_flags;
  tools::AddStorageOptions(app, storage_flags, /*uploads=*/false);
  tools::CodecFlags codec_flags;
  tools::AddCodecOptions(app, codec_flags);

  std::string directory, directory_list, parent, input_file;
  app.add_option("-d,--directory", directory, "Restore every .asb file of this directory (path or URI)");
  app.add_option("--directory-list", directory_list, "Comma separated directories, restored in this order");
  app.add_option("--parent-directory", parent, "Common parent of --directory-list entries");
  app.add_option("-i,--input-file", input_file, "Restore one backup file (path or URI)");

  std::string ns, sets, bins;
  app.add_option("-n,--namespace", ns, "NS or SOURCE,DESTINATION");
  app.add_option("-s,--set-list", sets, "Only these sets (comma separated)");
  app.add_option("-B,--bin-list", bins, "Only these bins (comma separated)");
  app.add_flag("-u,--unique", r.unique, "Only create records; leave existing ones alone");
  app.add_flag("-r,--replace", r.replace, "Replace whole records instead of merging bins");
  app.add_flag("-g,--no-generation", r.no_generation, "Overwrite whatever the server's generation");
  app.add_flag("--ignore-record-error", r.ignore_record_error, "Count bad records and record errors, go on");
  app.add_option("-l,--extra-ttl", r.extra_ttl, "Seconds added to expirable records' TTL");
  int parallel = 20;
  app.add_option("-t,--parallel,--threads", parallel, "Writer threads (default 20)")->check(CLI::Range(1, 4096));
  std::string nice;
  app.add_option("-N,--nice", nice, "Throttle: MiB/s,records-per-second");
  app.add_option("--records-per-second", r.records_per_second, "Throttle records written per second");
  app.add_flag("--validate", r.validate_only, "Only read and check the backup; no cluster connection");
  app.add_flag("-R,--no-records", r.no_records, "Do not restore records");
  app.add_flag("-I,--no-indexes", r.no_indexes, "Do not restore secondary indexes");
  app.add_flag("-F,--no-udfs", r.no_udfs, "Do not restore UDF modules");
  app.add_flag("-L,--indexes-last", r.indexes_last, "Create secondary indexes after the records");
  app.add_flag("-w,--wait", r.wait_indexes, "Wait for secondary index builds");
  int64_t timeout_ms = 0, retry_scale_us = 150000;
  app.add_option("-T,--timeout", timeout_ms, "Info/UDF/sindex timeout in ms, also the write total timeout when "
                                             "--total-timeout is 0 (default: --info-timeout)");
  app.add_option("--retry-scale-factor", retry_scale_us,
                 "First retry delay in microseconds, doubled per retry (when --sleep-between-retries is 0)");
  bool disable_batch = false;
  app.add_flag("--disable-batch-writes", disable_batch, "Single-record writes instead of batch writes");
  app.add_option("--batch-size", r.batch_size, "Records per write request")->check(CLI::Range(1, 5000));

  app.add_flag("--json", c.json, "Print the summary as JSON on stdout");
  bool progress = false, no_progress = false;
  app.add_flag("--progress", progress, "Show a progress bar on stderr");
  app.add_flag("--no-progress", no_progress, "Never show a progress bar");
  app.add_flag("-v,--verbose", c.verbose, "Verbose output");
  app.add_option("-m,--machine", c.machine_path, "Append machine-readable progress lines to this file (or FIFO)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return Status(ErrorCode::kNotFound, app.help());
  } catch (const CLI::CallForVersion&) {
    return Status(ErrorCode::kNotFound, app.version() + "\n");  // printed like --help
  } catch (const tools::SecretOptionError& e) {
    // Exit 1 (as abs-backup): the Secret Agent failed (unreachable, silent, unknown key); 2: bad option.
    return Status(e.get_exit_code() == 1 ? ErrorCode::kNetwork : ErrorCode::kInvalidArgument, e.what());
  } catch (const CLI::ParseError& e) {
    return Status(ErrorCode::kInvalidArgument, e.what());
  }

  // Inputs: exactly one of -d / -i / --directory-list.
  int modes = !directory.empty() + !input_file.empty() + !directory_list.empty();
  if (modes != 1)
    return Status(ErrorCode::kInvalidArgument, "give exactly one of --directory, --input-file, --directory-list");
  if (!parent.empty() && directory_list.empty())
    return Status(ErrorCode::kInvalidArgument, "--parent-directory needs --directory-list");
  if (input_file == "-")
    return Status(ErrorCode::kUnsupported, "reading a backup from stdin (-i -) is not supported; give a file");
  std::vector<std::string> locations;
  if (!directory.empty()) locations.push_back(directory);
  if (!input_file.empty()) locations.push_back(input_file);
  for (const auto& d : SplitList(directory_list)) locations.push_back(UnderParent(parent, d));
  if (locations.empty()) return Status(ErrorCode::kInvalidArgument, "--directory-list is empty");
  ABS_RETURN_IF_ERROR(ResolveLocations(locations, c));

  // Cluster (not contacted, and no password prompt, in validate mode).
  ABS_ASSIGN_OR_RETURN(c.hosts, tools::SeedHosts(conn));
  if (!r.validate_only) {
    ABS_ASSIGN_OR_RETURN(c.client, tools::ClientPolicyOf(conn));
  }
  ABS_ASSIGN_OR_RETURN(c.storage, tools::StorageOptionsOf(storage_flags));
  ABS_ASSIGN_OR_RETURN(r.codec, tools::CodecOptionsOf(codec_flags));

  // Namespace mapping.
  auto ns_parts = SplitList(ns);
  if (ns_parts.size() > 2 || (!ns.empty() && ns_parts.empty()))
    return Status(ErrorCode::kInvalidArgument, "--namespace takes NS or SOURCE,DESTINATION, got '" + ns + "'");
  if (!ns_parts.empty()) r.source_namespace = ns_parts[0];
  if (ns_parts.size() == 2) r.dest_namespace = ns_parts[1];
  r.set_list = SplitList(sets);
  r.bin_list = SplitList(bins);

  r.parallel = parallel;
  if (!nice.empty()) {
    auto parts = SplitList(nice);
    char* end = nullptr;
    if (parts.size() != 2) return Status(ErrorCode::kInvalidArgument, "--nice takes MiB/s,records-per-second");
    uint64_t mib = std::strtoull(parts[0].c_str(), &end, 10);
    if (*end) return Status(ErrorCode::kInvalidArgument, "--nice: bad MiB/s '" + parts[0] + "'");
    uint64_t tps = std::strtoull(parts[1].c_str(), &end, 10);
    if (*end) return Status(ErrorCode::kInvalidArgument, "--nice: bad records per second '" + parts[1] + "'");
    r.bytes_per_second = mib << 20;
    if (tps) r.records_per_second = tps;
  }
  r.batch_mode = disable_batch ? RestoreOptions::BatchMode::kOff : RestoreOptions::BatchMode::kAuto;
  if (disable_batch && app.count("--batch-size") == 0) r.batch_size = 16;
  if (timeout_ms < 0 || conn.socket_timeout_ms < 0 || conn.total_timeout_ms < 0 || conn.max_retries < 0 ||
      conn.sleep_between_retries_ms < 0 || retry_scale_us < 0)
    return Status(ErrorCode::kInvalidArgument, "timeouts, retries and retry delays must not be negative");
  int64_t info_ms = timeout_ms > 0 ? timeout_ms : conn.info_timeout_ms;
  r.info_timeout = client::Millis(info_ms);
  r.socket_timeout = client::Millis(conn.socket_timeout_ms ? conn.socket_timeout_ms : info_ms);
  r.total_timeout = client::Millis(conn.total_timeout_ms ? conn.total_timeout_ms : info_ms);
  r.max_retries = conn.max_retries;
  r.retry_delay = conn.sleep_between_retries_ms > 0 ? client::Millis(conn.sleep_between_retries_ms)
                                                    : client::Millis(retry_scale_us / 1000);

  c.progress = !no_progress && (progress || ::isatty(STDERR_FILENO));
  ABS_RETURN_IF_ERROR(ValidateOptions(r));
  return c;
}

int RunRestoreTool(const RestoreToolConfig& config, std::ostream& out, std::ostream& err, const CancelToken* cancel) {
  auto storage = OpenStorage(config.storage_root, config.storage);
  if (!storage.ok()) {
    err << "abs-restore: cannot open storage " << config.storage_root << ": " << storage.status().ToString() << "\n";
    return 1;
  }
  std::shared_ptr<client::Cluster> cluster;
  if (!config.restore.validate_only) {
    auto c = client::Cluster::Connect(config.hosts, config.client);
    if (!c.ok()) {
      err << "abs-restore: cannot connect to the cluster: " << c.status().ToString() << "\n";
      return 1;
    }
    cluster = *c;
  }
  RestoreJob job(config.restore, cluster, storage->get(), config.inputs);
  auto start = std::chrono::steady_clock::now();
  CancelToken progress_done;
  std::thread progress;
  bool machine_ok = true;
  auto machine = [&](const std::string& line) {
    if (machine_ok && !AppendMachineLine(config.machine_path, line)) {
      machine_ok = false;  // reported once, after the run
    }
  };
  if (config.progress || !config.machine_path.empty()) {
    progress = std::thread([&] {
      int last_pct = -1;
      auto tick = [&] {
        if (config.progress) PrintProgress(job, start, err);
        if (config.machine_path.empty()) return;
        RestoreStats s = job.Snapshot();
        if (s.bytes_total == 0) return;
        int pct = static_cast<int>(100.0 * static_cast<double>(s.bytes_read) / static_cast<double>(s.bytes_total));
        if (pct == last_pct) return;
        last_pct = pct;
        machine("PROGRESS:" + std::to_string(pct));
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (pct > 0) machine("REMAINING:" + tools::FormatDuration(secs * (100 - pct) / pct));
      };
      while (!progress_done.WaitFor(std::chrono::milliseconds(250))) tick();
      tick();
      if (config.progress) err << "\n";
    });
  }
  RestoreSummary sum = job.Run(cancel);
  progress_done.Cancel("done");
  if (progress.joinable()) progress.join();
  if (cluster) cluster->Close();
  if (!config.machine_path.empty()) {
    machine(MachineSummary(sum.stats));
    if (!machine_ok) err << "abs-restore: cannot write machine-readable lines to " << config.machine_path << "\n";
  }
  if (config.json) {
    out << SummaryJson(sum) << "\n";
    PrintText(sum, config.restore.validate_only, err);
  } else {
    PrintText(sum, config.restore.validate_only, out);
  }
  return sum.status.ok() ? 0 : 1;
}

int RestoreToolMain(int argc, char** argv) {
  auto config = ParseRestoreArgs(argc, argv);
  if (!config.ok()) {
    if (config.status().code() == ErrorCode::kNotFound) {  // --help, --version
      std::cout << config.status().message();
      return 0;
    }
    if (config.status().code() == ErrorCode::kNetwork) {  // the Secret Agent failed: not a usage error
      std::cerr << "abs-restore: " << config.status().message() << "\n";
      return 1;
    }
    std::cerr << "abs-restore: " << config.status().message() << "\n(see abs-restore --help)\n";
    return 2;
  }
  // SIGINT/SIGTERM cancel the restore (taken on a dedicated thread; constructed before any other).
  CancelToken cancel;
  tools::SignalCanceller signals(cancel);
  int rc = RunRestoreTool(*config, std::cout, std::cerr, &cancel);
  return rc;
}

}  // namespace aero::restore
