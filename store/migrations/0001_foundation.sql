-- 0001: the foundation schema. Written once for both engines: {{id}},
-- {{time}}, {{blob}} and {{bytewise}} are expanded by store/dialect.go.

-- Sites are the physical contact-center locations (L'Aquila, a regional
-- site opened in an emergency ...). The calendar column holds the site's
-- opening hours, patron saint's day and extra closures as JSON.
CREATE TABLE sites (
    id {{id}},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT 'Europe/Rome',
    calendar TEXT NOT NULL DEFAULT '{}',
    created_at {{time}} NOT NULL
);

CREATE TABLE users (
    id {{id}},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    email TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('agent', 'supervisor', 'opsroom', 'admin')),
    password_hash TEXT NOT NULL,
    totp_secret TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL DEFAULT 'it' CHECK (lang IN ('it', 'en')),
    site_id BIGINT REFERENCES sites(id),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);

-- Queues are run by ascolto's own ACD, not by Asterisk's app_queue.
-- overflow is '' (none), 'queue:NAME', 'record' or 'callback'.
CREATE TABLE queues (
    id {{id}},
    name TEXT NOT NULL UNIQUE,
    site_id BIGINT REFERENCES sites(id),
    strategy TEXT NOT NULL DEFAULT 'longest-idle'
        CHECK (strategy IN ('longest-idle', 'round-robin', 'ring-all', 'fewest-calls', 'random')),
    ring_timeout_s INTEGER NOT NULL DEFAULT 15 CHECK (ring_timeout_s > 0),
    wrapup_s INTEGER NOT NULL DEFAULT 30 CHECK (wrapup_s >= 0),
    max_wait_s INTEGER NOT NULL DEFAULT 0 CHECK (max_wait_s >= 0),
    max_len INTEGER NOT NULL DEFAULT 0 CHECK (max_len >= 0),
    overflow TEXT NOT NULL DEFAULT '',
    announce_s INTEGER NOT NULL DEFAULT 60 CHECK (announce_s >= 0),
    sl_percent INTEGER NOT NULL DEFAULT 80 CHECK (sl_percent BETWEEN 1 AND 100),
    sl_seconds INTEGER NOT NULL DEFAULT 20 CHECK (sl_seconds > 0),
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);

-- Agents are the seats that take calls: an extension and the Asterisk
-- endpoint that rings for it (PJSIP/101: a WebRTC softphone or a desk phone).
CREATE TABLE agents (
    id {{id}},
    extension TEXT NOT NULL UNIQUE,
    endpoint TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    user_id BIGINT UNIQUE REFERENCES users(id),
    site_id BIGINT REFERENCES sites(id),
    created_at {{time}} NOT NULL
);

-- An agent belongs to several queues, each with a penalty (lower first).
CREATE TABLE queue_members (
    queue_id BIGINT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
    agent_id BIGINT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    penalty INTEGER NOT NULL DEFAULT 0 CHECK (penalty >= 0),
    PRIMARY KEY (queue_id, agent_id)
);

