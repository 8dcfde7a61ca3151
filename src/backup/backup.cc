// The backup engine: partition-slice scans -> per-writer bounded queues -> encode/compress/encrypt/
// store, with commit tracking that makes the resume state exact (see backup.h and README.md).
#include "backup/backup.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "backup/backup_state.h"
#include "client/metadata.h"
#include "client/scan.h"
#include "common/bounded_queue.h"
#include "format/asb_writer.h"
#include "format/naming.h"

namespace aero::backup {
namespace {

// Collects small writes into large ones (the asb writer hands over one record at a time; a storage
// write per record would be a system call or an upload chunk per record). BytesWritten() counts
// what was accepted, i.e. what will be stored: file splitting and bandwidth use it.
class BufferedOutputStream : public OutputStream {
 public:
  BufferedOutputStream(std::unique_ptr<OutputStream> inner, size_t capacity)
      : inner_(std::move(inner)), capacity_(capacity) {
    buf_.reserve(capacity_);
  }
  Status Write(std::string_view bytes) override {
    accepted_ += bytes.size();
    // Large writes (whole chunks) go straight through: copying them buys nothing.
    if (buf_.empty() && bytes.size() >= capacity_ / 4) return inner_->Write(bytes);
    if (buf_.size() + bytes.size() > capacity_) {
      ABS_RETURN_IF_ERROR(FlushBuffer());
      if (bytes.size() >= capacity_) return inner_->Write(bytes);
    }
    buf_.append(bytes);
    return Status::Ok();
  }
  Status Close() override {
    ABS_RETURN_IF_ERROR(FlushBuffer());
    return inner_->Close();
  }
  uint64_t BytesWritten() const override { return accepted_; }

 private:
  Status FlushBuffer() {
    if (buf_.empty()) return Status::Ok();
    Status s = inner_->Write(buf_);
    buf_.clear();
    return s;
  }
  std::unique_ptr<OutputStream> inner_;
  size_t capacity_;
  std::string buf_;
  uint64_t accepted_ = 0;
};

// Counts bytes and drops them (estimate mode).
class CountingNullStream : public OutputStream {
 public:
  explicit CountingNullStream(uint64_t* counter) : counter_(counter) {}
  Status Write(std::string_view bytes) override {
    *counter_ += bytes.size();
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  uint64_t BytesWritten() const override { return *counter_; }

 private:
  uint64_t* counter_;
};

// Token bucket shared by all writers (asbackup -N semantics: bytes stored per second). A writer
// that overdraws waits on the cancel token, so a cancel ends the wait at once.
class BandwidthLimiter {
 public:
  explicit BandwidthLimiter(uint64_t bytes_per_second) : rate_(static_cast<double>(bytes_per_second)) {}
  bool enabled() const { return rate_ > 0; }
  // Returns false when cancelled while waiting.
  bool Charge(uint64_t bytes, const CancelToken& cancel) {
    if (!enabled() || bytes == 0) return true;
    std::chrono::duration<double> wait{0};
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto now = std::chrono::steady_clock::now();
      if (!started_) {
        started_ = true;
        last_ = now;
        tokens_ = rate_;  // one second of burst
      }
      tokens_ = std::min(rate_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
      last_ = now;
      tokens_ -= static_cast<double>(bytes);
      if (tokens_ < 0) wait = std::chrono::duration<double>(-tokens_ / rate_);
    }
    if (wait.count() <= 0) return true;
    return !cancel.WaitFor(std::chrono::duration_cast<std::chrono::microseconds>(wait));
  }

