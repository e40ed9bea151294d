# Writes OUTPUT as a C++ source holding INPUT as a byte array (no raw-string delimiter pitfalls).
file(READ ${INPUT} hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE ${OUTPUT}
  "// Generated from ${INPUT}; do not edit.\n"
  "#include <string_view>\n"
  "namespace subscriberd::embedded {\n"
  "namespace {\n"
  "constexpr char kBytes[] = {${bytes} 0};\n"
  "}  // namespace\n"
  "extern const std::string_view ${SYMBOL};\n"
  "const std::string_view ${SYMBOL}{kBytes, ${size}};\n"
  "}  // namespace subscriberd::embedded\n")
