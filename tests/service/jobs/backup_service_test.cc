// BackupService in-process against an in-process test cluster (real sockets) and a local folder:
// admission rules, the incremental window (records' last-update times set exactly), and shutdown
// cancelling a running backup without leaving anything behind.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/bytes.h"
#include "common/digest.h"
#include "service/jobs/backup_service.h"
#include "testserver/test_cluster.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait.h"

namespace aero::service {
namespace {

using namespace std::chrono_literals;
using model::BackupType;
namespace fs = std::filesystem;

// Waits (up to 10 s) for `pred` over state owned by the service's threads.
bool WaitUntil(const std::function<bool()>& pred) { return testing::WaitUntil(pred, 10s); }

Record Rec(int64_t key, int64_t value) {
  Record r;
  r.ns = "test";
  r.set = "s";
  r.key = IntegerKey(key);
  r.digest = ComputeDigest("s", key);
  std::string v;
  PutU64BE(v, static_cast<uint64_t>(value));
  r.bins = {Bin{"v", ParticleType::kInteger, v}};
  return r;
}

class BackupServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = testserver::TestCluster::Start(testserver::TestClusterOptions{});
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cluster_ = std::move(*c);
    Cluster cl;
    cl.seed_nodes = {SeedNode{"127.0.0.1", cluster_->Port(0), std::nullopt}};
    config_.clusters["c"] = cl;
    config_.storage["local"] = Storage{LocalStorage{root_.string()}};
    BackupPolicy p;
    p.parallel = 2;
    p.retry_policy = RetryPolicy{100, 1.0, 0};
    config_.policies["p"] = p;
    BackupRoutine r;
    r.source_cluster = "c";
    r.storage = "local";
    r.backup_policy = "p";
    r.interval_cron = "0 0 0 1 1 ?";
    r.incr_interval_cron = "0 0 0 1 1 ?";
    r.namespaces = {"test"};
    config_.routines["r"] = r;
  }
  void TearDown() override {
    service_.reset();
  }
  void StartService(jobs::ServiceOptions o = {}) {
    o.catch_up = false;
    service_ = std::make_unique<jobs::BackupService>(registry_, metrics_, o);
    ASSERT_TRUE(service_->Start(config_).ok());
  }
  double Value(metrics::Family& f, std::vector<std::string> labels = {}) { return f.WithLabels(labels).Value(); }
  size_t Listed(BackupType t) {
    auto l = service_->ListBackups("r", t, {});
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    return l.ok() ? l->size() : 0;
  }

  std::unique_ptr<testserver::TestCluster> cluster_;
  testing::TempDir dir_{"abs-svc"};
  fs::path root_ = dir_.path();
  Config config_;
  metrics::Registry registry_;
  metrics::AbsMetrics metrics_{registry_};
  std::unique_ptr<jobs::BackupService> service_;
};

TEST_F(BackupServiceTest, IncrementalBeforeAnyFullIsSkipped) {
  StartService();
  service_->FireNow("r", BackupType::kIncremental);
  EXPECT_EQ(Value(metrics_.incremental_skip_total), 1);
  EXPECT_EQ(Value(metrics_.backup_events_total, {"r", "incremental", "skip"}), 1);
  EXPECT_FALSE(fs::exists(root_ / "r/incremental"));
}