 private:
  double rate_;
  std::mutex mu_;
  bool started_ = false;
  double tokens_ = 0;
  std::chrono::steady_clock::time_point last_;
};

std::string Join(const std::vector<std::string>& v, char sep = ',') {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out.push_back(sep);
    out += s;
  }
  return out;
}

// What selects the data: a resume must be given the same.
std::string Fingerprint(const BackupRequest& r) {
  std::string f = "ns=" + r.ns + ";sets=" + Join(r.sets) + ";bins=" + Join(r.bins) +
                  ";no_bins=" + std::to_string(r.no_bins) + ";after=" + std::to_string(r.modified_after_unix_ms) +
                  ";before=" + std::to_string(r.modified_before_unix_ms) +
                  ";compression=" + std::string(CompressionModeName(r.codec.compression)) +
                  ";encryption=" + std::string(EncryptionModeName(r.codec.encryption)) +
                  ";compact=" + std::to_string(r.compact) + ";prefix=" + r.file_prefix +
                  ";filter_exp=" + std::to_string(std::hash<std::string>{}(r.filter_exp)) +
                  ";no_records=" + std::to_string(r.no_records);
  if (r.no_ttl_only) f += ";no_ttl_only=1";  // only when set: earlier resume states stay valid
  return f;
}

Result<std::vector<SecondaryIndex>> CollectSindexes(client::Cluster& cluster, const BackupRequest& req,
                                                    std::vector<std::string>* skipped) {
  std::vector<SecondaryIndex> out;
  ABS_ASSIGN_OR_RETURN(auto list, client::ListSindexes(cluster, req.ns));
  for (const auto& s : list) {
    // With a set list, only indexes on one of the listed sets are kept, as asbackup 4.5.8 does
    // (backup.c: `n_sets == 0 || (index.set != NULL && set in list)`): an index on another set and a
    // set-less (whole-namespace) index are both left out.
    if (!req.sets.empty() && (s.set.empty() || std::find(req.sets.begin(), req.sets.end(), s.set) == req.sets.end()))
      continue;
    if (s.index_type == "set") {
      // Set indexes have no representation in the format (ABS skips them too).
      skipped->push_back(s.name + " (set index)");
      continue;
    }
    auto coll = SindexCollectionFromInfo(s.index_type);
    auto type = SindexDataTypeFromInfo(s.type);
    if (!coll || !type)
      return Status(ErrorCode::kUnsupported, "secondary index '" + s.name + "' has type '" + s.type + "'/'" +
                                                 s.index_type + "' which the backup format cannot store");
    SecondaryIndex idx;
    idx.ns = req.ns;
    idx.set = s.set;
    idx.name = s.name;
    idx.collection = *coll;
    idx.paths.push_back(SindexPath{s.bin, *type});
    idx.context = s.context;
    idx.expression = s.expression;
    out.push_back(std::move(idx));
  }
  return out;
}

Result<std::vector<UdfModule>> CollectUdfs(client::Cluster& cluster) {
  std::vector<UdfModule> out;
  ABS_ASSIGN_OR_RETURN(auto list, client::ListUdfs(cluster));
  for (const auto& u : list) {
    ABS_ASSIGN_OR_RETURN(std::string content, client::GetUdf(cluster, u.name));
    out.push_back(UdfModule{UdfType::kLua, u.name, std::move(content)});
  }
  return out;
}

client::ScanPolicy ScanPolicyOf(const BackupRequest& req) {
  client::ScanPolicy p;
  p.ns = req.ns;
  p.sets = req.sets;
  p.bins = req.bins;
  p.no_bins = req.no_bins;
  p.modified_after_ns = req.modified_after_unix_ms * 1000000;
  p.modified_before_ns = req.modified_before_unix_ms * 1000000;
  p.no_ttl_only = req.no_ttl_only;
  p.filter_exp = req.filter_exp;
  p.socket_timeout = req.socket_timeout;
  p.total_timeout = req.total_timeout;
  p.max_rounds = std::max(1, req.max_retries);
  p.retry_delay = req.retry_delay;
  return p;
}

int64_t NowMs(const Clock& clock) { return clock.NowUnixMillis(); }

class BackupJob {
 public:
  BackupJob(client::Cluster& cluster, Storage& storage, const BackupRequest& req, CancelToken& cancel,
            BackupProgress* progress)
      : cluster_(cluster),
        storage_(storage),
        req_(req),
        cancel_(cancel),
        progress_(progress ? progress : &own_progress_),
        clock_(req.clock ? *req.clock : SystemClock::Instance()),
        limiter_(req.bandwidth_bytes_per_second),
        delivered_(kPartitions),
        committed_count_(kPartitions, 0),
        committed_digest_(kPartitions),
        committed_has_(kPartitions, false),
        selected_(kPartitions, false),
        predone_(kPartitions, false),
        slice_of_(kPartitions, -1) {}

  Result<BackupSummary> Run();

 private:
  // Encoded records on their way to a writer: .asb text plus (partition, digest) of each record in
  // it, in order, for the commit bookkeeping.
  struct Chunk {
    std::string text;
    std::vector<std::pair<uint16_t, Digest>> records;
  };
  struct Writer {
    explicit Writer(size_t cap) : queue(cap) {}
    BoundedQueue<Chunk> queue;
    std::thread thread;
    std::unique_ptr<OutputStream> out;   // head of the codec chain
    BufferedOutputStream* stored = nullptr;  // bytes that will reach storage
    std::unique_ptr<AsbWriter> asb;
    std::string key;
    uint64_t file_records = 0;
    uint64_t charged = 0;  // stored bytes already charged to the bandwidth limiter
    // Per partition written into the current file: records and the last digest (small: a writer
    // sees only its slices' partitions).
    std::unordered_map<uint16_t, std::pair<uint64_t, Digest>> in_file;
    uint64_t text_bytes = 0;
    bool carries_metadata = false;  // the current file holds the sindexes/UDFs
    Status status;
  };

  Status Prepare();
  Status CheckOutputLocation();
  Status OpenFile(Writer& w, bool first_file);
  Status CommitFile(Writer& w);
  Status WriteChunk(Writer& w, const Chunk& chunk);
  // Chunk being filled by the node threads of one scan slice. Each slice feeds one writer (slices
  // own disjoint partitions, so a partition always reaches the same writer) and pushes under the
  // stage's mutex, so the records of a partition reach the writer in scan order.
  struct Stage {
    std::mutex mu;
    Chunk chunk;
    Writer* writer = nullptr;
  };
  Status Deliver(Stage& stage, const proto::MsgView& msg, const proto::RecordFields& fields);
  void WriterLoop(Writer& w);
  void Fail(Status s);
  BackupState BuildState();
  Status SaveState(bool force);
  Status CleanupAfterFailure();
  std::string Describe(const std::string& key) const {
    return key.empty() ? storage_.Describe() : storage_.Describe() + "/" + key;
  }

