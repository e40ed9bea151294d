#include "store/sqlite/wal_write_buffer.h"

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <new>
#include <string>

#include <sqlite3.h>

namespace subscriberd::store::sqlite {
namespace {

constexpr const char* kVfsName = "subscriberd-wal-buffer";

// The log file format (https://sqlite.org/fileformat2.html#walformat): a 32-byte file header,
// then frames of a 24-byte header and a page. SQLite writes a frame's header and its page with
// two separate calls; bytes 4..7 of the header, big-endian, are non-zero only for the frame
// that commits a transaction.
constexpr int kLogHeaderBytes = 32;
constexpr int kFrameHeaderBytes = 24;
// Past this, gathered bytes are written out even in the middle of a transaction (a very large
// batch, or a page cache spilling); a normal batch of inserts is far below it.
constexpr std::size_t kMaxGatheredBytes = 8 << 20;
// The unix VFS writes at most 128 KiB - 1 bytes per call (it masks larger sizes and reports the
// short write as a full disk), so gathered bytes go out in pieces below that.
constexpr std::size_t kMaxWriteBytes = 124 << 10;

std::atomic<std::uint64_t> appends_seen{0};
std::atomic<std::uint64_t> system_writes{0};

sqlite3_vfs* base_vfs = nullptr;
sqlite3_vfs buffered_vfs{};

// A log file: this header, then the base VFS's own file object in the same allocation.
struct LogFile {
  sqlite3_file base;  // first: SQLite sees a LogFile as a sqlite3_file
  sqlite3_file* real;
  std::string gathered;  // bytes accepted but not yet written, for offsets from gathered_at
  sqlite3_int64 gathered_at = 0;
  sqlite3_int64 end = 0;          // end of the furthest write since the log last started
  bool commit_page_next = false;  // the last header written was a commit frame's
};

constexpr std::size_t kRealFileOffset = (sizeof(LogFile) + alignof(std::max_align_t) - 1) /
                                        alignof(std::max_align_t) * alignof(std::max_align_t);

LogFile* as_log(sqlite3_file* file) {
  return reinterpret_cast<LogFile*>(file);
}

int write_out(LogFile* log) {
  int rc = SQLITE_OK;
  std::size_t done = 0;
  while (rc == SQLITE_OK && done < log->gathered.size()) {
    const std::size_t piece = std::min(log->gathered.size() - done, kMaxWriteBytes);
    system_writes.fetch_add(1, std::memory_order_relaxed);
    rc =
        log->real->pMethods->xWrite(log->real, log->gathered.data() + done, static_cast<int>(piece),
                                    log->gathered_at + static_cast<sqlite3_int64>(done));
    done += piece;
  }
  // On failure the bytes are dropped with the error: SQLite sees the failed call and abandons
  // the transaction, as it would have for the write that failed without this layer.
  log->gathered.clear();
  return rc;
}

bool is_commit_frame_header(const void* data) {
  const auto* b = static_cast<const unsigned char*>(data);
  return (b[4] | b[5] | b[6] | b[7]) != 0;
}

bool is_page(int amount) {  // page sizes are powers of two from 512 to 65536
  return amount >= 512 && amount <= 65536 && (amount & (amount - 1)) == 0;
}

// Passes one write straight to the file, after what was gathered before it.
int write_through(LogFile* log, const void* data, int amount, sqlite3_int64 offset) {
  if (int rc = write_out(log); rc != SQLITE_OK)
    return rc;
  system_writes.fetch_add(1, std::memory_order_relaxed);
  return log->real->pMethods->xWrite(log->real, data, amount, offset);
}

int log_write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  LogFile* log = as_log(file);
  appends_seen.fetch_add(1, std::memory_order_relaxed);
  if (offset == 0 && amount == kLogHeaderBytes)
    log->end = 0;  // the log starts again from its beginning
  const sqlite3_int64 write_end = offset + amount;

  // Only frames appended at the end of the log are gathered. Everything else goes out at once:
  // a frame rewritten in place (a page changed again after the transaction spilled it, then
  // the checksums of the frames after it, the commit frame's header last, with no page after
  // it) and pieces of a frame split around a sync (padding with synchronous=FULL).
  const bool append = offset >= log->end;
  const bool frame_part =
      amount == kFrameHeaderBytes || amount == kLogHeaderBytes || is_page(amount);
  if (!append || !frame_part) {
    log->commit_page_next = false;
    log->end = std::max(log->end, write_end);
    return write_through(log, data, amount, offset);
  }
  log->end = write_end;

  if (!log->gathered.empty() &&
      offset != log->gathered_at + static_cast<sqlite3_int64>(log->gathered.size())) {
    if (int rc = write_out(log); rc != SQLITE_OK)
      return rc;
  }
  if (log->gathered.empty())
    log->gathered_at = offset;
  try {
    log->gathered.append(static_cast<const char*>(data), static_cast<std::size_t>(amount));
  } catch (const std::bad_alloc&) {
    write_out(log);
    return SQLITE_IOERR_NOMEM;
  }

