-- Lifecycle stages as last recorded, and every change between them, so the
-- console can show flows between stages over time and plays can react to a
-- stage change. Written by segments::LifecycleRecorder from the feature index.
CREATE TABLE user_stages (
  user_id BIGINT PRIMARY KEY,
  stage   TEXT NOT NULL,
  since   BIGINT NOT NULL
);

CREATE TABLE lifecycle_transitions (
  id         BIGINT PRIMARY KEY,
  user_id    BIGINT NOT NULL,
  from_stage TEXT,
  to_stage   TEXT NOT NULL,
  at         BIGINT NOT NULL
);
CREATE INDEX lifecycle_transitions_at ON lifecycle_transitions (at);
CREATE INDEX lifecycle_transitions_user ON lifecycle_transitions (user_id, at);
