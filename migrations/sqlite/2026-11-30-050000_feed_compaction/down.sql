DROP INDEX changes_item;
ALTER TABLE instance DROP COLUMN feed_floor;