  client::Cluster& cluster_;
  Storage& storage_;
  const BackupRequest& req_;
  CancelToken& cancel_;
  BackupProgress own_progress_;
  BackupProgress* progress_;
  const Clock& clock_;
  BandwidthLimiter limiter_;

  std::string metadata_key_, state_key_;
  std::string fingerprint_;
  int64_t created_ms_ = 0;
  int64_t start_ms_ = 0;
  bool resumed_ = false;
  std::unique_ptr<FileRoller> roller_;
  std::vector<SecondaryIndex> sindexes_;
  std::vector<UdfModule> udfs_;
  std::vector<std::string> sindexes_skipped_;
  std::vector<client::PartitionState> parts_;  // every selected partition, initial progress
  std::vector<std::unique_ptr<client::ScanState>> slices_;
  std::vector<std::unique_ptr<Writer>> writers_;

  // Delivery/commit bookkeeping per partition (see BuildState for how it yields the resume state).
  std::vector<std::atomic<uint64_t>> delivered_;
  std::mutex commit_mu_;
  std::vector<uint64_t> committed_count_;
  std::vector<Digest> committed_digest_;
  std::vector<bool> committed_has_;
  std::vector<bool> selected_, predone_;
  std::vector<int> slice_of_;
  std::vector<CommittedFile> files_;     // all attempts
  uint64_t records_total_ = 0;           // committed, all attempts
  uint64_t bytes_total_ = 0;
  uint64_t sindexes_committed_ = 0, udfs_committed_ = 0;
  bool metadata_committed_ = false;
  uint64_t text_bytes_ = 0;

