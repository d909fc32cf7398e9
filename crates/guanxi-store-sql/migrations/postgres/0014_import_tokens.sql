-- Name-search tokens of customers an import created, kept here until the import ends and then
-- moved into search_tokens in token order. Written in customer order (ids only grow), each
-- chunk appends; inserting the same tokens into search_tokens chunk by chunk landed on random
-- pages of its index. See docs/PERFORMANCE.md, "Importing customers".
CREATE TABLE import_tokens (
    customer_id  BIGINT NOT NULL,
    token        TEXT   COLLATE "C" NOT NULL,
    org_id       BIGINT NOT NULL,
    job_id       BIGINT NOT NULL,
    PRIMARY KEY (customer_id, token)
);
