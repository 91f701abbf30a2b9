-- 0003: versioned IVR flows and the operating mode.

-- Every flow ever applied, kept for rollback and diff. Versions only grow.
CREATE TABLE ivr_flows (
    version {{id}},
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    checksum TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    created_by TEXT NOT NULL
);

-- The one active version; switching it is one UPDATE, so every new call
-- sees either the old flow or the new one, never a mix.
CREATE TABLE ivr_active (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL REFERENCES ivr_flows(version),
    activated_at {{time}} NOT NULL,
    activated_by TEXT NOT NULL
);

-- Operating-mode changes, newest last. The mode in force is the newest
-- change whose `until` has not passed; with none, the calendar decides
-- (ordinary hours).
CREATE TABLE mode_changes (
    id {{id}},
    mode TEXT NOT NULL CHECK (mode IN ('ordinary', 'emergency', 'closed')),
    reason TEXT NOT NULL,
    until_at {{time}},
    set_by TEXT NOT NULL,
    set_at {{time}} NOT NULL
);
CREATE INDEX mode_changes_set_at ON mode_changes (set_at);
