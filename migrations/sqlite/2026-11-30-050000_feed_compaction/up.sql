-- The change feed is compacted past a horizon (`UPR_TC_FEED_HORIZON_DAYS`, `db::changes::compact`):
-- at or below `feed_floor`, only the last change of each item is kept (and its last public
-- change), and a cursor older than the floor is answered 410 Gone. 0: nothing compacted yet.
ALTER TABLE instance ADD COLUMN feed_floor BIGINT NOT NULL DEFAULT 0;
-- The later changes of an item, which compaction looks for.
CREATE INDEX changes_item ON changes (entity, entity_id, seq);
