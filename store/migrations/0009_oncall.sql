-- 0009: on-call rosters and emergency activations (issue 8). Written once
-- for both engines; {{id}} and {{time}} are expanded by dialect.go.

-- Every roster ever imported, as the canonical YAML the oncall package
-- writes (phones already in E.164). The newest is in force; an activation
-- names the version it called, so its report can always say who was on it.
CREATE TABLE oncall_rosters (
    version {{id}},
    source TEXT NOT NULL,
    checksum TEXT NOT NULL,
    people INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    created_by TEXT NOT NULL
);

-- An activation: the Department's request, the quorum it needs, and how
-- far the call-out has come. state running → quorum | exhausted → closed.
-- At most one real and one drill (exercise) activation are open at once.
-- runner/lease_until name the serve process calling for it, so two
-- processes never call the same people and a dead one is replaced.
CREATE TABLE activations (
    id {{id}},
    event TEXT NOT NULL,
    event_ref TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL,
    reason TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    exercise BOOLEAN NOT NULL DEFAULT FALSE,
    quorum INTEGER NOT NULL CHECK (quorum > 0),
    roster_version BIGINT NOT NULL REFERENCES oncall_rosters(version),
    policy TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'quorum', 'exhausted', 'closed')),
    opened_at {{time}} NOT NULL,
    quorum_at {{time}},
    exhausted_at {{time}},
    closed_at {{time}},
    closed_by TEXT NOT NULL DEFAULT '',
    mode_change_id BIGINT REFERENCES mode_changes(id),
    runner TEXT NOT NULL DEFAULT '',
    lease_until {{time}}
);
CREATE UNIQUE INDEX activations_one_open ON activations (exercise) WHERE closed_at IS NULL;

-- The waves of an activation, frozen from the roster when it opened.
CREATE TABLE activation_waves (
    activation_id BIGINT NOT NULL REFERENCES activations(id) ON DELETE CASCADE,
    wave INTEGER NOT NULL,
    name TEXT NOT NULL,
    wait_s INTEGER NOT NULL,
    started_at {{time}},
    PRIMARY KEY (activation_id, wave)
);

-- The people an activation calls, copied from the roster when it opened
-- (a roster edited during an emergency changes nobody's call). status is
-- waiting (not called yet, or waiting for a retry), confirmed, declined or
-- unreachable; a call in progress is an attempt without ended_at. token is
-- the secret of the person's confirmation link.
CREATE TABLE activation_people (
    id {{id}},
    activation_id BIGINT NOT NULL REFERENCES activations(id) ON DELETE CASCADE,
    person TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    site TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('operator', 'coordinator')),
    username TEXT NOT NULL DEFAULT '',
    wave INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'confirmed', 'declined', 'unreachable')),
    attempts INTEGER NOT NULL DEFAULT 0,
    refusals INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{time}},
    eta_min INTEGER NOT NULL DEFAULT -1,
    answered_at {{time}},
    confirmed_at {{time}},
    confirmed_via TEXT NOT NULL DEFAULT '',
    declined_at {{time}},
    arrived_at {{time}},
    notified_at {{time}},
    token TEXT NOT NULL UNIQUE,
    UNIQUE (activation_id, person)
);
CREATE INDEX activation_people_username ON activation_people (username);

-- Every attempt to reach a person: a phone call, an email, an SMS.
-- result: confirmed, declined, busy, no-answer, unreachable, refused,
-- no-input, hung-up, interrupted, error (phone); queued, sent, failed
-- (email, SMS).
CREATE TABLE activation_attempts (
    id {{id}},
    activation_id BIGINT NOT NULL REFERENCES activations(id) ON DELETE CASCADE,
    person_id BIGINT NOT NULL REFERENCES activation_people(id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('phone', 'email', 'sms')),
    started_at {{time}} NOT NULL,
    ended_at {{time}},
    result TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX activation_attempts_act ON activation_attempts (activation_id, started_at);

-- An activation's timeline is its audit entries (object activation:ID).
CREATE INDEX audit_log_object ON audit_log (object, at);
