-- Paid membership (付费会员): plans with a term, a price, a grace period and
-- benefits; each member's current term; every purchase and renewal.
CREATE TABLE paid_plans (
  id         BIGINT PRIMARY KEY,
  name       TEXT NOT NULL,
  term_days  INTEGER NOT NULL,
  price      BIGINT NOT NULL,
  grace_days INTEGER NOT NULL,
  benefits   TEXT NOT NULL,
  status     TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE paid_memberships (
  user_id    BIGINT PRIMARY KEY REFERENCES users (id),
  plan_id    BIGINT NOT NULL REFERENCES paid_plans (id),
  started_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  terms      INTEGER NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX paid_memberships_expiry ON paid_memberships (expires_at);

-- kind: purchase (a new membership) | renewal (extends the current one).
CREATE TABLE paid_membership_events (
  id          BIGINT PRIMARY KEY,
  user_id     BIGINT NOT NULL,
  plan_id     BIGINT NOT NULL,
  kind        TEXT NOT NULL,
  payment_ref TEXT NOT NULL,
  amount      BIGINT NOT NULL,
  expires_before BIGINT,
  expires_after  BIGINT NOT NULL,
  at          BIGINT NOT NULL
);
CREATE UNIQUE INDEX paid_membership_events_payment ON paid_membership_events (payment_ref);
CREATE INDEX paid_membership_events_user ON paid_membership_events (user_id, id);
CREATE INDEX paid_membership_events_at ON paid_membership_events (at);
