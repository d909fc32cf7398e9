-- Access: teams, roles, passwords, sessions, API tokens, the audit log.
-- The same tables in migrations/postgres/0002_access.sql.

CREATE TABLE teams (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

-- Users sign in with an e-mail address that is unique across the deployment.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'sales_rep';
ALTER TABLE users ADD COLUMN team_id INTEGER REFERENCES teams(id);
ALTER TABLE users ADD COLUMN password_hash TEXT;
ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN locale TEXT;
ALTER TABLE users ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX users_email_global ON users (email);
CREATE INDEX users_team ON users (org_id, team_id);

-- A customer can be shared with a team: its members see it beside their own.
ALTER TABLE customers ADD COLUMN team_id INTEGER REFERENCES teams(id);
CREATE INDEX customers_live_team ON customers (org_id, team_id, id) WHERE deleted_at IS NULL AND team_id IS NOT NULL;
-- What an agent has handled: their interactions, by customer.
CREATE INDEX interactions_staff ON interactions (org_id, staff_id, customer_id) WHERE staff_id IS NOT NULL;

-- Browser sessions. Only the SHA-256 digest of the cookie is kept.
CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    secret_hash  TEXT    NOT NULL UNIQUE,
    csrf_token   TEXT    NOT NULL,
    ip           TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Personal API tokens: shown once, kept as a SHA-256 digest, with an expiry.
CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    user_id       INTEGER NOT NULL REFERENCES users(id),
    name          TEXT    NOT NULL,
    hint          TEXT    NOT NULL,
    secret_hash   TEXT    NOT NULL UNIQUE,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (org_id, user_id, id);

-- The audit log: who (user, token), when, from where, what (field-level before/after), and
-- the outcome. Append-only: the triggers refuse every UPDATE and DELETE. org_id is NULL for
-- refusals that cannot be tied to an organisation (an unknown token, a tampered cookie).
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id      INTEGER,
    at          INTEGER NOT NULL,
    actor_id    INTEGER,
    token_id    INTEGER,
    ip          TEXT,
    action      TEXT    NOT NULL,
    entity      TEXT,
    entity_id   INTEGER,
    outcome     TEXT    NOT NULL,
    detail      TEXT    NOT NULL
);
CREATE INDEX audit_log_org    ON audit_log (org_id, id);
CREATE INDEX audit_log_entity ON audit_log (org_id, entity, entity_id, id);
CREATE INDEX audit_log_actor  ON audit_log (org_id, actor_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
