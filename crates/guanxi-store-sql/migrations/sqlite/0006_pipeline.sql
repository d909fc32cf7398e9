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

-- Organisations made before pipelines existed get the default pipeline too (new ones get it
-- when they are created), named in the organisation's language.
INSERT INTO pipelines (org_id, name, created_at)
SELECT o.id, CASE WHEN o.locale = 'en' THEN 'Sales pipeline' ELSE '销售漏斗' END, o.created_at
FROM organisations o;

INSERT INTO pipeline_stages (org_id, pipeline_id, position, name, probability, kind)
SELECT p.org_id, p.id, v.column1, CASE WHEN o.locale = 'en' THEN v.column3 ELSE v.column2 END, v.column4, v.column5
FROM pipelines p
JOIN organisations o ON o.id = p.org_id
CROSS JOIN (VALUES
    (0, '初步接洽', 'First contact', 10, 'open'),
    (1, '需求确认', 'Needs confirmed', 25, 'open'),
    (2, '方案报价', 'Proposal', 50, 'open'),
    (3, '商务谈判', 'Negotiation', 75, 'open'),
    (4, '赢单', 'Won', 100, 'won'),
    (5, '输单', 'Lost', 0, 'lost')
) AS v;
