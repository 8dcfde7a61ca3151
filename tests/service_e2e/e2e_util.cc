// End-to-end test helpers (see e2e_util.h).
#include "e2e_util.h"

#include <httplib.h>

#include <memory>
#include <mutex>

#include <gtest/gtest.h>

#include "client/scan.h"
#include "common/bytes.h"

namespace aero::e2e {

namespace {
HttpResult ToResult(const httplib::Result& r) {
  HttpResult out;
  if (!r) {
    out.error = httplib::to_string(r.error());
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  return out;
}
std::unique_ptr<httplib::Client> Client(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_connection_timeout(5);
  c->set_read_timeout(30);
  c->set_write_timeout(10);
  return c;
}
}  // namespace

HttpResult Api::Get(const std::string& path) const { return ToResult(Client(port_)->Get(path)); }
HttpResult Api::Post(const std::string& path, const std::string& body) const {
  return ToResult(Client(port_)->Post(path, body, "application/json"));
}
HttpResult Api::Put(const std::string& path, const std::string& body) const {
  return ToResult(Client(port_)->Put(path, body, "application/json"));
}

std::map<int64_t, std::pair<int64_t, std::string>> ScanRecords(client::Cluster& c, const std::string& ns,
                                                              const std::string& set) {
  std::map<int64_t, std::pair<int64_t, std::string>> out;
  std::mutex mu;
  client::ScanPolicy p;
  p.ns = ns;
  p.sets = {set};
  auto state = client::ScanState::AllPartitions();
  auto st = client::Scan(c, p, state, [&](Record& r) -> Status {
    if (!r.key || r.key->data.size() != 8) return Status(ErrorCode::kCorrupt, "record without an integer key");
    int64_t k = static_cast<int64_t>(GetU64BE(reinterpret_cast<const uint8_t*>(r.key->data.data())));
    int64_t v = -1;
    std::string s;
    for (const auto& b : r.bins) {
      if (b.name == "v") v = static_cast<int64_t>(GetU64BE(reinterpret_cast<const uint8_t*>(b.data.data())));
      if (b.name == "s") s = b.data;
    }
    std::lock_guard<std::mutex> l(mu);
    out[k] = {v, s};
    return Status::Ok();
  });
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  return out;
}

}  // namespace aero::e2e
