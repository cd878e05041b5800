-- Leaner indexes of the audit trail and the change feed (docs/benchmarks.md, "Issue 13:
-- PostgreSQL's storage, stop words and leaner look-ups").
--
-- 1. An item's entries and changes are looked up by its id alone, through a hash index: the
--    id is a UUID, unique across kinds, and an item has a few entries, read and ordered after
--    the look-up. The B-trees on (entity, entity_id, seq) kept the kind's name and the id's 37
--    bytes in every entry; a hash index keeps a 4-byte hash.
DROP INDEX changes_item;
CREATE INDEX changes_item ON changes USING hash (entity_id);
DROP INDEX audit_log_entity;
CREATE INDEX audit_log_entity ON audit_log USING hash (entity_id);

-- 2. Indexes that only ever grow at their end (by position, or by kind then position) fill
--    their pages: the 10 % a B-tree leaves free by default is for entries put in between,
--    which these never get.
ALTER INDEX changes_pkey SET (fillfactor = 100);
ALTER INDEX changes_public SET (fillfactor = 100);
ALTER INDEX changes_entity SET (fillfactor = 100);
ALTER INDEX audit_log_pkey SET (fillfactor = 100);
ALTER INDEX audit_log_at SET (fillfactor = 100);
ALTER INDEX audit_log_actor SET (fillfactor = 100);
ALTER INDEX recommendations_pkey SET (fillfactor = 100);
REINDEX INDEX changes_pkey;
REINDEX INDEX changes_public;
REINDEX INDEX changes_entity;
REINDEX INDEX audit_log_pkey;
REINDEX INDEX audit_log_at;
REINDEX INDEX audit_log_actor;
REINDEX INDEX recommendations_pkey;
