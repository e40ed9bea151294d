#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
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

// The checkpoint sequence number in an SQLite write-ahead log's header (four bytes at offset
// 12, big-endian): how many times the log has started again from its beginning since the
// file was made. Empty when the file has no header.
inline std::optional<std::uint32_t> sqlite_log_restarts(const std::string& log_path) {
  std::ifstream file(log_path, std::ios::binary);
  unsigned char header[16] = {};
  if (!file.read(reinterpret_cast<char*>(header), sizeof header))
    return std::nullopt;
  return std::uint32_t{header[12]} << 24 | std::uint32_t{header[13]} << 16 |
         std::uint32_t{header[14]} << 8 | std::uint32_t{header[15]};
}

}  // namespace subscriberd::test_support
