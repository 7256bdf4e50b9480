-- The only indexes on messages were partial, so COUNT(*) read every row: 40 ms at 100 000
-- messages, paid by every status and every API list. Over this small full index SQLite
-- counts in well under a millisecond; it also serves is:read.
CREATE INDEX messages_read ON messages(read);
