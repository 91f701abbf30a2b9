-- 0011: the report tables in the shape the reports read them. 0008 made
-- them first; they are derived from the cases, so they are rebuilt rather
-- than altered (SQLite cannot change a primary key in place): the facts
-- gain what the exports write (tracking id, status, coordinates), keys
-- follow the order reports group by, and report_totals keeps the counts of
-- every site and mode together. The rollup worker, finding no cursor,
-- counts every case again from the start.
DROP TABLE report_facts;
DROP TABLE report_rollup;
DROP TABLE report_comuni;
DELETE FROM report_cursor;

-- report_facts holds, per case, the attributes last counted in
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
    counted BOOLEAN NOT NULL DEFAULT TRUE,
    -- What the exports write besides the counts, so that they read this
    -- table alone, in time order, without a join over millions of cases.
    tracking_id TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '',
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION
);
CREATE INDEX report_facts_at ON report_facts (at_s, case_id);
CREATE INDEX report_facts_event ON report_facts (event_id, at_s, case_id);

-- Counts per time bucket (grain 900 or 3600 seconds), one dimension at a
-- time (dim: channel, category, outcome, caller_type, urgency; val its
-- value), by provincia: what the dashboard and `ascolto report` read
-- instead of millions of cases, when a question names a site or a mode.
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
    -- In the order reports group by: an event's hourly category ×
    -- provincia is one index range read already grouped, with no sort.
    PRIMARY KEY (grain, event_id, dim, bucket, val, provincia_code, site_id, mode)
);
CREATE INDEX report_rollup_time ON report_rollup (grain, dim, bucket);

-- The same counts for every site and mode together: what most questions
-- ask, in a smaller table read along its primary key.
CREATE TABLE report_totals (
    grain INTEGER NOT NULL,
    event_id BIGINT NOT NULL,
    dim TEXT NOT NULL,
    bucket BIGINT NOT NULL,
    val TEXT NOT NULL,
    provincia_code TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (grain, event_id, dim, bucket, val, provincia_code)
);
CREATE INDEX report_totals_time ON report_totals (grain, dim, bucket);

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
    PRIMARY KEY (event_id, dim, day, val, comune_code, site_id, mode)
);
CREATE INDEX report_comuni_time ON report_comuni (dim, day);
