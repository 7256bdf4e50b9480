-- Unread counts run after every batch of arrivals; a partial index makes them an index-only
-- count instead of a scan of every message row.
CREATE INDEX messages_unread ON messages(id) WHERE read = 0;
