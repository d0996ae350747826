-- Events keep their user by id without a foreign key: the ingest path resolves
-- (or creates) the user in the same transaction and users are never deleted
-- (an erasure blanks their personal fields). The same schema on both backends.
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_user_id_fkey;
