-- Saved segments: dynamic ones (a filter, always current) and snapshots (the
-- members of a filter at one instant, frozen for a play).
CREATE TABLE segments (
  id           BIGINT PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  description  TEXT NOT NULL DEFAULT '',
  kind         TEXT NOT NULL,
  filter       TEXT NOT NULL,
  filter_text  TEXT NOT NULL,
  snapshot_of  BIGINT,
  snapshot_at  BIGINT,
  member_count BIGINT,
  created_by   TEXT NOT NULL,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL
);

CREATE TABLE segment_members (
  segment_id BIGINT NOT NULL REFERENCES segments (id),
  user_id    BIGINT NOT NULL,
  PRIMARY KEY (segment_id, user_id)
);
