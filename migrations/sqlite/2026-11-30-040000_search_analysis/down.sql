ALTER TABLE instance DROP COLUMN analysis_version;
