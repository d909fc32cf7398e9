-- An organisation's own RFM segment map (names and R/F ranges), when it keeps one; without a
-- row the default map applies. The segments are JSON, checked by the API before they are kept.

CREATE TABLE segment_maps (
    org_id      BIGINT PRIMARY KEY REFERENCES organisations(id),
    segments    TEXT   NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  BIGINT REFERENCES users(id)
);
