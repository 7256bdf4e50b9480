-- The Message-ID and Reply-To in the summary, for the API's list (Mailpit shows both per
-- row). Messages stored before this show none until they are imported again.
ALTER TABLE messages ADD COLUMN message_id TEXT;
ALTER TABLE messages ADD COLUMN reply_to   TEXT NOT NULL DEFAULT '[]';
