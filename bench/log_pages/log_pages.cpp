// Where the pages of a SQLite write-ahead log belong: reads the log's frame headers (the page
// number of each frame, and which frames end a commit) and counts the frames by the B-tree
// (table or index) their page belongs to, as SQLite's dbstat table tells. Run on a copy of a
// file whose log holds the commits of interest (bench/log-pages makes one).
//
//   log_pages DATABASE          (reads DATABASE-wal)
//
// Prints one line per B-tree: frames, frames a commit, and the share of all frames.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <sqlite3.h>

namespace {

// The log's header is 32 bytes; each frame is a 24-byte header and a page. The frame header
// starts with the page number and, for a commit's last frame, the database's size in pages
// (zero otherwise), both big-endian (https://sqlite.org/fileformat2.html#walformat).
constexpr std::size_t kLogHeaderBytes = 32;
constexpr std::size_t kFrameHeaderBytes = 24;

std::uint32_t big_endian_u32(const unsigned char* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

struct LogFrames {
  std::vector<std::uint32_t> pages;  // in the log's order
  std::uint64_t commits = 0;
};

LogFrames read_log(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open " + path);
  unsigned char header[kLogHeaderBytes];
  if (!in.read(reinterpret_cast<char*>(header), sizeof header))
    throw std::runtime_error(path + " is shorter than a log's header");
  const std::uint32_t page_bytes = big_endian_u32(header + 8);
  if (page_bytes < 512 || page_bytes > 65536)
    throw std::runtime_error(path + ": not a SQLite log (page size " + std::to_string(page_bytes) +
                             ")");
  LogFrames log;
  std::vector<char> frame(kFrameHeaderBytes + page_bytes);
  while (in.read(frame.data(), static_cast<std::streamsize>(frame.size()))) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(frame.data());
    const std::uint32_t page = big_endian_u32(bytes);
    if (page == 0)
      break;
    log.pages.push_back(page);
    if (big_endian_u32(bytes + 4) != 0)
      ++log.commits;
  }
  return log;
}

// Page number -> the name of the B-tree it belongs to, as the database (log included) stands.
std::map<std::uint32_t, std::string> btree_of_pages(const std::string& database) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    const std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + database + ": " + message);
  }
  std::map<std::uint32_t, std::string> owners;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT pageno, name FROM dbstat", -1, &stmt, nullptr) != SQLITE_OK) {
    const std::string message = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error("dbstat: " + message + " (SQLite built without it?)");
  }
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    owners[static_cast<std::uint32_t>(sqlite3_column_int64(stmt, 0))] =
        reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return owners;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: log_pages DATABASE   (reads DATABASE-wal)\n";
    return 2;
  }
  try {
    const std::string database = argv[1];
    // Read the frames before SQLite opens the file: opening may check the log and fold it in.
    const LogFrames log = read_log(database + "-wal");
    const std::map<std::uint32_t, std::string> owners = btree_of_pages(database);

    std::map<std::string, std::uint64_t> frames_by_btree;
    for (const std::uint32_t page : log.pages) {
      const auto owner = owners.find(page);
      ++frames_by_btree[owner != owners.end() ? owner->second : "(free or past the end)"];
    }
    std::vector<std::pair<std::string, std::uint64_t>> rows(frames_by_btree.begin(),
                                                            frames_by_btree.end());
    std::sort(rows.begin(), rows.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });

    const double commits = static_cast<double>(std::max<std::uint64_t>(log.commits, 1));
    const double frames = static_cast<double>(std::max<std::size_t>(log.pages.size(), 1));
    std::printf("frames %zu, commits %llu\n", log.pages.size(),
                static_cast<unsigned long long>(log.commits));
    std::printf("%-28s %10s %14s %8s\n", "b-tree", "frames", "frames/commit", "share");
    for (const auto& [name, count] : rows) {
      std::printf("%-28s %10llu %14.2f %7.1f%%\n", name.c_str(),
                  static_cast<unsigned long long>(count), static_cast<double>(count) / commits,
                  100.0 * static_cast<double>(count) / frames);
    }
  } catch (const std::exception& e) {
    std::cerr << "log_pages: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