  uint64_t chunk_bytes_ = 64 << 10;
  std::atomic<bool> aborted_{false};
  std::mutex err_mu_;
  Status first_error_;
  std::mutex save_mu_;
  int64_t last_save_ms_ = 0;
};

void BackupJob::Fail(Status s) {
  {
    std::lock_guard<std::mutex> lock(err_mu_);
    if (first_error_.ok()) first_error_ = s;
  }
  aborted_ = true;
  // Producers blocked on a full queue must wake up: closing the queues makes their Push fail.
  for (auto& w : writers_) w->queue.Close();
}

Status BackupJob::CheckOutputLocation() {
  if (!req_.output_file.empty()) {
    ABS_ASSIGN_OR_RETURN(bool exists, storage_.Exists(req_.output_file));
    if (exists) {
      if (!req_.remove_existing)
        return Status(ErrorCode::kAlreadyExists,
                      Describe(req_.output_file) + " exists (remove it or ask to remove existing files)");
      ABS_RETURN_IF_ERROR(storage_.Delete(req_.output_file));
    }
  }
  auto listing = storage_.List(req_.output_dir, ListMode::kChildren);
  if (!listing.ok()) {
    if (listing.status().code() == ErrorCode::kNotFound) return Status::Ok();
    return listing.status().WithContext("listing the backup directory " + Describe(req_.output_dir));
  }
  std::vector<std::string> clash;
  for (const auto& o : *listing) {
    if (o.is_directory) continue;
    std::string name = o.key.substr(o.key.rfind('/') == std::string::npos ? 0 : o.key.rfind('/') + 1);
    bool ours = (req_.output_file.empty() && IsAsbFileName(name)) || o.key == metadata_key_ || o.key == state_key_;
    if (ours) clash.push_back(o.key);
  }
  if (clash.empty()) return Status::Ok();
  if (!req_.remove_existing)
    return Status(ErrorCode::kAlreadyExists, "the backup directory " + Describe(req_.output_dir) + " already holds " +
                                                 std::to_string(clash.size()) + " backup file(s), e.g. " + clash[0] +
                                                 " (remove them, or resume)");
  for (const auto& k : clash) ABS_RETURN_IF_ERROR(storage_.Delete(k).WithContext("removing " + k));
  return Status::Ok();
}

Status BackupJob::Prepare() {
  ABS_RETURN_IF_ERROR(ValidateRequest(req_));
  metadata_key_ = MetadataKeyOf(req_);
  state_key_ = StateKeyOf(req_);
  fingerprint_ = Fingerprint(req_);
  start_ms_ = NowMs(clock_);
  uint64_t first_number = 0;
  if (req_.resume) {
    if (!req_.output_file.empty())
      return Status(ErrorCode::kUnsupported, "resuming a single-file backup is not supported (use a directory)");
    auto text = storage_.ReadObject(state_key_);
    if (!text.ok())
      return text.status().WithContext("reading the resume state " + Describe(state_key_));
    ABS_ASSIGN_OR_RETURN(BackupState st, ParseStateJson(*text));
    if (st.ns != req_.ns || st.fingerprint != fingerprint_)
      return Status(ErrorCode::kInvalidArgument, "the resume state " + Describe(state_key_) +
                                                     " was written by a backup with other settings: [" +
                                                     st.fingerprint + "] vs [" + fingerprint_ + "]");
    resumed_ = true;
    created_ms_ = st.created_unix_ms;
    first_number = st.next_file_number;
    files_ = st.files;
    records_total_ = st.records;
    bytes_total_ = st.bytes;
    sindexes_committed_ = st.sindexes;
    udfs_committed_ = st.udfs;
    metadata_committed_ = st.metadata_written;
    parts_ = st.partitions;
    // The committed files must still be there, with the size recorded, or the backup would be short.
    for (const auto& f : files_) {
      auto info = storage_.Stat(f.key);
      if (!info.ok()) return info.status().WithContext("file " + f.key + " of the interrupted backup");
      if (info->size != f.bytes)
        return Status(ErrorCode::kCorrupt, "file " + f.key + " of the interrupted backup has " +
                                               std::to_string(info->size) + " bytes, the state says " +
                                               std::to_string(f.bytes));
    }
  } else {
    ABS_RETURN_IF_ERROR(CheckOutputLocation());
    created_ms_ = req_.created_unix_ms ? req_.created_unix_ms : start_ms_;
    if (!req_.node_list.empty()) {
      ABS_ASSIGN_OR_RETURN(parts_, SelectNodePartitions(cluster_, req_.ns, req_.node_list));
    } else {
      ABS_ASSIGN_OR_RETURN(parts_, SelectPartitions(req_.partitions));
    }
  }
  for (const auto& p : parts_) {
    selected_[p.pid] = true;
    predone_[p.pid] = p.done;
    committed_has_[p.pid] = p.has_digest;
    committed_digest_[p.pid] = p.last_digest;
  }
  if (req_.output_file.empty()) {
    std::string prefix = req_.file_prefix.empty() ? req_.ns : req_.file_prefix;
    roller_ = std::make_unique<FileRoller>(req_.output_dir, prefix, req_.file_limit_bytes, first_number);
  }
  if (!metadata_committed_) {
    if (!req_.no_indexes) {
      ABS_ASSIGN_OR_RETURN(sindexes_, CollectSindexes(cluster_, req_, &sindexes_skipped_));
    }
    if (!req_.no_udfs) {
      ABS_ASSIGN_OR_RETURN(udfs_, CollectUdfs(cluster_));
    }
  }
  // Expected records for progress: object counts scaled by the share of partitions selected
  // (an overestimate for incremental or filtered backups).
  if (!req_.no_records && req_.estimate_total) {
    auto est = client::EstimateRecords(cluster_, req_.ns, req_.sets);
    if (est.ok()) {
      uint64_t n = *est * parts_.size() / kPartitions;
      if (req_.max_records > 0) n = std::min(n, req_.max_records);
      progress_->estimated_records = n;
    }
  }
  progress_->records_at_start = records_total_;
  progress_->start_unix_ms = start_ms_;
  return Status::Ok();
}

Status BackupJob::OpenFile(Writer& w, bool first_file) {
  w.key = req_.output_file.empty() ? roller_->NextPath() : req_.output_file;
  auto sw = storage_.NewWriter(w.key);
  if (!sw.ok()) return sw.status().WithContext("creating backup file " + Describe(w.key));
  auto buffered = std::make_unique<BufferedOutputStream>(std::move(*sw), 256 << 10);
  w.stored = buffered.get();
  auto chain = WrapOutput(std::move(buffered), req_.codec);
  if (!chain.ok()) return chain.status().WithContext("backup file " + Describe(w.key));
  w.out = std::move(*chain);
  w.asb = std::make_unique<AsbWriter>(w.out.get(), AsbWriterOptions{req_.compact});
  w.file_records = 0;
  w.charged = 0;
  Status s = w.asb->WriteHeader(req_.ns, first_file);
  if (!s.ok()) return s.WithContext("writing " + Describe(w.key));
  return Status::Ok();
}

Status BackupJob::CommitFile(Writer& w) {
  Status s = w.out->Close();
  if (!s.ok()) return s.WithContext("closing backup file " + Describe(w.key));
  uint64_t stored = w.stored->BytesWritten();
  w.text_bytes += w.asb->bytes_written();  // header and global lines; chunks are counted as written
  if (stored > w.charged) {
    progress_->bytes_written += stored - w.charged;
    limiter_.Charge(stored - w.charged, cancel_);
  }
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    for (const auto& [pid, entry] : w.in_file) {
      committed_count_[pid] += entry.first;
      committed_digest_[pid] = entry.second;
      committed_has_[pid] = true;
    }
    files_.push_back(CommittedFile{w.key, w.file_records, stored});
    if (w.carries_metadata) {
      sindexes_committed_ = sindexes_.size();
      udfs_committed_ = udfs_.size();
      metadata_committed_ = true;
      w.carries_metadata = false;
    }
    records_total_ += w.file_records;
    bytes_total_ += stored;
  }
  w.in_file.clear();
  w.asb.reset();
  w.out.reset();
  w.stored = nullptr;
  progress_->files_committed++;
  return SaveState(false);
}

Status BackupJob::WriteChunk(Writer& w, const Chunk& chunk) {
  if (w.out && roller_ && roller_->ShouldRoll(w.stored->BytesWritten())) ABS_RETURN_IF_ERROR(CommitFile(w));
  if (!w.out) ABS_RETURN_IF_ERROR(OpenFile(w, false));
  Status s = w.out->Write(chunk.text);
  if (!s.ok()) return s.WithContext("writing " + Describe(w.key));
  for (const auto& [pid, digest] : chunk.records) {
    auto& entry = w.in_file[pid];
    entry.first++;
    entry.second = digest;
  }
  w.file_records += chunk.records.size();
  w.text_bytes += chunk.text.size();
  progress_->records_written += chunk.records.size();
  uint64_t stored = w.stored->BytesWritten();
  if (stored > w.charged) {
    uint64_t delta = stored - w.charged;
    w.charged = stored;
    progress_->bytes_written += delta;
    if (!limiter_.Charge(delta, cancel_)) return Status(ErrorCode::kCancelled, "backup cancelled: " + cancel_.reason());
  }
  return Status::Ok();
}

// Runs on the scan threads: encodes the record (the encoders are the scan workers, so encoding
// scales with --parallel) and appends it to its writer's chunk.
Status BackupJob::Deliver(Stage& stage, const proto::MsgView& msg, const proto::RecordFields& fields) {
  if (aborted_) return Status(ErrorCode::kCancelled, "backup stopped");
  progress_->records_read++;
  uint16_t pid = PartitionId(fields.digest);
  // The record is encoded straight from the reply bytes: no Record (and no copy of the bins) is made.
  thread_local std::vector<BinView> bins;
  bins.resize(msg.ops.size());
  for (size_t i = 0; i < msg.ops.size(); ++i) bins[i] = BinView{msg.ops[i].name, msg.ops[i].particle, msg.ops[i].value};
  RecordView view;
  view.ns = fields.ns;
  view.set = fields.set;
  view.digest = &fields.digest;
  view.has_key = fields.has_key;
  view.key_type = fields.key_type;
  view.key_data = fields.key_data;
  view.generation = msg.header.generation;
  view.void_time = msg.header.record_ttl;
  view.bins = bins.data();
  view.n_bins = bins.size();
  std::lock_guard<std::mutex> lock(stage.mu);
  if (aborted_) return Status(ErrorCode::kCancelled, "backup stopped");
  // Encoded straight into the chunk; a record that cannot be encoded leaves the chunk as it was.
  Status es = EncodeRecordView(view, AsbWriterOptions{req_.compact}, &stage.chunk.text);
  if (!es.ok()) {
    Status e = es.WithContext("encoding a record of namespace '" + req_.ns + "'");
    Fail(e);
    return e;
  }
  stage.chunk.records.emplace_back(pid, fields.digest);
  delivered_[pid]++;
  if (stage.chunk.text.size() >= chunk_bytes_) {
    Chunk full = std::move(stage.chunk);
    stage.chunk = Chunk{};
    stage.chunk.text.reserve(chunk_bytes_ + 1024);
    // Records of a chunk that cannot be queued are simply not committed: their partitions stay
    // unfinished in the resume state.
    if (!stage.writer->queue.Push(std::move(full))) return Status(ErrorCode::kCancelled, "backup writer stopped");
  }
  return Status::Ok();
}

void BackupJob::WriterLoop(Writer& w) {
  while (auto chunk = w.queue.Pop()) {
    if (!w.status.ok() || aborted_) continue;  // drain: producers must not block on a dead writer
    Status s = WriteChunk(w, *chunk);
    if (!s.ok()) {
      w.status = s;
      Fail(s);
    }
  }
  if (w.status.ok() && w.out && !aborted_) {
    Status s = CommitFile(w);
    if (!s.ok()) {
      w.status = s;
      Fail(s);
    }
  }
  // After a failure an open file is abandoned: destroying its stream deletes the partial object.
  w.asb.reset();
  w.out.reset();
}

BackupState BackupJob::BuildState() {
  BackupState st;
  st.ns = req_.ns;
  st.fingerprint = fingerprint_;
  st.created_unix_ms = created_ms_;
  st.next_file_number = roller_ ? roller_->files_named() : 0;
  // Scan progress first: a partition the scan finished has had all its records delivered.
  std::vector<bool> scan_done(kPartitions, false);
  for (const auto& slice : slices_)
    for (const auto& p : slice->Snapshot())
      if (p.done) scan_done[p.pid] = true;
  std::lock_guard<std::mutex> lock(commit_mu_);
  st.records = records_total_;
  st.bytes = bytes_total_;
  st.sindexes = sindexes_committed_;
  st.udfs = udfs_committed_;
  st.metadata_written = metadata_committed_;
  st.files = files_;
  for (const auto& init : parts_) {
    client::PartitionState p;
    p.pid = init.pid;
    p.done = predone_[p.pid] ||
             (!req_.no_records && scan_done[p.pid] && delivered_[p.pid].load() == committed_count_[p.pid]);
    if (req_.no_records) p.done = true;
    if (!p.done && committed_has_[p.pid]) {
      p.has_digest = true;
      p.last_digest = committed_digest_[p.pid];
    }
    st.partitions.push_back(p);
  }
  return st;
}

Status BackupJob::SaveState(bool force) {
  if (!req_.keep_state_on_failure) return Status::Ok();
  std::unique_lock<std::mutex> lock(save_mu_, std::defer_lock);
  if (force) {
    lock.lock();
  } else {
    int64_t now = NowMs(clock_);
    if (now - last_save_ms_ < req_.state_save_interval.count()) return Status::Ok();
    if (!lock.try_lock()) return Status::Ok();  // another writer is saving right now
  }
  BackupState st = BuildState();
  Status s = storage_.WriteObject(state_key_, EmitStateJson(st), WriteOptions{ObjectClass::kMetadata});
  if (!s.ok()) return s.WithContext("saving the resume state " + Describe(state_key_));
  last_save_ms_ = NowMs(clock_);
  return Status::Ok();
}

Status BackupJob::CleanupAfterFailure() {
  std::vector<CommittedFile> files;
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    files = files_;
  }
  Status first;
  for (const auto& f : files) {
    Status s = storage_.Delete(f.key);
    if (!s.ok() && first.ok()) first = s.WithContext("removing " + f.key + " of the failed backup");
  }
  Status s = storage_.Delete(state_key_);
  if (!s.ok() && first.ok()) first = s;
  return first;
}

