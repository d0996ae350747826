-- Level members: the level scheme (versioned; the highest version is active),
-- each member's level and growth value, the growth ledger, level changes,
-- and the recycling runs (one per period end, resumable by `position`).
CREATE TABLE level_schemes (
  id         BIGINT PRIMARY KEY,
  version    INTEGER NOT NULL UNIQUE,
  spec       TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE member_levels (
  user_id     BIGINT PRIMARY KEY REFERENCES users (id),
  level       INTEGER NOT NULL,
  growth      BIGINT NOT NULL CHECK (growth >= 0),
  level_since BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

-- task: the growth task (order, check_in, …), take_back or recycle.
CREATE TABLE growth_entries (
  id           BIGINT PRIMARY KEY,
  user_id      BIGINT NOT NULL,
  task         TEXT NOT NULL,
  amount       BIGINT NOT NULL,
  growth_after BIGINT NOT NULL,
  level_after  INTEGER NOT NULL,
  day          TEXT NOT NULL,
  source_ref   TEXT NOT NULL DEFAULT '',
  at           BIGINT NOT NULL
);
CREATE INDEX growth_entries_user ON growth_entries (user_id, id);
CREATE INDEX growth_entries_day ON growth_entries (user_id, day, task);
CREATE INDEX growth_entries_source ON growth_entries (user_id, source_ref);

-- reason: upgrade | recycle.
CREATE TABLE level_changes (
  id         BIGINT PRIMARY KEY,
  user_id    BIGINT NOT NULL,
  from_level INTEGER NOT NULL,
  to_level   INTEGER NOT NULL,
  reason     TEXT NOT NULL,
  at         BIGINT NOT NULL
);
CREATE INDEX level_changes_user ON level_changes (user_id, id);
CREATE INDEX level_changes_at ON level_changes (at);

CREATE TABLE level_recycles (
  period_end  BIGINT PRIMARY KEY,
  version     INTEGER NOT NULL,
  members     BIGINT NOT NULL,
  changed     BIGINT NOT NULL,
  position    BIGINT NOT NULL,
  status      TEXT NOT NULL,
  started_at  BIGINT NOT NULL,
  finished_at BIGINT
);
