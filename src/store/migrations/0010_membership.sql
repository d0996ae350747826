-- Membership ledgers: points, stored value, check-ins. Each ledger is an
-- append-only table of entries plus a balance row that guarded updates keep
-- from going where it must not (store/README.md, docs/membership.md).

-- Points: `available` is what the member can spend now (negative while a
-- reversal's debt is being repaid); `pending` is earned but not yet released
-- (an order's return window). Both always equal the sums of the entries.
CREATE TABLE points_accounts (
  user_id    BIGINT PRIMARY KEY REFERENCES users (id),
  available  BIGINT NOT NULL DEFAULT 0,
  pending    BIGINT NOT NULL DEFAULT 0,
  updated_at BIGINT NOT NULL
);

-- What was earned, lot by lot; spending takes the lot that expires first.
-- status: pending | active | closed (nothing left) | reversed.
CREATE TABLE points_lots (
  id           BIGINT PRIMARY KEY,
  user_id      BIGINT NOT NULL,
  amount       BIGINT NOT NULL,
  remaining    BIGINT NOT NULL,
  spent        BIGINT NOT NULL DEFAULT 0,
  status       TEXT NOT NULL,
  available_at BIGINT NOT NULL,
  expires_at   BIGINT,
  source       TEXT NOT NULL,
  source_ref   TEXT NOT NULL DEFAULT '',
  created_at   BIGINT NOT NULL
);
CREATE INDEX points_lots_user ON points_lots (user_id, status, expires_at);
CREATE INDEX points_lots_source ON points_lots (user_id, source_ref);
CREATE INDEX points_lots_release ON points_lots (status, available_at);
CREATE INDEX points_lots_expiry ON points_lots (status, expires_at);

-- kind: earn | release | spend | expire | reverse | check_in.
-- `available_change` and `pending_change` are the signed changes of the two
-- balances; the *_after columns are the balances after the entry.
CREATE TABLE points_entries (
  id               BIGINT PRIMARY KEY,
  user_id          BIGINT NOT NULL,
  kind             TEXT NOT NULL,
  available_change BIGINT NOT NULL,
  pending_change   BIGINT NOT NULL,
  available_after  BIGINT NOT NULL,
  pending_after    BIGINT NOT NULL,
  lot_id           BIGINT,
  reason           TEXT NOT NULL DEFAULT '',
  source           TEXT NOT NULL DEFAULT '',
  source_ref       TEXT NOT NULL DEFAULT '',
  at               BIGINT NOT NULL
);
CREATE INDEX points_entries_user ON points_entries (user_id, id);

-- Stored value (储值): principal (money paid in) and bonus (given by a plan)
-- are kept apart; neither can go below zero.
CREATE TABLE stored_value_plans (
  id         BIGINT PRIMARY KEY,
  name       TEXT NOT NULL,
  pay        BIGINT NOT NULL,
  bonus      BIGINT NOT NULL,
  status     TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

CREATE TABLE stored_value_accounts (
  user_id    BIGINT PRIMARY KEY REFERENCES users (id),
  principal  BIGINT NOT NULL CHECK (principal >= 0),
  bonus      BIGINT NOT NULL CHECK (bonus >= 0),
  updated_at BIGINT NOT NULL
);

-- kind: recharge | pay | refund | recharge_refund.
CREATE TABLE stored_value_entries (
  id               BIGINT PRIMARY KEY,
  user_id          BIGINT NOT NULL,
  kind             TEXT NOT NULL,
  principal_change BIGINT NOT NULL,
  bonus_change     BIGINT NOT NULL,
  principal_after  BIGINT NOT NULL,
  bonus_after      BIGINT NOT NULL,
  order_id         TEXT NOT NULL DEFAULT '',
  payment_ref      TEXT NOT NULL DEFAULT '',
  plan_id          BIGINT,
  reason           TEXT NOT NULL DEFAULT '',
  at               BIGINT NOT NULL
);
CREATE INDEX stored_value_entries_user ON stored_value_entries (user_id, id);
CREATE INDEX stored_value_entries_order ON stored_value_entries (user_id, order_id);
CREATE INDEX stored_value_entries_payment ON stored_value_entries (user_id, payment_ref);
-- A mall payment recharges once and is refunded once, whatever races.
CREATE UNIQUE INDEX stored_value_recharged_once ON stored_value_entries (payment_ref)
  WHERE kind = 'recharge';
CREATE UNIQUE INDEX stored_value_refunded_once ON stored_value_entries (payment_ref)
  WHERE kind = 'recharge_refund';

-- One check-in per member per business day; the primary key refuses a second.
CREATE TABLE check_ins (
  user_id BIGINT NOT NULL,
  day     TEXT NOT NULL,
  streak  INTEGER NOT NULL,
  points  BIGINT NOT NULL,
  at      BIGINT NOT NULL,
  PRIMARY KEY (user_id, day)
);