Result<BackupSummary> BackupJob::Run() {
  ABS_RETURN_IF_ERROR(Prepare());
  const size_t nwriters = req_.output_file.empty()
                              ? static_cast<size_t>(req_.parallel_write > 0 ? req_.parallel_write : req_.parallel)
                              : 1;
  // Chunks: 64 KiB, smaller with small file limits so files still split near the limit.
  chunk_bytes_ = req_.file_limit_bytes ? std::clamp<uint64_t>(req_.file_limit_bytes / 8, 4 << 10, 64 << 10) : 64 << 10;
  if (!req_.output_file.empty()) chunk_bytes_ = 64 << 10;
  for (size_t i = 0; i < nwriters; ++i) writers_.push_back(std::make_unique<Writer>(req_.queue_chunks));

  // One-shot work first: sindexes and UDFs into the first file of writer 0 (asbackup's first-file).
  Status s;
  bool need_meta = !metadata_committed_ && (!sindexes_.empty() || !udfs_.empty());
  if (need_meta) {
    Writer& w = *writers_[0];
    s = OpenFile(w, true);
    w.carries_metadata = true;
    for (size_t i = 0; s.ok() && i < sindexes_.size(); ++i) s = w.asb->WriteSecondaryIndex(sindexes_[i]);
    for (size_t i = 0; s.ok() && i < udfs_.size(); ++i) s = w.asb->WriteUdf(udfs_[i]);
    if (s.ok() && req_.no_records) {
      s = CommitFile(w);
    }
    if (!s.ok()) return s.WithContext("writing secondary indexes and UDFs");
    progress_->sindexes = sindexes_.size();
    progress_->udfs = udfs_.size();
  }

  // Slices of the partitions still to scan.
  std::vector<client::PartitionState> pending;
  for (const auto& p : parts_)
    if (!p.done) pending.push_back(p);
  auto groups = req_.no_records ? std::vector<std::vector<client::PartitionState>>{} : SplitSlices(pending, req_.parallel);
  for (size_t i = 0; i < groups.size(); ++i) {
    auto st = client::ScanState::FromSnapshot(groups[i]);
    if (!st.ok()) return st.status().WithContext("partition selection");
    for (const auto& p : groups[i]) slice_of_[p.pid] = static_cast<int>(i);
    slices_.push_back(std::make_unique<client::ScanState>(std::move(*st)));
  }

  for (auto& w : writers_) {
    Writer* wp = w.get();
    wp->thread = std::thread([this, wp] { WriterLoop(*wp); });
  }

  client::ScanPolicy policy = ScanPolicyOf(req_);
  if (req_.records_per_second > 0)
    policy.records_per_second = std::max<uint32_t>(1, req_.records_per_second / std::max<size_t>(1, slices_.size()));
  if (req_.max_records > 0)
    policy.max_records = (req_.max_records + slices_.size() - 1) / std::max<size_t>(1, slices_.size());
  std::vector<std::unique_ptr<Stage>> stages;
  for (size_t i = 0; i < slices_.size(); ++i) {
    stages.push_back(std::make_unique<Stage>());
    stages.back()->writer = writers_[i % nwriters].get();
  }
  std::vector<Status> scan_status(slices_.size());
  std::vector<client::ScanStats> scan_stats(slices_.size());
  {
    std::vector<std::thread> scans;
    for (size_t i = 0; i < slices_.size(); ++i) {
      scans.emplace_back([&, i] {
        Stage* stage = stages[i].get();
        auto r = client::ScanMessages(
            cluster_, policy, *slices_[i],
            [this, stage](const proto::MsgView& msg, const proto::RecordFields& f) { return Deliver(*stage, msg, f); },
            &cancel_);
        if (r.ok()) {
          scan_stats[i] = *r;
        } else {
          scan_status[i] = r.status();
          // A writer failure shows up here as "sink stopped"; the writer's own error is the cause.
          if (!aborted_) Fail(r.status().WithContext("scan of namespace '" + req_.ns + "'"));
        }
      });
    }
    for (auto& t : scans) t.join();
  }
  // The last partial chunks.
  for (auto& st : stages) {
    std::lock_guard<std::mutex> lock(st->mu);
    if (!aborted_ && !st->chunk.records.empty()) st->writer->queue.Push(std::move(st->chunk));
    st->chunk = Chunk{};
  }
  for (auto& w : writers_) w->queue.Close();
  for (auto& w : writers_) w->thread.join();
  int64_t end_ms = NowMs(clock_);

  Status err;
  {
    std::lock_guard<std::mutex> lock(err_mu_);
    err = first_error_;
  }
  if (err.ok() && cancel_.cancelled()) err = Status(ErrorCode::kCancelled, "backup cancelled: " + cancel_.reason());
  if (!err.ok()) {
    if (req_.keep_state_on_failure) {
      Status ss = SaveState(true);
      if (!ss.ok()) return err.WithContext("backup failed and the resume state could not be saved (" + ss.message() + ")");
      return Status(err.code(), err.message() + " (resume state saved to " + Describe(state_key_) + ")", err.server_code());
    }
    Status cs = CleanupAfterFailure();
    if (!cs.ok()) return Status(err.code(), err.message() + " (cleanup failed: " + cs.message() + ")", err.server_code());
    return err;
  }

  BackupSummary sum;
  sum.ns = req_.ns;
  sum.incremental = req_.modified_after_unix_ms != 0;
  sum.resumed = resumed_;
  {
    std::lock_guard<std::mutex> lock(commit_mu_);
    sum.records = records_total_;
    sum.bytes = bytes_total_;
    sum.files = files_.size();
    for (const auto& f : files_) sum.file_keys.push_back(f.key);
    sum.sindexes = sindexes_committed_;
    sum.udfs = udfs_committed_;
  }
  for (const auto& w : writers_) sum.text_bytes += w->text_bytes;
  sum.created_unix_ms = created_ms_;
  sum.start_unix_ms = start_ms_;
  sum.end_unix_ms = end_ms;
  sum.from_unix_ms = req_.modified_after_unix_ms;
  sum.to_unix_ms = req_.modified_before_unix_ms;
  for (const auto& st : scan_stats) {
    sum.scan_rounds = std::max<uint64_t>(sum.scan_rounds, st.rounds);
    sum.partitions_retried += st.partitions_retried;
  }
  if (req_.write_metadata) {
    BackupMetadata m;
    m.ns = req_.ns;
    m.created_unix_ms = created_ms_;
    m.finished_unix_ms = end_ms;
    m.from_unix_ms = req_.modified_after_unix_ms;
    m.to_unix_ms = req_.modified_before_unix_ms;
    m.incremental = sum.incremental;
    m.record_count = sum.records;
    m.byte_count = sum.bytes;
    m.file_count = sum.files;
    m.secondary_index_count = sum.sindexes;
    m.udf_count = sum.udfs;
    m.compression = req_.codec.compression;
    m.encryption = req_.codec.encryption;
    m.options = req_.extra_metadata_options;
    if (!req_.sets.empty()) m.options["sets"] = Join(req_.sets);
    if (!req_.bins.empty()) m.options["bins"] = Join(req_.bins);
    m.options["parallel"] = std::to_string(req_.parallel);
    if (req_.no_records) m.options["no-records"] = "true";
    if (req_.no_indexes) m.options["no-indexes"] = "true";
    if (req_.no_udfs) m.options["no-udfs"] = "true";
    if (req_.no_bins) m.options["no-bins"] = "true";
    if (req_.compact) m.options["compact"] = "true";
    if (!req_.partitions.empty() || !req_.node_list.empty()) m.options["partitions"] = std::to_string(parts_.size());
    if (!req_.node_list.empty()) m.options["node-list"] = Join(req_.node_list);
    if (req_.max_records) m.options["max-records"] = std::to_string(req_.max_records);
    if (!sindexes_skipped_.empty()) m.options["skipped-secondary-indexes"] = Join(sindexes_skipped_);
    if (!req_.output_file.empty()) m.options["output-file"] = req_.output_file;
    Status ms = storage_.WriteObject(metadata_key_, EmitMetadataYaml(m), WriteOptions{ObjectClass::kMetadata});
    if (!ms.ok()) {
      Status ss = SaveState(true);
      return ms.WithContext("publishing the backup (all data files are stored" +
                            std::string(ss.ok() ? "; resume state saved to " + Describe(state_key_) : "") + ")");
    }
    sum.metadata_key = metadata_key_;
  }
  if (resumed_ || req_.keep_state_on_failure) {
    Status ds = storage_.Delete(state_key_);
    if (!ds.ok()) return ds.WithContext("removing the resume state of the finished backup");
  }
  progress_->finished = true;
  return sum;
}

}  // namespace

