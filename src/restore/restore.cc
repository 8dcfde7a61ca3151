// Restore engine implementation (see restore.h and README.md in this folder).
//
// Pipeline per input (a backup directory or file): reader threads take files from a shared index,
// parse them (storage -> [AES] -> [zstd] -> AsbReader), filter and rename records and push batches
// into a bounded queue; writer threads pop batches and send them as batch writes (or single puts),
// classifying every row's result. An input is finished (readers and writers joined) before the next
// one starts, so incrementals apply in order.
//
// Stopping: an error that ends the job either *drains* (bad backup data without
// --ignore-record-error: readers stop, records already read are still written) or *aborts* (write
// errors that make the job fail, storage errors, cancel: queued batches are counted as abandoned).
#include "restore/restore.h"

#include <algorithm>
#include <thread>
#include <unordered_set>

#include "client/errors.h"
#include "client/metadata.h"
#include "client/write.h"
#include "common/bounded_queue.h"
#include "common/bytes.h"
#include "format/asb_reader.h"
#include "format/naming.h"
#include "protocol/constants.h"
#include "restore/rate_limiter.h"

namespace aero::restore {
namespace {

constexpr size_t kMaxErrorMessages = 100;

std::string BaseName(std::string_view key) {
  auto pos = key.rfind('/');
  return std::string(pos == std::string_view::npos ? key : key.substr(pos + 1));
}

std::string DigestHex(const Digest& d) {
  return ToHex(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

// Counts bytes read from storage and applies the bytes-per-second limit.
class CountingInputStream : public InputStream {
 public:
  CountingInputStream(std::unique_ptr<InputStream> inner, std::atomic<uint64_t>* counter, RateLimiter* limiter,
                      const CancelToken* cancel)
      : inner_(std::move(inner)), counter_(counter), limiter_(limiter), cancel_(cancel) {}
  Result<size_t> Read(char* buf, size_t n) override {
    ABS_ASSIGN_OR_RETURN(size_t got, inner_->Read(buf, n));
    counter_->fetch_add(got, std::memory_order_relaxed);
    if (got && !limiter_->unlimited() && !limiter_->Acquire(got, *cancel_))
      return Status(ErrorCode::kCancelled, "cancelled while throttling reads");
    return got;
  }

 private:
  std::unique_ptr<InputStream> inner_;
  std::atomic<uint64_t>* counter_;
  RateLimiter* limiter_;
  const CancelToken* cancel_;
};

// Where a record came from, for messages.
struct Origin {
  uint32_t file = 0;
  uint64_t line = 0;
};

struct Batch {
  std::vector<Record> records;
  std::vector<Origin> origins;
};

// Written batches' records go back to the readers: parsing into a record whose strings and bin vector
// already have capacity avoids most per-record allocations. Bounded: extra batches are just freed.
class RecordPool {
 public:
  explicit RecordPool(size_t max_batches) : max_(max_batches) {}
  void Put(std::vector<Record>&& records) {
    if (records.empty()) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < max_) free_.push_back(std::move(records));
  }
  std::vector<Record> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return {};
    std::vector<Record> out = std::move(free_.back());
    free_.pop_back();
    return out;
  }

 private:
  const size_t max_;
  std::mutex mu_;
  std::vector<std::vector<Record>> free_;
};

std::string ReasonOf(const Status& s) {
  if (s.code() == ErrorCode::kServer && s.server_code() >= 0)
    return std::string(proto::ResultCodeName(s.server_code())) + " (" + std::to_string(s.server_code()) + ")";
  return ErrorCodeName(s.code());
}

client::SindexInfo ToSindexInfo(const SecondaryIndex& s) {
  client::SindexInfo i;
  i.ns = s.ns;
  i.set = s.set;
  i.name = s.name;
  if (!s.paths.empty()) {
    i.bin = s.paths[0].bin;
    i.type = std::string(SindexDataTypeToInfo(s.paths[0].type));
  }
  std::string_view coll = SindexCollectionToInfo(s.collection);
  i.index_type = coll.empty() ? "default" : std::string(coll);
  i.context = s.context;
  i.expression = s.expression;
  return i;
}

}  // namespace

Status ValidateOptions(const RestoreOptions& o) {
  if (o.unique && o.replace) return Status(ErrorCode::kInvalidArgument, "--unique and --replace cannot be combined");
  if (o.unique && o.no_generation)
    return Status(ErrorCode::kInvalidArgument, "--unique and --no-generation cannot be combined");
  if (o.parallel < 1 || o.parallel > 4096)
    return Status(ErrorCode::kInvalidArgument, "parallel must be 1..4096, got " + std::to_string(o.parallel));
  if (o.readers < 0 || o.readers > 4096)
    return Status(ErrorCode::kInvalidArgument, "readers must be 0..4096, got " + std::to_string(o.readers));
  if (o.batch_size < 1 || o.batch_size > 5000)
    return Status(ErrorCode::kInvalidArgument, "batch size must be 1..5000, got " + std::to_string(o.batch_size));
  if (!o.dest_namespace.empty() && o.source_namespace.empty())
    return Status(ErrorCode::kInvalidArgument, "a destination namespace needs a source namespace");
  if (o.codec.encryption != EncryptionMode::kNone && o.codec.key_material.empty())
    return Status(ErrorCode::kInvalidArgument, "encryption is set but no encryption key was given");
  if (o.codec.encryption == EncryptionMode::kNone && !o.codec.key_material.empty())
    return Status(ErrorCode::kInvalidArgument, "an encryption key was given without an encryption mode");
  if (o.max_retries < 0) return Status(ErrorCode::kInvalidArgument, "max retries must be >= 0");
  return Status::Ok();
}

Result<std::vector<InputFile>> ResolveInput(Storage& storage, const std::string& input) {
  if (!input.empty()) {
    auto st = storage.Stat(input);
    if (st.ok()) return std::vector<InputFile>{InputFile{input, st->size}};
    if (st.status().code() != ErrorCode::kNotFound) return st.status();
  }
  ABS_ASSIGN_OR_RETURN(auto list, storage.List(input, ListMode::kChildren));
  std::vector<InputFile> out;
  for (const auto& obj : list)
    if (!obj.is_directory && IsAsbFileName(BaseName(obj.key))) out.push_back(InputFile{obj.key, obj.size});
  if (out.empty())
    return Status(ErrorCode::kNotFound, "no .asb backup files in " + JoinPath(storage.Describe(), input));
  return out;
}

class RestoreJob::Impl {
 public:
  Impl(RestoreJob& job)
      : job_(job),
        o_(job.options_),
        c_(job.counters_),
        clock_(o_.clock ? o_.clock : &SystemClock::Instance()),
        rps_(o_.records_per_second, std::chrono::milliseconds(200)),
        bps_(o_.bytes_per_second, std::chrono::milliseconds(200)),
        sets_(o_.set_list.begin(), o_.set_list.end()),
        bins_(o_.bin_list.begin(), o_.bin_list.end()) {
    policy_.exists = o_.unique    ? client::ExistsAction::kCreateOnly
                     : o_.replace ? client::ExistsAction::kReplace
                                  : client::ExistsAction::kUpdate;
    // With create-only the generation check adds nothing (an existing record is never modified) and
    // would make the count depend on which check the server runs first: existing records must count
    // as `existed`.
    policy_.generation = o_.no_generation || o_.unique ? client::GenerationPolicy::kNone
                                                       : client::GenerationPolicy::kGreater;
    policy_.send_key = true;
    // The client adds it to the void time before its expiry check, as asrestore does.
    policy_.extra_ttl = o_.extra_ttl;
    policy_.socket_timeout = o_.socket_timeout;
    policy_.total_timeout = o_.total_timeout;
    policy_.max_retries = o_.max_retries;
    policy_.retry_delay = o_.retry_delay;
  }

