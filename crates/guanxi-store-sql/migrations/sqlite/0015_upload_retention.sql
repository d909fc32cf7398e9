-- An uploaded file is kept while its job may still need it, but not for ever: a file that
-- waited longer than the retention period (a check never imported, a job never resumed) is
-- deleted, and its job says when. Such a job can no longer be started or resumed.
ALTER TABLE import_jobs ADD COLUMN file_removed_at INTEGER;
