-- A recommendation's facets as codes, as on PostgreSQL (see that migration): each (facet,
-- value) written once in `recommendation_facet_values` under a number, a recommendation's
-- facet rows two integers. Nothing reads a recommendation's facets but a filter.
CREATE TABLE recommendation_facet_values (
    code INTEGER PRIMARY KEY NOT NULL,
    facet TEXT NOT NULL CONSTRAINT recommendation_facet_values_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target',
                         'sdg_goal', 'source')),
    value TEXT NOT NULL,
    UNIQUE (facet, value)
);
INSERT INTO recommendation_facet_values (facet, value)
SELECT DISTINCT facet, value FROM recommendation_facets ORDER BY facet, value;

-- A number's row is never removed, so the codes need no foreign key of their own.
CREATE TABLE recommendation_facets_new (
    code INTEGER NOT NULL,
    recommendation_seq INTEGER NOT NULL REFERENCES recommendations (seq) ON DELETE CASCADE,
    PRIMARY KEY (code, recommendation_seq)
) WITHOUT ROWID;
INSERT INTO recommendation_facets_new (code, recommendation_seq)
SELECT v.code, f.recommendation_seq
FROM recommendation_facets f
JOIN recommendation_facet_values v ON v.facet = f.facet AND v.value = f.value;
DROP TABLE recommendation_facets;
ALTER TABLE recommendation_facets_new RENAME TO recommendation_facets;
CREATE INDEX recommendation_facets_item ON recommendation_facets (recommendation_seq);