  RestoreSummary Run(const CancelToken* external) {
    auto started = std::chrono::steady_clock::now();
    RestoreSummary sum;
    Status s = Execute(external);
    if (!s.ok()) Fail(s, true);
    {
      std::lock_guard<std::mutex> lock(mu_);
      sum.failures = failures_;
      sum.errors = errors_;
      sum.errors_dropped = errors_dropped_;
      sum.notes = notes_;
      sum.status = first_error_;
    }
    sum.cancelled = external && external->cancelled();
    sum.stats = job_.Snapshot();
    if (sum.status.ok() && sum.cancelled)
      sum.status = Status(ErrorCode::kCancelled, "restore cancelled: " + external->reason());
    if (sum.status.ok() && (sum.stats.records_failed > 0 || sum.stats.corrupt_entities > 0)) {
      sum.status = Status(sum.stats.corrupt_entities > 0 ? ErrorCode::kCorrupt : ErrorCode::kServer,
                          std::to_string(sum.stats.records_failed) + " record(s) failed and " +
                              std::to_string(sum.stats.corrupt_entities) + " corrupt backup entit" +
                              (sum.stats.corrupt_entities == 1 ? "y" : "ies") + " skipped");
    }
    sum.duration =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    return sum;
  }

 private:
  bool Stopping() const { return stop_.cancelled() || drain_.load(); }

