-- The points mall: items bought with points, how many each member took
-- (the per-member limit's guard), and every redemption.
CREATE TABLE points_mall_items (
  id                 BIGINT PRIMARY KEY,
  name               TEXT NOT NULL,
  kind               TEXT NOT NULL,
  coupon_template_id BIGINT REFERENCES coupon_templates (id),
  points_price       BIGINT NOT NULL,
  stock              BIGINT,
  per_member_limit   INTEGER,
  redeemed           BIGINT NOT NULL DEFAULT 0,
  status             TEXT NOT NULL,
  created_at         BIGINT NOT NULL,
  updated_at         BIGINT NOT NULL
);

CREATE TABLE points_mall_counts (
  item_id BIGINT NOT NULL,
  user_id BIGINT NOT NULL,
  n       INTEGER NOT NULL,
  PRIMARY KEY (item_id, user_id)
);

CREATE TABLE points_mall_redemptions (
  id        BIGINT PRIMARY KEY,
  item_id   BIGINT NOT NULL REFERENCES points_mall_items (id),
  user_id   BIGINT NOT NULL,
  points    BIGINT NOT NULL,
  coupon_id BIGINT,
  at        BIGINT NOT NULL
);
CREATE INDEX points_mall_redemptions_user ON points_mall_redemptions (user_id, id);
