-- Imports as jobs: a file is read in chunks, and each chunk commits together with the job's
-- progress, so an import stopped half-way (a killed process, a failed row of the database) is
-- seen as interrupted and resumes from its last chunk with nothing counted twice.

CREATE TABLE import_jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    created_by    INTEGER REFERENCES users(id),
    kind          TEXT    NOT NULL,
    mode          TEXT    NOT NULL,
    file_name     TEXT    NOT NULL,
    file_path     TEXT,
    file_size     INTEGER NOT NULL,
    file_sha256   TEXT    NOT NULL,
    format        TEXT    NOT NULL,
    encoding      TEXT    NOT NULL,
    mapping       TEXT    NOT NULL,
    policy        TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    rows_done     INTEGER NOT NULL,
    bytes_done    INTEGER NOT NULL,
    created       INTEGER NOT NULL,
    companies     INTEGER NOT NULL,
    matched       INTEGER NOT NULL,
    updated       INTEGER NOT NULL,
    same_as       INTEGER NOT NULL,
    rejected      INTEGER NOT NULL,
    skipped       INTEGER NOT NULL,
    duplicates    INTEGER NOT NULL,
    first_customer_id INTEGER,
    error         TEXT,
    created_at    INTEGER NOT NULL,
    heartbeat_at  INTEGER NOT NULL,
    finished_at   INTEGER
);
CREATE INDEX import_jobs_org ON import_jobs (org_id, id);

-- The rows of an import's report that need a person's eye (refused, merged into an earlier row,
-- matched, possibly a duplicate); at most a bounded number per job, the counts are complete.
CREATE TABLE import_rows (
    org_id       INTEGER NOT NULL,
    job_id       INTEGER NOT NULL REFERENCES import_jobs(id),
    line         INTEGER NOT NULL,
    outcome      TEXT    NOT NULL,
    customer_id  INTEGER,
    detail       TEXT    NOT NULL,
    PRIMARY KEY (job_id, line, outcome)
);

-- Saved column mappings, reusable for the next file from the same system.
CREATE TABLE import_mappings (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    name        TEXT    NOT NULL,
    mapping     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

-- Pairs of customers that look alike (same name and company, nearly the same number), found by
-- an import or a scan of the organisation, waiting for a person to merge or dismiss them.
CREATE TABLE duplicate_candidates (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    customer_a   INTEGER NOT NULL REFERENCES customers(id),
    customer_b   INTEGER NOT NULL REFERENCES customers(id),
    reason       TEXT    NOT NULL,
    score        INTEGER NOT NULL,
    status       TEXT    NOT NULL,
    found_by     TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    decided_at   INTEGER,
    decided_by   INTEGER,
    UNIQUE (org_id, customer_a, customer_b)
);
CREATE INDEX duplicate_candidates_open ON duplicate_candidates (org_id, status, score DESC, id);

-- Erasure on request (PIPL / GDPR): the row stays (orders point at it), its personal data goes.
ALTER TABLE customers ADD COLUMN erased_at INTEGER;

-- The audit log stays append-only with one exception, for erasure: a record's detail may be
-- replaced by the erased marker, and nothing else of it may change.
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (NEW.detail = '{"erased":true}' AND NEW.id IS OLD.id AND NEW.org_id IS OLD.org_id
          AND NEW.at IS OLD.at AND NEW.actor_id IS OLD.actor_id AND NEW.token_id IS OLD.token_id
          AND NEW.ip IS OLD.ip AND NEW.action IS OLD.action AND NEW.entity IS OLD.entity
          AND NEW.entity_id IS OLD.entity_id AND NEW.outcome IS OLD.outcome)
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
