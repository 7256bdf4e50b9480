-- The Message-ID, Reply-To and attachment count in the summary, for the API's list
-- (Mailpit shows them per row). Messages stored before this show no Message-ID or
-- Reply-To, and 1 attachment if they have any, until they are imported again.
ALTER TABLE messages ADD COLUMN message_id  TEXT;
ALTER TABLE messages ADD COLUMN reply_to    TEXT    NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN attachments INTEGER NOT NULL DEFAULT 0;
UPDATE messages SET attachments = 1 WHERE has_attachments;
