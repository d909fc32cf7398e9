-- A customer merged into another keeps a pointer to it (it is soft-deleted; its history moved).
ALTER TABLE customers ADD COLUMN merged_into BIGINT REFERENCES customers(id);
