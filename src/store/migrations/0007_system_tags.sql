-- System tags: groups and tags whose members the segment engine computes from
-- the models (docs/analytics.md, "System tags"). They sit beside manual tags
-- in the tag store, are listed and filtered the same way (has_tag), and
-- cannot be set by hand (system_tag_read_only). Fixed small ids: application
-- ids are time-ordered 64-bit numbers and never this small.
INSERT INTO tag_groups (id, name, description, kind, created_at, updated_at) VALUES
  (1, 'sys:lifecycle', 'Lifecycle stage (computed)', 'system', 0, 0),
  (2, 'sys:rfm', 'RFM cell (computed)', 'system', 0, 0),
  (3, 'sys:pareto', 'Pareto tier (computed)', 'system', 0, 0),
  (4, 'sys:aidees', 'AIDEES stage (computed)', 'system', 0, 0),
  (5, 'sys:customer', 'New or repeat customer (computed)', 'system', 0, 0);

INSERT INTO tags (id, group_id, name, description, kind, created_at, updated_at) VALUES
  (101, 1, 'potential', '', 'system', 0, 0),
  (102, 1, 'churned', '', 'system', 0, 0),
  (103, 1, 'silent', '', 'system', 0, 0),
  (104, 1, 'new', '', 'system', 0, 0),
  (105, 1, 'mature', '', 'system', 0, 0),
  (106, 1, 'rising', '', 'system', 0, 0),
  (107, 1, 'declining', '', 'system', 0, 0),
  (201, 2, 'important_value', '', 'system', 0, 0),
  (202, 2, 'important_development', '', 'system', 0, 0),
  (203, 2, 'important_retention', '', 'system', 0, 0),
  (204, 2, 'important_recall', '', 'system', 0, 0),
  (205, 2, 'general_value', '', 'system', 0, 0),
  (206, 2, 'general_development', '', 'system', 0, 0),
  (207, 2, 'general_retention', '', 'system', 0, 0),
  (208, 2, 'general_recall', '', 'system', 0, 0),
  (301, 3, 'head', '', 'system', 0, 0),
  (302, 3, 'waist', '', 'system', 0, 0),
  (303, 3, 'tail', '', 'system', 0, 0),
  (401, 4, 'attention', '', 'system', 0, 0),
  (402, 4, 'interest', '', 'system', 0, 0),
  (403, 4, 'desire', '', 'system', 0, 0),
  (404, 4, 'experience', '', 'system', 0, 0),
  (405, 4, 'enthusiasm', '', 'system', 0, 0),
  (406, 4, 'share', '', 'system', 0, 0),
  (501, 5, 'new_customer', '', 'system', 0, 0),
  (502, 5, 'repeat_customer', '', 'system', 0, 0);
