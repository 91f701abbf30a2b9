-- 0004: the queues the default IVR flow hands calls to, and attachments
-- (a recorded message, later faxes, photos and PDFs from the web form).

INSERT INTO queues (name, site_id, strategy, ring_timeout_s, wrapup_s, max_wait_s, max_len, overflow, announce_s,
    sl_percent, sl_seconds, created_at, updated_at)
SELECT q.name, s.id, 'longest-idle', 15, q.wrapup, q.max_wait, 0, q.overflow, 60, 80, 20, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP
FROM sites s,
    (SELECT 'soccorso' AS name, 30 AS wrapup, 0 AS max_wait, '' AS overflow
     UNION ALL SELECT 'segnalazioni', 60, 600, 'record'
     UNION ALL SELECT 'informazioni', 30, 900, 'callback') q
WHERE s.code = 'aq';

-- Attachments belong to a case, and to the contact that brought them. The
-- bytes live in the database (data) or, for large installations, on a
-- file store (path); exactly one of the two is set.
CREATE TABLE attachments (
    id {{id}},
    case_id BIGINT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    contact_id BIGINT REFERENCES case_contacts(id) ON DELETE SET NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size >= 0),
    sha256 TEXT NOT NULL,
    data {{blob}},
    path TEXT NOT NULL DEFAULT '',
    created_at {{time}} NOT NULL,
    CHECK ((data IS NULL) <> (path = ''))
);
CREATE INDEX attachments_case ON attachments (case_id);
