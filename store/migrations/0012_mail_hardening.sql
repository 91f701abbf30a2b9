-- 0012: mail hardening.
--
-- A message is known by its Message-ID and its content: a different
-- message reusing an id already seen (a broken client, or someone who wants
-- a citizen's mail dropped as a duplicate) is stored, not discarded. The
-- digest is of what the sender wrote (From, Subject, Date and the body),
-- so a retry or the same message fetched again matches, whatever the
-- relays added on the way. Rows from before have no digest ('') and match
-- any content. SQLite cannot change a table's unique key in place, so the
-- table is rebuilt; nothing refers to its ids.
CREATE TABLE mail_messages_new (
    id {{id}},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    contact_id BIGINT REFERENCES case_contacts(id) ON DELETE SET NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    message_id TEXT NOT NULL,
    content_sha256 TEXT NOT NULL DEFAULT '',
    in_reply_to TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    from_addr TEXT NOT NULL DEFAULT '',
    to_addr TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'mail' CHECK (kind IN ('mail', 'auto-reply', 'bounce')),
    created_at {{time}} NOT NULL,
    UNIQUE (direction, message_id, content_sha256)
);
INSERT INTO mail_messages_new (case_id, contact_id, direction, message_id, in_reply_to, subject, from_addr, to_addr,
    kind, created_at)
SELECT case_id, contact_id, direction, message_id, in_reply_to, subject, from_addr, to_addr, kind, created_at
FROM mail_messages ORDER BY id;
DROP TABLE mail_messages;
ALTER TABLE mail_messages_new RENAME TO mail_messages;
CREATE INDEX mail_messages_case ON mail_messages (case_id);
CREATE INDEX mail_messages_msgid ON mail_messages (message_id);

-- The outbox marks a message as being handed to the relay, in a commit of
-- its own, before the SMTP transaction starts. A message found so marked
-- after a crash may have arrived: it goes again with the same bytes and
-- Message-ID (receivers drop the copy), and the mark tells why.
ALTER TABLE outbox ADD COLUMN send_started_at {{time}};

-- Large attachments (an email's original and its files) are written in
-- pieces, so that storing a 30 MB message never holds it whole in memory.
-- Such an attachment has empty data and its bytes here, in order.
CREATE TABLE attachment_chunks (
    attachment_id BIGINT NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    data {{blob}} NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);
