-- Finding mail: a search index split by role, exact addresses, tags, pins, listeners.
--
-- The old one-column-per-kind index goes; everything here is rebuilt from the raw bytes,
-- because `fts_upto` goes back to 0 (the writer's catch-up re-indexes in the background).
DROP TRIGGER messages_fts_delete;
DROP TABLE messages_fts;

-- Words, by role. CJK characters are indexed one per token (`message::index`), headers
-- as marked words, and what never changes about a message (attachment, AUTH user,
-- listener) as facet tokens. Contentless: the words are not stored twice.
-- Prefix indexes for 2 and 3 characters: the search box searches as you type, and `re`
-- alone would otherwise merge the lists of every word starting with it.
CREATE VIRTUAL TABLE message_text USING fts5(
    subject, sender, to_rcpt, cc_rcpt, bcc_rcpt, reply_to, body, files, headers, facets,
    content = '', contentless_delete = 1, prefix = '2 3',
    tokenize = "unicode61 remove_diacritics 2 categories 'L* N* Co Mc Mn'"
);

-- Whole addresses (lowercased) by role, for `to:bob@example.com` meaning exactly that.
-- Roles: 1 From, 2 To, 3 Cc, 4 Bcc (envelope recipients not in To or Cc), 5 Reply-To,
-- 6 MAIL FROM, 7 RCPT TO, 8 Message-ID.
CREATE TABLE message_addresses (
    address    TEXT    NOT NULL,
    role       INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    PRIMARY KEY (address, role, message_id)
) WITHOUT ROWID;
CREATE INDEX message_addresses_message ON message_addresses(message_id);

-- Tags, lowercased (`message::normalize_tag`).
CREATE TABLE message_tags (
    tag        TEXT    NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    PRIMARY KEY (tag, message_id)
) WITHOUT ROWID;
CREATE INDEX message_tags_message ON message_tags(message_id);

CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    DELETE FROM message_text WHERE rowid = old.id;
    DELETE FROM message_addresses WHERE message_id = old.id;
END;

-- A pinned message survives retention and Clear all.
ALTER TABLE messages ADD COLUMN pinned     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN has_inline INTEGER NOT NULL DEFAULT 0;
-- The name of the listener that took the message; older mail came in on the default one.
ALTER TABLE messages ADD COLUMN listener   TEXT    NOT NULL DEFAULT 'default';
CREATE INDEX messages_pinned ON messages(id) WHERE pinned = 1;

-- Read state beside each recipient row, so the sidebar counts every inbox's unread mail from
-- one index alone instead of visiting every message.
ALTER TABLE recipients ADD COLUMN read INTEGER NOT NULL DEFAULT 0;
UPDATE recipients SET read = 1 WHERE message_id IN (SELECT id FROM messages WHERE read = 1);
DROP INDEX recipients_address;
CREATE INDEX recipients_inbox ON recipients(address, read, message_id);

UPDATE meta SET value = 0 WHERE key = 'fts_upto';
