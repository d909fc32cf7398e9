-- Decision support (辅助决策): each run of the customer-value models, every customer's latest
-- scores written back from it, and the history of their movement between segments, tiers,
-- lifecycle stages and churn risks. A run writes all of it in one transaction.

CREATE TABLE score_runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    created_by    INTEGER REFERENCES users(id),
    as_of         TEXT    NOT NULL,
    started_at    INTEGER NOT NULL,
    finished_at   INTEGER NOT NULL,
    customers     INTEGER NOT NULL,
    purchases     INTEGER NOT NULL,
    -- Fits, tier shares, Lorenz curve, revenue by month, cohorts, timings (JSON).
    report        TEXT    NOT NULL
);
CREATE INDEX score_runs_org ON score_runs (org_id, id);

CREATE TABLE customer_scores (
    customer_id      INTEGER PRIMARY KEY REFERENCES customers(id),
    org_id           INTEGER NOT NULL,
    run_id           INTEGER NOT NULL REFERENCES score_runs(id),
    computed_at      INTEGER NOT NULL,
    purchases        INTEGER NOT NULL,
    first_purchase   TEXT    NOT NULL,
    last_purchase    TEXT    NOT NULL,
    revenue          INTEGER NOT NULL,
    revenue_12m      INTEGER NOT NULL,
    historical_value INTEGER NOT NULL,
    current_value    INTEGER NOT NULL,
    r                INTEGER NOT NULL CHECK (r BETWEEN 1 AND 5),
    f                INTEGER NOT NULL CHECK (f BETWEEN 1 AND 5),
    m                INTEGER NOT NULL CHECK (m BETWEEN 1 AND 5),
    segment          TEXT,
    tier             TEXT    NOT NULL CHECK (tier IN ('A', 'B', 'C')),
    alive            REAL,
    expected_90      REAL,
    expected_180     REAL,
    expected_365     REAL,
    expected_spend   INTEGER,
    clv              INTEGER,
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
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL,
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    run_id       INTEGER NOT NULL REFERENCES score_runs(id),
    computed_at  INTEGER NOT NULL,
    segment      TEXT,
    tier         TEXT    NOT NULL,
    stage        TEXT    NOT NULL,
    risk         TEXT    NOT NULL,
    clv          INTEGER
);
CREATE INDEX score_history_customer ON score_history (org_id, customer_id, id);
