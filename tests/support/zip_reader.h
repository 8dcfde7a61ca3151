// Reading a ZIP archive back with an independent implementation (Python's zipfile module, through
// read_zip.py), so tests of our ZIP writer do not check it against our own idea of the format.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace aero::testing {

struct ZipEntry {
  std::string name;
  std::string data;  // the content zipfile read back
  uint32_t crc = 0;  // CRC-32 stored for the entry (zipfile checked it against `data`)
  uint64_t size = 0;
  int compress_type = -1;  // 0 = stored, 8 = deflated
};

// Every entry of `archive` in directory order, after zipfile.testzip() checked each one's CRC-32 and
// header. An error names what zipfile found wrong, or that python3 is missing and how to get it.
Result<std::vector<ZipEntry>> ReadZipWithPython(const std::string& archive);

}  // namespace aero::testing
