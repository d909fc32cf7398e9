-- Activities: tasks, calls, meetings and visits with a due time, an assignee and an optional
-- reminder; and each user's secret calendar feed (iCalendar).

CREATE TABLE activities (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id          INTEGER NOT NULL REFERENCES organisations(id),
    kind            TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    note            TEXT,
    customer_id     INTEGER REFERENCES customers(id),
    opportunity_id  INTEGER REFERENCES opportunities(id),
    assignee_id     INTEGER NOT NULL REFERENCES users(id),
    due_at          INTEGER NOT NULL,
    duration_min    INTEGER NOT NULL,
    remind_at       INTEGER,
    done_at         INTEGER,
    created_by      INTEGER REFERENCES users(id),
    version         INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX activities_assignee ON activities (org_id, assignee_id, due_at, id);
CREATE INDEX activities_customer ON activities (customer_id, due_at) WHERE customer_id IS NOT NULL;

-- The secret of a user's calendar feed URL; only its SHA-256 digest is kept.
CREATE TABLE calendar_feeds (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id),
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    secret_hash  TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL
);
