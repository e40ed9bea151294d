#pragma once

#include <fstream>
#include <string>

namespace subscriberd::test_support {

// The page size an SQLite database file was made with, read from its header (two bytes at
// offset 16, big-endian; 1 stands for 65536). 0 when the file has no header.
inline int sqlite_file_page_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  unsigned char header[18] = {};
  if (!file.read(reinterpret_cast<char*>(header), sizeof header))
    return 0;
  const int size = header[16] << 8 | header[17];
  return size == 1 ? 65536 : size;
}

}  // namespace subscriberd::test_support
