-- 0007: intake — the public form, email in and out, fax. Written once for
-- both engines; {{id}}, {{time}} and {{blob}} are expanded by dialect.go.

-- Every email that entered or left a case, by its Message-ID: replies
-- thread by In-Reply-To/References through this table, and a message that
-- arrives twice (an IMAP re-poll after a crash, an SMTP client retrying
-- after a lost reply) is recognised by (direction, message_id).
CREATE TABLE mail_messages (
    id {{id}},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    contact_id BIGINT REFERENCES case_contacts(id) ON DELETE SET NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    message_id TEXT NOT NULL,
    in_reply_to TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    from_addr TEXT NOT NULL DEFAULT '',
    to_addr TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'mail' CHECK (kind IN ('mail', 'auto-reply', 'bounce')),
    created_at {{time}} NOT NULL,
    UNIQUE (direction, message_id)
);
CREATE INDEX mail_messages_case ON mail_messages (case_id);
CREATE INDEX mail_messages_msgid ON mail_messages (message_id);

-- The durable outbox: a message is written here in the transaction that
-- decides to send it, and leaves only when the relay has accepted it
-- (state sent) or refused it for good (failed, bounced). raw holds the
-- exact bytes handed to the relay, so a retry sends the same message with
-- the same Message-ID. lease_until marks a message a worker is sending;
-- a worker that died leaves a lease that simply expires.
CREATE TABLE outbox (
    id {{id}},
    case_id BIGINT REFERENCES cases(id),
    contact_id BIGINT REFERENCES case_contacts(id) ON DELETE SET NULL,
    message_id TEXT NOT NULL UNIQUE,
    template TEXT NOT NULL DEFAULT '',
    mail_from TEXT NOT NULL,
    rcpt_to TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    raw {{blob}} NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed', 'bounced')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{time}} NOT NULL,
    lease_until {{time}},
    last_error TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    sent_at {{time}}
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
CREATE INDEX outbox_case ON outbox (case_id);

-- Cases an operator must look at before trusting them: a fax that did not
-- decode, a mail whose MIME was broken, a tracking id that named no case.
CREATE TABLE case_reviews (
    id {{id}},
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    created_at {{time}} NOT NULL,
    resolved_at {{time}},
    resolved_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_reviews_case ON case_reviews (case_id);

-- Faxes handed over by the ARI controller, kept until they are a case: the
-- controller's goroutine only inserts the row, a worker converts the TIFF
-- and opens the case, and a restart picks up whatever was pending.
CREATE TABLE fax_jobs (
    id {{id}},
    channel_id TEXT NOT NULL UNIQUE,
    call_id BIGINT REFERENCES calls(id),
    caller TEXT NOT NULL DEFAULT '',
    called TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL DEFAULT '',
    pages INTEGER NOT NULL DEFAULT 0,
    remote_station TEXT NOT NULL DEFAULT '',
    file TEXT NOT NULL DEFAULT '',
    received_at {{time}} NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    case_id BIGINT REFERENCES cases(id)
);
CREATE INDEX fax_jobs_pending ON fax_jobs (state, id);
