-- Name-search tokens of customers an import created, kept here until the import ends and then
-- moved into search_tokens in token order. Written in customer order (ids only grow), each
-- chunk appends; inserting the same tokens into search_tokens chunk by chunk landed on random
-- pages of its index. See docs/PERFORMANCE.md, "Importing customers".
CREATE TABLE import_tokens (
    customer_id  INTEGER NOT NULL,
    token        TEXT    NOT NULL,
    org_id       INTEGER NOT NULL,
    job_id       INTEGER NOT NULL,
    PRIMARY KEY (customer_id, token)
) WITHOUT ROWID;
