// The backends under test, behind one fixture interface so every interface-level test runs against
// local disk, S3 (s3rver), Azure (azurite) and GCS (the in-process fake) alike. Peers start lazily on
// first use and stop when the test program ends (BackendRegistry::Shutdown from the test main).
#pragma once

#include <memory>
#include <string>

#include "storage/options.h"
#include "storage/storage.h"

namespace aero::testing {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Storage rooted at `prefix` in the backend's test bucket / directory. `port` = 0 connects directly,
  // otherwise to that loopback port (a fault proxy in front of upstream_port()).
  virtual Result<std::unique_ptr<Storage>> Open(const std::string& prefix, StorageOptions options, int port = 0) = 0;
  virtual int upstream_port() const = 0;  // 0 for local disk
  // Damages the stored bytes of the object whose content contains `marker` (key given for backends that
  // address objects by name).
  virtual Status Corrupt(const std::string& prefix, const std::string& key, const std::string& marker) = 0;
  // A throttling reply in the backend's own format: status, body, content type.
  virtual int throttle_status() const = 0;
  virtual std::string throttle_body() const = 0;
  // A permanent "access denied" reply and a fragment of its message the Status must carry.
  virtual std::string denied_body() const = 0;
  virtual std::string denied_message() const = 0;
  virtual std::string content_type() const = 0;
  // Smallest part/block/chunk size the backend allows, used to make multi-part uploads in tests.
  virtual uint64_t part_size() const = 0;
};

// Options with test-friendly retries (fast backoff) and small chunks.
StorageOptions TestOptions();

// "local", "s3", "azure" (shared key), "azure_sas" (account SAS), "gcs". Starts the peer on first call;
// an error naming the peer (and how to install it) when it cannot.
Result<Backend*> GetBackend(const std::string& name);
void ShutdownBackends();

}  // namespace aero::testing
