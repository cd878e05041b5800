CREATE TABLE recommendation_facets_new (
    recommendation_seq INTEGER NOT NULL REFERENCES recommendations (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT recommendation_facets_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target',
                         'sdg_goal', 'source')),
    value TEXT NOT NULL,
    PRIMARY KEY (recommendation_seq, facet, value)
) WITHOUT ROWID;
INSERT INTO recommendation_facets_new (recommendation_seq, facet, value)
SELECT f.recommendation_seq, v.facet, v.value
FROM recommendation_facets f JOIN recommendation_facet_values v ON v.code = f.code;
DROP TABLE recommendation_facets;
DROP TABLE recommendation_facet_values;
ALTER TABLE recommendation_facets_new RENAME TO recommendation_facets;
CREATE INDEX recommendation_facets_lookup
    ON recommendation_facets (facet, value, recommendation_seq);
