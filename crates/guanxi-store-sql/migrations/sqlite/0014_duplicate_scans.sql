-- Scans of a whole organisation for look-alike customers, kept so that the person who started
-- one sees it running, finished (what it compared and found) or failed (why). A running scan
-- beats a heartbeat; one whose heartbeat stopped (a restart) is seen as interrupted, and the
-- next scan closes it as failed. One scan runs per organisation at a time.
CREATE TABLE duplicate_scans (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id         INTEGER NOT NULL REFERENCES organisations(id),
    started_by     INTEGER REFERENCES users(id),
    status         TEXT    NOT NULL,
    customers      INTEGER NOT NULL DEFAULT 0,
    groups_compared INTEGER NOT NULL DEFAULT 0,
    pairs_compared INTEGER NOT NULL DEFAULT 0,
    found          INTEGER NOT NULL DEFAULT 0,
    error          TEXT,
    started_at     INTEGER NOT NULL,
    heartbeat_at   INTEGER NOT NULL,
    finished_at    INTEGER
);
CREATE INDEX duplicate_scans_org ON duplicate_scans (org_id, id);
CREATE UNIQUE INDEX duplicate_scans_running ON duplicate_scans (org_id) WHERE status = 'running';
