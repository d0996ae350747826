-- The consumption values (Sheth, Newman and Gross) as motivation system tags
-- (docs/analytics.md, "Consumption values"); a user may hold several.
INSERT INTO tag_groups (id, name, description, kind, created_at, updated_at) VALUES
  (7, 'sys:motivation', 'Consumption values (computed)', 'system', 0, 0);

INSERT INTO tags (id, group_id, name, description, kind, created_at, updated_at) VALUES
  (701, 7, 'functional', '', 'system', 0, 0),
  (702, 7, 'social', '', 'system', 0, 0),
  (703, 7, 'emotional', '', 'system', 0, 0),
  (704, 7, 'epistemic', '', 'system', 0, 0),
  (705, 7, 'conditional', '', 'system', 0, 0);
