-- Sessions: one row per SMTP connection, also those that sent no message.
CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY,
    peer           TEXT    NOT NULL,
    local          TEXT    NOT NULL,
    started_at     INTEGER NOT NULL,           -- unix ms
    ended_at       INTEGER,
    helo           TEXT,
    tls_version    TEXT,
    tls_cipher     TEXT,
    auth_mechanism TEXT,
    auth_user      TEXT,
    message_count  INTEGER NOT NULL DEFAULT 0,
    last_code      INTEGER,
    line_count     INTEGER NOT NULL DEFAULT 0
);

-- Transcript lines, appended in chunks (JSON arrays) as the session goes on, so a long
-- session is never rewritten.
CREATE TABLE transcript_chunks (
    session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    first_line INTEGER NOT NULL,
    lines      TEXT    NOT NULL,
    PRIMARY KEY (session_id, first_line)
) WITHOUT ROWID;

CREATE TABLE messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id       INTEGER NOT NULL REFERENCES sessions(id),
    received_at      INTEGER NOT NULL,         -- unix ms
    mail_from        TEXT    NOT NULL,
    mail_params      TEXT    NOT NULL,         -- JSON [[key, value], ...]
    rcpt_to          TEXT    NOT NULL,         -- JSON [{address, params}, ...]
    from_addr        TEXT,                     -- JSON Address
    to_addrs         TEXT    NOT NULL,         -- JSON [Address]
    cc_addrs         TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    date             INTEGER,                  -- the Date header, unix ms
    size             INTEGER NOT NULL,
    has_attachments  INTEGER NOT NULL,
    snippet          TEXT    NOT NULL,
    read             INTEGER NOT NULL DEFAULT 0,
    transcript_first INTEGER NOT NULL,
    transcript_end   INTEGER NOT NULL,
    auth_user        TEXT
);
CREATE INDEX messages_session ON messages(session_id);

-- The exact bytes, apart from the summary so list queries never page through blobs.
CREATE TABLE message_raw (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    raw        BLOB NOT NULL
);

-- Envelope recipients, one row each: the inboxes.
CREATE TABLE recipients (
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    address    TEXT    NOT NULL COLLATE NOCASE
);
CREATE INDEX recipients_address ON recipients(address, message_id);
CREATE INDEX recipients_message ON recipients(message_id);

CREATE VIRTUAL TABLE messages_fts USING fts5(
    subject, addresses, body,
    content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = old.id;
END;
