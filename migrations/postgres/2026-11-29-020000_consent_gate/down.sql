ALTER TABLE instance DROP COLUMN rule_version;
UPDATE external_refs SET entity = 'activity' WHERE entity LIKE 'activity:%';
DROP INDEX stakeholders_own_state;
ALTER TABLE stakeholders DROP COLUMN own_state;
