-- Tasks (任务) the mall rewards, once ever or once a business day, and each
-- member's completions (period: 'once' or the business day, so the primary
-- key refuses a second completion); medals (勋章) awarded by rules, and the
-- medals each member holds.
CREATE TABLE member_tasks (
  id                 BIGINT PRIMARY KEY,
  code               TEXT NOT NULL UNIQUE,
  name               TEXT NOT NULL,
  kind               TEXT NOT NULL,
  points             BIGINT NOT NULL,
  coupon_template_id BIGINT REFERENCES coupon_templates (id),
  status             TEXT NOT NULL,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL
);

CREATE TABLE member_task_completions (
  user_id        BIGINT NOT NULL REFERENCES users (id),
  task_id        BIGINT NOT NULL,
  period         TEXT NOT NULL,
  points         BIGINT NOT NULL,
  growth         BIGINT NOT NULL,
  coupon_id      BIGINT,
  coupon_outcome TEXT NOT NULL DEFAULT '',
  at             BIGINT NOT NULL,
  PRIMARY KEY (user_id, task_id, period)
);

CREATE TABLE medals (
  id          BIGINT PRIMARY KEY,
  code        TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  description TEXT NOT NULL,
  metric      TEXT NOT NULL,
  threshold   BIGINT NOT NULL,
  status      TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

CREATE TABLE member_medals (
  user_id    BIGINT NOT NULL,
  medal_id   BIGINT NOT NULL,
  awarded_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, medal_id)
);
