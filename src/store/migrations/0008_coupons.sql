-- Idempotency keys: the first answer to a mutation, kept with the key the
-- caller sent, so a repeated call returns it instead of acting twice. The row
-- is written in the same transaction as the mutation.
CREATE TABLE idempotency_keys (
  scope       TEXT NOT NULL,
  idem_key    TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  answer      TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (scope, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Coupon templates (marketing resources). `terms` is the JSON of the current
-- version; every version is kept in coupon_template_versions. The counters
-- `issued` and `budget_used` are guarded by conditional updates, so stock and
-- budget hold under concurrent claims.
CREATE TABLE coupon_templates (
  id             BIGINT PRIMARY KEY,
  name           TEXT NOT NULL,
  description    TEXT NOT NULL DEFAULT '',
  status         TEXT NOT NULL,
  version        INTEGER NOT NULL,
  terms          TEXT NOT NULL,
  kind           TEXT NOT NULL,
  funding        TEXT NOT NULL,
  store_id       TEXT NOT NULL DEFAULT '',
  stock          BIGINT,
  budget         BIGINT,
  issued         BIGINT NOT NULL DEFAULT 0,
  budget_used    BIGINT NOT NULL DEFAULT 0,
  per_user_daily INTEGER,
  per_user_total INTEGER,
  claim_start    BIGINT,
  claim_end      BIGINT,
  use_start      BIGINT,
  use_end        BIGINT,
  use_days       INTEGER,
  created_by     TEXT NOT NULL,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);

CREATE TABLE coupon_template_versions (
  template_id BIGINT NOT NULL REFERENCES coupon_templates (id),
  version     INTEGER NOT NULL,
  terms       TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  PRIMARY KEY (template_id, version)
);

-- Coupons in users' wallets. status: unused | locked | used | expired.
CREATE TABLE coupons (
  id            BIGINT PRIMARY KEY,
  template_id   BIGINT NOT NULL REFERENCES coupon_templates (id),
  version       INTEGER NOT NULL,
  user_id       BIGINT NOT NULL REFERENCES users (id),
  face_value    BIGINT NOT NULL,
  status        TEXT NOT NULL,
  source        TEXT NOT NULL,
  source_ref    TEXT NOT NULL DEFAULT '',
  channel       TEXT NOT NULL DEFAULT '',
  valid_from    BIGINT NOT NULL,
  valid_until   BIGINT NOT NULL,
  issued_at     BIGINT NOT NULL,
  order_id      TEXT,
  discount      BIGINT NOT NULL DEFAULT 0,
  platform_part BIGINT NOT NULL DEFAULT 0,
  store_part    BIGINT NOT NULL DEFAULT 0,
  updated_at    BIGINT NOT NULL
);
CREATE INDEX coupons_user_status ON coupons (user_id, status, valid_until);
CREATE INDEX coupons_user_template ON coupons (user_id, template_id, issued_at);
CREATE INDEX coupons_template_status ON coupons (template_id, status);
CREATE INDEX coupons_order ON coupons (order_id);
CREATE INDEX coupons_expiry ON coupons (status, valid_until);

-- Claims per user and template: period 'total' and one row per business day
-- ('YYYY-MM-DD'); the conditional upsert that raises `n` enforces the limits.
CREATE TABLE coupon_claim_counts (
  template_id BIGINT NOT NULL,
  user_id     BIGINT NOT NULL,
  period      TEXT NOT NULL,
  n           INTEGER NOT NULL,
  PRIMARY KEY (template_id, user_id, period)
);

-- One row per user that has received a CRM grant; each grant rewrites it
-- first, which serialises concurrent grants to one user while the
-- anti-harassment rules count their coupons.
CREATE TABLE coupon_grant_guards (
  user_id    BIGINT PRIMARY KEY,
  granted_at BIGINT NOT NULL
);

-- Every step of every coupon, and every refused grant (coupon_id NULL), with
-- its channel and source for the metrics. Append-only.
-- step: issued | claimed | locked | used | released | returned | refunded | expired | refused
CREATE TABLE coupon_steps (
  id            BIGINT PRIMARY KEY,
  coupon_id     BIGINT,
  template_id   BIGINT NOT NULL,
  user_id       BIGINT NOT NULL,
  step          TEXT NOT NULL,
  reason        TEXT NOT NULL DEFAULT '',
  source        TEXT NOT NULL DEFAULT '',
  source_ref    TEXT NOT NULL DEFAULT '',
  channel       TEXT NOT NULL DEFAULT '',
  order_id      TEXT,
  amount        BIGINT NOT NULL DEFAULT 0,
  platform_part BIGINT NOT NULL DEFAULT 0,
  store_part    BIGINT NOT NULL DEFAULT 0,
  at            BIGINT NOT NULL
);
CREATE INDEX coupon_steps_template ON coupon_steps (template_id, step);
CREATE INDEX coupon_steps_coupon ON coupon_steps (coupon_id);

-- Code batches: unique codes that put a coupon in the wallet of whoever
-- redeems them, each code once.
CREATE TABLE coupon_code_batches (
  id          BIGINT PRIMARY KEY,
  template_id BIGINT NOT NULL REFERENCES coupon_templates (id),
  name        TEXT NOT NULL,
  size        BIGINT NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);

CREATE TABLE coupon_codes (
  code        TEXT PRIMARY KEY,
  batch_id    BIGINT NOT NULL REFERENCES coupon_code_batches (id),
  template_id BIGINT NOT NULL,
  user_id     BIGINT,
  coupon_id   BIGINT,
  redeemed_at BIGINT
);
CREATE INDEX coupon_codes_batch ON coupon_codes (batch_id);

-- Bulk grants: a job over a fixed list of users (a segment's members at the
-- start, or an uploaded list), processed in order from `position`, so a
-- restarted server resumes where it stopped.
CREATE TABLE coupon_grant_jobs (
  id          BIGINT PRIMARY KEY,
  template_id BIGINT NOT NULL REFERENCES coupon_templates (id),
  target      TEXT NOT NULL,
  status      TEXT NOT NULL,
  total       BIGINT NOT NULL,
  position    BIGINT NOT NULL DEFAULT 0,
  granted     BIGINT NOT NULL DEFAULT 0,
  skipped     TEXT NOT NULL DEFAULT '{}',
  channel     TEXT NOT NULL DEFAULT '',
  error       TEXT NOT NULL DEFAULT '',
  created_by  TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

CREATE TABLE coupon_grant_job_users (
  job_id   BIGINT NOT NULL REFERENCES coupon_grant_jobs (id),
  position BIGINT NOT NULL,
  user_id  BIGINT NOT NULL,
  PRIMARY KEY (job_id, position)
);
