-- Benefit grants (权益发放): one row per member, benefit and period, so a
-- benefit is given at most once per period however often a run repeats; and
-- one row per run (kind and period), whose `position` (the last user id
-- done) lets a stopped run resume.
-- benefit: monthly_coupon | birthday_points | birthday_coupon.
-- outcome: granted, or the reason the coupon engine refused it.
CREATE TABLE benefit_grants (
  user_id   BIGINT NOT NULL,
  benefit   TEXT NOT NULL,
  period    TEXT NOT NULL,
  coupon_id BIGINT,
  points    BIGINT NOT NULL DEFAULT 0,
  outcome   TEXT NOT NULL,
  at        BIGINT NOT NULL,
  PRIMARY KEY (user_id, benefit, period)
);
CREATE INDEX benefit_grants_period ON benefit_grants (benefit, period);

-- kind: monthly (period "YYYY-MM") | birthday (period "YYYY-MM-DD").
CREATE TABLE benefit_runs (
  kind        TEXT NOT NULL,
  period      TEXT NOT NULL,
  position    BIGINT NOT NULL,
  members     BIGINT NOT NULL DEFAULT 0,
  granted     BIGINT NOT NULL DEFAULT 0,
  refused     BIGINT NOT NULL DEFAULT 0,
  status      TEXT NOT NULL,
  started_at  BIGINT NOT NULL,
  finished_at BIGINT,
  PRIMARY KEY (kind, period)
);

CREATE INDEX users_birthday_month_day ON users (substr(birthday, 6, 5));
