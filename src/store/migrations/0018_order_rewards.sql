-- Order rewards: one row per rewarded order, so an order is rewarded once
-- even when two requests for it arrive together (the primary key decides).
-- status: rewarded | taken_back.
CREATE TABLE order_rewards (
  user_id  BIGINT NOT NULL REFERENCES users (id),
  order_id TEXT NOT NULL,
  points   BIGINT NOT NULL,
  growth   BIGINT NOT NULL,
  status   TEXT NOT NULL,
  at       BIGINT NOT NULL,
  PRIMARY KEY (user_id, order_id)
);
