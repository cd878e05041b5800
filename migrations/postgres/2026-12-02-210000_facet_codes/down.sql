ALTER TABLE recommendation_facets RENAME TO recommendation_facets_by_code;
CREATE TABLE recommendation_facets (
    recommendation_seq BIGINT NOT NULL REFERENCES recommendations (seq) ON DELETE CASCADE,
    facet TEXT NOT NULL CONSTRAINT recommendation_facets_facet_check
        CHECK (facet IN ('recommending_state', 'theme', 'affected_persons', 'sdg_target',
                         'sdg_goal', 'source')),
    value TEXT NOT NULL
);
INSERT INTO recommendation_facets (recommendation_seq, facet, value)
SELECT f.recommendation_seq, v.facet, v.value
FROM recommendation_facets_by_code f JOIN recommendation_facet_values v ON v.code = f.code;
DROP TABLE recommendation_facets_by_code;
DROP TABLE recommendation_facet_values;
CREATE UNIQUE INDEX recommendation_facets_lookup
    ON recommendation_facets (facet, value, recommendation_seq);
CREATE INDEX recommendation_facets_item ON recommendation_facets (recommendation_seq);
ALTER TABLE recommendation_facets REPLICA IDENTITY USING INDEX recommendation_facets_lookup;
