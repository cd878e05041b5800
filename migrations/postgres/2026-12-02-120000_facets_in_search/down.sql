-- Kept a recommendation's facets as lexemes of its `search` column instead of rows of
-- `recommendation_facets` for about an hour on main (d147898); undone by
-- `2026-12-02-180000_facets_as_rows`, which also moves back the facets of any database this
-- migration moved. It now changes nothing, so that an upgrade does not rewrite every
-- recommendation twice for nothing (docs/benchmarks.md, "A recommendation's facets among its
-- search lexemes").
SELECT 1;
