-- How many fault rules fired in a session (`rules`), so the Sessions view can mark the
-- sessions a rule changed. Older sessions ran before rules existed.
ALTER TABLE sessions ADD COLUMN faults INTEGER NOT NULL DEFAULT 0;
