// Unit test of the config store: a change is validated, persisted to a real file source and handed
// to the listener; a refusal rolls both back.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "service/config/config_io.h"
#include "service/model/config_sources.h"
#include "service/model/config_store.h"
#include "tests/support/temp_dir.h"

namespace aero::service::model {
namespace {

// ConfigStore with a real file source and a listener standing in for the scheduler:
// a refused change answers 500 and leaves both the file and the running configuration as they were.
class RecordingListener : public ConfigListener {
 public:
  Status OnConfigChanged(const Config& config) override {
    ++calls;
    last = config;
    if (refuse) return Status(ErrorCode::kInternal, "scheduler refused");
    return Status::Ok();
  }
  int calls = 0;
  bool refuse = false;
  Config last;
};

using aero::testing::ReadFile;

TEST(ConfigStore, ListenerSeesCommitsAndRefusalRollsBack) {
  aero::testing::TempDir dir("abs-store");
  const std::string path = dir.File("config.yml");
  {
    std::ofstream out(path);
    out << "aerospike-clusters:\n  c1:\n    seed-nodes:\n      - host-name: h\n        port: 3000\n"
           "storage:\n  s1:\n    local-storage:\n      path: /tmp/x\n"
           "backup-routines:\n  r1:\n    source-cluster: c1\n    storage: s1\n    interval-cron: \"@daily\"\n"
           "    namespaces: []\n";
  }
  auto loaded = LoadConfigFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  auto source = OpenConfigSource(path, false);
  ASSERT_TRUE(source.ok());
  ConfigStore store(loaded->config, std::move(source).value());
  RecordingListener listener;
  store.SetListener(&listener);

  EXPECT_TRUE(store.AddEntity(EntityKind::kPolicy, "p1", R"({"parallel":2})").ok());
  EXPECT_EQ(listener.calls, 1);
  EXPECT_EQ(listener.last.policies.count("p1"), 1u);
  const std::string committed = ReadFile(path);
  EXPECT_NE(committed.find("p1"), std::string::npos);

  listener.refuse = true;
  ApiError e = store.SetRoutineDisabled("r1", true);
  EXPECT_EQ(e.http_status, 500);
  EXPECT_NE(e.message.find("scheduler refused"), std::string::npos);
  EXPECT_FALSE(store.Snapshot().routines.at("r1").disabled);
  EXPECT_EQ(ReadFile(path), committed);  // the previous document was written back

  listener.refuse = false;
  EXPECT_EQ(store.DeleteEntity(EntityKind::kStorage, "s1").http_status, 409);
  EXPECT_EQ(store.DeleteEntity(EntityKind::kPolicy, "nope").http_status, 404);
  EXPECT_EQ(store.AddEntity(EntityKind::kPolicy, "p1", R"({"parallel":2})").http_status, 409);
  EXPECT_EQ(listener.calls, 2);  // only the first change and the refused one reached the listener
}

}  // namespace
}  // namespace aero::service::model