-- Configurable vocabularies, seeded from the civil-protection code
-- (D.Lgs. 1/2018 art. 16) and the seed's caller types.
CREATE TABLE categories (
    code TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('risk', 'service')),
    label_it TEXT NOT NULL,
    label_en TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    sort INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE outcomes (
    code TEXT PRIMARY KEY,
    label_it TEXT NOT NULL,
    label_en TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    sort INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE caller_types (
    code TEXT PRIMARY KEY,
    label_it TEXT NOT NULL,
    label_en TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    sort INTEGER NOT NULL DEFAULT 0
);

-- ISTAT geography. Comuni are soft-referenced by code elsewhere: the list
-- changes twice a year and a merged comune must not orphan old cases.
CREATE TABLE regioni (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE province (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    sigla TEXT NOT NULL DEFAULT '',
    regione_code TEXT NOT NULL REFERENCES regioni(code)
);

CREATE TABLE comuni (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    name_other TEXT NOT NULL DEFAULT '',
    search_key TEXT {{bytewise}} NOT NULL,
    search_key_other TEXT {{bytewise}} NOT NULL DEFAULT '',
    provincia_code TEXT NOT NULL REFERENCES province(code),
    cadastral_code TEXT NOT NULL DEFAULT '',
    capoluogo BOOLEAN NOT NULL DEFAULT FALSE,
    population INTEGER NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX comuni_search ON comuni (search_key);
CREATE INDEX comuni_search_other ON comuni (search_key_other);
CREATE INDEX comuni_provincia ON comuni (provincia_code);

-- Cases: every contact on any channel becomes or joins one. tracking_id is
-- the human identifier a citizen quotes (CC-2026-000123), numbered per year
-- by tracking_counters.
CREATE TABLE tracking_counters (
    year INTEGER PRIMARY KEY,
    last BIGINT NOT NULL
);

CREATE TABLE cases (
    id {{id}},
    tracking_id TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL CHECK (channel IN ('phone', 'fax', 'web', 'email')),
    category TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    urgency TEXT NOT NULL DEFAULT 'none' CHECK (urgency IN ('none', 'elevated', 'rescue')),
    comune_code TEXT NOT NULL DEFAULT '',
    caller_type TEXT NOT NULL DEFAULT '',
    contact_name TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    summary TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed', 'merged')),
    merged_into BIGINT REFERENCES cases(id),
    site_id BIGINT REFERENCES sites(id),
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL,
    closed_at {{time}}
);
CREATE INDEX cases_created ON cases (created_at);
CREATE INDEX cases_comune ON cases (comune_code);
CREATE INDEX cases_phone ON cases (contact_phone);
CREATE INDEX cases_email ON cases (contact_email);
CREATE INDEX cases_open_urgent ON cases (urgency, created_at) WHERE status = 'open';

-- Calls: one row per channel that entered the Stasis application (inbound)
-- or that the controller placed (outbound: agents, callbacks, call-outs).
-- ended_at is set exactly once.
CREATE TABLE calls (
    id {{id}},
    channel_id TEXT NOT NULL UNIQUE,
    linked_id TEXT NOT NULL DEFAULT '',
    direction TEXT NOT NULL DEFAULT 'inbound' CHECK (direction IN ('inbound', 'outbound')),
    caller TEXT NOT NULL DEFAULT '',
    caller_name TEXT NOT NULL DEFAULT '',
    called TEXT NOT NULL DEFAULT '',
    site_id BIGINT REFERENCES sites(id),
    arrived_at {{time}} NOT NULL,
    answered_at {{time}},
    queued_at {{time}},
    connected_at {{time}},
    ended_at {{time}},
    queue TEXT NOT NULL DEFAULT '',
    agent TEXT NOT NULL DEFAULT '',
    wait_s INTEGER NOT NULL DEFAULT 0,
    ring_s INTEGER NOT NULL DEFAULT 0,
    talk_s INTEGER NOT NULL DEFAULT 0,
    hold_s INTEGER NOT NULL DEFAULT 0,
    wrapup_s INTEGER NOT NULL DEFAULT 0,
    ivr_path TEXT NOT NULL DEFAULT '',
    digits TEXT NOT NULL DEFAULT '',
    flow_version INTEGER NOT NULL DEFAULT 0,
    mode TEXT NOT NULL DEFAULT '',
    lang TEXT NOT NULL DEFAULT 'it',
    category TEXT NOT NULL DEFAULT '',
    urgency TEXT NOT NULL DEFAULT 'none' CHECK (urgency IN ('none', 'elevated', 'rescue')),
    outcome TEXT NOT NULL DEFAULT '',
    hangup_cause INTEGER NOT NULL DEFAULT 0,
    hangup_by TEXT NOT NULL DEFAULT '',
    case_id BIGINT REFERENCES cases(id)
);
CREATE INDEX calls_arrived ON calls (arrived_at);
CREATE INDEX calls_caller ON calls (caller);
CREATE INDEX calls_open ON calls (arrived_at) WHERE ended_at IS NULL;

-- Queue events in the shape of Asterisk's queue_log:
-- time|callid|queuename|agent|event|data1..data5.
CREATE TABLE queue_events (
    id {{id}},
    at {{time}} NOT NULL,
    call_id TEXT NOT NULL,
    queue TEXT NOT NULL,
    agent TEXT NOT NULL DEFAULT '',
    event TEXT NOT NULL,
    data1 TEXT NOT NULL DEFAULT '',
    data2 TEXT NOT NULL DEFAULT '',
    data3 TEXT NOT NULL DEFAULT '',
    data4 TEXT NOT NULL DEFAULT '',
    data5 TEXT NOT NULL DEFAULT ''
);
CREATE INDEX queue_events_queue_at ON queue_events (queue, at);
CREATE INDEX queue_events_call ON queue_events (call_id);

-- A case's timeline: calls, faxes, forms, emails in and out, notes.
CREATE TABLE case_contacts (
    id {{id}},
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    at {{time}} NOT NULL,
    channel TEXT NOT NULL CHECK (channel IN ('phone', 'fax', 'web', 'email', 'note')),
    direction TEXT NOT NULL DEFAULT 'in' CHECK (direction IN ('in', 'out', 'internal')),
    author TEXT NOT NULL DEFAULT '',
    content TEXT NOT NULL DEFAULT '',
    call_id BIGINT REFERENCES calls(id)
);
CREATE INDEX case_contacts_case ON case_contacts (case_id, at);

-- What an operator recorded about a contact, by whom, when.
CREATE TABLE dispositions (
    id {{id}},
    case_id BIGINT NOT NULL REFERENCES cases(id),
    call_id BIGINT REFERENCES calls(id),
    user_id BIGINT REFERENCES users(id),
    category TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    urgency TEXT NOT NULL DEFAULT 'none' CHECK (urgency IN ('none', 'elevated', 'rescue')),
    comune_code TEXT NOT NULL DEFAULT '',
    caller_type TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL
);
CREATE INDEX dispositions_case ON dispositions (case_id);

-- Who did what, when, from where. Append-only.
CREATE TABLE audit_log (
    id {{id}},
    at {{time}} NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}',
    remote TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
