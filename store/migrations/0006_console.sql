-- 0006: the console: server-side sessions, one-time CSRF nonces, login
-- throttling, the console's signing key, and the knowledge base with its
-- history and the articles agents pin to cases.

-- The last TOTP time step a user signed in with: a code is accepted once.
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;

-- Sessions live on the server; the browser holds a random token whose
-- SHA-256 is the key here, so a copy of the database opens no session.
-- mfa_pending marks a session that passed the password but still owes its
-- second factor (or its enrolment) and may do nothing else.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at {{time}} NOT NULL,
    last_seen_at {{time}} NOT NULL,
    expires_at {{time}} NOT NULL,
    mfa_pending BOOLEAN NOT NULL DEFAULT FALSE,
    lang TEXT NOT NULL DEFAULT '' CHECK (lang IN ('', 'it', 'en')),
    remote TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Every CSRF token carries a nonce that is spent when a form is accepted;
-- a replayed token finds its nonce here and is refused. Rows go when the
-- token could no longer be valid anyway.
CREATE TABLE csrf_nonces (
    nonce TEXT PRIMARY KEY,
    expires_at {{time}} NOT NULL
);
CREATE INDEX csrf_nonces_expires ON csrf_nonces (expires_at);

-- Failed logins, counted per username and per client address over a
-- sliding window to slow down password guessing.
CREATE TABLE login_failures (
    id {{id}},
    at {{time}} NOT NULL,
    username TEXT NOT NULL,
    remote TEXT NOT NULL
);
CREATE INDEX login_failures_user ON login_failures (username, at);
CREATE INDEX login_failures_remote ON login_failures (remote, at);

-- Keys the console signs tokens with, shared by every instance.
CREATE TABLE console_keys (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at {{time}} NOT NULL
);

-- Knowledge-base articles: the current text and status; every change
-- (edit, publish, retire) adds a numbered revision with the full text.
CREATE TABLE kb_articles (
    id {{id}},
    slug TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'retired')),
    version INTEGER NOT NULL DEFAULT 1,
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE kb_revisions (
    id {{id}},
    article_id BIGINT NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    topic TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '',
    comment TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (article_id, version)
);

-- The article (and its version) an agent used to answer a case.
CREATE TABLE kb_pins (
    id {{id}},
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    article_id BIGINT NOT NULL REFERENCES kb_articles(id),
    version INTEGER NOT NULL,
    pinned_by TEXT NOT NULL,
    pinned_at {{time}} NOT NULL,
    UNIQUE (case_id, article_id)
);
CREATE INDEX kb_pins_article ON kb_pins (article_id);
