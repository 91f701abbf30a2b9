-- 0013: case work. A case has an owner (a console user name; '' is
-- nobody), a due time and the moment an operator first answered it. The
-- due time comes from the channel's response time in working hours
-- (case_slas, 0 for none), counted on the site's calendar when the case
-- opens; cases opened before this migration have none. Admins keep canned
-- replies: a text in one language that fills the operator's text of an email template.
ALTER TABLE cases ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN due_at {{time}};
ALTER TABLE cases ADD COLUMN answered_at {{time}};

-- The case list filters and pages in SQL: these keep its usual questions
-- (open cases newest first, mine, by due time, by channel or category)
-- on an index.
CREATE INDEX cases_status_created ON cases (status, created_at);
CREATE INDEX cases_owner ON cases (owner, status, created_at);
CREATE INDEX cases_due ON cases (status, due_at);
CREATE INDEX cases_channel ON cases (channel, created_at);
CREATE INDEX cases_category ON cases (category, created_at);

CREATE TABLE case_slas (
    channel TEXT PRIMARY KEY CHECK (channel IN ('phone', 'fax', 'web', 'email')),
    working_hours INTEGER NOT NULL CHECK (working_hours >= 0 AND working_hours <= 720),
    updated_by TEXT NOT NULL DEFAULT '',
    updated_at {{time}}
);
INSERT INTO case_slas (channel, working_hours) VALUES ('email', 8), ('web', 8), ('fax', 8), ('phone', 0);

CREATE TABLE canned_replies (
    id {{id}},
    title TEXT NOT NULL,
    lang TEXT NOT NULL CHECK (lang IN ('it', 'en')),
    template TEXT NOT NULL,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);
CREATE UNIQUE INDEX canned_replies_title ON canned_replies (lang, title);
