-- What went wrong in a session (see `model::SessionSummary`), so the Sessions view can mark
-- and filter sessions that were refused, broken off or failed TLS or AUTH. Older sessions
-- read as clean: their problems were never counted.
ALTER TABLE sessions ADD COLUMN refusals         INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN aborted_messages INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN tls_failed       INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN auth_failures    INTEGER NOT NULL DEFAULT 0;