BackupProgress::View BackupProgress::Take(int64_t now_unix_ms) const {
  View v;
  uint64_t written = records_written.load();
  v.records = records_at_start.load() + written;
  v.bytes = bytes_written.load();
  v.files = files_committed.load();
  v.estimated_records = estimated_records.load();
  int64_t start = start_unix_ms.load();
  v.elapsed_seconds = start > 0 ? std::max(0.0, static_cast<double>(now_unix_ms - start) / 1000.0) : 0;
  if (v.elapsed_seconds > 0) {
    v.records_per_second = static_cast<double>(written) / v.elapsed_seconds;
    v.bytes_per_second = static_cast<double>(v.bytes) / v.elapsed_seconds;
  }
  if (finished.load()) {
    v.percent = 100;
    v.eta_seconds = 0;
  } else if (v.estimated_records > 0) {
    v.percent = std::min(100.0, 100.0 * static_cast<double>(v.records) / static_cast<double>(v.estimated_records));
    if (v.percent >= 1 && v.records_per_second > 0) {
      double left = static_cast<double>(v.estimated_records) - static_cast<double>(v.records);
      v.eta_seconds = std::max(0.0, left / v.records_per_second);
    }
  }
  return v;
}

std::string MetadataKeyOf(const BackupRequest& r) {
  if (!r.metadata_key.empty()) return r.metadata_key;
  if (!r.output_file.empty()) return r.output_file + "." + std::string(kMetadataFileName);
  return JoinPath(r.output_dir, kMetadataFileName);
}

