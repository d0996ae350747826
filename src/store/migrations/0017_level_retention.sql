-- Level retention after recycling: of the members above level 1 before a
-- recycle run, how many kept their level.
ALTER TABLE level_recycles ADD COLUMN above_first BIGINT NOT NULL DEFAULT 0;
ALTER TABLE level_recycles ADD COLUMN kept BIGINT NOT NULL DEFAULT 0;
