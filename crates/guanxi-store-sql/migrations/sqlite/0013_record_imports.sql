-- Files of leads, orders and interactions are imported as jobs too (import_jobs.kind). Orders
-- and interactions may name people Guanxi does not know yet; the customers created for them
-- are counted apart from the records.
ALTER TABLE import_jobs ADD COLUMN customers INTEGER NOT NULL DEFAULT 0;

-- Leads brought in from a file that names no source get the source "import".
INSERT INTO lead_sources (org_id, code, name, active, position)
SELECT o.id, 'import', CASE WHEN o.locale = 'en' THEN 'Imported file' ELSE '批量导入' END, TRUE,
       COALESCE((SELECT MAX(s.position) + 1 FROM lead_sources s WHERE s.org_id = o.id), 0)
FROM organisations o
WHERE NOT EXISTS (SELECT 1 FROM lead_sources s WHERE s.org_id = o.id AND s.code = 'import');
