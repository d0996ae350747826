-- The member / non-member system tags (docs/analytics.md, "System tags"):
-- a user is a member from their first growth entry or paid purchase, as the
-- membership metrics count them.
INSERT INTO tag_groups (id, name, description, kind, created_at, updated_at) VALUES
  (6, 'sys:member', 'Member or not (computed)', 'system', 0, 0);

INSERT INTO tags (id, group_id, name, description, kind, created_at, updated_at) VALUES
  (601, 6, 'member', '', 'system', 0, 0),
  (602, 6, 'non_member', '', 'system', 0, 0);