  if (amount == kFrameHeaderBytes) {
    log->commit_page_next = is_commit_frame_header(data);
    return SQLITE_OK;
  }
  // The commit frame's page is in: write the transaction out before SQLite goes on to publish
  // it in the shared-memory index and returns from COMMIT.
  if (log->commit_page_next || log->gathered.size() >= kMaxGatheredBytes) {
    log->commit_page_next = false;
    return write_out(log);
  }
  return SQLITE_OK;
}

// Every other operation sees the file as SQLite left it: gathered bytes are written first.
int log_close(sqlite3_file* file) {
  LogFile* log = as_log(file);
  const int flushed = write_out(log);
  const int closed = log->real->pMethods->xClose(log->real);
  log->~LogFile();
  return flushed != SQLITE_OK ? flushed : closed;
}

int log_read(sqlite3_file* file, void* data, int amount, sqlite3_int64 offset) {
  LogFile* log = as_log(file);
  if (int rc = write_out(log); rc != SQLITE_OK)
    return rc;
  return log->real->pMethods->xRead(log->real, data, amount, offset);
}

int log_truncate(sqlite3_file* file, sqlite3_int64 size) {
  LogFile* log = as_log(file);
  if (int rc = write_out(log); rc != SQLITE_OK)
    return rc;
  log->end = std::min(log->end, size);
  return log->real->pMethods->xTruncate(log->real, size);
}

int log_sync(sqlite3_file* file, int flags) {
  LogFile* log = as_log(file);
  if (int rc = write_out(log); rc != SQLITE_OK)
    return rc;
  return log->real->pMethods->xSync(log->real, flags);
}

int log_file_size(sqlite3_file* file, sqlite3_int64* size) {
  LogFile* log = as_log(file);
  if (int rc = write_out(log); rc != SQLITE_OK)
    return rc;
  return log->real->pMethods->xFileSize(log->real, size);
}

int log_lock(sqlite3_file* file, int level) {
  LogFile* log = as_log(file);
  if (int rc = write_out(log); rc != SQLITE_OK)
    return rc;
  return log->real->pMethods->xLock(log->real, level);
}

int log_unlock(sqlite3_file* file, int level) {
  LogFile* log = as_log(file);
  if (int rc = write_out(log); rc != SQLITE_OK)
    return rc;
  return log->real->pMethods->xUnlock(log->real, level);
}

int log_check_reserved_lock(sqlite3_file* file, int* out) {
  LogFile* log = as_log(file);
  return log->real->pMethods->xCheckReservedLock(log->real, out);
}

int log_file_control(sqlite3_file* file, int op, void* arg) {
  LogFile* log = as_log(file);
  if (int rc = write_out(log); rc != SQLITE_OK)
    return rc;
  return log->real->pMethods->xFileControl(log->real, op, arg);
}

int log_sector_size(sqlite3_file* file) {
  LogFile* log = as_log(file);
  return log->real->pMethods->xSectorSize(log->real);
}

int log_device_characteristics(sqlite3_file* file) {
  LogFile* log = as_log(file);
  return log->real->pMethods->xDeviceCharacteristics(log->real);
}

int log_shm_map(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  LogFile* log = as_log(file);
  return log->real->pMethods->xShmMap(log->real, region, size, extend, out);
}

int log_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
  LogFile* log = as_log(file);
  return log->real->pMethods->xShmLock(log->real, offset, n, flags);
}

void log_shm_barrier(sqlite3_file* file) {
  LogFile* log = as_log(file);
  log->real->pMethods->xShmBarrier(log->real);
}

int log_shm_unmap(sqlite3_file* file, int delete_flag) {
  LogFile* log = as_log(file);
  return log->real->pMethods->xShmUnmap(log->real, delete_flag);
}

int log_fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  LogFile* log = as_log(file);
  if (int rc = write_out(log); rc != SQLITE_OK)
    return rc;
  return log->real->pMethods->xFetch(log->real, offset, amount, out);
}

int log_unfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  LogFile* log = as_log(file);
  return log->real->pMethods->xUnfetch(log->real, offset, page);
}

const sqlite3_io_methods kLogMethods = {
    3,  // iVersion: every method below exists
    log_close,
    log_read,
    log_write,
    log_truncate,
    log_sync,
    log_file_size,
    log_lock,
    log_unlock,
    log_check_reserved_lock,
    log_file_control,
    log_sector_size,
    log_device_characteristics,
    log_shm_map,
    log_shm_lock,
    log_shm_barrier,
    log_shm_unmap,
    log_fetch,
    log_unfetch,
};

int open_file(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    // Not a log: the base VFS's file object takes the whole allocation, with its own methods.
    return base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
  }
  auto* log = new (file) LogFile{};
  log->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealFileOffset);
  const int rc = base_vfs->xOpen(base_vfs, name, log->real, flags, out_flags);
  if (rc != SQLITE_OK || log->real->pMethods == nullptr ||
      log->real->pMethods->iVersion < kLogMethods.iVersion) {
    if (rc == SQLITE_OK && log->real->pMethods != nullptr)
      log->real->pMethods->xClose(log->real);
    log->~LogFile();
    file->pMethods = nullptr;  // nothing for SQLite to close
    return rc != SQLITE_OK ? rc : SQLITE_CANTOPEN;
  }
  log->base.pMethods = &kLogMethods;
  return SQLITE_OK;
}

}  // namespace

const char* wal_write_buffer_vfs() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    base_vfs = sqlite3_vfs_find(nullptr);
    buffered_vfs = *base_vfs;  // every other call goes straight to the base VFS
    buffered_vfs.pNext = nullptr;
    buffered_vfs.zName = kVfsName;
    buffered_vfs.szOsFile = static_cast<int>(
        std::max<std::size_t>(static_cast<std::size_t>(base_vfs->szOsFile),
                              kRealFileOffset + static_cast<std::size_t>(base_vfs->szOsFile)));
    buffered_vfs.xOpen = open_file;
    sqlite3_vfs_register(&buffered_vfs, 0);
  });
  return kVfsName;
}

WalWriteCounts wal_write_counts() {
  return {appends_seen.load(std::memory_order_relaxed),
          system_writes.load(std::memory_order_relaxed)};
}

}  // namespace subscriberd::store::sqlite
