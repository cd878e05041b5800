-- On PostgreSQL the migration this reverts keeps the full-text terms once and makes two indexes leaner.
-- SQLite already keeps the terms in its full-text tables alone, its facets in tables without a
-- row id, and builds no pending lists: nothing to change here.
SELECT 1;
