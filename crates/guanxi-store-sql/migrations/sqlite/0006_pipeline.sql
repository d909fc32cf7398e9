-- Sales pipelines: ordered stages with win probabilities, opportunities moving through them,
-- and the history of every move (time in stage, conversion between stages).

CREATE TABLE pipelines (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE pipeline_stages (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL,
    pipeline_id  INTEGER NOT NULL REFERENCES pipelines(id),
    position     INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    probability  INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    UNIQUE (pipeline_id, position)
);

CREATE TABLE opportunities (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          INTEGER NOT NULL REFERENCES organisations(id),
    customer_id     INTEGER NOT NULL REFERENCES customers(id),
    pipeline_id     INTEGER NOT NULL REFERENCES pipelines(id),
    stage_id        INTEGER NOT NULL REFERENCES pipeline_stages(id),
    name            TEXT    NOT NULL,
    amount          INTEGER NOT NULL,
    currency        TEXT    NOT NULL,
    expected_close  TEXT,
    owner_id        INTEGER REFERENCES users(id),
    status          TEXT    NOT NULL,
    close_reason    TEXT,
    closed_at       INTEGER,
    stage_since     INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX opportunities_board    ON opportunities (org_id, pipeline_id, status, stage_id, id);
CREATE INDEX opportunities_customer ON opportunities (customer_id, id);
CREATE INDEX opportunities_owner    ON opportunities (org_id, owner_id, status);

CREATE TABLE opportunity_moves (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          INTEGER NOT NULL,
    opportunity_id  INTEGER NOT NULL REFERENCES opportunities(id),
    from_stage_id   INTEGER,
    to_stage_id     INTEGER NOT NULL,
    actor_id        INTEGER,
    at              INTEGER NOT NULL
);
CREATE INDEX opportunity_moves_opp ON opportunity_moves (opportunity_id, id);
