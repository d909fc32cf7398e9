-- Scans of a whole organisation for look-alike customers, kept so that the person who started
-- one sees it running, finished (what it compared and found) or failed (why). A running scan
-- beats a heartbeat; one whose heartbeat stopped (a restart) is seen as interrupted, and the
-- next scan closes it as failed. One scan runs per organisation at a time.
CREATE TABLE duplicate_scans (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id         BIGINT  NOT NULL REFERENCES organisations(id),
    started_by     BIGINT  REFERENCES users(id),
    status         TEXT    NOT NULL,
    customers      BIGINT  NOT NULL DEFAULT 0,
    groups_compared BIGINT  NOT NULL DEFAULT 0,
    pairs_compared BIGINT  NOT NULL DEFAULT 0,
    found          BIGINT  NOT NULL DEFAULT 0,
    error          TEXT,
    started_at     BIGINT  NOT NULL,
    heartbeat_at   BIGINT  NOT NULL,
    finished_at    BIGINT
);
CREATE INDEX duplicate_scans_org ON duplicate_scans (org_id, id);
CREATE UNIQUE INDEX duplicate_scans_running ON duplicate_scans (org_id) WHERE status = 'running';
