# Build-time helper: writes a C++ source defining `const char* const <VAR>` with the bytes of IN.
# Usage: cmake -DIN=<file> -DOUT=<file.cc> -DNAMESPACE=<ns> -DVAR=<name> -P embed_file.cmake
# The text is emitted as a hex byte array, so any content (quotes, raw-string delimiters) is safe.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" hex_len)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],0x[0-9a-f][0-9a-f],)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}.tmp" "// Generated from ${IN} by embed_file.cmake; do not edit.\nnamespace ${NAMESPACE} {\nnamespace {\nconst unsigned char kData[] = {\n${bytes}0x00};\n}  // namespace\nextern const char* const ${VAR};\nconst char* const ${VAR} = reinterpret_cast<const char*>(kData);\n}  // namespace ${NAMESPACE}\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
