// abs-restore command line (see restore_cli.h): option parsing with CLI11, input URIs -> one storage,
// the run with progress and summaries, signal handling.
#include "restore/restore_cli.h"

#include <pthread.h>
#include <signal.h>
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

namespace aero::restore {
namespace {

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : s) {
    if (ch == ',') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(ch);
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
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

std::string HumanBytes(uint64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  std::ostringstream os;
  os << std::fixed << std::setprecision(u ? 1 : 0) << v << " " << units[u];
  return os.str();
}

void PrintProgress(const RestoreJob& job, std::chrono::steady_clock::time_point start, std::ostream& err) {
  RestoreStats s = job.Snapshot();
  double frac = s.bytes_total ? static_cast<double>(s.bytes_read) / static_cast<double>(s.bytes_total) : 0.0;
  frac = std::min(1.0, frac);
  int filled = static_cast<int>(frac * 30);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  uint64_t rate = secs > 0 ? static_cast<uint64_t>(static_cast<double>(s.records_read) / secs) : 0;
  err << "\r[" << std::string(filled, '#') << std::string(30 - filled, '.') << "] " << std::setw(3)
      << static_cast<int>(frac * 100) << "% " << s.records_read << " records (" << rate << " rec/s), "
      << HumanBytes(s.bytes_read) << " of " << HumanBytes(s.bytes_total) << ", files " << s.files_done << "/"
      << s.files_total << "   " << std::flush;
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
  return j.dump(2);
}

Result<RestoreToolConfig> ParseRestoreArgs(int argc, const char* const* argv) {
  RestoreToolConfig c;
  RestoreOptions& r = c.restore;
  CLI::App app{"abs-restore: restore Aerospike .asb backups (asrestore-compatible options)", "abs-restore"};
  app.set_help_flag("--help", "Print this help and exit");

  std::string host = "127.0.0.1", user, password, auth = "INTERNAL";
  int port = 3000;
  auto* opt_pw = app.add_option("-P,--password", password, "Password (prompted when given without value)")
                     ->expected(0, 1);
  app.add_option("-h,--host", host, "Seed hosts: host[:tls-name][:port],...");
  app.add_option("-p,--port", port, "Default port")->check(CLI::Range(1, 65535));
  app.add_option("-U,--user", user, "User name");
  app.add_option("-A,--auth", auth, "Authentication mode (INTERNAL)");
  app.add_flag("-S,--services-alternate", c.client.use_alternate_access, "Use alternate access addresses");
  app.add_flag("--tls-enable,--tlsEnable", c.client.tls.enabled, "Use TLS");
  std::string tls_name;
  app.add_option("--tls-name,--tlsName", tls_name, "TLS name of the seed hosts");
  app.add_option("--tls-cafile,--tlsCaFile", c.client.tls.ca_file, "CA bundle");
  app.add_option("--tls-capath,--tlsCaPath", c.client.tls.ca_path, "CA directory");
  app.add_option("--tls-certfile,--tlsCertFile", c.client.tls.cert_file, "Client certificate chain");
  app.add_option("--tls-keyfile,--tlsKeyFile", c.client.tls.key_file, "Client private key");
  std::string key_password;
  app.add_option("--tls-keyfile-password,--tlsKeyFilePassword", key_password,
                 "Key password: env:VAR, file:PATH or the password");

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
  auto* opt_parallel = app.add_option("-t,--parallel,--threads", parallel, "Writer threads (default 20)")
                           ->check(CLI::Range(1, 4096));
  (void)opt_parallel;
  std::string nice;
  app.add_option("-N,--nice", nice, "Throttle: MiB/s,records-per-second");
  app.add_option("--records-per-second", r.records_per_second, "Throttle records written per second");
  app.add_flag("--validate", r.validate_only, "Only read and check the backup; no cluster connection");
  app.add_flag("-R,--no-records", r.no_records, "Do not restore records");
  app.add_flag("-I,--no-indexes", r.no_indexes, "Do not restore secondary indexes");
  app.add_flag("-F,--no-udfs", r.no_udfs, "Do not restore UDF modules");
  app.add_flag("-L,--indexes-last", r.indexes_last, "Create secondary indexes after the records");
  app.add_flag("-w,--wait", r.wait_indexes, "Wait for secondary index builds");
  int64_t timeout_ms = 10000, socket_timeout_ms = 10000, total_timeout_ms = 0, retry_scale_us = 150000;
  int64_t sleep_between_ms = -1;
  app.add_option("-T,--timeout", timeout_ms, "Info/UDF/sindex timeout in ms (and write total timeout)");
  app.add_option("--socket-timeout", socket_timeout_ms, "Write socket timeout in ms");
  app.add_option("--total-timeout", total_timeout_ms, "Write total timeout in ms (0 = --timeout)");
  app.add_option("--max-retries", r.max_retries, "Retries of transient write errors")->check(CLI::Range(0, 100));
  app.add_option("--retry-scale-factor", retry_scale_us, "First retry delay in microseconds (doubles)");
  app.add_option("--sleep-between-retries,--retry-delay", sleep_between_ms, "First retry delay in ms");
  bool disable_batch = false;
  app.add_flag("--disable-batch-writes", disable_batch, "Single-record writes instead of batch writes");
  app.add_option("--batch-size", r.batch_size, "Records per write request")->check(CLI::Range(1, 5000));

  std::string compress, encrypt, key_file, key_env;
  app.add_option("-z,--compress", compress, "zstd: the backup is compressed");
  app.add_option("-y,--encrypt", encrypt, "aes128|aes256: the backup is encrypted");
  app.add_option("--encryption-key-file", key_file, "PEM key file");
  app.add_option("--encryption-key-env", key_env, "Environment variable with the base64 key");

  StorageOptions& so = c.storage;
  app.add_option("--s3-region", so.s3.region, "S3 region");
  app.add_option("--s3-profile", so.s3.profile, "AWS profile");
  app.add_option("--s3-endpoint-override", so.s3.endpoint_override, "S3 endpoint URL");
  app.add_option("--s3-log-level", so.s3.log_level, "S3 log level");
  app.add_option("--s3-connect-timeout", so.connect_timeout_ms, "Storage connect timeout in ms");
  app.add_flag("--s3-allow-system-proxy", so.s3.allow_system_proxy, "Honour http(s)_proxy");
  app.add_option("--azure-account-name", so.azure.account_name, "Azure storage account");
  app.add_option("--azure-account-key", so.azure.account_key, "Azure account key");
  app.add_option("--azure-tenant-id", so.azure.tenant_id, "Azure AD tenant");
  app.add_option("--azure-client-id", so.azure.client_id, "Azure AD client id");
  app.add_option("--azure-client-secret", so.azure.client_secret, "Azure AD client secret");
  app.add_option("--azure-endpoint", so.azure.endpoint, "Azure blob service URL");
  app.add_option("--azure-sas-token", so.azure.sas_token, "Azure SAS token");
  app.add_option("--gcp-key-path", so.gcs.key_file_path, "GCS service-account key file");
  app.add_option("--gcp-endpoint-override", so.gcs.endpoint, "GCS endpoint URL");

  app.add_flag("--json", c.json, "Print the summary as JSON on stdout");
  bool progress = false, no_progress = false;
  app.add_flag("--progress", progress, "Show a progress bar on stderr");
  app.add_flag("--no-progress", no_progress, "Never show a progress bar");
  app.add_flag("-v,--verbose", c.verbose, "Verbose output");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    return Status(ErrorCode::kNotFound, app.help());
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

  // Cluster.
  if (auth != "INTERNAL" && auth != "internal")
    return Status(ErrorCode::kUnsupported, "--auth " + auth + " is not supported (INTERNAL only)");
  ABS_ASSIGN_OR_RETURN(c.hosts, client::ParseHosts(host, static_cast<uint16_t>(port)));
  if (!tls_name.empty())
    for (auto& h : c.hosts)
      if (h.tls_name.empty()) h.tls_name = tls_name;
  c.client.user = user;
  if (opt_pw->count() > 0 && password.empty()) {
    if (!::isatty(STDIN_FILENO)) return Status(ErrorCode::kInvalidArgument, "-P without a value needs a terminal");
    const char* p = ::getpass("Password: ");
    password = p ? p : "";
  }
  c.client.password = password;
  if (!key_password.empty()) {
    if (key_password.rfind("env:", 0) == 0) {
      const char* v = std::getenv(key_password.substr(4).c_str());
      if (!v) return Status(ErrorCode::kInvalidArgument, "--tls-keyfile-password: " + key_password.substr(4) + " is not set");
      c.client.tls.key_password = v;
    } else if (key_password.rfind("file:", 0) == 0) {
      std::ifstream f(key_password.substr(5));
      if (!f) return Status(ErrorCode::kInvalidArgument, "--tls-keyfile-password: cannot read " + key_password.substr(5));
      std::getline(f, c.client.tls.key_password);
    } else {
      c.client.tls.key_password = key_password;
    }
  }

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
  if (timeout_ms <= 0 || socket_timeout_ms < 0 || total_timeout_ms < 0)
    return Status(ErrorCode::kInvalidArgument, "timeouts must be positive");
  r.info_timeout = client::Millis(timeout_ms);
  r.socket_timeout = client::Millis(socket_timeout_ms ? socket_timeout_ms : timeout_ms);
  r.total_timeout = client::Millis(total_timeout_ms ? total_timeout_ms : timeout_ms);
  r.retry_delay = sleep_between_ms >= 0 ? client::Millis(sleep_between_ms) : client::Millis(retry_scale_us / 1000);

  // Codec.
  if (!compress.empty()) {
    auto m = ParseCompressionMode(compress);
    if (!m) return Status(ErrorCode::kInvalidArgument, "--compress: unknown mode '" + compress + "' (zstd)");
    r.codec.compression = *m;
  }
  if (!encrypt.empty()) {
    auto m = ParseEncryptionMode(encrypt);
    if (!m) return Status(ErrorCode::kInvalidArgument, "--encrypt: unknown mode '" + encrypt + "' (aes128, aes256)");
    r.codec.encryption = *m;
  }
  if (!key_file.empty() && !key_env.empty())
    return Status(ErrorCode::kInvalidArgument, "--encryption-key-file and --encryption-key-env are exclusive");
  if (!key_file.empty()) {
    ABS_ASSIGN_OR_RETURN(r.codec.key_material, LoadKeyFile(key_file));
  } else if (!key_env.empty()) {
    const char* v = std::getenv(key_env.c_str());
    if (!v) return Status(ErrorCode::kInvalidArgument, "--encryption-key-env: " + key_env + " is not set");
    ABS_ASSIGN_OR_RETURN(r.codec.key_material, KeyMaterialFromEnvValue(v));
  }
  if ((r.codec.encryption != EncryptionMode::kNone) != !r.codec.key_material.empty())
    return Status(ErrorCode::kInvalidArgument, "--encrypt and an encryption key must be given together");

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
  if (config.progress) {
    progress = std::thread([&] {
      while (!progress_done.WaitFor(std::chrono::milliseconds(250))) PrintProgress(job, start, err);
      PrintProgress(job, start, err);
      err << "\n";
    });
  }
  RestoreSummary sum = job.Run(cancel);
  progress_done.Cancel("done");
  if (progress.joinable()) progress.join();
  if (cluster) cluster->Close();
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
    if (config.status().code() == ErrorCode::kNotFound) {  // --help
      std::cout << config.status().message();
      return 0;
    }
    std::cerr << "abs-restore: " << config.status().message() << "\n(see abs-restore --help)\n";
    return 2;
  }
  // SIGINT/SIGTERM cancel the restore: they are blocked in every thread and taken by one waiter
  // thread, which SIGUSR1 releases at the end.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  CancelToken cancel;
  std::thread waiter([&] {
    int sig = 0;
    while (sigwait(&set, &sig) == 0) {
      if (sig == SIGUSR1) return;
      cancel.Cancel(sig == SIGINT ? "interrupted (SIGINT)" : "terminated (SIGTERM)");
      std::cerr << "\nabs-restore: stopping (" << (sig == SIGINT ? "SIGINT" : "SIGTERM") << ")...\n";
    }
  });
  int rc = RunRestoreTool(*config, std::cout, std::cerr, &cancel);
  pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
  return rc;
}

}  // namespace aero::restore
