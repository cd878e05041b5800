-- A recommendation's facets as codes (docs/benchmarks.md, "Issue 13: PostgreSQL's storage,
-- stop words and leaner look-ups"). Each (facet, value) a recommendation has is written once,
-- in `recommendation_facet_values`, under a number; a recommendation's facet rows are two
-- integers, its own position and that number. The rows and their lookup index were most of
-- the bytes an imported recommendation adds beside its own row: each kept the facet's name
-- and value, and entries of different sizes fill a B-tree's pages less well. Filters find a
-- value's number first, then walk its recommendations in order, as before.
--
-- Only recommendations: they are most of the facet rows, and nothing reads their facets but a
-- filter. The facets of other kinds are read by value (the annual report, matching, the
-- coordination view) and keep their names and values.
CREATE TABLE recommendation_facet_values (
    code SERIAL PRIMARY KEY,
    facet TEXT NOT NULL CONSTRAINT recommendation_facet_values_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target',
                         'sdg_goal', 'source')),
    value TEXT NOT NULL,
    UNIQUE (facet, value)
);
INSERT INTO recommendation_facet_values (facet, value)
SELECT DISTINCT facet, value FROM recommendation_facets ORDER BY facet, value;

ALTER TABLE recommendation_facets RENAME TO recommendation_facets_by_value;
-- A number's row is never removed, so the codes need no foreign key of their own (one would
-- be checked for every row an import writes).
CREATE TABLE recommendation_facets (
    code INTEGER NOT NULL,
    recommendation_seq INTEGER NOT NULL REFERENCES recommendations (seq) ON DELETE CASCADE
);
INSERT INTO recommendation_facets (code, recommendation_seq)
SELECT v.code, f.recommendation_seq
FROM recommendation_facets_by_value f
JOIN recommendation_facet_values v ON v.facet = f.facet AND v.value = f.value
ORDER BY v.code, f.recommendation_seq;
DROP TABLE recommendation_facets_by_value;
CREATE UNIQUE INDEX recommendation_facets_lookup ON recommendation_facets (code, recommendation_seq);
CREATE INDEX recommendation_facets_item ON recommendation_facets (recommendation_seq);
-- What identifies a row to logical replication, which a table without a key lacks.
ALTER TABLE recommendation_facets REPLICA IDENTITY USING INDEX recommendation_facets_lookup;
