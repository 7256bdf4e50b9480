-- Full-text indexing happens after the commit that acknowledges a message, in batches.
-- `fts_upto` is the highest message id known to be indexed; on startup everything above it
-- is indexed again from the raw bytes, so a crash never leaves mail unsearchable.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) SELECT 'fts_upto', COALESCE(MAX(id), 0) FROM messages;
