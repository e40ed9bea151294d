// Where the pages of a SQLite write-ahead log belong: reads the log's frame headers (the page
// number of each frame, and which frames end a commit) and counts the frames of its committed
// transactions by the B-tree (table or index) their page belongs to, from SQLite's dbstat
// table. bench/log-pages makes a log to read.
//
//   log_pages DATABASE          (reads DATABASE-wal; leaves both files as they are)
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

// The log's header is 32 bytes: a magic number, the format version, the page size, the
// checkpoint sequence number, two salts and a checksum. Each frame is a 24-byte header and a
// page; its header starts with the page number and, on a commit's last frame, the database's
// size in pages (zero otherwise), then the log's two salts as they were when it was written.
// All big-endian (https://sqlite.org/fileformat2.html#walformat).
constexpr std::size_t kLogHeaderBytes = 32;
constexpr std::size_t kFrameHeaderBytes = 24;
constexpr std::uint32_t kLogMagic = 0x377f0682;  // the low bit: the checksums' byte order

std::uint32_t big_endian_u32(const unsigned char* bytes) {
  return (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) |
         (std::uint32_t{bytes[2]} << 8) | std::uint32_t{bytes[3]};
}

struct LogFrames {
  std::vector<std::uint32_t> pages;  // of the committed transactions, in the log's order
  std::uint64_t commits = 0;
  std::uint32_t restarts = 0;  // the checkpoint sequence number: times the log started again
};

// The frames of the committed transactions since the log last started again. After a restart
// SQLite writes over the log from its beginning with new salts and leaves older frames after
// the new end; those, and a transaction cut short, are not counted.
LogFrames read_log(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot open " + path);
  unsigned char header[kLogHeaderBytes];
  if (!in.read(reinterpret_cast<char*>(header), sizeof header))
    throw std::runtime_error(path + " is shorter than a log's header");
  if ((big_endian_u32(header) & ~1u) != kLogMagic)
    throw std::runtime_error(path + ": not a SQLite write-ahead log");
  const std::uint32_t page_bytes = big_endian_u32(header + 8);
  LogFrames log;
  log.restarts = big_endian_u32(header + 12);
  in.seekg(0, std::ios::end);
  const auto log_bytes = static_cast<std::uint64_t>(in.tellg());
  in.seekg(kLogHeaderBytes);
  std::vector<std::uint32_t> uncommitted;
  unsigned char frame[kFrameHeaderBytes];
  for (std::uint64_t offset = kLogHeaderBytes;
       offset + kFrameHeaderBytes + page_bytes <= log_bytes &&  // a whole frame is there
       in.read(reinterpret_cast<char*>(frame), sizeof frame);
       offset += kFrameHeaderBytes + page_bytes) {
    const bool this_log = std::equal(frame + 8, frame + 16, header + 16);
    const std::uint32_t page = big_endian_u32(frame);
    if (!this_log || page == 0)
      break;
    uncommitted.push_back(page);
    if (big_endian_u32(frame + 4) != 0) {
      log.pages.insert(log.pages.end(), uncommitted.begin(), uncommitted.end());
      uncommitted.clear();
      ++log.commits;
    }
    in.seekg(page_bytes, std::ios::cur);
  }
  return log;
}

// Page number -> the name of the B-tree it belongs to, as the database (log included) stands.
std::map<std::uint32_t, std::string> btree_of_pages(const std::string& database) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  // Closing the last connection would otherwise copy the log into the database and delete it.
  if (rc == SQLITE_OK)
    rc = sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, static_cast<int*>(nullptr));
  if (rc != SQLITE_OK) {
    const std::string message = db != nullptr ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + database + ": " + message);
  }
  std::map<std::uint32_t, std::string> owners;
  sqlite3_stmt* stmt = nullptr;
  rc = sqlite3_prepare_v2(db, "SELECT pageno, name FROM dbstat", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) {
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      const auto* name = sqlite3_column_text(stmt, 1);
      owners[static_cast<std::uint32_t>(sqlite3_column_int64(stmt, 0))] =
          name != nullptr ? reinterpret_cast<const char*>(name) : "?";
    }
  }
  if (rc != SQLITE_DONE) {
    std::string message = sqlite3_errmsg(db);
    if (message == "no such table: dbstat")
      message += " (this SQLite was built without SQLITE_ENABLE_DBSTAT_VTAB)";
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    throw std::runtime_error("reading " + database + "'s pages: " + message);
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
    const LogFrames log = read_log(database + "-wal");
    if (log.restarts != 0) {
      std::cerr << "log_pages: the log has started again " << log.restarts
                << " time(s) since it was made: only what came after the last time is counted\n";
    }
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
