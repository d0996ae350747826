-- The points rules operators saved in the console (membership/rules.h): one
-- row, the whole set as JSON, replacing the configured rules.
CREATE TABLE membership_rules (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  rules      TEXT NOT NULL,
  version    INTEGER NOT NULL,
  updated_by TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