TEST_F(BackupServiceTest, IncrementalCapturesRecordsModifiedSinceThePreviousBackup) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cluster_->Put(Rec(i, i)).ok());
    ASSERT_TRUE(cluster_->SetLastUpdateMs("test", ComputeDigest("s", i), static_cast<uint64_t>(now - 60000)).ok());
  }
  StartService();
  service_->FireNow("r", BackupType::kFull);
  ASSERT_TRUE(WaitUntil([&] { return Value(metrics_.runs_total) == 1; }));
  auto full = service_->ListBackups("r", BackupType::kFull, {});
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(full->size(), 1u);
  EXPECT_EQ((*full)[0].record_count, 10u);
  const int64_t full_ms = std::chrono::duration_cast<std::chrono::milliseconds>((*full)[0].created.time_since_epoch()).count();

  // Modified exactly at the full's start: captured again (the window starts at the previous start).
  ASSERT_TRUE(cluster_->SetLastUpdateMs("test", ComputeDigest("s", 3), static_cast<uint64_t>(full_ms)).ok());
  ASSERT_TRUE(cluster_->SetLastUpdateMs("test", ComputeDigest("s", 4), static_cast<uint64_t>(full_ms - 1)).ok());
  ASSERT_TRUE(cluster_->Put(Rec(20, 20)).ok());
  // Just after the full started (and before the incremental starts: records updated in the very
  // millisecond an incremental starts are captured by the next one too, as ABS does).
  ASSERT_TRUE(cluster_->SetLastUpdateMs("test", ComputeDigest("s", 20), static_cast<uint64_t>(full_ms + 1)).ok());
  service_->FireNow("r", BackupType::kIncremental);
  ASSERT_TRUE(WaitUntil([&] { return Value(metrics_.incremental_runs_total) == 1; }));
  auto inc = service_->ListBackups("r", BackupType::kIncremental, {});
  ASSERT_TRUE(inc.ok());
  ASSERT_EQ(inc->size(), 1u);
  EXPECT_EQ((*inc)[0].record_count, 2u);  // keys 3 and 20
  ASSERT_TRUE((*inc)[0].from);
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::milliseconds>((*inc)[0].from->time_since_epoch()).count(),
            full_ms);
  EXPECT_EQ((*inc)[0].secondary_index_count, 0u);

  // Nothing changed since: the next incremental is empty and removed, but counts as a run.
  service_->FireNow("r", BackupType::kIncremental);
  ASSERT_TRUE(WaitUntil([&] { return Value(metrics_.incremental_runs_total) == 2; }));
  EXPECT_EQ(Listed(BackupType::kIncremental), 1u);
  auto state = service_->CurrentBackups("r");
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->last_full && state->last_incremental);
  EXPECT_FALSE(state->full || state->incremental);
}

TEST_F(BackupServiceTest, ShutdownCancelsARunningBackupAndDeletesItsFolder) {
  ASSERT_TRUE(testserver::SeedSampleRecords(*cluster_, "test", "sample", 5000).ok());
  config_.policies["p"].records_per_second = 500;  // ~10 s: still running at shutdown
  config_.policies["quick"] = BackupPolicy{};
  config_.routines["quick"] = config_.routines["r"];
  config_.routines["quick"].backup_policy = "quick";
  jobs::ServiceOptions o;
  o.shutdown_grace = 100ms;
  StartService(o);
  service_->FireNow("quick", BackupType::kFull);
  ASSERT_TRUE(WaitUntil([&] { return Value(metrics_.runs_total) == 1; }));
  auto quick = service_->ListBackups("quick", BackupType::kFull, {});
  ASSERT_TRUE(quick.ok() && quick->size() == 1);
  service_->FireNow("r", BackupType::kFull);
  ASSERT_TRUE(WaitUntil([&] {
    auto s = service_->CurrentBackups("r");
    return s.ok() && s->full && s->full->done_records > 0;
  }));
  EXPECT_EQ(Value(metrics_.backup_in_progress, {"r", "full"}), 1);
  // No restore into the namespace the running backup reads (ABS 3.5); another namespace is fine.
  model::RestoreRequest req;
  req.destination_name = "c";
  req.source_name = "local";
  req.backup_data_path = (*quick)[0].key;
  auto refused = service_->Restore(req);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("running backup r/backup/"), std::string::npos)
      << refused.status().message();
  req.policy.ns = model::RestoreNamespaceMap{"test", "bar"};
  auto accepted = service_->Restore(req);
  ASSERT_TRUE(accepted.ok()) << accepted.status().ToString();
  ASSERT_TRUE(
      WaitUntil([&] { return service_->RestoreStatus(*accepted)->status != model::RestoreJobState::kRunning; }));
  EXPECT_EQ(service_->RestoreStatus(*accepted)->status, model::RestoreJobState::kSuccess);
  EXPECT_EQ(service_->RestoreStatus(*accepted)->inserted_records, 5000u);
  const auto t0 = std::chrono::steady_clock::now();
  service_->Shutdown();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_EQ(Value(metrics_.backup_events_total, {"r", "full", "canceled"}), 1);
  EXPECT_EQ(Value(metrics_.runs_total), 1);  // the quick one only
  EXPECT_TRUE(!fs::exists(root_ / "r/backup") || fs::is_empty(root_ / "r/backup"));
  // After shutdown nothing new is accepted.
  EXPECT_FALSE(service_->TriggerBackup("r", BackupType::kFull, 0ms).ok());
}

}  // namespace
}  // namespace aero::service