std::string StateKeyOf(const BackupRequest& r) {
  if (!r.state_key.empty()) return r.state_key;
  if (!r.output_file.empty()) return r.output_file + ".state";
  return JoinPath(r.output_dir, AsbStateFileName(r.file_prefix.empty() ? r.ns : r.file_prefix));
}

Status ValidateRequest(const BackupRequest& r) {
  auto bad = [](const std::string& m) { return Status(ErrorCode::kInvalidArgument, m); };
  if (r.ns.empty()) return bad("the namespace is required");
  if (r.parallel < 1 || r.parallel > 1024) return bad("parallel must be 1..1024, not " + std::to_string(r.parallel));
  if (r.parallel_write < 0 || r.parallel_write > 1024)
    return bad("parallel-write must be 0..1024, not " + std::to_string(r.parallel_write));
  if (!r.partitions.empty() && !r.node_list.empty()) return bad("a node list cannot be combined with partition filters");
  if (r.modified_after_unix_ms < 0 || r.modified_before_unix_ms < 0) return bad("modification times must be positive");
  if (r.modified_after_unix_ms && r.modified_before_unix_ms && r.modified_before_unix_ms <= r.modified_after_unix_ms)
    return bad("modified-before must be later than modified-after");
  if (r.codec.encryption != EncryptionMode::kNone && r.codec.key_material.empty())
    return bad("encryption needs a key (key file or key environment variable)");
  if (r.no_bins && !r.bins.empty()) return bad("no-bins cannot be combined with a bin list");
  if (r.file_prefix.rfind("metadata_", 0) == 0) return bad("the file prefix 'metadata_' is reserved");
  if (r.queue_chunks == 0) return bad("queue capacity must be at least 1");
  if (!r.output_file.empty()) ABS_RETURN_IF_ERROR(ValidateKey(r.output_file).WithContext("output file"));
  ABS_RETURN_IF_ERROR(ValidateKey(r.output_dir, true).WithContext("output directory"));
  return Status::Ok();
}

