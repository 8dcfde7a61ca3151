// Request builders shared by the test-server tests: single-record writes/reads, scans and batch
// requests encoded with src/protocol, as the official clients lay them out (wire-protocol.md).
#pragma once

#include <string>
#include <vector>

#include "common/bytes.h"
#include "common/digest.h"
#include "protocol/constants.h"
#include "protocol/message.h"

namespace aero::testserver::testing {

inline std::string DigestBytes(const Digest& d) { return std::string(reinterpret_cast<const char*>(d.data()), 20); }

inline std::string I64(int64_t v) {
  std::string s;
  PutU64BE(s, static_cast<uint64_t>(v));
  return s;
}

struct WriteSpec {
  std::string ns = "test";
  std::string set = "demo";
  int64_t key = 1;
  bool send_key = true;
  uint8_t info1 = 0, info2 = proto::kInfo2Write, info3 = 0;
  uint32_t generation = 0;
  uint32_t ttl = 0;
  std::vector<Bin> bins{{"a", ParticleType::kInteger, I64(42)}};
};

inline std::string BuildWrite(const WriteSpec& w) {
  proto::MsgHeader h;
  h.info1 = w.info1;
  h.info2 = w.info2;
  h.info3 = w.info3;
  h.generation = w.generation;
  h.record_ttl = w.ttl;
  h.transaction_ttl = 1000;
  proto::MessageBuilder b(h);
  b.Field(proto::kFieldNamespace, w.ns).Field(proto::kFieldSet, w.set);
  b.Field(proto::kFieldDigest, DigestBytes(ComputeDigest(w.set, w.key)));
  if (w.send_key) {
    std::string k(1, '\x01');
    k += I64(w.key);
    b.Field(proto::kFieldKey, k);
  }
  for (const auto& bin : w.bins) b.Op(proto::kOpWrite, bin.type, bin.name, bin.data);
  return b.Finish();
}

inline std::string BuildRead(const std::string& ns, const std::string& set, int64_t key,
                             const std::vector<std::string>& bins = {}, uint8_t extra_info1 = 0) {
  proto::MsgHeader h;
  h.info1 = proto::kInfo1Read | (bins.empty() ? proto::kInfo1GetAll : 0) | extra_info1;
  h.transaction_ttl = 1000;
  proto::MessageBuilder b(h);
  b.Field(proto::kFieldNamespace, ns).Field(proto::kFieldSet, set);
  b.Field(proto::kFieldDigest, DigestBytes(ComputeDigest(set, key)));
  for (const auto& n : bins) b.Op(proto::kOpRead, ParticleType::kNull, n, "");
  return b.Finish();
}

inline std::string BuildDelete(const std::string& ns, const std::string& set, int64_t key, uint8_t extra_info2 = 0) {
  proto::MsgHeader h;
  h.info2 = proto::kInfo2Write | proto::kInfo2Delete | extra_info2;
  h.transaction_ttl = 1000;
  proto::MessageBuilder b(h);
  b.Field(proto::kFieldNamespace, ns).Field(proto::kFieldSet, set);
  b.Field(proto::kFieldDigest, DigestBytes(ComputeDigest(set, key)));
  return b.Finish();
}

struct ScanSpec {
  std::string ns = "test";
  std::string set;  // empty = whole namespace
  std::vector<uint16_t> pids;  // empty and no digests = all 4096
  std::vector<Digest> resume;
  std::vector<std::string> bins;
  uint8_t info1 = proto::kInfo1Read;
  uint8_t info3 = proto::kInfo3PartitionDone;
  uint64_t max_records = 0;
  uint32_t rps = 0;
  std::string filter;
  bool no_partition_fields = false;
};

inline std::string BuildScan(const ScanSpec& s) {
  proto::MsgHeader h;
  h.info1 = s.info1;
  h.info3 = s.info3;
  h.record_ttl = 0xFFFFFFFF;
  proto::MessageBuilder b(h);
  b.Field(proto::kFieldNamespace, s.ns);
  if (!s.set.empty()) b.Field(proto::kFieldSet, s.set);
  if (s.rps) b.FieldU32(proto::kFieldRecordsPerSecond, s.rps);
  b.FieldU32(proto::kFieldSocketTimeout, 30000);
  b.FieldU64(proto::kFieldTaskId, 0x0102030405060708ull);
  if (!s.filter.empty()) b.Field(proto::kFieldFilterExp, s.filter);
  if (!s.no_partition_fields) {
    std::string pids;
    if (s.pids.empty() && s.resume.empty()) {
      for (int p = 0; p < kPartitions; ++p) PutU16LE(pids, static_cast<uint16_t>(p));
    } else {
      for (auto p : s.pids) PutU16LE(pids, p);
    }
    if (!pids.empty()) b.Field(proto::kFieldPidArray, pids);
    if (!s.resume.empty()) {
      std::string ds;
      for (const auto& d : s.resume) ds += DigestBytes(d);
      b.Field(proto::kFieldDigestArray, ds);
    }
  }
  if (s.max_records) b.FieldU64(proto::kFieldMaxRecords, s.max_records);
  for (const auto& n : s.bins) b.Op(proto::kOpRead, ParticleType::kNull, n, "");
  return b.Finish();
}

inline const proto::FieldView* FindField(const proto::MsgView& m, uint8_t type) { return m.FindField(type); }

}  // namespace aero::testserver::testing
