-- 0008: the operations-room feed and the reports. Emergency events; the
-- rescue requests and situation reports sent to the operations room, with
-- their history, escalation state and webhook deliveries; the report facts
-- and rollups kept as cases are written; administrative boundaries for maps.

-- An emergency (a flood, an earthquake) with its area and period. Contacts
-- that arrive while it is open belong to it. area lists ISTAT codes of
-- regioni (2 digits) and province (3 digits), comma-separated; an exercise
-- marks everything it produces as a drill (CAP status Exercise).
CREATE TABLE emergency_events (
    id {{id}},
    name TEXT NOT NULL,
    area TEXT NOT NULL DEFAULT '',
    exercise BOOLEAN NOT NULL DEFAULT FALSE,
    started_at {{time}} NOT NULL,
    ended_at {{time}},
    opened_by TEXT NOT NULL,
    closed_by TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL
);
CREATE INDEX emergency_events_started ON emergency_events (started_at);

-- A rescue request or situation report forwarded to the operations room:
-- one per case (forwarding again updates it). state moves new ->
-- acknowledged -> assigned -> closed; version grows with every change (the
-- CAP identifier and the browser's ordering use it). next_escalation_at is
-- when an unacknowledged item is escalated next.
CREATE TABLE ops_items (
    id {{id}},
    case_id BIGINT NOT NULL UNIQUE REFERENCES cases(id),
    kind TEXT NOT NULL CHECK (kind IN ('rescue', 'report')),
    state TEXT NOT NULL DEFAULT 'new' CHECK (state IN ('new', 'acknowledged', 'assigned', 'closed')),
    assignee TEXT NOT NULL DEFAULT '',
    people INTEGER NOT NULL DEFAULT 0 CHECK (people >= 0),
    advice TEXT NOT NULL DEFAULT '',
    event_id BIGINT REFERENCES emergency_events(id),
    exercise BOOLEAN NOT NULL DEFAULT FALSE,
    submitted_by TEXT NOT NULL,
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL,
    acked_at {{time}},
    acked_by TEXT NOT NULL DEFAULT '',
    closed_at {{time}},
    escalations INTEGER NOT NULL DEFAULT 0,
    next_escalation_at {{time}},
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX ops_items_state ON ops_items (state, created_at);
CREATE INDEX ops_items_updated ON ops_items (updated_at);
CREATE INDEX ops_items_escalation ON ops_items (next_escalation_at) WHERE state = 'new';

-- Everything that happened to an item, in order: forwarded, acknowledged,
-- status changes, escalations, calls to the operations room.
CREATE TABLE ops_events (
    id {{id}},
    item_id BIGINT NOT NULL REFERENCES ops_items(id),
    at {{time}} NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX ops_events_item ON ops_events (item_id, id);

-- The webhook's durable queue: a row per event per receiver, written in the
-- transaction that made the change. delivery_id stays the same across
-- retries so a receiver can drop duplicates; lease_until marks a delivery a
-- worker is attempting (a worker that died leaves a lease that expires).
CREATE TABLE ops_deliveries (
    id {{id}},
    delivery_id TEXT NOT NULL UNIQUE,
    item_id BIGINT NOT NULL REFERENCES ops_items(id),
    event_id BIGINT NOT NULL REFERENCES ops_events(id),
    event TEXT NOT NULL,
    url TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {{time}} NOT NULL,
    lease_until {{time}},
    last_status INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    sent_at {{time}}
);
CREATE INDEX ops_deliveries_due ON ops_deliveries (state, next_attempt_at);
CREATE INDEX ops_deliveries_item ON ops_deliveries (item_id);

-- Reports. report_facts holds, per case, the attributes last counted in
-- the rollups (so a case that changes moves its count instead of adding
-- one); times are Unix seconds so that bucketing is integer arithmetic on
-- both engines, and day is the Italian calendar day as YYYYMMDD. Cases
-- merged into another are kept with counted = FALSE.
CREATE TABLE report_facts (
    case_id BIGINT PRIMARY KEY,
    at_s BIGINT NOT NULL,
    day INTEGER NOT NULL,
    event_id BIGINT NOT NULL DEFAULT 0,
    site_id BIGINT NOT NULL DEFAULT 0,
    mode TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL DEFAULT '',
    caller_type TEXT NOT NULL DEFAULT '',
    urgency TEXT NOT NULL DEFAULT '',
    comune_code TEXT NOT NULL DEFAULT '',
    provincia_code TEXT NOT NULL DEFAULT '',
    regione_code TEXT NOT NULL DEFAULT '',
    counted BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX report_facts_at ON report_facts (at_s);
CREATE INDEX report_facts_event ON report_facts (event_id, at_s);

-- Counts per time bucket (grain 900 or 3600 seconds), one dimension at a
-- time (dim: channel, category, outcome, caller_type, urgency; val its
-- value), by provincia: what the dashboard and `ascolto report` read
-- instead of millions of cases.
CREATE TABLE report_rollup (
    grain INTEGER NOT NULL,
    event_id BIGINT NOT NULL,
    dim TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    site_id BIGINT NOT NULL,
    mode TEXT NOT NULL,
    val TEXT NOT NULL,
    provincia_code TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (grain, event_id, dim, bucket, site_id, mode, val, provincia_code)
);
CREATE INDEX report_rollup_time ON report_rollup (grain, dim, bucket);

-- Counts per Italian calendar day by comune, for provenance.
CREATE TABLE report_comuni (
    event_id BIGINT NOT NULL,
    dim TEXT NOT NULL,
    day INTEGER NOT NULL,
    site_id BIGINT NOT NULL,
    mode TEXT NOT NULL,
    val TEXT NOT NULL,
    comune_code TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (event_id, dim, day, site_id, mode, val, comune_code)
);
CREATE INDEX report_comuni_time ON report_comuni (dim, day);

-- Where the rollup worker has got to: cases updated from this moment on
-- are (re)examined.
CREATE TABLE report_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    updated_at {{time}} NOT NULL,
    case_id BIGINT NOT NULL
);

-- Administrative boundaries for maps (ISTAT/openpolis GeoJSON), simplified
-- on import; geometry is a GeoJSON geometry object.
CREATE TABLE geo_boundaries (
    level TEXT NOT NULL CHECK (level IN ('regione', 'provincia', 'comune')),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    geometry TEXT NOT NULL,
    imported_at {{time}} NOT NULL,
    PRIMARY KEY (level, code)
);

-- The rollup worker walks cases in the order they change.
CREATE INDEX cases_updated ON cases (updated_at, id);
