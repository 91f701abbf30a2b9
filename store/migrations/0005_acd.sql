-- 0005: what the ACD needs beyond the foundation: a call's priority,
-- members' skill levels, callback policy per queue, agents' live state
-- (kept across restarts), commands from the CLI to the running service,
-- and the live snapshot the CLI's status view reads.

ALTER TABLE calls ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;

ALTER TABLE queue_members ADD COLUMN level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue_members ADD COLUMN emergency_only BOOLEAN NOT NULL DEFAULT FALSE;

ALTER TABLE queues ADD COLUMN callback_attempts INTEGER NOT NULL DEFAULT 3;
ALTER TABLE queues ADD COLUMN callback_interval_s INTEGER NOT NULL DEFAULT 120;
ALTER TABLE queues ADD COLUMN moh_class TEXT NOT NULL DEFAULT 'default';

-- An agent's state as the operator or a supervisor last set it; the
-- ringing/on-call/wrap-up states are derived live and not stored.
CREATE TABLE agent_states (
    agent_id BIGINT PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    logged_in BOOLEAN NOT NULL DEFAULT FALSE,
    paused BOOLEAN NOT NULL DEFAULT FALSE,
    reason TEXT NOT NULL DEFAULT '',
    updated_at {{time}} NOT NULL,
    updated_by TEXT NOT NULL
);

-- Commands for the running service from another process (the CLI): the
-- service applies them in order and writes the result.
CREATE TABLE acd_commands (
    id {{id}},
    at {{time}} NOT NULL,
    kind TEXT NOT NULL,
    agent TEXT NOT NULL DEFAULT '',
    arg TEXT NOT NULL DEFAULT '',
    actor TEXT NOT NULL,
    claimed_at {{time}},
    done_at {{time}},
    result TEXT NOT NULL DEFAULT ''
);
CREATE INDEX acd_commands_pending ON acd_commands (id) WHERE done_at IS NULL;

-- The live picture of queues and agents, refreshed every second by the
-- service, for `ascolto queue status` and other processes.
CREATE TABLE acd_snapshots (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at {{time}} NOT NULL,
    body TEXT NOT NULL
);

-- The ACD engine's own description (acd.State as JSON), saved every few
-- seconds and at shutdown: after a restart, callbacks still owed to
-- citizens who hung up keep their place.
CREATE TABLE acd_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at {{time}} NOT NULL,
    body TEXT NOT NULL
);
