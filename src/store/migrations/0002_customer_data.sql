-- Customer data: the catalog (stores, categories, products), users, orders with
-- items and status history, behaviour events, tags, and import runs.
--
-- Everything that arrives from the mall is keyed by the mall's own id
-- (source_id / external_id, UNIQUE), which makes ingestion idempotent. Orders
-- and events refer to catalog entries by those mall ids (TEXT), so facts may
-- arrive before the catalog does. Money is BIGINT minor units plus a currency.

CREATE TABLE stores (
  id          BIGINT PRIMARY KEY,
  source_id   TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  city        TEXT,
  province    TEXT,
  is_platform INTEGER NOT NULL DEFAULT 0,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

CREATE TABLE categories (
  id               BIGINT PRIMARY KEY,
  source_id        TEXT NOT NULL UNIQUE,
  name             TEXT NOT NULL,
  name_en          TEXT,
  parent_source_id TEXT,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL
);

CREATE TABLE products (
  id                 BIGINT PRIMARY KEY,
  source_id          TEXT NOT NULL UNIQUE,
  name               TEXT NOT NULL,
  category_source_id TEXT,
  store_source_id    TEXT,
  price_minor        BIGINT,
  currency           TEXT,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL
);

CREATE TABLE users (
  id             BIGINT PRIMARY KEY,
  external_id    TEXT NOT NULL UNIQUE,
  phone          TEXT,
  name           TEXT,
  gender         TEXT,
  birthday       TEXT,
  city           TEXT,
  province       TEXT,
  occupation     TEXT,
  education      TEXT,
  registered_at  BIGINT,
  source_channel TEXT,
  referrer_id    BIGINT,
  attributes     TEXT,
  is_bare        INTEGER NOT NULL DEFAULT 0,
  erased_at      BIGINT,
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);
CREATE INDEX users_phone ON users (phone);
CREATE INDEX users_name ON users (name);
CREATE INDEX users_city ON users (city, id);
CREATE INDEX users_referrer ON users (referrer_id);

CREATE TABLE orders (
  id               BIGINT PRIMARY KEY,
  source_id        TEXT NOT NULL UNIQUE,
  user_id          BIGINT NOT NULL REFERENCES users (id),
  store_source_id  TEXT,
  city             TEXT,
  province         TEXT,
  channel          TEXT,
  currency         TEXT NOT NULL,
  goods_minor      BIGINT NOT NULL,
  discount_minor   BIGINT NOT NULL,
  shipping_minor   BIGINT NOT NULL,
  paid_minor       BIGINT NOT NULL,
  refunded_minor   BIGINT NOT NULL DEFAULT 0,
  coupon_codes     TEXT,
  status           TEXT NOT NULL,
  placed_at        BIGINT NOT NULL,
  paid_at          BIGINT,
  completed_at     BIGINT,
  cancelled_at     BIGINT,
  refunded_at      BIGINT,
  ingested_at      BIGINT NOT NULL
);
CREATE INDEX orders_user_placed ON orders (user_id, placed_at);
CREATE INDEX orders_paid_at ON orders (paid_at);

CREATE TABLE order_items (
  id                 BIGINT PRIMARY KEY,
  order_id           BIGINT NOT NULL REFERENCES orders (id),
  line_no            INTEGER NOT NULL,
  sku                TEXT NOT NULL,
  product_name       TEXT,
  category_source_id TEXT,
  store_source_id    TEXT,
  quantity           BIGINT NOT NULL,
  unit_price_minor   BIGINT NOT NULL,
  paid_minor         BIGINT NOT NULL,
  refunded_quantity  BIGINT NOT NULL DEFAULT 0,
  refunded_minor     BIGINT NOT NULL DEFAULT 0,
  UNIQUE (order_id, line_no)
);

-- One row per status step. source_id is the update's own id (NULL for the
-- steps an order carried when it was created).
CREATE TABLE order_status_history (
  id           BIGINT PRIMARY KEY,
  order_id     BIGINT NOT NULL REFERENCES orders (id),
  source_id    TEXT UNIQUE,
  status       TEXT NOT NULL,
  at           BIGINT NOT NULL,
  refund_minor BIGINT NOT NULL DEFAULT 0,
  detail       TEXT
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, at);

-- Status updates that arrived before their order; applied when it comes.
CREATE TABLE held_order_updates (
  id              BIGINT PRIMARY KEY,
  source_id       TEXT NOT NULL UNIQUE,
  order_source_id TEXT NOT NULL,
  payload         TEXT NOT NULL,
  received_at     BIGINT NOT NULL
);
CREATE INDEX held_order_updates_order ON held_order_updates (order_source_id);

CREATE TABLE events (
  id                 BIGINT PRIMARY KEY,
  source_id          TEXT NOT NULL UNIQUE,
  user_id            BIGINT NOT NULL REFERENCES users (id),
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
CREATE INDEX events_user_time ON events (user_id, occurred_at);

-- Tags: manual ones (operators) and system ones (computed) side by side.
CREATE TABLE tag_groups (
  id          BIGINT PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  kind        TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL
);

CREATE TABLE tags (
  id          BIGINT PRIMARY KEY,
  group_id    BIGINT NOT NULL REFERENCES tag_groups (id),
  name        TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  kind        TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  updated_at  BIGINT NOT NULL,
  UNIQUE (group_id, name)
);

CREATE TABLE user_tags (
  user_id   BIGINT NOT NULL REFERENCES users (id),
  tag_id    BIGINT NOT NULL REFERENCES tags (id),
  source    TEXT NOT NULL,
  tagged_at BIGINT NOT NULL,
  tagged_by TEXT NOT NULL,
  PRIMARY KEY (user_id, tag_id)
);
CREATE INDEX user_tags_tag ON user_tags (tag_id, user_id);

CREATE TABLE import_runs (
  id             BIGINT PRIMARY KEY,
  kind           TEXT NOT NULL,
  source         TEXT NOT NULL,
  status         TEXT NOT NULL,
  started_at     BIGINT NOT NULL,
  finished_at    BIGINT,
  started_by     TEXT NOT NULL,
  rows_read      BIGINT NOT NULL DEFAULT 0,
  rows_accepted  BIGINT NOT NULL DEFAULT 0,
  rows_duplicate BIGINT NOT NULL DEFAULT 0,
  rows_held      BIGINT NOT NULL DEFAULT 0,
  rows_rejected  BIGINT NOT NULL DEFAULT 0,
  rejects        TEXT,
  summary        TEXT,
  error          TEXT
);
