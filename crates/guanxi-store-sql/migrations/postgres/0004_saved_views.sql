-- Saved views of the customer list, per user: a name and the list's query string.
CREATE TABLE saved_views (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    user_id     BIGINT NOT NULL REFERENCES users(id),
    name        TEXT    NOT NULL,
    query       TEXT    NOT NULL,
    created_at  BIGINT NOT NULL,
    UNIQUE (user_id, name)
);
