// Encoding and decoding of Aerospike wire messages: the 8-byte proto header, AS_MSG (22-byte header,
// fields, ops) and admin messages. Parsing works on views into a caller-owned buffer so a scan
// stream can be decoded without copying; building produces owned bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/bytes.h"
#include "common/record.h"
#include "common/status.h"
#include "protocol/constants.h"

namespace aero::proto {

struct ProtoHeader {
  uint8_t version = kVersion;
  uint8_t type = 0;
  uint64_t size = 0;  // body size, 48 bits
};

// Writes an 8-byte proto header.
void PutProtoHeader(std::string& out, uint8_t type, uint64_t body_size);
// Parses and validates an 8-byte proto header (version 2, known type, size <= 128 MiB).
Status ParseProtoHeader(std::string_view eight_bytes, ProtoHeader& out);

// ---- AS_MSG building ----------------------------------------------------------------------

struct MsgHeader {
  uint8_t info1 = 0, info2 = 0, info3 = 0, info4 = 0;
  uint8_t result_code = 0;
  uint32_t generation = 0;
  uint32_t record_ttl = 0;
  uint32_t transaction_ttl = 0;
  uint16_t n_fields = 0;
  uint16_t n_ops = 0;
};

// Builds one complete AS_MSG proto (header included). Fields and ops are appended in call order;
// Finish() patches counts and the proto size and returns the bytes.
class MessageBuilder {
 public:
  explicit MessageBuilder(const MsgHeader& header, uint8_t proto_type = kMessage);
  MessageBuilder& Field(uint8_t type, std::string_view data);
  MessageBuilder& FieldU32(uint8_t type, uint32_t v);
  MessageBuilder& FieldU64(uint8_t type, uint64_t v);
  MessageBuilder& Op(uint8_t op_type, ParticleType particle, std::string_view name, std::string_view value);
  std::string Finish();

 private:
  std::string buf_;
  uint16_t n_fields_ = 0;
  uint16_t n_ops_ = 0;
};

// Appends one bare AS_MSG (no proto header) to out; used by servers packing many messages into one proto.
void AppendMsg(std::string& out, const MsgHeader& header);

// ---- AS_MSG parsing -----------------------------------------------------------------------

struct FieldView {
  uint8_t type = 0;
  std::string_view data;
};

struct OpView {
  uint8_t op_type = 0;
  ParticleType particle = ParticleType::kNull;
  uint8_t flags = 0;
  std::string_view name;
  std::string_view value;
};

struct MsgView {
  MsgHeader header;
  std::vector<FieldView> fields;
  std::vector<OpView> ops;

  // First field of a type, or nullptr.
  const FieldView* FindField(uint8_t type) const;
};

// Parses one AS_MSG starting at reader's position (header_sz must be 22; fields and ops must fit).
// Reuses out's vectors to avoid allocations in scan loops.
Status ParseMsg(ByteReader& reader, MsgView& out);

// Parses a proto body that must hold exactly one AS_MSG (single-record replies and requests).
Status ParseSingleMsg(std::string_view body, MsgView& out);

// ---- Compressed messages (type 4) ---------------------------------------------------------

// Inflates a type-4 body into the inner proto body (inner header validated and stripped).
Result<std::string> InflateCompressed(std::string_view body);
// Wraps a complete proto (header included) into a type-4 proto.
Result<std::string> CompressProto(std::string_view proto);

// ---- Records ------------------------------------------------------------------------------

// The record fields of a record-kind message (NAMESPACE, SET, DIGEST, KEY) as views into the
// message; the last of a repeated field wins. kProtocol for a missing or malformed DIGEST or an
// empty KEY field.
struct RecordFields {
  std::string_view ns;
  std::string_view set;
  Digest digest{};
  bool has_key = false;
  ParticleType key_type = ParticleType::kNull;
  std::string_view key_data;
};
Status ParseRecordFields(const MsgView& msg, RecordFields& out);

// Fills a Record from a record-kind message (ParseRecordFields; header generation and TTL; ops = bins).
Status MsgToRecord(const MsgView& msg, Record& out);

// ---- Admin messages (type 2) ----------------------------------------------------------------

struct AdminMessage {
  uint8_t result_code = 0;
  uint8_t command = 0;
  std::vector<std::pair<uint8_t, std::string>> fields;
  const std::string* Find(uint8_t id) const;
};
std::string BuildAdmin(const AdminMessage& msg);
Status ParseAdminBody(std::string_view body, AdminMessage& out);

}  // namespace aero::proto
