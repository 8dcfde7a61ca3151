// Where S3 settings come from when the configuration does not give them, in the AWS SDK's order:
// explicit options, then AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, then the shared
// credentials file (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials) and config file (AWS_CONFIG_FILE or
// ~/.aws/config, "[profile name]" sections) for the profile (option, else AWS_PROFILE, else "default").
// An explicitly configured profile wins over the environment variables. Instance/IRSA roles are not read.
// The endpoint, when the configuration gives none, comes from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or
// the profile's `endpoint_url` (the SDKs' "service-specific endpoints"; AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
// turns them off), so an S3-compatible store named by a profile works as with the AWS tools.
#pragma once

#include <map>
#include <string>

#include "common/status.h"
#include "storage/options.h"

namespace aero {

struct S3Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
  std::string region;
  std::string source;  // where they came from, for messages ("environment", "profile 'x' in /root/.aws/credentials")
  std::string endpoint;         // from the environment or the profile; empty = AWS itself
  std::string endpoint_source;  // "AWS_ENDPOINT_URL_S3", "profile 'minio' in /root/.aws/config", ...
};

// INI sections -> key -> value, as the AWS shared files use them. kNotFound if the file is absent.
Result<std::map<std::string, std::map<std::string, std::string>>> ParseAwsIniFile(const std::string& path);

// Resolves credentials and region. kAuth if no credentials are found anywhere, kInvalidArgument if
// the region is missing everywhere, or a named profile does not exist.
Result<S3Credentials> ResolveS3Credentials(const S3Options& options);

}  // namespace aero
