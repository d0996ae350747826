-- The facts' version (profiles::Facts::Version) reads the latest user update;
-- the index keeps that a lookup instead of a scan of every user.
CREATE INDEX users_updated ON users (updated_at);
CREATE INDEX user_tags_tagged ON user_tags (tagged_at);
