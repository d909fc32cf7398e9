-- Decision support (辅助决策): each run of the customer-value models, every customer's latest
-- scores written back from it, and the history of their movement between segments, tiers,
-- lifecycle stages and churn risks. A run writes all of it in one transaction.

CREATE TABLE score_runs (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    created_by    BIGINT REFERENCES users(id),
    as_of         TEXT    NOT NULL,
    started_at    BIGINT NOT NULL,
    finished_at   BIGINT NOT NULL,
    customers     BIGINT NOT NULL,
    purchases     BIGINT NOT NULL,
    -- Fits, tier shares, Lorenz curve, revenue by month, cohorts, timings (JSON).
    report        TEXT    NOT NULL
);
CREATE INDEX score_runs_org ON score_runs (org_id, id);

CREATE TABLE customer_scores (
    customer_id      BIGINT PRIMARY KEY REFERENCES customers(id),
    org_id           BIGINT NOT NULL,
    run_id           BIGINT NOT NULL REFERENCES score_runs(id),
    computed_at      BIGINT NOT NULL,
    purchases        BIGINT NOT NULL,
    first_purchase   TEXT    NOT NULL,
    last_purchase    TEXT    NOT NULL,
    revenue          BIGINT NOT NULL,
    revenue_12m      BIGINT NOT NULL,
    historical_value BIGINT NOT NULL,
    current_value    BIGINT NOT NULL,
    r                BIGINT NOT NULL CHECK (r BETWEEN 1 AND 5),
    f                BIGINT NOT NULL CHECK (f BETWEEN 1 AND 5),
    m                BIGINT NOT NULL CHECK (m BETWEEN 1 AND 5),
    segment          TEXT,
    tier             TEXT    NOT NULL CHECK (tier IN ('A', 'B', 'C')),
    alive            DOUBLE PRECISION,
    expected_90      DOUBLE PRECISION,
    expected_180     DOUBLE PRECISION,
    expected_365     DOUBLE PRECISION,
    expected_spend   BIGINT,
    clv              BIGINT,
    stage            TEXT    NOT NULL CHECK (stage IN ('exploration', 'formation', 'stability', 'decline')),
    risk             TEXT    NOT NULL CHECK (risk IN ('low', 'medium', 'high')),
    reasons          TEXT    NOT NULL,
    prev_segment     TEXT,
    prev_tier        TEXT,
    prev_stage       TEXT
);
CREATE INDEX customer_scores_segment ON customer_scores (org_id, segment);
CREATE INDEX customer_scores_tier ON customer_scores (org_id, tier);
CREATE INDEX customer_scores_stage ON customer_scores (org_id, stage);
CREATE INDEX customer_scores_risk ON customer_scores (org_id, risk);
CREATE INDEX customer_scores_run ON customer_scores (org_id, run_id);

CREATE TABLE score_history (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL REFERENCES customers(id),
    run_id       BIGINT NOT NULL REFERENCES score_runs(id),
    computed_at  BIGINT NOT NULL,
    segment      TEXT,
    tier         TEXT    NOT NULL,
    stage        TEXT    NOT NULL,
    risk         TEXT    NOT NULL,
    clv          BIGINT
);
CREATE INDEX score_history_customer ON score_history (org_id, customer_id, id);
