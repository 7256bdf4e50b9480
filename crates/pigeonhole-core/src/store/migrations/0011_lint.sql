-- Lint findings, worked out after the ack from the raw bytes (`lint::check`), so they are
-- derived like the search index: `lint_upto` is the highest message id linted in order, and
-- `lint_version` the version of the checks that did it; a newer version lints everything
-- again in the background.
CREATE TABLE message_lint (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,            -- lint::VERSION that made it
    report     TEXT    NOT NULL             -- JSON LintReport
);

-- One row per (check, message) that found something, for `lint:bare-lf` and `has:lint`.
CREATE TABLE message_lint_checks (
    check_id   TEXT    NOT NULL,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    severity   INTEGER NOT NULL,             -- 0 error, 1 warning, 2 info
    PRIMARY KEY (check_id, message_id)
) WITHOUT ROWID;
CREATE INDEX message_lint_checks_message ON message_lint_checks(message_id);

-- Counts for the list's badge.
ALTER TABLE messages ADD COLUMN lint_errors   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN lint_warnings INTEGER NOT NULL DEFAULT 0;

INSERT INTO meta (key, value) VALUES ('lint_upto', 0);
INSERT INTO meta (key, value) VALUES ('lint_version', 0);
