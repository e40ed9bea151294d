-- subscriberd schema for the embedded SQLite store. Applied at start-up; every statement is
-- idempotent. The table is insert-only: rows are never updated or deleted.
--
-- The status check is a chain of comparisons, not `status IN (...)`: SQLite evaluates an IN
-- list of more than two values by building a temporary index of it, for every row inserted.
-- A table created by the first schema, which differs from this one only by its IN form, is
-- rewritten to this one at start-up (src/store/sqlite/schema.cpp).

CREATE TABLE IF NOT EXISTS subscribers (
  id          INTEGER PRIMARY KEY,   -- time-ordered 64-bit id (rowid alias): newest = highest
  email       TEXT    NOT NULL,      -- trimmed, lowercased
  name        TEXT    NOT NULL DEFAULT '',
  last_name   TEXT    NOT NULL DEFAULT '',
  status      TEXT    NOT NULL CHECK (status = 'active' OR status = 'unsubscribed' OR
                                      status = 'unconfirmed' OR status = 'bounced' OR
                                      status = 'junk'),
  created_at  INTEGER NOT NULL       -- Unix epoch milliseconds, UTC
);

-- The unique key that decides duplicates.
CREATE UNIQUE INDEX IF NOT EXISTS subscribers_email ON subscribers (email);

-- Newest-first listing filtered by status (the unfiltered listing walks the rowid).
CREATE INDEX IF NOT EXISTS subscribers_status_id ON subscribers (status, id);

-- Totals maintained in the insert transaction, so a page's total costs five rows, not a scan.
CREATE TABLE IF NOT EXISTS subscriber_counts (
  status  TEXT    PRIMARY KEY,
  total   INTEGER NOT NULL
) WITHOUT ROWID;

INSERT OR IGNORE INTO subscriber_counts (status, total) VALUES
  ('active', 0), ('unsubscribed', 0), ('unconfirmed', 0), ('bounced', 0), ('junk', 0);
