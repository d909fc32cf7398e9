-- The board and the forecast of a whole pipeline read this running summary instead of every
-- opportunity: one row per (pipeline, stage, status, expected close month, owner) with the
-- count, the amount and, for closed ones, the days from opening to closing. Every change of an
-- opportunity updates it in the same transaction. `month` is '' without an expected close
-- date, `owner_key` 0 without an owner.

CREATE TABLE pipeline_summary (
    org_id        BIGINT  NOT NULL REFERENCES organisations(id),
    pipeline_id   BIGINT  NOT NULL REFERENCES pipelines(id),
    stage_id      BIGINT  NOT NULL,
    status        TEXT    NOT NULL,
    month         TEXT    NOT NULL,
    owner_key     BIGINT  NOT NULL,
    n             BIGINT  NOT NULL,
    amount        BIGINT  NOT NULL,
    cycle_micros  BIGINT  NOT NULL,
    PRIMARY KEY (org_id, pipeline_id, stage_id, status, month, owner_key)
);

INSERT INTO pipeline_summary (org_id, pipeline_id, stage_id, status, month, owner_key, n, amount, cycle_micros)
SELECT org_id, pipeline_id, stage_id, status, COALESCE(substr(expected_close, 1, 7), ''),
       COALESCE(owner_id, 0), COUNT(*), CAST(SUM(amount) AS BIGINT),
       CAST(COALESCE(SUM(CASE WHEN closed_at IS NULL THEN 0 ELSE closed_at - created_at END), 0) AS BIGINT)
FROM opportunities
GROUP BY org_id, pipeline_id, stage_id, status, COALESCE(substr(expected_close, 1, 7), ''), COALESCE(owner_id, 0);
