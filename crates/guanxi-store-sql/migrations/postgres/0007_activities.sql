-- Activities: tasks, calls, meetings and visits with a due time, an assignee and an optional
-- reminder; and each user's secret calendar feed (iCalendar).

CREATE TABLE activities (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          BIGINT NOT NULL REFERENCES organisations(id),
    kind            TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    note            TEXT,
    customer_id     BIGINT REFERENCES customers(id),
    opportunity_id  BIGINT REFERENCES opportunities(id),
    assignee_id     BIGINT NOT NULL REFERENCES users(id),
    due_at          BIGINT NOT NULL,
    duration_min    BIGINT NOT NULL,
    remind_at       BIGINT,
    done_at         BIGINT,
    created_by      BIGINT REFERENCES users(id),
    version         BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX activities_assignee ON activities (org_id, assignee_id, due_at, id);
CREATE INDEX activities_customer ON activities (customer_id, due_at) WHERE customer_id IS NOT NULL;

-- The secret of a user's calendar feed URL; only its SHA-256 digest is kept.
CREATE TABLE calendar_feeds (
    user_id      BIGINT PRIMARY KEY REFERENCES users(id),
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    secret_hash  TEXT    NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL
);
