-- Nothing looks messages up by session id, and every insert paid for this index.
DROP INDEX messages_session;
