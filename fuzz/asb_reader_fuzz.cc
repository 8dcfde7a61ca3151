// libFuzzer target for the .asb reader: any input must give entities or a clean Status, never a
// crash, hang or unbounded allocation. Every entity that parses is re-encoded and parsed again and
// must come back equal (writer and reader agree). Inputs starting with the zstd magic are also read
// through the zstd wrapper.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "format/asb_reader.h"
#include "format/asb_writer.h"
#include "format/codec.h"
#include "format/string_stream.h"

namespace {

using namespace aero;

void CheckReencodes(const AsbEntity& e) {
  std::string text = "Version 3.1\n# namespace x\n";
  Status s;
  switch (e.kind) {
    case AsbEntityKind::kRecord: s = EncodeRecord(e.record, AsbWriterOptions{e.record.generation % 2 == 0}, &text); break;
    case AsbEntityKind::kSecondaryIndex: s = EncodeSecondaryIndex(e.sindex, &text); break;
    case AsbEntityKind::kUdf: s = EncodeUdf(e.udf, &text); break;
  }
  if (!s.ok()) abort();  // everything the reader returns must be writable
  auto in = StringInputStream::View(text);
  AsbReader reader(&in, "reencoded.asb");
  AsbEntity back;
  auto r = reader.Next(&back);
  if (!r.ok() || !*r || back.kind != e.kind) abort();
  bool same = e.kind == AsbEntityKind::kRecord           ? back.record == e.record
              : e.kind == AsbEntityKind::kSecondaryIndex ? back.sindex == e.sindex
                                                         : back.udf == e.udf;
  if (!same) abort();
  auto end = reader.Next(&back);
  if (!end.ok() || *end) abort();
}

void ReadAll(InputStream* in, bool check) {
  AsbReaderOptions opt;
  opt.max_value_bytes = 1 << 20;  // keep the fuzzer's memory small
  opt.max_token_bytes = 4096;
  AsbReader reader(in, "fuzz.asb", opt);
  AsbEntity e;
  for (int i = 0; i < 100000; ++i) {
    auto r = reader.Next(&e);
    if (!r.ok()) {
      if (r.status().message().empty()) abort();  // errors must say something
      return;
    }
    if (!*r) return;
    if (check) CheckReencodes(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view view(reinterpret_cast<const char*>(data), size);
  {
    auto in = StringInputStream::View(view, size % 7 == 0 ? 3 : SIZE_MAX);
    ReadAll(&in, true);
  }
  if (size >= 4 && view.substr(0, 4) == "\x28\xb5\x2f\xfd") {
    ZstdInputStream z(std::make_unique<StringInputStream>(std::string(view)), "fuzz.asb.zst");
    ReadAll(&z, false);
  }
  return 0;
}
