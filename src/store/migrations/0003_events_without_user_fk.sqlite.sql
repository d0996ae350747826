-- Events keep their user by id without a foreign key: the ingest path resolves
-- (or creates) the user in the same transaction, users are never deleted (an
-- erasure blanks their personal fields), and SQLite's per-row key check was a
-- sixth of the cost of a bulk event insert. SQLite cannot drop a constraint,
-- so the table is rebuilt.
CREATE TABLE events_new (
  id                 INTEGER PRIMARY KEY,
  source_id          TEXT NOT NULL UNIQUE,
  user_id            BIGINT NOT NULL,
  type               TEXT NOT NULL,
  name               TEXT,
  occurred_at        BIGINT NOT NULL,
  channel            TEXT,
  page               TEXT,
  store_source_id    TEXT,
  product_source_id  TEXT,
  category_source_id TEXT,
  search_query       TEXT,
  rating             INTEGER,
  properties         TEXT,
  ingested_at        BIGINT NOT NULL
);
INSERT INTO events_new SELECT id, source_id, user_id, type, name, occurred_at, channel, page,
  store_source_id, product_source_id, category_source_id, search_query, rating, properties,
  ingested_at FROM events;
DROP TABLE events;
ALTER TABLE events_new RENAME TO events;
CREATE INDEX events_user_time ON events (user_id, occurred_at);
