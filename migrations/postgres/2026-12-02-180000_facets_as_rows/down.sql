-- Nothing to undo: the facets are rows before this migration too (its predecessor
-- `2026-12-02-120000_facets_in_search` changes nothing now).
SELECT 1;
