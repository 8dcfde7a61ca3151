// AWS credential and region resolution from options, environment and the shared files.
#include "storage/s3/s3_credentials.h"

#include <cstdlib>
#include <fstream>

namespace aero {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

std::string Trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::string HomeFile(const char* env_name, const char* rel) {
  std::string v = Env(env_name);
  if (!v.empty()) return v;
  std::string home = Env("HOME");
  return home.empty() ? std::string() : home + "/" + rel;
}

}  // namespace

Result<std::map<std::string, std::map<std::string, std::string>>> ParseAwsIniFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(ErrorCode::kNotFound, "cannot read " + path);
  std::map<std::string, std::map<std::string, std::string>> out;
  std::string section, line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[') {
      if (line.back() != ']') return Status(ErrorCode::kInvalidArgument, path + ": bad section line '" + line + "'");
      section = Trim(line.substr(1, line.size() - 2));
      out[section];
      continue;
    }
    auto eq = line.find('=');
    if (eq == std::string::npos || section.empty()) continue;  // nested values / stray lines are ignored
    out[section][Trim(line.substr(0, eq))] = Trim(line.substr(eq + 1));
  }
  return out;
}

Result<S3Credentials> ResolveS3Credentials(const S3Options& options) {
  S3Credentials c;
  c.region = options.region;
  if (c.region.empty()) c.region = Env("AWS_REGION");
  if (c.region.empty()) c.region = Env("AWS_DEFAULT_REGION");

  const bool explicit_profile = !options.profile.empty();
  std::string profile = explicit_profile ? options.profile : Env("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  std::string cred_file = options.credentials_file.empty() ? HomeFile("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")
                                                           : options.credentials_file;
  std::string config_file = options.config_file.empty() ? HomeFile("AWS_CONFIG_FILE", ".aws/config") : options.config_file;

  std::map<std::string, std::string> from_creds, from_config;
  bool profile_found = false;
  if (!cred_file.empty()) {
    auto ini = ParseAwsIniFile(cred_file);
    if (!ini.ok() && ini.status().code() != ErrorCode::kNotFound) return ini.status();
    if (ini.ok() && ini->count(profile)) {
      from_creds = (*ini)[profile];
      profile_found = true;
    }
  }
  if (!config_file.empty()) {
    auto ini = ParseAwsIniFile(config_file);
    if (!ini.ok() && ini.status().code() != ErrorCode::kNotFound) return ini.status();
    std::string section = profile == "default" ? "default" : "profile " + profile;
    if (ini.ok() && ini->count(section)) {
      from_config = (*ini)[section];
      profile_found = true;
    }
  }
  if (explicit_profile && !profile_found) {
    return Status(ErrorCode::kInvalidArgument, "S3 profile '" + profile + "' not found in " + cred_file + " or " + config_file);
  }
  auto from_profile = [&](const char* key) {
    auto it = from_creds.find(key);
    if (it != from_creds.end()) return it->second;
    it = from_config.find(key);
    return it != from_config.end() ? it->second : std::string();
  };
  if (c.region.empty()) c.region = from_profile("region");
  const std::string ignore = Env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  if (options.endpoint_override.empty() && ignore != "true" && ignore != "TRUE" && ignore != "1") {
    if (!Env("AWS_ENDPOINT_URL_S3").empty()) {
      c.endpoint = Env("AWS_ENDPOINT_URL_S3");
      c.endpoint_source = "AWS_ENDPOINT_URL_S3";
    } else if (!Env("AWS_ENDPOINT_URL").empty()) {
      c.endpoint = Env("AWS_ENDPOINT_URL");
      c.endpoint_source = "AWS_ENDPOINT_URL";
    } else if (auto it = from_config.find("endpoint_url"); it != from_config.end() && !it->second.empty()) {
      c.endpoint = it->second;
      c.endpoint_source = "profile '" + profile + "' in " + config_file;
    }
  }

  if (!options.access_key_id.empty() || !options.secret_access_key.empty()) {
    if (options.access_key_id.empty() || options.secret_access_key.empty()) {
      return Status(ErrorCode::kInvalidArgument, "S3 access-key-id and secret-access-key must be given together");
    }
    c.access_key_id = options.access_key_id;
    c.secret_access_key = options.secret_access_key;
    c.session_token = options.session_token;
    c.source = "configuration";
  } else if (!explicit_profile && !Env("AWS_ACCESS_KEY_ID").empty()) {
    c.access_key_id = Env("AWS_ACCESS_KEY_ID");
    c.secret_access_key = Env("AWS_SECRET_ACCESS_KEY");
    c.session_token = Env("AWS_SESSION_TOKEN");
    c.source = "environment";
    if (c.secret_access_key.empty()) {
      return Status(ErrorCode::kAuth, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    }
  } else if (!from_profile("aws_access_key_id").empty()) {
    c.access_key_id = from_profile("aws_access_key_id");
    c.secret_access_key = from_profile("aws_secret_access_key");
    c.session_token = from_profile("aws_session_token");
    c.source = "profile '" + profile + "' in " + (from_creds.count("aws_access_key_id") ? cred_file : config_file);
    if (c.secret_access_key.empty()) {
      return Status(ErrorCode::kAuth, "S3 " + c.source + " has aws_access_key_id but no aws_secret_access_key");
    }
  } else {
    return Status(ErrorCode::kAuth,
                  "no S3 credentials: set access-key-id/secret-access-key, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                  "or a profile in " + cred_file + " (instance roles are not supported)");
  }
  if (c.region.empty()) {
    return Status(ErrorCode::kInvalidArgument,
                  "no S3 region: set s3-region, AWS_REGION/AWS_DEFAULT_REGION or region in profile '" + profile + "'");
  }
  return c;
}

}  // namespace aero