  void AddError(const std::string& msg) {
    std::lock_guard<std::mutex> lock(mu_);
    if (errors_.size() < kMaxErrorMessages)
      errors_.push_back(msg);
    else
      ++errors_dropped_;
  }

  void AddNote(const std::string& msg) {
    std::lock_guard<std::mutex> lock(mu_);
    if (notes_.size() < kMaxErrorMessages) notes_.push_back(msg);
  }

  // Records the first error of the job and stops it: abort = writers drop what is queued.
  void Fail(const Status& s, bool abort) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (first_error_.ok()) first_error_ = s;
    }
    if (abort)
      stop_.Cancel(s.message());
    else
      drain_.store(true);
  }

  void CountFailure(const std::string& reason) {
    c_.records_failed.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(mu_);
    ++failures_[reason];
  }

  std::string Where(const Origin& o) const { return files_[o.file] + " line " + std::to_string(o.line); }

  Status Execute(const CancelToken* external) {
    ABS_RETURN_IF_ERROR(ValidateOptions(o_));
    if (!o_.validate_only && !job_.cluster_)
      return Status(ErrorCode::kInvalidArgument, "restore needs a cluster connection (or validate only)");
    if (!job_.storage_) return Status(ErrorCode::kInvalidArgument, "restore needs a storage");

    // Resolve every input first: totals for progress, and a missing input fails before anything is written.
    std::vector<std::vector<uint32_t>> steps;
    for (const auto& input : job_.inputs_) {
      ABS_ASSIGN_OR_RETURN(auto files, ResolveInput(*job_.storage_, input));
      std::vector<uint32_t> step;
      for (auto& f : files) {
        step.push_back(static_cast<uint32_t>(files_.size()));
        keys_.push_back(f.key);
        files_.push_back(JoinPath(job_.storage_->Describe(), f.key));
        c_.bytes_total.fetch_add(f.size);
      }
      c_.files_total.fetch_add(files.size());
      steps.push_back(std::move(step));
    }
    if (steps.empty()) return Status(ErrorCode::kInvalidArgument, "nothing to restore: no input given");

    if (!o_.validate_only) {
      use_batch_ = o_.batch_mode == RestoreOptions::BatchMode::kOn;
      if (o_.batch_mode == RestoreOptions::BatchMode::kAuto) {
        ABS_ASSIGN_OR_RETURN(auto version, client::GetServerVersion(*job_.cluster_));
        use_batch_ = std::atoi(version.version.c_str()) >= 6;  // batch writes exist since 6.0
      }
    }

    // Forward an external cancel to the job's own token (which also stops the job on fatal errors),
    // so waits inside the client wake at once.
    std::atomic<bool> finished{false};
    std::thread forwarder;
    if (external) {
      forwarder = std::thread([&] {
        while (!finished.load()) {
          if (external->WaitFor(std::chrono::milliseconds(50))) {
            stop_.Cancel(external->reason());
            return;
          }
        }
      });
    }
    for (const auto& step : steps) {
      if (Stopping()) break;
      RunStep(step);
    }
    if (!Stopping()) CreateDeferredIndexes();
    finished.store(true);
    if (forwarder.joinable()) forwarder.join();
    if (external && external->cancelled()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (first_error_.ok()) first_error_ = Status(ErrorCode::kCancelled, "restore cancelled: " + external->reason());
    }
    return Status::Ok();
  }

  void RunStep(const std::vector<uint32_t>& files) {
    size_t writers = o_.validate_only ? 0 : static_cast<size_t>(o_.parallel);
    // Default readers: one per core at most (a reader parses far faster than one writer's round
    // trips, and more parsing threads than cores only contend with the writers).
    size_t cores = std::max(1u, std::thread::hardware_concurrency());
    size_t readers = o_.readers > 0 ? static_cast<size_t>(o_.readers)
                                    : std::min(static_cast<size_t>(o_.parallel), cores);
    readers = std::max<size_t>(1, std::min(readers, files.size()));
    BoundedQueue<Batch> queue(std::max<size_t>(2, writers * 2));
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    for (size_t w = 0; w < writers; ++w)
      threads.emplace_back([&] {
        while (auto b = queue.Pop()) {
          WriteBatch(*b);
          pool_.Put(std::move(b->records));
        }
      });
    std::vector<std::thread> reader_threads;
    for (size_t r = 0; r < readers; ++r)
      reader_threads.emplace_back([&] {
        for (size_t i = next.fetch_add(1); i < files.size() && !Stopping(); i = next.fetch_add(1))
          ReadFile(files[i], queue);
      });
    for (auto& t : reader_threads) t.join();
    queue.Close();
    for (auto& t : threads) t.join();
  }

  void Push(Batch& batch, BoundedQueue<Batch>& queue) {
    if (batch.records.empty()) return;
    if (o_.validate_only) {
      pool_.Put(std::move(batch.records));
      batch = Batch();
      return;
    }
    size_t n = batch.records.size();
    if (!queue.Push(std::move(batch))) c_.records_abandoned.fetch_add(n);
    batch = Batch();
  }

  // Bad backup data (parse errors, namespace mismatches): counted with file and line; stops the job
  // unless ignore_record_error.
  void BadData(const Status& s) {
    if (s.code() == ErrorCode::kCancelled) return;
    if (s.code() != ErrorCode::kCorrupt) {  // storage or codec failure other than bad data: fatal
      AddError(s.ToString());
      Fail(s, true);
      return;
    }
    c_.corrupt_entities.fetch_add(1);
    if (o_.ignore_record_error) {
      AddError(s.message() + " (rest of this file skipped)");
    } else {
      AddError(s.message());
      Fail(Status(ErrorCode::kCorrupt, s.message() + "; restore stopped (--ignore-record-error skips bad data)"),
           false);
    }
  }

  void ReadFile(uint32_t index, BoundedQueue<Batch>& queue) {
    const std::string& key = files_[index];  // display name: storage location + key
    auto raw = job_.storage_->NewReader(keys_[index]);
    if (!raw.ok()) {
      Status s = raw.status().WithContext("cannot open backup file " + key);
      AddError(s.ToString());
      Fail(s, true);
      return;
    }
    auto wrapped = WrapInput(std::make_unique<CountingInputStream>(std::move(*raw), &c_.bytes_read, &bps_, &stop_),
                             o_.codec, key);
    if (!wrapped.ok()) {
      AddError(wrapped.status().ToString());
      Fail(wrapped.status(), true);
      return;
    }
    AsbReader reader(wrapped->get(), key);
    auto header = reader.ReadHeader();
    if (!header.ok()) {
      BadData(header.status());
      c_.files_done.fetch_add(1);
      return;
    }
    if (!o_.source_namespace.empty() && header->ns && *header->ns != o_.source_namespace) {
      BadData(Status(ErrorCode::kCorrupt, key + ": backup of namespace '" + *header->ns + "', expected '" +
                                              o_.source_namespace + "'"));
      c_.files_done.fetch_add(1);
      return;
    }
    Batch batch;
    AsbEntity e;
    std::vector<Record> spare;  // recycled records the parser fills next
    ReadTally tally;
    while (!Stopping()) {
      auto more = reader.Next(&e);
      if (!more.ok()) {
        BadData(more.status());
        break;
      }
      if (!*more) break;
      switch (e.kind) {
        case AsbEntityKind::kRecord:
          if (!TakeRecord(e, index, batch, tally)) break;
          if (spare.empty()) spare = pool_.Take();
          if (!spare.empty()) {
            e.record = std::move(spare.back());
            spare.pop_back();
          }
          if (batch.records.size() >= o_.batch_size) {
            tally.Flush(c_);
            if (!o_.validate_only && !rps_.Acquire(batch.records.size(), stop_)) break;
            Push(batch, queue);
          }
          break;
        case AsbEntityKind::kSecondaryIndex:
          TakeSindex(e, key);
          break;
        case AsbEntityKind::kUdf:
          TakeUdf(e);
          break;
      }
    }
    tally.Flush(c_);
    if (!batch.records.empty()) {
      if (!stop_.cancelled() && (o_.validate_only || rps_.Acquire(batch.records.size(), stop_))) {
        Push(batch, queue);
      } else {
        c_.records_abandoned.fetch_add(batch.records.size());
      }
    }
    c_.files_done.fetch_add(1);
  }

  // Per-reader record tally: records_read is shared by all readers, so it is added once per batch
  // (before the batch is queued, so read >= the writers' counts at any time) rather than per
  // record, and the expiry check's "now" is read once per batch instead of per record.
  struct ReadTally {
    uint64_t read = 0;
    int64_t now = 0;
    bool have_now = false;
    void Flush(RestoreCounters& c) {
      if (read) c.records_read.fetch_add(read, std::memory_order_relaxed);
      read = 0;
      have_now = false;
    }
  };

  // Applies the record rules; true when the record was added to the batch.
  bool TakeRecord(AsbEntity& e, uint32_t file, Batch& batch, ReadTally& tally) {
    ++tally.read;
    Record& rec = e.record;
    if (o_.no_records) {
      tally.Flush(c_);
      c_.records_skipped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (!o_.source_namespace.empty() && rec.ns != o_.source_namespace) {
      tally.Flush(c_);
      std::string msg = files_[file] + ": line " + std::to_string(e.line) + ": record " + DigestHex(rec.digest) +
                        " is in namespace '" + rec.ns + "', expected '" + o_.source_namespace + "'";
      CountFailure("namespace mismatch");
      if (o_.ignore_record_error) {
        c_.records_ignored.fetch_add(1);
        AddError(msg);
      } else {
        AddError(msg);
        Fail(Status(ErrorCode::kCorrupt, msg + "; restore stopped (--ignore-record-error skips such records)"),
             false);
      }
      return false;
    }
    if (!sets_.empty() && !sets_.count(rec.set)) {
      tally.Flush(c_);
      c_.records_skipped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (!bins_.empty()) {
      std::erase_if(rec.bins, [&](const Bin& b) { return !bins_.count(b.name); });
    }
    if (rec.bins.empty()) {  // nothing to write (asrestore skips such records too)
      tally.Flush(c_);
      c_.records_skipped.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    // Expired records are counted here, before queueing, with the client's rule (extra TTL
    // included). A TTL the server would reject is reported by the writer, with the record's origin.
    if (!tally.have_now) {
      tally.now = clock_->NowUnixSeconds();
      tally.have_now = true;
    }
    auto ttl = client::TtlFromVoidTime(rec.void_time, tally.now, o_.extra_ttl);
    if (ttl.ok() && !ttl->has_value()) {
      tally.Flush(c_);
      c_.records_expired.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    if (!o_.dest_namespace.empty()) rec.ns = o_.dest_namespace;
    batch.origins.push_back(Origin{file, e.line});
    batch.records.push_back(std::move(rec));
    return true;
  }

  void TakeSindex(AsbEntity& e, const std::string& key) {
    c_.sindexes_read.fetch_add(1);
    SecondaryIndex idx = e.sindex;
    // asbackup 4.5.8 writes the server's `set=null` of a whole-namespace index (8.x sindex-list)
    // verbatim, so a set of exactly `null` means "no set" (a real set named `null` cannot be told
    // apart in sindex-list either). Restoring it literally would scope the index to an empty set.
    if (idx.set == "null") {
      idx.set.clear();
      AddNote(key + ": line " + std::to_string(e.line) + ": secondary index '" + idx.name +
              "' has set 'null' (asbackup's spelling of a whole-namespace index): restored without a set");
    }
    if (o_.no_indexes || (!sets_.empty() && !idx.set.empty() && !sets_.count(idx.set))) {
      c_.sindexes_skipped.fetch_add(1);
      return;
    }
    if (!o_.source_namespace.empty() && idx.ns != o_.source_namespace) {
      BadData(Status(ErrorCode::kCorrupt, key + ": line " + std::to_string(e.line) + ": secondary index '" + idx.name +
                                              "' is in namespace '" + idx.ns + "', expected '" +
                                              o_.source_namespace + "'"));
      return;
    }
    if (!o_.dest_namespace.empty()) idx.ns = o_.dest_namespace;
    if (o_.validate_only) return;
    if (o_.indexes_last) {
      std::lock_guard<std::mutex> lock(mu_);
      deferred_.push_back(std::move(idx));
      return;
    }
    CreateIndex(idx);
  }

  void CreateIndex(const SecondaryIndex& idx) {
    Status s = client::CreateSindex(*job_.cluster_, ToSindexInfo(idx));
    if (!s.ok()) {
      s = s.WithContext("cannot create secondary index '" + idx.name + "' in namespace " + idx.ns);
      AddError(s.ToString());
      Fail(s, true);
      return;
    }
    c_.sindexes_restored.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    created_.push_back(idx);
  }

  void CreateDeferredIndexes() {
    std::vector<SecondaryIndex> todo;
    {
      std::lock_guard<std::mutex> lock(mu_);
      todo.swap(deferred_);
    }
    for (const auto& idx : todo) {
      if (Stopping()) return;
      CreateIndex(idx);
    }
    if (!o_.wait_indexes || o_.validate_only) return;
    std::vector<SecondaryIndex> created;
    {
      std::lock_guard<std::mutex> lock(mu_);
      created = created_;
    }
    for (const auto& idx : created) {
      if (Stopping()) return;
      Status s = client::WaitSindexBuilt(*job_.cluster_, idx.ns, idx.name, o_.info_timeout, &stop_);
      if (!s.ok()) {
        AddError(s.ToString());
        Fail(s, true);
      }
    }
  }

  void TakeUdf(AsbEntity& e) {
    c_.udfs_read.fetch_add(1);
    if (o_.no_udfs) {
      c_.udfs_skipped.fetch_add(1);
      return;
    }
    if (o_.validate_only) return;
    Status s = client::PutUdf(*job_.cluster_, e.udf.name, e.udf.content, o_.info_timeout, &stop_);
    if (!s.ok()) {
      s = s.WithContext("cannot register UDF module '" + e.udf.name + "'");
      AddError(s.ToString());
      Fail(s, true);
      return;
    }
    c_.udfs_restored.fetch_add(1);
  }

  void WriteBatch(Batch& b) {
    size_t n = b.records.size();
    if (stop_.cancelled()) {
      c_.records_abandoned.fetch_add(n);
      return;
    }
    int64_t now = clock_->NowUnixSeconds();
    if (use_batch_) {
      auto res = client::BatchPut(*job_.cluster_, b.records, policy_, now, b.records.size(), &stop_);
      if (!res.ok()) {  // only a cancel fails the batch as a whole; rows may or may not be written
        if (res.status().code() != ErrorCode::kCancelled) Fail(res.status(), true);
        c_.records_abandoned.fetch_add(n);
        return;
      }
      for (size_t i = 0; i < n; ++i) Account((*res)[i].status, (*res)[i].expired, b.records[i], b.origins[i]);
    } else {
      for (size_t i = 0; i < n; ++i) {
        if (stop_.cancelled()) {
          c_.records_abandoned.fetch_add(n - i);
          return;
        }
        auto r = client::Put(*job_.cluster_, b.records[i], policy_, now, &stop_);
        Account(r.ok() ? Status::Ok() : r.status(), r.ok() && r->expired, b.records[i], b.origins[i]);
      }
    }
  }

  void Account(const Status& s, bool expired, const Record& rec, const Origin& origin) {
    if (expired) {
      c_.records_expired.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (s.code() == ErrorCode::kCancelled) {
      c_.records_abandoned.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    switch (client::ClassifyStatus(s)) {
      case client::ResultClass::kOk:
        c_.records_inserted.fetch_add(1, std::memory_order_relaxed);
        return;
      case client::ResultClass::kExists:
        c_.records_existed.fetch_add(1, std::memory_order_relaxed);
        return;
      case client::ResultClass::kGeneration:
        c_.records_fresher.fetch_add(1, std::memory_order_relaxed);
        return;
      case client::ResultClass::kRecordError: {
        CountFailure(ReasonOf(s));
        std::string msg = "record " + DigestHex(rec.digest) + " (" + Where(origin) + "): " + s.message();
        AddError(msg);
        if (o_.ignore_record_error) {
          c_.records_ignored.fetch_add(1, std::memory_order_relaxed);
        } else {
          Fail(Status(s.code(), msg + "; restore stopped (--ignore-record-error skips such records)",
                      s.server_code()),
               true);
        }
        return;
      }
      case client::ResultClass::kNotFound:
      case client::ResultClass::kPermanent:
      case client::ResultClass::kTransient: {
        CountFailure(ReasonOf(s));
        std::string msg = "record " + DigestHex(rec.digest) + " (" + Where(origin) + "): " + s.message();
        if (client::ClassifyStatus(s) == client::ResultClass::kTransient)
          msg += " (gave up after " + std::to_string(o_.max_retries) + " retries)";
        AddError(msg);
        Fail(Status(s.code(), msg + "; restore stopped", s.server_code()), true);
        return;
      }
    }
  }

  RestoreJob& job_;
  const RestoreOptions& o_;
  RestoreCounters& c_;
  const Clock* clock_;
  client::WritePolicy policy_;
  bool use_batch_ = true;
  RateLimiter rps_, bps_;
  RecordPool pool_{256};
  std::unordered_set<std::string> sets_, bins_;
  std::vector<std::string> keys_;   // every input file's storage key, indexed by Origin::file
  std::vector<std::string> files_;  // the same as "<storage>/<key>" for messages

  CancelToken stop_;               // aborts the job (cancel, fatal errors)
  std::atomic<bool> drain_{false};  // readers stop; queued records are still written

  std::mutex mu_;
  Status first_error_;
  std::map<std::string, uint64_t> failures_;
  std::vector<std::string> errors_;
  uint64_t errors_dropped_ = 0;
  std::vector<std::string> notes_;
  std::vector<SecondaryIndex> deferred_, created_;
};

RestoreJob::RestoreJob(RestoreOptions options, std::shared_ptr<client::Cluster> cluster, Storage* storage,
                       std::vector<std::string> inputs)
    : options_(std::move(options)), cluster_(std::move(cluster)), storage_(storage), inputs_(std::move(inputs)) {}

RestoreJob::~RestoreJob() = default;

RestoreSummary RestoreJob::Run(const CancelToken* cancel) {
  impl_ = std::make_unique<Impl>(*this);
  return impl_->Run(cancel);
}

RestoreStats RestoreJob::Snapshot() const {
  const RestoreCounters& c = counters_;
  RestoreStats s;
  s.records_read = c.records_read.load();
  s.records_inserted = c.records_inserted.load();
  s.records_existed = c.records_existed.load();
  s.records_fresher = c.records_fresher.load();
  s.records_expired = c.records_expired.load();
  s.records_skipped = c.records_skipped.load();
  s.records_failed = c.records_failed.load();
  s.records_ignored = c.records_ignored.load();
  s.records_abandoned = c.records_abandoned.load();
  s.corrupt_entities = c.corrupt_entities.load();
  s.bytes_read = c.bytes_read.load();
  s.bytes_total = c.bytes_total.load();
  s.files_total = c.files_total.load();
  s.files_done = c.files_done.load();
  s.sindexes_read = c.sindexes_read.load();
  s.sindexes_restored = c.sindexes_restored.load();
  s.sindexes_skipped = c.sindexes_skipped.load();
  s.udfs_read = c.udfs_read.load();
  s.udfs_restored = c.udfs_restored.load();
  s.udfs_skipped = c.udfs_skipped.load();
  return s;
}

}  // namespace aero::restore
