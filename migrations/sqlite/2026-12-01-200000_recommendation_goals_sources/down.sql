CREATE TABLE recommendation_facets_new (
    recommendation_seq INTEGER NOT NULL REFERENCES recommendations (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT recommendation_facets_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target')),
    value TEXT NOT NULL,
    PRIMARY KEY (recommendation_seq, facet, value)
) WITHOUT ROWID;
INSERT INTO recommendation_facets_new (recommendation_seq, facet, value)
SELECT recommendation_seq, facet, value FROM recommendation_facets
WHERE facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target');
DROP TABLE recommendation_facets;
ALTER TABLE recommendation_facets_new RENAME TO recommendation_facets;
CREATE INDEX recommendation_facets_lookup
    ON recommendation_facets (facet, value, recommendation_seq);
