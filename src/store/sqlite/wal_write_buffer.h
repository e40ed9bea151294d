#pragma once

#include <cstdint>

// A SQLite VFS that writes each commit to the write-ahead log with one system call.
//
// SQLite appends a commit to the log as a 24-byte header and a page per dirty page, two
// write() calls per page. Inserting random e-mails dirties about one index page per row, so a
// batch of N rows costs some 2N system calls; on a virtual machine those were the largest
// single item of an insert's CPU time (docs/performance.md). This VFS sits over the default
// one and, for log files only, gathers the frames appended at the end of the log and writes
// them out when the commit frame's page has been appended, that is before SQLite publishes the
// commit to readers (the shared-memory index is updated after the frames are written) and
// before COMMIT returns. Writes that are not a frame appended at the end (a frame rewritten in
// place, its checksums rewritten, a piece of a frame split around a sync) go straight to the
// file, after the gathered bytes; any other use of the log file (read, sync, truncate, size,
// lock, close) writes the gathered bytes out first, so the file below always looks as SQLite
// expects. Durability is unchanged: a commit is in the kernel when COMMIT returns, and a sync
// (synchronous=FULL) syncs what was gathered.
namespace subscriberd::store::sqlite {

// Registers the VFS (once; thread-safe) and returns its name, for sqlite3_open_v2.
const char* wal_write_buffer_vfs();

// Write calls that reached the file system through this VFS, and log bytes they carried,
// since start: for tests and for the performance notes.
struct WalWriteCounts {
  std::uint64_t appends = 0;        // writes SQLite asked for on log files
  std::uint64_t system_writes = 0;  // writes that went to the file system for them
};
WalWriteCounts wal_write_counts();

}  // namespace subscriberd::store::sqlite
