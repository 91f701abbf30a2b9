-- 0013: the wall display's thresholds, per queue.
--
-- A queue's figures on the wall turn amber, then red, at these values. A
-- NULL column means "derived from the queue's service-level target" (the
-- console computes the default), so a queue whose target changes keeps
-- sensible colours without anyone editing its thresholds. A row exists only
-- for a queue someone tuned; deleting the queue drops its thresholds.
CREATE TABLE queue_thresholds (
    queue_id BIGINT PRIMARY KEY REFERENCES queues(id) ON DELETE CASCADE,
    sl_amber_pct INTEGER CHECK (sl_amber_pct BETWEEN 0 AND 100),
    sl_red_pct INTEGER CHECK (sl_red_pct BETWEEN 0 AND 100),
    wait_amber_s INTEGER CHECK (wait_amber_s > 0),
    wait_red_s INTEGER CHECK (wait_red_s > 0),
    abandon_amber_pct INTEGER CHECK (abandon_amber_pct BETWEEN 0 AND 100),
    abandon_red_pct INTEGER CHECK (abandon_red_pct BETWEEN 0 AND 100),
    pause_amber_s INTEGER CHECK (pause_amber_s > 0),
    pause_red_s INTEGER CHECK (pause_red_s > 0),
    wrapup_amber_s INTEGER CHECK (wrapup_amber_s > 0),
    wrapup_red_s INTEGER CHECK (wrapup_red_s > 0),
    updated_at {{time}} NOT NULL,
    updated_by TEXT NOT NULL
);

-- The wall's per-agent figures of the day read the agent events since
-- midnight across every queue; the only index on the log leads with the queue.
CREATE INDEX queue_events_at ON queue_events (at);
