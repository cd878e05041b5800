ALTER TABLE interests DROP COLUMN decided_at;
ALTER TABLE offers DROP COLUMN opened_at;
ALTER TABLE assistance_requests DROP COLUMN opened_at;
ALTER TABLE activities DROP COLUMN submitted_at;