Result<BackupSummary> RunBackup(client::Cluster& cluster, Storage& storage, const BackupRequest& request,
                                CancelToken& cancel, BackupProgress* progress) {
  BackupJob job(cluster, storage, request, cancel, progress);
  return job.Run();
}

Result<BackupEstimate> EstimateBackup(client::Cluster& cluster, const BackupRequest& req, uint64_t samples,
                                      CancelToken& cancel) {
  ABS_RETURN_IF_ERROR(ValidateRequest(req));
  if (samples == 0) return Status(ErrorCode::kInvalidArgument, "estimate needs at least one sample");
  std::vector<client::PartitionState> parts;
  if (!req.node_list.empty()) {
    ABS_ASSIGN_OR_RETURN(parts, SelectNodePartitions(cluster, req.ns, req.node_list));
  } else {
    ABS_ASSIGN_OR_RETURN(parts, SelectPartitions(req.partitions));
  }
  ABS_ASSIGN_OR_RETURN(auto state, client::ScanState::FromSnapshot(parts));
  client::ScanPolicy policy = ScanPolicyOf(req);
  policy.max_records = samples;
  uint64_t stored = 0;
  ABS_ASSIGN_OR_RETURN(auto chain, WrapOutput(std::make_unique<CountingNullStream>(&stored), req.codec));
  std::mutex mu;
  std::vector<double> sizes;
  std::string buf;
  Status enc_err;
  auto sink = [&](Record& r) -> Status {
    std::lock_guard<std::mutex> lock(mu);
    buf.clear();
    ABS_RETURN_IF_ERROR(EncodeRecord(r, AsbWriterOptions{req.compact}, &buf));
    sizes.push_back(static_cast<double>(buf.size()));
    return chain->Write(buf);
  };
  ABS_ASSIGN_OR_RETURN(auto stats, client::Scan(cluster, policy, state, sink, &cancel));
  (void)stats;
  ABS_RETURN_IF_ERROR(chain->Close());
  BackupEstimate e;
  e.sampled_records = sizes.size();
  double text = 0;
  for (double s : sizes) text += s;
  if (!sizes.empty()) e.mean_record_bytes = text / static_cast<double>(sizes.size());
  e.compression_ratio = stored > 0 && text > 0 ? text / static_cast<double>(stored) : 1.0;
  ABS_ASSIGN_OR_RETURN(uint64_t total, client::EstimateRecords(cluster, req.ns, req.sets));
  e.estimated_records = total * parts.size() / kPartitions;
  e.estimated_bytes = static_cast<uint64_t>(std::llround(static_cast<double>(e.estimated_records) *
                                                         e.mean_record_bytes / e.compression_ratio));
  return e;
}

}  // namespace aero::backup
