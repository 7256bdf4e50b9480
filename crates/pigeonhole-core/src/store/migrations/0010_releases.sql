-- Every release of a message to a real SMTP server, with the reply that ended it, so the
-- window and the CLI can show what the server said. Deleted with the message.
CREATE TABLE releases (
    id            INTEGER PRIMARY KEY,
    message_id    INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,             -- unix ms
    server        TEXT    NOT NULL,             -- host:port
    tls           TEXT    NOT NULL,             -- none | starttls | tls
    mail_from     TEXT    NOT NULL,
    recipients    TEXT    NOT NULL,             -- JSON [address]
    ok            INTEGER NOT NULL,
    stage         TEXT    NOT NULL,             -- where it ended: connect ... message
    recipient     TEXT,                         -- the one a RCPT refusal names
    code          INTEGER,                      -- NULL when no reply came
    enhanced_code TEXT,
    text          TEXT    NOT NULL
);
CREATE INDEX releases_message ON releases(message_id);
