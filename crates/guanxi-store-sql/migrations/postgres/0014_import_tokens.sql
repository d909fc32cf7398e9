-- Kept in step with SQLite's schema, where imports park the name tokens of the customers they
-- create until the job ends. PostgreSQL imports write their tokens straight into search_tokens
-- (parking them there made a million-row import slower, see docs/PERFORMANCE.md), so this
-- table stays empty; renames and erasures still clear it, as they do on SQLite.
CREATE TABLE import_tokens (
    customer_id  BIGINT NOT NULL,
    token        TEXT   COLLATE "C" NOT NULL,
    org_id       BIGINT NOT NULL,
    job_id       BIGINT NOT NULL,
    PRIMARY KEY (customer_id, token)
);
