-- Imports as jobs: a file is read in chunks, and each chunk commits together with the job's
-- progress, so an import stopped half-way (a killed process, a failed row of the database) is
-- seen as interrupted and resumes from its last chunk with nothing counted twice.

CREATE TABLE import_jobs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT  NOT NULL REFERENCES organisations(id),
    created_by    BIGINT  REFERENCES users(id),
    kind          TEXT    NOT NULL,
    mode          TEXT    NOT NULL,
    file_name     TEXT    NOT NULL,
    file_path     TEXT,
    file_size     BIGINT  NOT NULL,
    file_sha256   TEXT    NOT NULL,
    format        TEXT    NOT NULL,
    encoding      TEXT    NOT NULL,
    mapping       TEXT    NOT NULL,
    policy        TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    rows_done     BIGINT  NOT NULL,
    bytes_done    BIGINT  NOT NULL,
    created       BIGINT  NOT NULL,
    companies     BIGINT  NOT NULL,
    matched       BIGINT  NOT NULL,
    updated       BIGINT  NOT NULL,
    same_as       BIGINT  NOT NULL,
    rejected      BIGINT  NOT NULL,
    skipped       BIGINT  NOT NULL,
    duplicates    BIGINT  NOT NULL,
    first_customer_id BIGINT,
    error         TEXT,
    created_at    BIGINT  NOT NULL,
    heartbeat_at  BIGINT  NOT NULL,
    finished_at   BIGINT
);
CREATE INDEX import_jobs_org ON import_jobs (org_id, id);

-- The rows of an import's report that need a person's eye (refused, merged into an earlier row,
-- matched, possibly a duplicate); at most a bounded number per job, the counts are complete.
CREATE TABLE import_rows (
    org_id       BIGINT  NOT NULL,
    job_id       BIGINT  NOT NULL REFERENCES import_jobs(id),
    line         BIGINT  NOT NULL,
    outcome      TEXT    NOT NULL,
    customer_id  BIGINT,
    detail       TEXT    NOT NULL,
    PRIMARY KEY (job_id, line, outcome)
);

-- Saved column mappings, reusable for the next file from the same system.
CREATE TABLE import_mappings (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT  NOT NULL REFERENCES organisations(id),
    name        TEXT    NOT NULL,
    mapping     TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    UNIQUE (org_id, name)
);

-- Pairs of customers that look alike (same name and company, nearly the same number), found by
-- an import or a scan of the organisation, waiting for a person to merge or dismiss them.
CREATE TABLE duplicate_candidates (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT  NOT NULL REFERENCES organisations(id),
    customer_a   BIGINT  NOT NULL REFERENCES customers(id),
    customer_b   BIGINT  NOT NULL REFERENCES customers(id),
    reason       TEXT    NOT NULL,
    score        BIGINT  NOT NULL,
    status       TEXT    NOT NULL,
    found_by     TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    decided_at   BIGINT,
    decided_by   BIGINT,
    UNIQUE (org_id, customer_a, customer_b)
);
CREATE INDEX duplicate_candidates_open ON duplicate_candidates (org_id, status, score DESC, id);

-- Erasure on request (PIPL / GDPR): the row stays (orders point at it), its personal data goes.
ALTER TABLE customers ADD COLUMN erased_at BIGINT;

-- The audit log stays append-only with one exception, for erasure: a record's detail may be
-- replaced by the erased marker, and nothing else of it may change.
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.detail = '{"erased":true}'
       AND (NEW.id, NEW.org_id, NEW.at, NEW.actor_id, NEW.token_id, NEW.ip, NEW.action,
            NEW.entity, NEW.entity_id, NEW.outcome)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.org_id, OLD.at, OLD.actor_id, OLD.token_id, OLD.ip, OLD.action,
            OLD.entity, OLD.entity_id, OLD.outcome) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
