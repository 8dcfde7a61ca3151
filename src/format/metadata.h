// Secondary-index definitions and UDF modules as stored in the global section of an .asb file
// (`* i`, `* e` and `* u` lines, asb-format.md §6). Shared by the backup engine (which fills them from
// info commands), the .asb writer/reader and the restore engine (which recreates them).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aero {

// What the index looks at inside the bin: the letter is the one written in the file.
enum class SindexCollection : char {
  kNone = 'N',       // plain bin value (info: indextype NONE/DEFAULT)
  kList = 'L',       // list elements
  kMapKeys = 'K',    // map keys
  kMapValues = 'V',  // map values
};

// The indexed value type: the letter is the one written in the file.
enum class SindexDataType : char {
  kNumeric = 'N',  // info: NUMERIC / INT SIGNED / numeric
  kString = 'S',   // info: STRING / TEXT / string
  kGeo = 'G',      // info: GEO2DSPHERE / GEOJSON
  kBlob = 'B',     // info: BLOB (server 7.0+)
};

struct SindexPath {
  std::string bin;
  SindexDataType type = SindexDataType::kNumeric;
  bool operator==(const SindexPath&) const = default;
};

struct SecondaryIndex {
  std::string ns;
  std::string set;   // empty = whole namespace
  std::string name;
  SindexCollection collection = SindexCollection::kNone;
  std::vector<SindexPath> paths;  // exactly one today; readers require at least one
  std::string context;     // CDT context, base64 as reported by sindex-list b64=true; empty = none
  std::string expression;  // base64 expression (backup-go `* e` lines); empty = bin index
  bool operator==(const SecondaryIndex&) const = default;
};

enum class UdfType : char { kLua = 'L' };

struct UdfModule {
  UdfType type = UdfType::kLua;
  std::string name;     // e.g. "filters.lua"
  std::string content;  // module source, raw bytes
  bool operator==(const UdfModule&) const = default;
};

// Maps the `type` / `indextype` values of `sindex-list` (any server version, any case) to the
// file's letters; nullopt for a value this format cannot store.
std::optional<SindexDataType> SindexDataTypeFromInfo(std::string_view info_type);
std::optional<SindexCollection> SindexCollectionFromInfo(std::string_view info_indextype);
// The value `sindex-create` takes for `type` / `indextype` (lower case, server 5.x-8.x syntax);
// SindexCollectionToInfo(kNone) is empty: omit `indextype` then.
std::string_view SindexDataTypeToInfo(SindexDataType t);
std::string_view SindexCollectionToInfo(SindexCollection c);

}  // namespace aero
