// Where the service configuration is read from and written back to (abs-config.md §1):
//  - a local YAML file (written back atomically, mode 0600);
//  - an http:// or https:// URL (read with a GET; read-only, changes through the API fail with 500);
//  - with --remote, the -c file is a storage descriptor (ABS 3.x `local-storage` / `s3-storage` /
//    `azure-storage` / `gcp-storage` object, or the ABS 2.0 flat `type:`/`path:` form) naming where the
//    real configuration lives; `path` is the config file (local) or the object key (cloud).
//    Its cloud keys may be secrets: references resolved through the descriptor's inline
//    secret-agent (named agents live in the configuration it points to, so they cannot be used).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "service/config/config.h"
#include "service/model/config_store.h"
#include "service/model/storage_mapping.h"

namespace aero::service::model {

// `location` is the -c argument. Errors name the location and what is wrong with it.
Result<std::unique_ptr<ConfigSource>> OpenConfigSource(const std::string& location, bool remote);

// Where the configuration object of a cloud --remote descriptor lives: the bucket or container root
// and the object key (the descriptor's `path` without a leading '/'). The storage keys are mapped
// as the jobs map a storage (storage_mapping.h); a secrets: reference is resolved through the
// descriptor's inline secret-agent only: a secret-agent-name is an error, as the named agents are
// defined in the configuration the descriptor leads to. A local-storage descriptor is an error
// here (it names a file or URL, see OpenConfigSource).
struct RemoteConfigObject {
  StorageTarget storage;
  std::string key;
};
Result<RemoteConfigObject> RemoteConfigObjectOf(const Storage& descriptor);

// Fetches an http(s) URL (GET, 30 s timeouts, 200 required, body up to 16 MiB).
Result<std::string> FetchUrl(const std::string& url);

}  // namespace aero::service::model
