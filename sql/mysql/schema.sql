-- subscriberd schema for the MySQL store (MySQL 5.7 and later, MySQL 8, MariaDB 10.2 and later).
-- Applied by subscriberd at start-up when the tables or counter rows are missing; every
-- statement is idempotent, so it can also be applied by hand, any number of times:
--
--   mysql -h HOST -P PORT -u USER -p DATABASE < sql/mysql/schema.sql
--
-- The subscribers table is insert-only: rows are never updated or deleted.

CREATE TABLE IF NOT EXISTS subscribers (
  -- Time-ordered 64-bit Snowflake id given by the service (newest = highest), so the clustered
  -- index grows at its right end and "newest first" is a backward walk of the primary key.
  id          BIGINT UNSIGNED NOT NULL,
  -- Trimmed, lowercased, ASCII only (the service refuses anything else): 1 byte per character
  -- and a binary comparison, exactly as the service compares e-mails.
  email       VARCHAR(254) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name        VARCHAR(255) NOT NULL DEFAULT '',
  last_name   VARCHAR(255) NOT NULL DEFAULT '',
  status      ENUM('active', 'unsubscribed', 'unconfirmed', 'bounced', 'junk') NOT NULL,
  created_at  BIGINT NOT NULL,  -- Unix epoch milliseconds, UTC
  PRIMARY KEY (id),
  -- The unique key that decides duplicates, also between instances sharing the database.
  UNIQUE KEY subscribers_email (email),
  -- Newest-first listing filtered by status (the unfiltered listing walks the primary key).
  KEY subscribers_status_id (status, id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Totals maintained in the insert transaction, so a page's total costs a few rows, not a scan.
-- Each status has 16 slots: a write transaction adds to one slot chosen at random, so the
-- writers of several instances seldom wait for the same row; readers sum the slots.
CREATE TABLE IF NOT EXISTS subscriber_counts (
  status  ENUM('active', 'unsubscribed', 'unconfirmed', 'bounced', 'junk') NOT NULL,
  slot    TINYINT UNSIGNED NOT NULL,
  total   BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (status, slot)
) ENGINE = InnoDB DEFAULT CHARSET = ascii COLLATE = ascii_bin;

-- Zero counters for a new table. Only correct next to an empty subscribers table: to rebuild
-- the totals of a table filled some other way, see docs/data-model.md.
INSERT IGNORE INTO subscriber_counts (status, slot, total) VALUES
  ('active', 0, 0), ('active', 1, 0), ('active', 2, 0), ('active', 3, 0),
  ('active', 4, 0), ('active', 5, 0), ('active', 6, 0), ('active', 7, 0),
  ('active', 8, 0), ('active', 9, 0), ('active', 10, 0), ('active', 11, 0),
  ('active', 12, 0), ('active', 13, 0), ('active', 14, 0), ('active', 15, 0),
  ('unsubscribed', 0, 0), ('unsubscribed', 1, 0), ('unsubscribed', 2, 0), ('unsubscribed', 3, 0),
  ('unsubscribed', 4, 0), ('unsubscribed', 5, 0), ('unsubscribed', 6, 0), ('unsubscribed', 7, 0),
  ('unsubscribed', 8, 0), ('unsubscribed', 9, 0), ('unsubscribed', 10, 0), ('unsubscribed', 11, 0),
  ('unsubscribed', 12, 0), ('unsubscribed', 13, 0), ('unsubscribed', 14, 0), ('unsubscribed', 15, 0),
  ('unconfirmed', 0, 0), ('unconfirmed', 1, 0), ('unconfirmed', 2, 0), ('unconfirmed', 3, 0),
  ('unconfirmed', 4, 0), ('unconfirmed', 5, 0), ('unconfirmed', 6, 0), ('unconfirmed', 7, 0),
  ('unconfirmed', 8, 0), ('unconfirmed', 9, 0), ('unconfirmed', 10, 0), ('unconfirmed', 11, 0),
  ('unconfirmed', 12, 0), ('unconfirmed', 13, 0), ('unconfirmed', 14, 0), ('unconfirmed', 15, 0),
  ('bounced', 0, 0), ('bounced', 1, 0), ('bounced', 2, 0), ('bounced', 3, 0),
  ('bounced', 4, 0), ('bounced', 5, 0), ('bounced', 6, 0), ('bounced', 7, 0),
  ('bounced', 8, 0), ('bounced', 9, 0), ('bounced', 10, 0), ('bounced', 11, 0),
  ('bounced', 12, 0), ('bounced', 13, 0), ('bounced', 14, 0), ('bounced', 15, 0),
  ('junk', 0, 0), ('junk', 1, 0), ('junk', 2, 0), ('junk', 3, 0),
  ('junk', 4, 0), ('junk', 5, 0), ('junk', 6, 0), ('junk', 7, 0),
  ('junk', 8, 0), ('junk', 9, 0), ('junk', 10, 0), ('junk', 11, 0),
  ('junk', 12, 0), ('junk', 13, 0), ('junk', 14, 0), ('junk', 15, 0);
