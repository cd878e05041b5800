-- On PostgreSQL this migration gives the recommendations' facets back their rows. SQLite kept
-- them as rows throughout: nothing to change here.
SELECT 1;
