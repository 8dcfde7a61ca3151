// Mapping between sindex-list/sindex-create vocabulary and the .asb letters.
#include "format/metadata.h"

#include <algorithm>
#include <cctype>

namespace aero {
namespace {
std::string Upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}
}  // namespace

std::optional<SindexDataType> SindexDataTypeFromInfo(std::string_view info_type) {
  const std::string t = Upper(info_type);
  if (t == "NUMERIC" || t == "INT SIGNED") return SindexDataType::kNumeric;
  if (t == "STRING" || t == "TEXT") return SindexDataType::kString;
  if (t == "GEO2DSPHERE" || t == "GEOJSON") return SindexDataType::kGeo;
  if (t == "BLOB") return SindexDataType::kBlob;
  return std::nullopt;
}

std::optional<SindexCollection> SindexCollectionFromInfo(std::string_view info_indextype) {
  const std::string t = Upper(info_indextype);
  if (t == "NONE" || t == "DEFAULT" || t.empty()) return SindexCollection::kNone;
  if (t == "LIST") return SindexCollection::kList;
  if (t == "MAPKEYS") return SindexCollection::kMapKeys;
  if (t == "MAPVALUES") return SindexCollection::kMapValues;
  return std::nullopt;
}

std::string_view SindexDataTypeToInfo(SindexDataType t) {
  switch (t) {
    case SindexDataType::kNumeric: return "numeric";
    case SindexDataType::kString: return "string";
    case SindexDataType::kGeo: return "geo2dsphere";
    case SindexDataType::kBlob: return "blob";
  }
  return "";
}

std::string_view SindexCollectionToInfo(SindexCollection c) {
  switch (c) {
    case SindexCollection::kNone: return "";
    case SindexCollection::kList: return "list";
    case SindexCollection::kMapKeys: return "mapkeys";
    case SindexCollection::kMapValues: return "mapvalues";
  }
  return "";
}

}  // namespace aero
