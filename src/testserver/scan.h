// Partition scans of the test server (wire-protocol.md §8, captures 03/07/08): validation, fixed
// descending-digest iteration per partition with exclusive resume, set/bin/expression filtering,
// MAX_RECORDS and RECORDS_PER_SECOND, PARTITION_DONE/11 markers for partitions this node does not
// hold, records and markers packed into ~1 MiB protos, and a LAST proto at the end.
#pragma once

#include "protocol/message.h"
#include "testserver/node.h"

namespace aero::testserver {

Status HandleScan(Session& s, const proto::MsgView& msg);

}  // namespace aero::testserver
