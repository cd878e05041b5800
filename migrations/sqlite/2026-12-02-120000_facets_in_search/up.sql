-- On PostgreSQL this migration moves the recommendations' facets into their `search` column.
-- SQLite keeps them as rows of `recommendation_facets`, which its filters read: nothing to
-- change here.
SELECT 1;
