-- Guanxi schema for PostgreSQL: the customer spine.
-- Conventions (the same in the PostgreSQL migrations):
--   * every tenant row carries org_id and every query filters on it;
--   * times are UTC microseconds since the Unix epoch (BIGINT), dates are 'YYYY-MM-DD' text;
--   * lists and objects are JSON text;
--   * `version` counts updates and backs optimistic concurrency (ETag / If-Match).

CREATE TABLE organisations (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT    NOT NULL,
    locale      TEXT    NOT NULL,
    currency    TEXT    NOT NULL,
    time_zone   TEXT    NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE users (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    name        TEXT    NOT NULL,
    email       TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (org_id, email)
);

CREATE TABLE field_defs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    entity      TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    label_zh    TEXT    NOT NULL,
    label_en    TEXT    NOT NULL,
    field_type  TEXT    NOT NULL,
    choices     TEXT    NOT NULL,
    required    BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (org_id, entity, key)
);

CREATE TABLE customers (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    kind        TEXT    NOT NULL CHECK (kind IN ('person', 'company')),
    name        TEXT    NOT NULL,
    company_id  BIGINT REFERENCES customers(id),
    title       TEXT,
    owner_id    BIGINT REFERENCES users(id),
    status      TEXT    NOT NULL,
    class       TEXT    NOT NULL,
    vip         BOOLEAN NOT NULL,
    tags        TEXT    NOT NULL,
    city        TEXT,
    birthday    TEXT,
    note        TEXT,
    custom      TEXT    NOT NULL,
    version     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    deleted_at  BIGINT
);
CREATE INDEX customers_live_id      ON customers (org_id, id)                 WHERE deleted_at IS NULL;
CREATE INDEX customers_live_status  ON customers (org_id, status, id)         WHERE deleted_at IS NULL;
CREATE INDEX customers_live_class   ON customers (org_id, class, id)          WHERE deleted_at IS NULL;
CREATE INDEX customers_live_owner   ON customers (org_id, owner_id, id)       WHERE deleted_at IS NULL;
CREATE INDEX customers_live_name    ON customers (org_id, name, id)           WHERE deleted_at IS NULL;
CREATE INDEX customers_live_created ON customers (org_id, created_at, id)     WHERE deleted_at IS NULL;
CREATE INDEX customers_live_updated ON customers (org_id, updated_at, id)     WHERE deleted_at IS NULL;
CREATE INDEX customers_deleted      ON customers (org_id, id)                 WHERE deleted_at IS NOT NULL;
CREATE INDEX customers_company      ON customers (company_id)                 WHERE company_id IS NOT NULL;

CREATE TABLE customer_tags (
    org_id       BIGINT NOT NULL,
    tag          TEXT    NOT NULL,
    customer_id  BIGINT NOT NULL REFERENCES customers(id),
    PRIMARY KEY (org_id, tag, customer_id)
);

-- Contact points. `key` is the normalised lookup key (E.164, lower-cased e-mail, …);
-- `rkey` is the key reversed, so that a suffix search (the last digits of a number, an e-mail
-- domain) is a range scan too. Both indexes cover (kind, customer_id): searches read no rows.
CREATE TABLE contact_points (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL,
    customer_id  BIGINT NOT NULL REFERENCES customers(id),
    kind         TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    key          TEXT    COLLATE "C" NOT NULL,
    rkey         TEXT    COLLATE "C",
    label        TEXT,
    is_primary   BOOLEAN NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (customer_id, key)
);
CREATE INDEX contact_points_key  ON contact_points (org_id, key, kind, customer_id);
CREATE INDEX contact_points_rkey ON contact_points (org_id, rkey, kind, customer_id) WHERE rkey IS NOT NULL;

-- Name search for text without spaces: one row per CJK character, per CJK character pair and
-- per lower-cased Latin word of a customer's name. See docs/ARCHITECTURE.md, "Search".
CREATE TABLE search_tokens (
    org_id       BIGINT NOT NULL,
    token        TEXT    COLLATE "C" NOT NULL,
    customer_id  BIGINT NOT NULL,
    PRIMARY KEY (org_id, token, customer_id)
);

CREATE TABLE interactions (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id            BIGINT NOT NULL,
    customer_id       BIGINT NOT NULL REFERENCES customers(id),
    channel           TEXT    NOT NULL,
    direction         TEXT    NOT NULL,
    occurred_at       BIGINT NOT NULL,
    staff_id          BIGINT REFERENCES users(id),
    subject           TEXT,
    body              TEXT    NOT NULL,
    duration_seconds  BIGINT,
    outcome           TEXT,
    contact           TEXT,
    links             TEXT    NOT NULL,
    version           BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX interactions_timeline ON interactions (customer_id, occurred_at DESC, id DESC);
CREATE INDEX interactions_channel  ON interactions (customer_id, channel, occurred_at DESC, id DESC);

-- The outbox: one row per domain event, written in the same transaction as the change.
-- Writers take a transaction-level advisory lock before inserting an event, so ids are in
-- commit order (see guanxi-store-sql, `Outbox`).
CREATE TABLE events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL,
    event_type   TEXT    NOT NULL,
    entity       TEXT    NOT NULL,
    entity_id    BIGINT NOT NULL,
    actor_id     BIGINT,
    occurred_at  BIGINT NOT NULL,
    payload      TEXT    NOT NULL
);
CREATE INDEX events_org ON events (org_id, id);
