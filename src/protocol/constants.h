// Aerospike wire-protocol constants (wire-protocol.md §1, §4, §5, §6, §12): proto types, header flag
// bits, field ids, op types and result codes. Shared by our client and our test server.
#pragma once

#include <cstdint>

namespace aero::proto {

constexpr uint8_t kVersion = 2;
constexpr uint64_t kMaxBodySize = 128ull * 1024 * 1024;
constexpr uint8_t kMsgHeaderSize = 22;

enum MessageType : uint8_t {
  kInfo = 1,
  kAdmin = 2,
  kMessage = 3,
  kCompressed = 4,
};

// info1
constexpr uint8_t kInfo1Read = 0x01;
constexpr uint8_t kInfo1GetAll = 0x02;
constexpr uint8_t kInfo1ShortQuery = 0x04;
constexpr uint8_t kInfo1Batch = 0x08;
constexpr uint8_t kInfo1NoBinData = 0x20;
constexpr uint8_t kInfo1ReadModeApAll = 0x40;
constexpr uint8_t kInfo1CompressResponse = 0x80;
// info2
constexpr uint8_t kInfo2Write = 0x01;
constexpr uint8_t kInfo2Delete = 0x02;
constexpr uint8_t kInfo2Generation = 0x04;
constexpr uint8_t kInfo2GenerationGt = 0x08;
constexpr uint8_t kInfo2DurableDelete = 0x10;
constexpr uint8_t kInfo2CreateOnly = 0x20;
constexpr uint8_t kInfo2RespondAllOps = 0x80;
// info3
constexpr uint8_t kInfo3Last = 0x01;
constexpr uint8_t kInfo3CommitMaster = 0x02;
constexpr uint8_t kInfo3PartitionDone = 0x04;
constexpr uint8_t kInfo3UpdateOnly = 0x08;
constexpr uint8_t kInfo3CreateOrReplace = 0x10;
constexpr uint8_t kInfo3ReplaceOnly = 0x20;

enum FieldType : uint8_t {
  kFieldNamespace = 0,
  kFieldSet = 1,
  kFieldKey = 2,
  kFieldRecordVersion = 3,
  kFieldDigest = 4,
  kFieldTxnId = 5,
  kFieldTxnDeadline = 6,
  kFieldTaskId = 7,
  kFieldSocketTimeout = 9,
  kFieldRecordsPerSecond = 10,
  kFieldPidArray = 11,
  kFieldDigestArray = 12,
  kFieldMaxRecords = 13,
  kFieldBvalArray = 15,
  kFieldIndexName = 21,
  kFieldIndexRange = 22,
  kFieldUdfPackageName = 30,
  kFieldUdfFunction = 31,
  kFieldUdfArgList = 32,
  kFieldUdfOp = 33,
  kFieldQueryBinList = 40,
  kFieldBatchIndex = 41,
  kFieldFilterExp = 43,
};

enum OpType : uint8_t {
  kOpRead = 1,
  kOpWrite = 2,
  kOpCdtRead = 3,
  kOpCdtModify = 4,
  kOpIncr = 5,
  kOpExpRead = 7,
  kOpExpModify = 8,
  kOpAppend = 9,
  kOpPrepend = 10,
  kOpTouch = 11,
  kOpBitsRead = 12,
  kOpBitsModify = 13,
  kOpDeleteAll = 14,
  kOpHllRead = 15,
  kOpHllModify = 16,
};

// Server result codes (§12) that code paths branch on.
enum ResultCode : uint8_t {
  kOk = 0,
  kServerError = 1,
  kKeyNotFound = 2,
  kGeneration = 3,
  kParameter = 4,
  kKeyExists = 5,
  kBinExists = 6,
  kClusterKeyMismatch = 7,
  kOutOfSpace = 8,
  kTimeout = 9,
  kAlwaysForbidden = 10,
  kPartitionUnavailable = 11,
  kBinTypeError = 12,
  kRecordTooBig = 13,
  kKeyBusy = 14,
  kScanAbort = 15,
  kUnsupportedFeature = 16,
  kBinNotFound = 17,
  kDeviceOverload = 18,
  kKeyMismatch = 19,
  kNamespaceNotFound = 20,
  kBinName = 21,
  kForbidden = 22,
  kEnterpriseOnly = 25,
  kFilteredOut = 27,
  kXdrKeyBusy = 32,
  kSecurityNotSupported = 51,
  kSecurityNotEnabled = 52,
  kInvalidUser = 60,
  kInvalidPassword = 62,
  kExpiredPassword = 63,
  kInvalidCredential = 65,
  kExpiredSession = 66,
  kNotAuthenticated = 80,
  kRoleViolation = 81,
  kQuotaExceeded = 83,
  kBatchDisabled = 150,
  kBatchMaxRequests = 151,
  kBatchQueuesFull = 152,
};

// Admin (type 2) commands and field ids (§11).
enum AdminCommand : uint8_t {
  kAdminAuthenticate = 0,
  kAdminLogin = 20,
};
enum AdminField : uint8_t {
  kAdminUser = 0,
  kAdminPassword = 1,
  kAdminCredential = 3,
  kAdminClearPassword = 4,
  kAdminSessionToken = 5,
  kAdminSessionTtl = 6,
};
constexpr uint8_t kAdminHeaderSize = 16;

// A short name for a result code ("KEY_EXISTS"), "RESULT_<n>" for codes without one.
const char* ResultCodeName(int code);

}  // namespace aero::proto
